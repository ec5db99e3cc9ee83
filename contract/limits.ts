// Least-privilege limits on a token: the addresses it may be used from (allowed_cidrs), when it starts
// (not_before) and a request quota (rate_limit). Shared by the server and the console's editor.
import { z } from 'zod'

export const MAX_ALLOWED_CIDRS = 32
export const RATE_LIMIT_MAX = 1_000_000
export const RATE_WINDOW_MIN_SECONDS = 1
export const RATE_WINDOW_MAX_SECONDS = 86_400

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/** The IPv6 address written canonically (RFC 5952, as URL hosts are), or undefined when it is not one. */
function canonicalIpv6(address: string): string | undefined {
  if (!address.includes(':') || !/^[0-9a-fA-F:.]+$/.test(address)) return undefined
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1)
  } catch {
    return undefined
  }
}

export interface ParsedCidr { family: 4 | 6; address: string; prefix: number }

/**
 * An IPv4 or IPv6 address, or a CIDR of one, as `{family, address, prefix}` (an address alone is
 * its /32 or /128); undefined when it is neither. Pure string work, so the console validates alike.
 */
export function parseCidr(entry: string): ParsedCidr | undefined {
  const [address, prefixText, extra] = entry.trim().split('/')
  if (extra !== undefined || !address) return undefined
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined
  if (IPV4.test(address)) {
    const prefix = prefixText === undefined ? 32 : Number(prefixText)
    return prefix <= 32 ? { family: 4, address, prefix } : undefined
  }
  const v6 = canonicalIpv6(address)
  if (v6 === undefined) return undefined
  const prefix = prefixText === undefined ? 128 : Number(prefixText)
  return prefix <= 128 ? { family: 6, address: v6, prefix } : undefined
}

/** The stored spelling: address/prefix with the address canonical. */
export const formatCidr = (c: ParsedCidr) => `${c.address}/${c.prefix}`

export const allowedCidrsSchema = z
  .array(z.string().max(64, { message: 'An entry is at most 64 characters' }), { message: 'allowed_cidrs must be a list of addresses or CIDRs' })
  .max(MAX_ALLOWED_CIDRS, { message: `Give at most ${MAX_ALLOWED_CIDRS} addresses or CIDRs` })
  .superRefine((list, ctx) => {
    list.forEach((entry, i) => {
      if (!parseCidr(entry)) {
        ctx.addIssue({ code: 'custom', path: [i], message: `"${entry}" is not an IPv4 or IPv6 address or CIDR (like 203.0.113.0/24 or 2001:db8::/32)` })
      }
    })
  })
  .describe('Addresses or CIDRs (IPv4 or IPv6) the token may be used from; checks from anywhere else are refused. Empty or null: anywhere')

export const rateLimitSchema = z
  .strictObject({
    limit: z.number({ message: 'rate_limit.limit must be a whole number' }).int({ message: 'rate_limit.limit must be a whole number' })
      .min(1, { message: 'rate_limit.limit must be at least 1' }).max(RATE_LIMIT_MAX, { message: `rate_limit.limit must be at most ${RATE_LIMIT_MAX}` }),
    window_seconds: z.number({ message: 'rate_limit.window_seconds must be a whole number of seconds' }).int({ message: 'rate_limit.window_seconds must be a whole number of seconds' })
      .min(RATE_WINDOW_MIN_SECONDS, { message: `rate_limit.window_seconds must be at least ${RATE_WINDOW_MIN_SECONDS}` })
      .max(RATE_WINDOW_MAX_SECONDS, { message: `rate_limit.window_seconds must be at most ${RATE_WINDOW_MAX_SECONDS} (a day)` }),
  })
  .describe('At most `limit` checks and API calls per fixed window of `window_seconds`; past it 429 with Retry-After')
export type RateLimit = z.infer<typeof rateLimitSchema>

export const notBeforeSchema = z.iso.datetime({ offset: true, message: 'not_before must be an RFC 3339 date-time, like 2030-01-31T09:00:00Z' }).max(64)
  .describe('The token is refused (401, reason not_yet_valid) before this instant; it must come before the expiry')

/** The fields create accepts and the credential shows. */
export const limitFields = {
  allowed_cidrs: allowedCidrsSchema.nullable().optional(),
  rate_limit: rateLimitSchema.nullable().optional(),
}

/** PATCH …/limits: each field given replaces the stored one; null removes it. */
export const updateLimitsRequestSchema = z.strictObject(limitFields)
export type UpdateLimitsRequest = z.infer<typeof updateLimitsRequestSchema>

export const limitsResponseSchema = z.object({
  allowed_cidrs: z.array(z.string()).nullable(),
  rate_limit: rateLimitSchema.nullable(),
  not_before_timestamp: z.string().nullable(),
})
export type LimitsResponse = z.infer<typeof limitsResponseSchema>

/** A recent source of the token's uses, from usage records (the last 30 days). */
export const usageSourceSchema = z.object({
  ip: z.string(),
  count: z.number().int(),
  last_seen: z.string(),
})

export const allowlistSuggestionSchema = z.object({
  /** Every distinct address seen, as /32 or /128, most used first. */
  cidrs: z.array(z.string()),
  sources: z.array(usageSourceSchema),
  since: z.string(),
})
export type AllowlistSuggestion = z.infer<typeof allowlistSuggestionSchema>

export const dryRunQuerySchema = z.strictObject({
  cidrs: z.string().max(MAX_ALLOWED_CIDRS * 65).describe('The proposed list, comma-separated'),
})

export const dryRunResponseSchema = z.object({
  cidrs: z.array(z.string()),
  since: z.string(),
  /** Recent sources the proposed list would have refused, with how many uses each. */
  refused: z.array(usageSourceSchema),
  allowed: z.array(usageSourceSchema),
  refused_uses: z.number().int(),
  allowed_uses: z.number().int(),
})
export type DryRunResponse = z.infer<typeof dryRunResponseSchema>

/** Why a check of a valid token was refused, as /api/verify's 401 names it (details[].reason). */
export const limitRefusalSchema = z.enum(['not_yet_valid', 'address_not_allowed'])
export type LimitRefusal = z.infer<typeof limitRefusalSchema>
