// The policy's name rule, matched without backtracking. JavaScript's RegExp backtracks: a rule such
// as ^(a|aa)+$ against a 41-character name tries ~10^8 paths on the event loop and stalls every
// request, token checks included. RE2 (re2js, pure JavaScript) matches in time linear in the name.
import vm from 'node:vm'
import { RE2JS } from 're2js'
import { invalid } from '../lib/errors.js'

/**
 * A rule stored before the linear engine that it cannot run (a lookaround or backreference) still
 * applies with JavaScript's engine, stopped after this long; a name it cannot decide in time is
 * refused. Such rules can no longer be saved, so this only covers what older versions stored.
 */
export const LEGACY_RULE_TIMEOUT_MS = 100

/** Whether `name` matches the rule; throws a 400 on `field` when the rule cannot decide in time. */
type Matcher = (name: string, field: string) => boolean

/** RE2's syntax for the JavaScript spellings it shares (\uXXXX, named groups, [^]), or an error. */
function linear(pattern: string): RE2JS | Error {
  try {
    return RE2JS.compile(RE2JS.translateRegExp(pattern))
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err))
  }
}

/**
 * Refuses a rule the linear engine cannot run, with the field named as the request spells it.
 * Called for PUT /api/policy and the dry run; the contract has already checked it is a valid
 * JavaScript pattern.
 */
export function checkNameRule(pattern: string | null, field = 'settings.name_pattern') {
  if (pattern === null) return
  const compiled = linear(pattern)
  if (compiled instanceof Error) {
    throw invalid(`The name rule cannot use lookarounds ((?=, (?!, (?<=, (?<!) or backreferences (\\1, \\k<name>): `
      + `rules are matched by a linear-time engine (RE2 syntax). ${compiled.message}`, field)
  }
}

let legacyContext: vm.Context | undefined
const legacyTest = new vm.Script('rule.test(name)')

function legacyMatcher(pattern: string): Matcher {
  const rule = new RegExp(pattern)
  return (name, field) => {
    legacyContext ??= vm.createContext({})
    legacyContext.rule = rule
    legacyContext.name = name
    try {
      return legacyTest.runInContext(legacyContext, { timeout: LEGACY_RULE_TIMEOUT_MS }) === true
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw err
      throw invalid(`The tenant's naming rule ${pattern} could not decide on this name in time; `
        + 'an administrator should restate the rule without lookarounds or backreferences', field)
    }
  }
}

// The policy changes rarely: the last rule compiled is kept, so a create does not compile it again.
let cached: { pattern: string; matches: Matcher } | undefined

export function nameRuleMatches(pattern: string, name: string, field: string): boolean {
  if (cached?.pattern !== pattern) {
    const compiled = linear(pattern)
    cached = { pattern, matches: compiled instanceof Error ? legacyMatcher(pattern) : (n) => compiled.test(n) }
  }
  return cached.matches(name, field)
}
