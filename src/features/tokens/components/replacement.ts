// "Create a replacement with the same settings" for a leaked token: a free name close to the old one
// and the wizard's values copied from it (type, description, owner, scope, lifetime in days).
import { addDays, format } from 'date-fns'
import { credentialNameSchema, type Credential } from '../../../../contract/credentials'
import { consoleCredentialTypeSchema } from '../../../../contract/auth'
import { namespaceRoleNameSchema } from '../../../../contract/scopes'
import type { Family } from '../../../lib/api/credentials'
import { nameAvailable } from '../../../lib/api/console'
import type { WizardValues } from './wizard-schema'

const DAY = 86_400_000
const NAME_MAX = 64

/** The wizard prefilled from `name`: /tokens/new?replace=name (or the service credential wizard). */
export const replacementPath = (family: Family, name: string) =>
  `${family === 'service_credentials' ? '/service-credentials' : '/tokens'}/new?replace=${encodeURIComponent(name)}`

/** ci-deploy → ci-deploy-2, -3, …; ci-deploy-2 → ci-deploy-3, …; always within the name rule. */
export function replacementNames(name: string, count = 20): string[] {
  const m = /^(.*?)-(\d{1,4})$/.exec(name)
  const base = m ? m[1] : name
  const first = m ? Number(m[2]) + 1 : 2
  const out: string[] = []
  for (let n = first; out.length < count; n++) {
    const suffix = `-${n}`
    const candidate = `${base.slice(0, NAME_MAX - suffix.length).replace(/-+$/, '')}${suffix}`
    if (credentialNameSchema.safeParse(candidate).success) out.push(candidate)
    else if (n > first + count) break
  }
  return out
}

/** The first candidate nobody holds (names are unique across families and owners). */
export async function freeReplacementName(name: string, signal: AbortSignal, available = nameAvailable): Promise<string> {
  const candidates = replacementNames(name)
  for (const c of candidates) {
    if ((await available(c, signal)).available) return c
  }
  return candidates[candidates.length - 1] ?? name
}

/** The old token's lifetime in whole days (creation to expiry), within today's policy maximum. */
export function lifetimeDays(c: Pick<Credential, 'create_timestamp' | 'expiry_timestamp'>, maxDays: number): number | undefined {
  if (!c.expiry_timestamp) return undefined
  const days = Math.round((Date.parse(c.expiry_timestamp) - Date.parse(c.create_timestamp)) / DAY)
  return Math.max(1, Math.min(days, maxDays))
}

/**
 * The wizard's values for a replacement of `c`. The owner is kept only when the caller may create for
 * them (`mayOwn`): a developer's replacement is always their own.
 */
export function replacementValues(
  c: Credential, name: string,
  opts: { presets: readonly number[]; maxDays: number; mayOwn: (ownerId: string) => boolean; now?: Date },
): Partial<WizardValues> {
  const days = lifetimeDays(c, opts.maxDays)
  const expiry = days === undefined
    ? { expiry: 'never', custom_date: '' }
    : opts.presets.includes(days)
      ? { expiry: String(days), custom_date: '' }
      : { expiry: 'custom', custom_date: format(addDays(opts.now ?? new Date(), days), 'yyyy-MM-dd') }
  const scope = { scope: c.scope, permissions: c.scope === 'custom' ? [...c.permissions] : [] }
  if (c.owner.kind === 'service') {
    const role = namespaceRoleNameSchema.safeParse(c.namespace_roles.find((r) => r.namespace === 'system' || r.namespace === '*')?.role)
    return {
      type: 'SERVICE_API_TOKEN', name, description: c.description, ...scope, ...expiry,
      service_account_id: c.owner.id, service_account_name: '', namespace_role: role.success ? role.data : 'ves-io-monitor',
    }
  }
  const type = consoleCredentialTypeSchema.safeParse(c.type)
  return {
    type: 'API_TOKEN', credential_type: type.success ? type.data : 'API_TOKEN', name, description: c.description, ...scope, ...expiry,
    owner_id: opts.mayOwn(c.owner.id) ? c.owner.id : '',
  }
}
