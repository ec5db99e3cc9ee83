// A token's address allowlist, compiled once per cached credential: a check tests the caller's
// address against node's BlockList (IPv4, IPv6 and IPv4-mapped IPv6 alike), no parsing per request.
import { BlockList, isIPv4, isIPv6 } from 'node:net'
import { formatCidr, parseCidr } from '../../contract/limits.js'

export type AddressTest = (ip: string | null) => boolean

/** Addresses whose answer one allowlist remembers. */
const MAX_REMEMBERED = 1024

/** The stored spelling of a validated list: canonical, without duplicates, in the order given. */
export function normalizeCidrs(list: readonly string[]): string[] {
  return [...new Set(list.map((e) => formatCidr(parseCidr(e)!)))]
}

/** A test for the stored list (JSON); undefined when the token may be used from anywhere. */
export function compileAllowlist(stored: string | null): AddressTest | undefined {
  if (stored === null) return undefined
  const cidrs = JSON.parse(stored) as string[]
  if (!cidrs.length) return undefined
  return allowlistTest(cidrs)
}

export function allowlistTest(cidrs: readonly string[]): AddressTest {
  const list = new BlockList()
  for (const c of cidrs) {
    const p = parseCidr(c)
    if (p) list.addSubnet(p.address, p.prefix, p.family === 4 ? 'ipv4' : 'ipv6')
  }
  // BlockList.check builds a SocketAddress per call; a gateway's clients are few, so each address's
  // answer is remembered (bounded) and a repeated check costs one Map lookup.
  const seen = new Map<string, boolean>()
  return (ip) => {
    if (!ip) return false
    let ok = seen.get(ip)
    if (ok === undefined) {
      ok = isIPv4(ip) ? list.check(ip, 'ipv4') : isIPv6(ip) && list.check(ip, 'ipv6')
      if (seen.size >= MAX_REMEMBERED) seen.clear()
      seen.set(ip, ok)
    }
    return ok
  }
}
