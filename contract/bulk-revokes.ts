// A bulk revoke of every expired credential, as a job whose progress can be read.
// Each batch (up to BULK_BATCH credentials) is one transaction with its audit rows and the job's own
// progress, so what the job says it has done is exactly what is committed; a job stopped part-way
// (a failure, a restart) is resumed from where it stopped, with the cutoff it started with.
import { z } from 'zod'
import { credentialTypeSchema } from './credentials.js'

/**
 * Credentials revoked in one transaction: the write lock is held for one batch, never for the whole job
 * (measured at 100k tokens: about 60 ms a batch on SQLite, 250 ms on PostgreSQL; `npm run bench`).
 */
export const BULK_BATCH = 200

/**
 * running: batches are being committed (updated_timestamp moves with each one);
 * done: nothing expired by the cutoff is left unrevoked;
 * failed: a batch failed and was rolled back (error says why), the batches before it stand;
 * interrupted: the server stopped, or nothing has been committed for a minute while running.
 * failed and interrupted jobs can be resumed.
 */
export const bulkRevokeStateSchema = z.enum(['running', 'done', 'failed', 'interrupted'])
export type BulkRevokeState = z.infer<typeof bulkRevokeStateSchema>

export const bulkRevokeJobSchema = z.object({
  id: z.string(),
  family: z.enum(['api_credentials', 'service_credentials']),
  /** Only this type, or every type of the family. */
  credential_type: credentialTypeSchema.nullable(),
  /** tenant: every owner's (an administrator's job); own: its creator's credentials only. */
  scope: z.enum(['tenant', 'own']),
  state: bulkRevokeStateSchema,
  /** Credentials that expired at or before this time are revoked; a resumed job keeps it. */
  cutoff_timestamp: z.string(),
  /** Expired and unrevoked when the job started (or when it was last resumed, plus what it had done). */
  total: z.number().int(),
  revoked: z.number().int(),
  batches: z.number().int(),
  batch_size: z.number().int(),
  error: z.string().nullable(),
  created_by: z.object({ id: z.string(), email: z.string() }),
  created_timestamp: z.string(),
  updated_timestamp: z.string(),
  finished_timestamp: z.string().nullable(),
})
export type BulkRevokeJob = z.infer<typeof bulkRevokeJobSchema>

export const bulkRevokeJobParamsSchema = z.strictObject({ id: z.string().max(64) })

export const bulkRevokeListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(50).optional(),
})

export const bulkRevokeListResponseSchema = z.object({
  /** Newest first: the caller's own jobs, or every job for an administrator or auditor. */
  items: z.array(bulkRevokeJobSchema).max(50),
})

/** What a bulk revoke of expired credentials would revoke if started now, for the confirmation. */
export const bulkRevokePreviewQuerySchema = z.strictObject({
  family: z.enum(['api_credentials', 'service_credentials']),
  credential_type: credentialTypeSchema.optional(),
})
export type BulkRevokePreviewQuery = z.infer<typeof bulkRevokePreviewQuerySchema>

/** How many names the preview shows; the CSV (preview.csv, same query) lists the whole set. */
export const PREVIEW_SAMPLE = 10

export const bulkRevokePreviewSchema = z.object({
  family: z.enum(['api_credentials', 'service_credentials']),
  credential_type: credentialTypeSchema.nullable(),
  scope: z.enum(['tenant', 'own']),
  /** The moment counted: credentials expired at or before it and not yet revoked. */
  cutoff_timestamp: z.string(),
  /** Give this back as expired_selector.expected_count to start: a start is refused if the set changed. */
  count: z.number().int(),
  owners: z.number().int(),
  /** The first PREVIEW_SAMPLE of the set by name. */
  sample: z.array(z.object({ name: z.string(), owner_email: z.string(), expiry_timestamp: z.string().nullable() })).max(PREVIEW_SAMPLE),
  /** Who can undo a revoke here, in the tenant's current policy, in plain words. */
  undo: z.string(),
  /** Whether the tenant policy lets an administrator re-activate a revoked credential today. */
  reactivation_allowed: z.boolean(),
})
export type BulkRevokePreview = z.infer<typeof bulkRevokePreviewSchema>

export const bulkRevokePreviewCsvColumns = ['name', 'type', 'owner_email', 'expiry_timestamp'] as const
