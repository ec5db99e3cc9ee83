// Requests and responses of the F5 XC-compatible credential API (api_credentials, service_credentials).
import { z } from 'zod'
import { namespaceRoleNameSchema, permissionSchema, scopeKindSchema } from './scopes.js'
import { accountKindSchema } from './users.js'
import { limitFields, notBeforeSchema, rateLimitSchema } from './limits.js'
import { grantablePermissionSchema } from './permissions.js'

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

/**
 * leaked: revoked because a secret scanner reported it (leaked_timestamp set); never re-activated.
 * scheduled: created to start later (not_before_timestamp in the future); refused until then.
 */
export const credentialStatusSchema = z.enum(['active', 'scheduled', 'expired', 'revoked', 'disabled', 'leaked'])
export type CredentialStatus = z.infer<typeof credentialStatusSchema>

export const namespaceSchema = z.literal('system', { message: 'namespace must be "system"' })

const DAYS_MESSAGE = 'expiration_days must be a whole number of days'

/**
 * A number, or a numeric string: the F5 spec declares it int64, which proto3's JSON mapping writes as
 * a string ("90"), so clients generated from the spec send either. Either way the server sees a number.
 */
export const expirationDaysSchema = z
  .union([
    z.number({ message: DAYS_MESSAGE }).int({ message: DAYS_MESSAGE }),
    z.string({ message: DAYS_MESSAGE }).max(9, { message: DAYS_MESSAGE }).regex(/^\d+$/, { message: DAYS_MESSAGE }).transform(Number),
  ], { message: DAYS_MESSAGE })
  .pipe(z.number().int().min(1, { message: 'expiration_days must be at least 1' }).max(36_500, { message: 'expiration_days must be at most 36500' }))

export const namespaceRoleSchema = z.strictObject({ namespace: z.string().min(1).max(64), role: namespaceRoleNameSchema })
export type NamespaceRole = z.infer<typeof namespaceRoleSchema>

/** A Kubernetes object name (RFC 1123 subdomain length). */
export const k8sNameSchema = z.string().max(253)

const description = z.string().max(1024, { message: 'Description must be at most 1024 characters' })

/** Our extensions to the F5 create body; all optional so plain F5 clients keep working. */
const createExtensions = {
  description: description.optional(),
  scope: scopeKindSchema.optional(),
  /** With scope "custom": this API's permissions and catalog permissions (contract/permissions.ts). */
  permissions: z.array(grantablePermissionSchema).max(32).optional(),
  rotated_from: credentialNameSchema.optional(),
  /** No end date; only where the tenant policy allows it for the owner's account type, never with expiration_days. */
  never_expires: z.boolean().optional(),
  /** Least-privilege limits (contract/limits.ts): addresses, a quota, a later start. */
  ...limitFields,
  not_before: notBeforeSchema.optional(),
}

export const createCredentialRequestSchema = z.strictObject({
  name: credentialNameSchema,
  namespace: namespaceSchema.optional(),
  expiration_days: expirationDaysSchema.optional(),
  spec: z
    .strictObject({
      type: credentialTypeSchema.optional(),
      password: z.string().max(1024).optional(),
      virtual_k8s_name: k8sNameSchema.optional(),
      virtual_k8s_namespace: k8sNameSchema.optional(),
    })
    .optional(),
  owner_id: z.string().min(1).max(64).optional(),
  ...createExtensions,
})
/** As the server sees it, after parsing (expiration_days a number). */
export type CreateCredentialRequest = z.output<typeof createCredentialRequestSchema>

