// Where a webhook may be delivered. Outbound requests go only to public addresses: a URL's host is
// resolved (every address it has) and refused if any address is loopback, private, link-local (cloud
// metadata), unique-local, CGNAT, multicast, unspecified, broadcast, documentation or reserved, in
// whatever spelling it came: the WHATWG URL parser has already turned 2130706433, 0x7f000001, 127.1
// and 0177.0.0.1 into 127.0.0.1, and IPv6 forms that carry an IPv4 address (::ffff:a.b.c.d,
// ::a.b.c.d, 64:ff9b::a.b.c.d, 2002:aabb:ccdd::) are judged by that address. The sender then connects
// to the addresses checked here, never to a second lookup's answer (which a DNS owner could change).
import dns from 'node:dns'
import net from 'node:net'

export type Category =
  | 'loopback' | 'unspecified' | 'private' | 'link-local' | 'unique-local' | 'carrier-grade NAT' | 'multicast'
  | 'broadcast' | 'documentation' | 'reserved' | 'cloud metadata'

/**
 * Refused even when WEBHOOK_ALLOW_PRIVATE_TARGETS is on: no receiver lives there, and 0.0.0.0 is this
 * host, link-local holds the cloud metadata service (169.254.169.254) and the rest are not unicast.
 */
const ALWAYS_REFUSED = new Set<Category>(['unspecified', 'link-local', 'cloud metadata', 'multicast', 'broadcast'])

export interface ResolvedAddress {
  address: string
  family: 4 | 6
}
export type Resolve = (hostname: string) => Promise<Array<{ address: string; family: number }>>

const systemResolve: Resolve = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true })

function v4(address: string): number[] | null {
  return net.isIPv4(address) ? address.split('.').map(Number) : null
}

