// The in-app notification centre: each person's own notices (expiry, admin actions on their
// tokens, idle end, leak reports), the unread count the shell shows, and marking read.
import { z } from 'zod'

export const notificationKindSchema = z.enum(['expiry_notice', 'admin_action', 'idle_end', 'leak_report'])
export type NotificationKind = z.infer<typeof notificationKindSchema>

/** Which console page a notice's credential lives on. */
export const notificationFamilySchema = z.enum(['api_credentials', 'service_credentials'])

export const notificationSchema = z.object({
  id: z.string().max(64),
  kind: notificationKindSchema,
  credential_name: z.string().max(128).nullable(),
  family: notificationFamilySchema.nullable(),
  title: z.string().max(300),
  body: z.string().max(2000),
  /** Facts behind the notice (threshold, days left, in use, sources, action, actor…). */
  data: z.record(z.string().max(64), z.unknown()),
  created_at: z.string().max(64),
  read_at: z.string().max(64).nullable(),
})
export type Notification = z.infer<typeof notificationSchema>

export const NOTIFICATION_PAGE_MAX = 100

export const notificationListQuerySchema = z.strictObject({
  unread: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(NOTIFICATION_PAGE_MAX).optional(),
  cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/).optional(),
})
export type NotificationListQuery = z.input<typeof notificationListQuerySchema>

export const notificationListResponseSchema = z.object({
  items: z.array(notificationSchema).max(NOTIFICATION_PAGE_MAX),
  next_cursor: z.string().max(200).nullable(),
})
export type NotificationListResponse = z.infer<typeof notificationListResponseSchema>

/** Counted up to UNREAD_COUNT_MAX; the shell shows "99+" well before that. */
export const UNREAD_COUNT_MAX = 1000
export const unreadCountResponseSchema = z.object({ unread: z.number().int().min(0).max(UNREAD_COUNT_MAX) })
export type UnreadCountResponse = z.infer<typeof unreadCountResponseSchema>

export const markReadRequestSchema = z.union([
  z.strictObject({ ids: z.array(z.string().min(1).max(64)).min(1).max(NOTIFICATION_PAGE_MAX) }),
  z.strictObject({ all: z.literal(true) }),
])
export type MarkReadRequest = z.infer<typeof markReadRequestSchema>

export const markReadResponseSchema = z.object({ marked: z.number().int().min(0) })
export type MarkReadResponse = z.infer<typeof markReadResponseSchema>