export const createServiceCredentialRequestSchema = z.strictObject({
  name: credentialNameSchema,
  namespace: namespaceSchema.optional(),
  expiration_days: expirationDaysSchema.optional(),
  type: credentialTypeSchema.optional(),
  /** SERVICE_API_TOKEN (the default type): no settings of its own. */
  api_token: z.strictObject({}).optional(),
  /** SERVICE_API_CERTIFICATE: the password protecting the PKCS#12 bundle; never stored or logged. */
  api_certificate: z.strictObject({ password: z.string().max(1024).optional() }).optional(),
  /** SERVICE_API_CERTIFICATE: the same password, where the spec also places it. */
  password: z.string().max(1024).optional(),
  /** SERVICE_KUBE_CONFIG: the cluster named in the kubeconfig and the context's namespace. */
  vk8s_kubeconfig: z.strictObject({ vk8s_cluster_name: k8sNameSchema.optional(), vk8s_namespace: k8sNameSchema.optional() }).optional(),
  /** SERVICE_KUBE_CONFIG: the same, as the spec's flat fields. */
  virtual_k8s_name: k8sNameSchema.optional(),
  virtual_k8s_namespace: k8sNameSchema.optional(),
  /** SITE_GLOBAL_KUBE_CONFIG: the site the kubeconfig is for. */
  site_kubeconfig: z.strictObject({ site: k8sNameSchema.optional() }).optional(),
  namespace_roles: z.array(namespaceRoleSchema).max(32).optional(),
  user_group_names: z.array(z.string().max(256)).max(32).optional(),
  /** An existing service account to hold the token. */
  service_account_id: z.string().min(1).max(64).optional(),
  /** Or a new service account created with the token. Without either, one named after the credential. */
  service_account_name: credentialNameSchema.optional(),
  ...createExtensions,
})
export type CreateServiceCredentialRequest = z.output<typeof createServiceCredentialRequestSchema>

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

/**
 * Re-activating a revoked token (where the tenant policy allows it): F5's body is {name, namespace};
 * the reason is ours, optional, kept in the audit log (the console always asks for one).
 */
export const activateRequestSchema = nameRequestSchema.extend({
  reason: z.string().max(500).optional().describe('Why a revoked credential is re-activated, kept in the audit log; without one the audit row records that none was given'),
})
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
      .strictObject({
        all: z.strictObject({}).optional(),
        credential_type: credentialTypeSchema.optional(),
        /**
         * The count the caller confirmed from the preview (GET /api/bulk_revokes/preview). When given, a
         * start whose set no longer has exactly this many credentials is refused with 409, nothing revoked.
         */
        expected_count: z.number().int().min(0).optional()
          .describe('The count confirmed from the preview; 409 if the expired set no longer has exactly this many'),
      })
      .optional(),
  })
  .refine((v) => (v.name_selector ? 1 : 0) + (v.expired_selector ? 1 : 0) === 1, {
    message: 'Give exactly one of name_selector or expired_selector',
  })
export type BulkRevokeRequest = z.infer<typeof bulkRevokeRequestSchema>

/** Every requested name is in exactly one of the two lists. */
export const bulkRevokeResponseSchema = z.object({
  credentials_failed: z.array(z.string()).describe('Names not revoked: not found in this family, or not the caller\'s to revoke'),
  credentials_marked_for_deletion: z.array(z.string()).describe('Names revoked now or already revoked before this request'),
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
  permissions: z.array(z.string()),
  /** Catalog permissions it lists that were retired since: no longer granted. Given by get and list. */
  retired_permissions: z.array(z.string()).optional(),
  status: credentialStatusSchema,
  last_used_timestamp: z.string().nullable(),
  revoked_timestamp: z.string().nullable(),
  /** When a secret scanner reported it; such a token is revoked and never re-activated. */
  leaked_timestamp: z.string().nullable(),
  rotated_from: z.string().nullable(),
  replaced_by: z.string().nullable(),
  token_hint: z.string(),
  namespace_roles: z.array(namespaceRoleSchema),
  namespace_access: z.object({ namespace_role_map: z.record(z.string(), z.object({ names: z.array(z.string()) })) }),
  /** Service credentials: the user groups given at create (or by replace); [] otherwise. */
  user_group_names: z.array(z.string()),
  /** Addresses or CIDRs the token may be used from; null: anywhere. */
  allowed_cidrs: z.array(z.string()).nullable(),
  rate_limit: rateLimitSchema.nullable(),
  /** Refused before this instant (status scheduled until then); null: from creation. */
  not_before_timestamp: z.string().nullable(),
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
    /** schemaObjectMetaType. Credentials carry no labels or annotations of their own: both are {}. */
    metadata: z.object({
      name: z.string(), namespace: z.string(), uid: z.string(), description: z.string(),
      labels: z.record(z.string(), z.string()), annotations: z.record(z.string(), z.string()),
      /** true when the credential no longer authenticates (revoked, expired or its owner disabled). */
      disable: z.boolean(),
    }),
    /** schemaSystemObjectMetaType: the fields this product keeps; the spec's others do not apply. */
    system_metadata: z.object({
      uid: z.string(),
      tenant: z.string(),
      creation_timestamp: z.string(),
      /** The newest audited change of the credential (every change writes one). */
      modification_timestamp: z.string(),
      /** Who created it: the creating account's email (system for rows created by the server itself). */
      creator_id: z.string(),
      creator_class: z.string(),
      namespace: z.array(z.object({ kind: z.string(), name: z.string(), tenant: z.string(), uid: z.string() })),
      labels: z.record(z.string(), z.string()),
      finalizers: z.array(z.string()),
    }),
    spec: z.object({
      gc_spec: z.object({
        type: credentialTypeSchema,
        active: z.boolean(),
        created_timestamp: z.string(),
        expiration_timestamp: z.string().nullable(),
        users: z.array(z.object({ name: z.string(), namespace: z.string(), kind: z.string(), tenant: z.string(), uid: z.string() })),
        /** Certificate and kubeconfig types: the serial (hex) of the certificate issued. */
        certificate_serial_num: z.string().optional(),
        /** Kubeconfig types: the cluster, namespace and site asked for at create. */
        virtual_k8s_name: z.string().optional(),
        virtual_k8s_namespace: z.string().optional(),
        site_name: z.string().optional(),
      }),
    }),
  }),
})
export type GetResponse = z.infer<typeof getResponseSchema>

