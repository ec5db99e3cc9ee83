// Table types for Kysely. Times are epoch milliseconds; booleans are 0/1 so both dialects read the same.
import type { Generated } from 'kysely'

export interface UsersTable {
  id: string
  email: string
  name: string
  role: 'admin' | 'developer' | 'auditor'
  kind: 'user' | 'service'
  password_hash: string | null
  disabled: number
  created_at: number
  updated_at: number
  last_login_at: number | null
  /** Who keeps this person's profile: null (this console), 'sso' (just-in-time from the identity provider) or 'scim'. */
  managed_by: 'sso' | 'scim' | null
  /** The SCIM client's externalId for this person. */
  external_id: string | null
  /** The identity provider's `sub` for this person (OpenID Connect). */
  oidc_subject: string | null
}

/** A person's name in parts, as a SCIM client sent them (migration 016); users.name stays the display name. */
export interface ScimNamesTable {
  user_id: string
  given_name: string | null
  family_name: string | null
}

export interface CredentialsTable {
  id: string
  name: string
  uid: string
  type: string
  owner_id: string
  created_by: string | null
  description: string
  scope: 'full_access' | 'read_only' | 'custom'
  permissions: string
  namespace_roles: string
  token_hash: string
  token_last4: string
  lifetime_days: number | null
  created_at: number
  expires_at: number | null
  revoked_at: number | null
  revoked_by: string | null
  last_used_at: number | null
  last_used_ip: string | null
  last_used_user_agent: string | null
  rotated_from: string | null
  replaced_by: string | null
  /** live | disabled | revoked, kept by triggers; "expired" is live with expires_at <= now. */
  state: Generated<'live' | 'disabled' | 'revoked'>
  /** The owner's email, copied at insert (emails do not change) so the owner sort has an index. */
  owner_email: Generated<string>
  /** Set when a secret scanner reported the token; such a token is never re-activated. */
  leaked_at: number | null
  /** On a rotated-away token: when its overlap with the successor ends (expires_at is set to it too). */
  overlap_ends_at: number | null
  /** 1: end it as soon as every recent caller has used the successor. */
  cutover_on_switch: Generated<number>
  /** JSON array: the user groups a service credential was created with (F5 user_group_names). */
  user_group_names: Generated<string>
  /** Kubeconfig types: the cluster name, the context's namespace and the site asked for. */
  k8s_name: string | null
  k8s_namespace: string | null
  site_name: string | null
  /** The secret a rotation replaced (migration 017): its keyed hash and last four, while it may still be used. */
  previous_token_hash: string | null
  previous_last4: string | null
  /** When the previous secret stops being accepted. */
  previous_valid_until: number | null
  /** Set when the previous secret's end was made final and audited (cut-over job, revoke, a later rotation). */
  previous_retired_at: number | null
  /** When the current secret was issued; null: with the credential. */
  secret_created_at: number | null
  /** Migration 021: JSON array of CIDRs the token may be used from; null: anywhere. */
  allowed_cidrs: string | null
  /** Requests per window of rate_window_seconds; null: no quota. */
  rate_limit: number | null
  rate_window_seconds: number | null
  /** Checks before this instant are refused (status scheduled); null: from creation. */
  not_before: number | null
}

/** A rate-limited credential's current fixed window and its count, shared by every instance (migration 021). */
export interface RateLimitWindowsTable {
  credential_id: string
  window_start: number
  count: number
}

export interface PolicyTable {
  id: string
  /** The policy settings as JSON (contract/policy.ts policySettingsSchema). */
  doc: string
  updated_at: number
  updated_by: string | null
}

export interface SessionsTable {
  id_hash: string
  user_id: string
  created_at: number
  last_seen_at: number
  expires_at: number
  ip: string | null
  user_agent: string | null
  /** The last password re-entry (migration 007); null: the sign-in at created_at is the last. */
  authenticated_at: number | null
  /** How the session signed in (migration 015): null for a password, 'sso' through the OpenID provider. */
  sign_in_method: 'sso' | null
}

/** The tenant's single sign-on settings (one row, id 1; server/oidc). */
export interface OidcSettingsTable {
  id: number
  issuer: string | null
  client_id: string | null
  client_secret_enc: string | null
  role_claim: string
  /** JSON object: a value of the role claim → admin | developer | auditor. */
  role_map: string
  jit: number
  default_role: 'admin' | 'developer' | 'auditor'
  passwords_for_non_admins: number
  updated_at: number
  updated_by: string | null
}

/** A sign-in under way at the provider: used once by the callback, or gone after ten minutes. */
export interface OidcLoginsTable {
  id_hash: string
  state: string
  nonce: string
  code_verifier: string
  redirect_uri: string
  return_to: string
  session_hash: string | null
  user_id: string | null
  created_at: number
  expires_at: number
}

/** One archive of the oldest audit rows: the live chain continues from last_hash (server/audit-retention). */
export interface AuditCheckpointsTable {
  id: Generated<number>
  first_id: number
  last_id: number
  last_hash: string
  rows: number
  archive_file: string
  archive_sha256: string
  created_at: number
}

export interface AuditEventsTable {
  id: Generated<number>
  at: number
  actor_id: string | null
  actor_email: string | null
  actor_type: 'user' | 'token' | 'anonymous' | 'system'
  credential_name: string | null
  action: string
  target_type: string | null
  target_name: string | null
  target_owner_id: string | null
  outcome: 'success' | 'failure' | 'denied'
  source_ip: string | null
  user_agent: string | null
  details: string
  prev_hash: string
  hash: string
}

