// Requests and responses of the F5 XC-compatible credential API (api_credentials, service_credentials).
import { z } from 'zod'
import { namespaceRoleNameSchema, permissionSchema, scopeKindSchema } from './scopes.js'
import { accountKindSchema } from './users.js'

export const NAME_RULE_MESSAGE = 'Use 6 to 64 lowercase letters, digits and hyphens, starting and ending with a letter or digit'

export const credentialNameSchema = z
  .string()
  .min(6, { message: 'Name must be at least 6 characters' })
  .max(64, { message: 'Name must be at most 64 characters' })
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, { message: NAME_RULE_MESSAGE })

export const credentialTypeSchema = z.enum([
  'API_CERTIFICATE',
  'KUBE_CONFIG',
  'API_TOKEN',
  'SERVICE_API_TOKEN',
  'SERVICE_API_CERTIFICATE',
  'SERVICE_KUBE_CONFIG',
  'SITE_GLOBAL_KUBE_CONFIG',
  'SCIM_API_TOKEN',
  'SERVICE_SITE_GLOBAL_KUBE_CONFIG',
])
export type CredentialType = z.infer<typeof credentialTypeSchema>

export const credentialStatusSchema = z.enum(['active', 'expired', 'revoked', 'disabled'])
export type CredentialStatus = z.infer<typeof credentialStatusSchema>

export const namespaceSchema = z.literal('system', { message: 'namespace must be "system"' })

export const expirationDaysSchema = z
  .number({ message: 'expiration_days must be a whole number of days' })
  .int({ message: 'expiration_days must be a whole number of days' })
  .min(1, { message: 'expiration_days must be at least 1' })

export const namespaceRoleSchema = z.strictObject({ namespace: z.string().min(1).max(64), role: namespaceRoleNameSchema })
export type NamespaceRole = z.infer<typeof namespaceRoleSchema>

const description = z.string().max(1024, { message: 'Description must be at most 1024 characters' })

/** Our extensions to the F5 create body; all optional so plain F5 clients keep working. */
const createExtensions = {
  description: description.optional(),
  scope: scopeKindSchema.optional(),
  permissions: z.array(permissionSchema).max(32).optional(),
  rotated_from: credentialNameSchema.optional(),
}

export const createCredentialRequestSchema = z.strictObject({
  name: credentialNameSchema,
  namespace: namespaceSchema.optional(),
  expiration_days: expirationDaysSchema.optional(),
  spec: z
    .strictObject({
      type: credentialTypeSchema.optional(),
      password: z.string().max(1024).optional(),
      virtual_k8s_name: z.string().max(1024).optional(),
      virtual_k8s_namespace: z.string().max(1024).optional(),
    })
    .optional(),
  owner_id: z.string().min(1).max(64).optional(),
  ...createExtensions,
})
export type CreateCredentialRequest = z.input<typeof createCredentialRequestSchema>

export const createServiceCredentialRequestSchema = z.strictObject({
  name: credentialNameSchema,
  namespace: namespaceSchema.optional(),
  expiration_days: expirationDaysSchema.optional(),
  type: credentialTypeSchema.optional(),
  api_token: z.strictObject({}).optional(),
  /** SERVICE_API_CERTIFICATE: protects the PKCS#12 bundle; never stored or logged. */
  password: z.string().max(1024).optional(),
  namespace_roles: z.array(namespaceRoleSchema).max(32).optional(),
  user_group_names: z.array(z.string().max(256)).max(32).optional(),
  /** An existing service account to hold the token. */
  service_account_id: z.string().min(1).max(64).optional(),
  /** Or a new service account created with the token. Without either, one named after the credential. */
  service_account_name: credentialNameSchema.optional(),
  ...createExtensions,
})
export type CreateServiceCredentialRequest = z.input<typeof createServiceCredentialRequestSchema>

export const createCredentialResponseSchema = z.object({
  active: z.boolean(),
  data: z.string(),
  expiration_timestamp: z.string().nullable(),
  name: z.string(),
})
export type CreateCredentialResponse = z.infer<typeof createCredentialResponseSchema>

export const nameRequestSchema = z.strictObject({
  name: credentialNameSchema,
  namespace: namespaceSchema.optional(),
})
export type NameRequest = z.infer<typeof nameRequestSchema>

/** Re-activating a revoked token (where the tenant policy allows it) takes a reason, kept in the audit log. */
export const activateRequestSchema = nameRequestSchema.extend({ reason: z.string().max(500).optional() })
export type ActivateRequest = z.infer<typeof activateRequestSchema>

export const renewRequestSchema = z.strictObject({
  name: credentialNameSchema,
  namespace: namespaceSchema.optional(),
  expiration_days: expirationDaysSchema.optional(),
})
export type RenewRequest = z.infer<typeof renewRequestSchema>

export const statusResponseSchema = z.object({ status: z.boolean() })

export const bulkRevokeRequestSchema = z
  .strictObject({
    name_selector: z
      .strictObject({ names: z.array(credentialNameSchema).min(1, { message: 'Give 1 to 200 names' }).max(200, { message: 'Give 1 to 200 names' }) })
      .optional(),
    expired_selector: z
      .strictObject({ all: z.strictObject({}).optional(), credential_type: credentialTypeSchema.optional() })
      .optional(),
  })
  .refine((v) => (v.name_selector ? 1 : 0) + (v.expired_selector ? 1 : 0) === 1, {
    message: 'Give exactly one of name_selector or expired_selector',
  })
export type BulkRevokeRequest = z.infer<typeof bulkRevokeRequestSchema>

export const bulkRevokeResponseSchema = z.object({
  credentials_failed: z.array(z.string()),
  credentials_marked_for_deletion: z.array(z.string()),
  error_message: z.string(),
})

