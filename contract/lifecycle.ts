// Tombstones of removed credentials, as the inventory's Removed view reads them.
import { z } from 'zod'

/** Why a credential was removed: unused for two years (the removal job), or its owner was deleted. */
export const removalReasonSchema = z.enum(['unused_two_years', 'owner_deleted'])
export type RemovalReason = z.infer<typeof removalReasonSchema>

/** Unused this long (by last use, or creation if never used), a credential is removed, whatever its state or expiry. */
export const REMOVAL_AFTER_DAYS = 730

export const tombstoneSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  owner: z.object({ id: z.string(), email: z.string() }),
  scope: z.string(),
  created_timestamp: z.string(),
  expiry_timestamp: z.string().nullable(),
  revoked_timestamp: z.string().nullable(),
  last_used_timestamp: z.string().nullable(),
  removed_timestamp: z.string(),
  reason: removalReasonSchema,
})
export type Tombstone = z.infer<typeof tombstoneSchema>

export const removedListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(128).optional(),
  /** Part of a name. */
  q: z.string().max(128).optional(),
})
export type RemovedListQuery = z.input<typeof removedListQuerySchema>

export const removedListResponseSchema = z.object({
  items: z.array(tombstoneSchema).max(200),
  next_cursor: z.string().nullable(),
})
export type RemovedListResponse = z.infer<typeof removedListResponseSchema>