export interface UsageDailyTable {
  credential_id: string
  day: string
  count: number
}

export interface UsageSourcesTable {
  credential_id: string
  ip: string
  user_agent: string
  first_seen: number
  last_seen: number
  count: number
  /** The last use with the credential's current secret, and with the secret a rotation replaced (migration 017). */
  current_last_seen: number | null
  previous_last_seen: number | null
}

export interface SavedSearchesTable {
  id: string
  owner_id: string
  name: string
  page: string
  query: string
  shared: number
  created_at: number
}

/** Counters kept by triggers: per owner, and for the whole tenant under owner_id ''. */
export interface CredentialCountsTable {
  owner_id: string
  type: string
  state: string
  n: number
}

/** Live credentials by UTC day of expiry (tenant-wide), kept by triggers. */
export interface CredentialExpiryCountsTable {
  type: string
  day: number
  n: number
}

export interface AuditHourlyTable {
  hour: number
  action: string
  n: number
}

export interface UsageDayTotalsTable {
  day: string
  n: number
}

export interface CredentialsFtsTable {
  id: string
  name: string
  description: string
}

export interface WebhooksTable {
  id: string
  url: string
  description: string
  /** JSON array of the event types it is sent. */
  events: string
  enabled: number
  /** The signing secret, AES-256-GCM encrypted (server/webhooks/crypto.ts); never in clear. */
  secret_enc: string
  created_at: number
  created_by: string | null
  updated_at: number
}

export interface WebhookDeliveriesTable {
  id: string
  webhook_id: string
  event_type: string
  /** The exact JSON body sent (and signed). */
  payload: string
  status: 'pending' | 'delivered' | 'failed'
  attempts: number
  next_attempt_at: number
  last_status_code: number | null
  last_error: string | null
  /** JSON array of every attempt: { at, status_code, error }. */
  attempt_log: string
  created_at: number
  delivered_at: number | null
}

/** One notice to one person (server/notifications); data is JSON. */
export interface NotificationsTable {
  id: string
  user_id: string
  kind: 'expiry_notice' | 'admin_action' | 'idle_end' | 'leak_report'
  credential_name: string | null
  title: string
  body: string
  data: string
  created_at: number
  read_at: number | null
}

/** An expiry threshold (days: 14, 7, 1, 0) already noticed for a credential's expiry. */
export interface NoticeMarksTable {
  credential_id: string
  expires_at: number
  threshold: number
  created_at: number
}

/** What is left of a removed credential (server/lifecycle): no hash, the name free again. */
export interface CredentialTombstonesTable {
  id: string
  name: string
  type: string
  owner_id: string
  owner_email: string
  scope: string
  created_at: number
  expires_at: number | null
  revoked_at: number | null
  last_used_at: number | null
  removed_at: number
  /** unused_two_years | owner_deleted */
  reason: string
}

/** A bulk revoke of expired credentials (server/bulk-revoke): progress committed with each batch. */
export interface BulkRevokesTable {
  id: string
  /** user | service */
  family: string
  credential_type: string | null
  /** null: tenant-wide; else only this owner's credentials (the creator's own). */
  owner_id: string | null
  actor_id: string
  actor_email: string
  /** running | done | failed | interrupted */
  state: string
  cutoff: number
  total: number
  revoked: number
  batches: number
  error: string | null
  created_at: number
  updated_at: number
  finished_at: number | null
}

export interface Database {
  users: UsersTable
  scim_names: ScimNamesTable
  credentials: CredentialsTable
  sessions: SessionsTable
  oidc_settings: OidcSettingsTable
  oidc_logins: OidcLoginsTable
  audit_events: AuditEventsTable
  audit_checkpoints: AuditCheckpointsTable
  usage_daily: UsageDailyTable
  usage_sources: UsageSourcesTable
  rate_limit_windows: RateLimitWindowsTable
  saved_searches: SavedSearchesTable
  credential_counts: CredentialCountsTable
  credential_expiry_counts: CredentialExpiryCountsTable
  audit_hourly: AuditHourlyTable
  usage_day_totals: UsageDayTotalsTable
  credentials_fts: CredentialsFtsTable
  policy: PolicyTable
  credential_tombstones: CredentialTombstonesTable
  bulk_revokes: BulkRevokesTable
  notifications: NotificationsTable
  notice_marks: NoticeMarksTable
  webhooks: WebhooksTable
  webhook_deliveries: WebhookDeliveriesTable
  permission_catalog: PermissionCatalogTable
  credential_catalog_permissions: CredentialCatalogPermissionsTable
}

/** A permission of an upstream service, `service:resource:action` (server/permissions). */
export interface PermissionCatalogTable {
  name: string
  description: string
  /** 1: only a credential whose owner's role is admin may hold it. */
  sensitive: number
  created_at: number
  created_by: string | null
  /** Set once retired: refused on new credentials, no longer granted by those that list it. */
  retired_at: number | null
  retired_by: string | null
}

/** Which credentials list which catalog permissions (their JSON column stays the check's source). */
export interface CredentialCatalogPermissionsTable {
  credential_id: string
  permission: string
}