export const replaceServiceCredentialRequestSchema = z
  .strictObject({
    name: credentialNameSchema.optional(),
    namespace: namespaceSchema.optional(),
    namespace_roles: z.array(namespaceRoleSchema).min(1).max(32).optional(),
    namespace_access: z
      .strictObject({
        namespace_role_map: z.record(z.string().max(256), z.strictObject({ names: z.array(namespaceRoleNameSchema).min(1).max(32) })),
      })
      .optional(),
    user_group_names: z.array(z.string().max(256)).max(32).optional(),
  })
  .refine((v) => v.namespace_roles !== undefined || v.namespace_access !== undefined, {
    message: 'Give namespace_roles or namespace_access',
  })
export type ReplaceServiceCredentialRequest = z.infer<typeof replaceServiceCredentialRequestSchema>

export const replaceServiceCredentialResponseSchema = z.object({
  active: z.boolean(),
  expiration_timestamp: z.string().nullable(),
  name: z.string(),
})

export const ownerSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  kind: accountKindSchema,
})

export const credentialSchema = z.object({
  // F5 XC fields
  name: z.string(),
  uid: z.string(),
  namespace: z.string(),
  type: credentialTypeSchema,
  user_email: z.string(),
  active: z.boolean(),
  create_timestamp: z.string(),
  expiry_timestamp: z.string().nullable(),
  // ours
  description: z.string(),
  owner: ownerSchema,
  created_by: z.string().nullable(),
  scope: scopeKindSchema,
  permissions: z.array(permissionSchema),
  status: credentialStatusSchema,
  last_used_timestamp: z.string().nullable(),
  revoked_timestamp: z.string().nullable(),
  rotated_from: z.string().nullable(),
  replaced_by: z.string().nullable(),
  token_hint: z.string(),
  namespace_roles: z.array(namespaceRoleSchema),
  namespace_access: z.object({ namespace_role_map: z.record(z.string(), z.object({ names: z.array(z.string()) })) }),
})
export type Credential = z.infer<typeof credentialSchema>

export const sortFieldSchema = z.enum(['name', 'type', 'owner', 'scope', 'created', 'last_used', 'expires', 'status'])
export type SortField = z.infer<typeof sortFieldSchema>

const csv = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .max(2000)
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(item))

/** List query: the plain F5 call has none of these and gets every visible credential. */
export const listQuerySchema = z.strictObject({
  sort: sortFieldSchema.optional(),
  order: z.enum(['asc', 'desc']).optional(),
  q: z.string().max(200).optional(),
  status: csv(credentialStatusSchema).optional(),
  type: csv(credentialTypeSchema).optional(),
  owner: z.string().max(64).optional(),
  mine: z.enum(['true', 'false']).optional(),
  expiring_within_days: z.coerce.number().int().min(0).max(3650).optional(),
  include_expired: z.enum(['true', 'false']).optional(),
  /** true: only credentials already replaced by a rotation (kept for an overlap). */
  replaced: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(512).optional(),
  namespace: z.string().max(64).optional(),
})
export type ListQuery = z.input<typeof listQuerySchema>

export const usageFilterSchema = z.enum(['never_used', 'idle_30', 'idle_90', 'idle_365', 'used_24h'])

/** Seed 002's organisation-wide table: every token of every user and service account. */
export const inventoryQuerySchema = listQuerySchema.extend({
  account_type: z.enum(['user', 'service']).optional(),
  usage: usageFilterSchema.optional(),
})
export type InventoryQuery = z.input<typeof inventoryQuerySchema>

/**
 * A page. `total` is exact, read from counters kept in the same transaction as every change, when
 * the filter is made of type, status and owner only; it is null for searches and usage, expiry or
 * rotation filters (counting those would mean a scan), and then `has_more` says whether to page on.
 * Without paging parameters (the plain F5 call) the list holds the caller's own credentials only.
 */
export const listResponseSchema = z.object({
  items: z.array(credentialSchema),
  next_cursor: z.string().nullable().optional(),
  total: z.number().int().nullable().optional(),
  has_more: z.boolean().optional(),
})
export type ListResponse = z.infer<typeof listResponseSchema>

export const getResponseSchema = credentialSchema.extend({
  /** F5 XC's GetResponse shape, for clients written against it. */
  object: z.object({
    metadata: z.object({ name: z.string(), namespace: z.string(), uid: z.string(), description: z.string() }),
    spec: z.object({
      gc_spec: z.object({
        type: credentialTypeSchema,
        active: z.boolean(),
        created_timestamp: z.string(),
        expiration_timestamp: z.string().nullable(),
        users: z.array(z.object({ name: z.string(), namespace: z.string(), kind: z.string() })),
      }),
    }),
  }),
})
export type GetResponse = z.infer<typeof getResponseSchema>

export const credentialNameParamsSchema = z.strictObject({ name: z.string().min(1).max(128) })

export const whoamiResponseSchema = z.object({
  user_uuid: z.string(),
  email: z.string(),
  name: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  tenant: z.string(),
  type: z.enum(['USER', 'SERVICE']),
  role: z.string(),
  disabled: z.boolean(),
  namespace_roles: z.array(z.object({ namespace: z.string(), role: z.string() })),
  namespace_access: z.object({ namespace_role_map: z.record(z.string(), z.object({ names: z.array(z.string()) })) }),
  permissions: z.array(permissionSchema),
  token: z
    .object({
      name: z.string(),
      type: credentialTypeSchema,
      scope: scopeKindSchema,
      permissions: z.array(permissionSchema),
      expiry_timestamp: z.string().nullable(),
      create_timestamp: z.string(),
    })
    .nullable(),
})
export type WhoamiResponse = z.infer<typeof whoamiResponseSchema>