export const credentialNameParamsSchema = z.strictObject({ name: z.string().min(1).max(128) })

const namespaceAccessSchema = z.object({ namespace_role_map: z.record(z.string(), z.object({ names: z.array(z.string()) })) })

/**
 * whoami: every field of F5 XC's userGetUserRoleResponse (40), then ours (role, permissions, token).
 * Fields this product knows come from the account; the rest are documented constants of a
 * self-hosted, single-tenant console (docs/API.md, "whoami"): no billing, plans, MSP or terms of service.
 */
export const whoamiResponseSchema = z.object({
  user_uuid: z.string(),
  email: z.string(),
  name: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  namespace: z.string(),
  tenant: z.string(),
  original_tenant: z.string(),
  cname: z.string(),
  company: z.string(),
  type: z.enum(['USER', 'SERVICE']),
  access_type: z.enum(['UNKNOWN_ACCESS', 'DIRECT_ACCESS', 'MSP_ACCESS', 'DELEGATED_ACCESS', 'SUPPORT_ACCESS']),
  idm_type: z.enum(['SSO', 'VOLTERRA_MANAGED', 'UNDEFINED']),
  sync_mode: z.enum(['SELF', 'SCIM']),
  state: z.enum(['StateUndefined', 'StateCreating', 'StateCreateFailed', 'StateActive', 'StateDisabled']),
  disabled: z.boolean(),
  domain_owner: z.boolean(),
  creation_timestamp: z.string(),
  /** Absent until the first sign-in (proto3 JSON omits an unset timestamp). */
  last_login_timestamp: z.string().optional(),
  group_names: z.array(z.string()),
  namespace_roles: z.array(z.object({ namespace: z.string(), role: z.string() })),
  namespace_access: namespaceAccessSchema,
  environment: z.string(),
  tenant_state: z.string(),
  tenant_type: z.enum(['UNKNOWN', 'FREEMIUM', 'ENTERPRISE']),
  plan_type: z.enum(['FREE', 'INDIVIDUAL', 'TEAM', 'ORGANIZATION', 'PLAN_TYPE_UNSPECIFIED']),
  signup_origin: z.enum(['ORIGIN_UNKNOWN', 'ORIGIN_F5XC', 'ORIGIN_AWS', 'ORIGIN_ASB']),
  billing_plan_name: z.string(),
  billing_flags: z.array(z.object({ billing_flag: z.string(), action: z.string(), failed: z.boolean(), additional_info: z.string() })),
  active_plan_transition_uid: z.string(),
  addon_service_status: z.record(z.string(), z.string()),
  feature_flags: z.array(z.object({ name: z.string(), disabled: z.boolean() })),
  tenant_flags: z.record(z.string(), z.string()),
  tile_access: z.record(z.string(), z.string()),
  self_managed: z.object({}),
  tos_accepted: z.string(),
  /** Absent: no terms of service to accept on a self-hosted console. */
  tos_accepted_at: z.string().optional(),
  tos_current_version: z.string(),
  tos_version: z.string(),
  // ours
  role: z.string(),
  permissions: z.array(permissionSchema),
  token: z
    .object({
      name: z.string(),
      type: credentialTypeSchema,
      scope: scopeKindSchema,
      permissions: z.array(z.string()),
      expiry_timestamp: z.string().nullable(),
      create_timestamp: z.string(),
    })
    .nullable(),
})
export type WhoamiResponse = z.infer<typeof whoamiResponseSchema>
