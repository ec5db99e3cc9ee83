import { z } from 'zod'

/** Every action the audit log records: the server's AuditAction type and the console's action filter. */
export const auditActions = [
  'login', 'login_failed', 'logout', 'password_change', 'user.password_reset', 'credential.create',
  'credential.renew', 'credential.revoke', 'credential.activate', 'credential.bulk_revoke',
  'credential.roles_change', 'credential.update', 'credential.use_denied', 'credential.check_failed',
  'user.create', 'user.update', 'user.role_change', 'user.disable', 'user.enable', 'service_account.create',
  'policy.update', 'credential.policy_apply', 'credential.rotate', 'credential.rotation_end',
  'credential.idle_end', 'credential.remove', 'user.delete', 'credential.leak_report', 'leak.report',
  'credential.expiry_notice', 'auth.reauthenticate', 'webhook.create', 'webhook.update', 'webhook.delete',
  'webhook.test', 'audit.archive', 'identity.oidc_update', 'permission.create', 'permission.retire',
] as const
export type AuditAction = (typeof auditActions)[number]

export const auditEventSchema = z.object({
  id: z.number().int(),
  at: z.string(),
  actor_id: z.string().nullable(),
  actor_email: z.string().nullable(),
  actor_type: z.string(),
  credential_name: z.string().nullable(),
  action: z.string(),
  target_type: z.string().nullable(),
  target_name: z.string().nullable(),
  outcome: z.string(),
  source_ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
})
export type AuditEvent = z.infer<typeof auditEventSchema>

export const auditQuerySchema = z.strictObject({
  actor: z.string().max(254).optional(),
  credential: z.string().max(128).optional(),
  action: z.string().max(64).optional(),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  from: z.iso.datetime({ offset: true }).max(64).optional(),
  to: z.iso.datetime({ offset: true }).max(64).optional(),
  q: z.string().max(200).optional(),
  cursor: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
})
export type AuditQuery = z.input<typeof auditQuerySchema>

export const auditListResponseSchema = z.object({ items: z.array(auditEventSchema), next_cursor: z.string().nullable() })
export const auditVerifyResponseSchema = z.object({
  intact: z.boolean(),
  checked: z.number().int(),
  first_broken_id: z.number().int().nullable(),
  /** Where the live chain starts when older rows were archived: the last archived row's id and hash. */
  checkpoint: z.object({ last_id: z.number().int(), last_hash: z.string(), archived_at: z.string() }).nullable(),
})
export type AuditVerify = z.infer<typeof auditVerifyResponseSchema>