/** The 16 bytes of an IPv6 address (a zone like %eth0 dropped), or null. */
function v6(address: string): number[] | null {
  const a = address.replace(/%.*$/, '')
  if (!net.isIPv6(a)) return null
  let text = a
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(a)
  if (dotted) {
    const b = v4(dotted[1]!)!
    text = a.slice(0, -dotted[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined]
  const groups = (s: string | undefined) => (s ? s.split(':') : [])
  const h = groups(head)
  const t = groups(tail)
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
  return all.flatMap((g) => {
    const n = parseInt(g, 16)
    return [n >> 8, n & 0xff]
  })
}

type Range = [prefix: number[], bits: number, category: Category]
const r4 = (a: string, bits: number, c: Category): Range => [v4(a)!, bits, c]
const r6 = (a: string, bits: number, c: Category): Range => [v6(a)!, bits, c]

// Most specific first: the first range that holds an address names it.
const V4: Range[] = [
  r4('255.255.255.255', 32, 'broadcast'),
  r4('100.100.100.200', 32, 'cloud metadata'), r4('168.63.129.16', 32, 'cloud metadata'),
  r4('192.0.2.0', 24, 'documentation'), r4('198.51.100.0', 24, 'documentation'), r4('203.0.113.0', 24, 'documentation'),
  r4('192.0.0.0', 24, 'reserved'), r4('192.88.99.0', 24, 'reserved'),
  r4('169.254.0.0', 16, 'link-local'), r4('192.168.0.0', 16, 'private'),
  r4('198.18.0.0', 15, 'reserved'), r4('172.16.0.0', 12, 'private'), r4('100.64.0.0', 10, 'carrier-grade NAT'),
  r4('0.0.0.0', 8, 'unspecified'), r4('10.0.0.0', 8, 'private'), r4('127.0.0.0', 8, 'loopback'),
  r4('224.0.0.0', 4, 'multicast'), r4('240.0.0.0', 4, 'reserved'),
]
const V6: Range[] = [
  r6('::', 128, 'unspecified'), r6('::1', 128, 'loopback'), r6('fd00:ec2::254', 128, 'cloud metadata'),
  r6('100::', 64, 'reserved'), r6('2001:db8::', 32, 'documentation'), r6('2001::', 32, 'reserved'),
  r6('3fff::', 20, 'documentation'), r6('fe80::', 10, 'link-local'), r6('fec0::', 10, 'private'),
  r6('ff00::', 8, 'multicast'), r6('fc00::', 7, 'unique-local'),
]
/** IPv6 prefixes that carry an IPv4 address, and where: judged as that IPv4 address. */
const EMBEDDED: Array<[prefix: number[], bits: number, at: number]> = [
  [v6('::ffff:0:0')!, 96, 12], // IPv4-mapped
  [v6('::ffff:0:0:0')!, 96, 12], // IPv4-translated (SIIT)
  [v6('64:ff9b::')!, 96, 12], // NAT64, well-known prefix
  [v6('::')!, 96, 12], // IPv4-compatible (deprecated, still routed by some stacks)
  [v6('2002::')!, 16, 2], // 6to4
]
const GLOBAL_UNICAST_V6: [number[], number] = [v6('2000::')!, 3]

function within(bytes: number[], prefix: number[], bits: number): boolean {
  for (let i = 0; i < bits; i += 8) {
    const take = Math.min(8, bits - i)
    const mask = (0xff << (8 - take)) & 0xff
    if ((bytes[i / 8]! & mask) !== (prefix[i / 8]! & mask)) return false
  }
  return true
}

const match = (bytes: number[], ranges: Range[]) => ranges.find(([p, bits]) => within(bytes, p, bits))?.[2] ?? null

/** What kind of non-public address this is, or null for a public one (or something that is no IP address). */
export function forbiddenCategory(address: string): Category | null {
  const four = v4(address)
  if (four) return match(four, V4)
  const six = v6(address)
  if (!six) return null
  const named = match(six, V6)
  // :: and ::1 sit inside the IPv4-compatible prefix: their own names win.
  if (named === 'unspecified' || named === 'loopback') return named
  for (const [p, bits, at] of EMBEDDED) {
    if (within(six, p, bits)) return match(six.slice(at, at + 4), V4)
  }
  if (named) return named
  // Everything public in IPv6 today is in 2000::/3; the rest is unassigned or special.
  return within(six, ...GLOBAL_UNICAST_V6) ? null : 'reserved'
}

const ARTICLE: Partial<Record<Category, string>> = { unspecified: 'an', broadcast: 'the' }
const named = (c: Category) => `${ARTICLE[c] ?? 'a'} ${c} address`

/** Why a URL may not be delivered to; `message` is for the admin who entered it. */
export class TargetRefused extends Error {
  constructor(readonly category: Category, readonly address: string, readonly literal: boolean) {
    const why = ALWAYS_REFUSED.has(category)
      ? 'deliveries never go there'
      : 'deliveries go only to public addresses unless WEBHOOK_ALLOW_PRIVATE_TARGETS is on'
    super(`URL ${literal ? 'is' : 'resolves to'} ${named(category)}${category === 'link-local' ? ' (where cloud metadata services answer)' : ''}; ${why}`)
  }
}

/** The host of a parsed URL as the resolver or the kernel would take it (IPv6 without brackets). */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1')

export class TargetPolicy {
  constructor(readonly allowPrivate: boolean, public resolve: Resolve = systemResolve) {}

  private refused(address: string): Category | null {
    const c = forbiddenCategory(address)
    if (!c) return null
    return this.allowPrivate && !ALWAYS_REFUSED.has(c) ? null : c
  }

  /**
   * Every address the URL's host stands for, each one checked; throws TargetRefused if any one is
   * refused (a name with one public and one private address could be sent to either). Resolver
   * errors (an unknown name) are thrown as they come.
   */
  async addresses(url: URL): Promise<ResolvedAddress[]> {
    const host = hostOf(url)
    const family = net.isIP(host)
    // RFC 6761: localhost and every name under it are loopback, whatever a resolver makes of them
    // (some do not know "localhost." with its root dot, others send it to a DNS server).
    if (/(^|\.)localhost\.*$/i.test(host)) {
      if (this.refused('127.0.0.1')) throw new TargetRefused('loopback', host, false)
    }
    const found = family ? [{ address: host, family }] : await this.resolve(host)
    if (!found.length) throw Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' })
    for (const a of found) {
      const c = this.refused(a.address)
      if (c) throw new TargetRefused(c, a.address, family !== 0)
    }
    return found.map((a) => ({ address: a.address, family: net.isIPv6(a.address) ? 6 : 4 }))
  }

  /**
   * At create and edit: throws TargetRefused for a URL that is or resolves to a refused address. A
   * name that does not resolve (yet), or not within `timeoutMs`, is let through: every send checks
   * again, and a name with no address reaches nothing.
   */
  async check(url: string, timeoutMs = 3000): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), timeoutMs) })
    try {
      await Promise.race([this.addresses(new URL(url)), late])
    } catch (err) {
      if (err instanceof TargetRefused) throw err
    } finally {
      clearTimeout(timer)
    }
  }
}

/**
 * A `lookup` for http.request that answers with addresses already checked, whatever name it is asked
 * about: the connection goes where the check looked, and no second DNS answer can send it elsewhere.
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): net.LookupFunction {
  return ((_hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
    const cb = typeof options === 'function' ? options as (...args: unknown[]) => void : callback
    const all = typeof options === 'object' && options?.all
    const wanted = typeof options === 'object' && (options.family === 4 || options.family === 6) ? options.family : 0
    const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses
    process.nextTick(() => {
      const one = usable[0]
      if (!one) cb(Object.assign(new Error(`no checked IPv${wanted} address`), { code: 'ENOTFOUND' }))
      else if (all) cb(null, usable.map((a) => ({ address: a.address, family: a.family })))
      else cb(null, one.address, one.family)
    })
  }) as unknown as net.LookupFunction
}
