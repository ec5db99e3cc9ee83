// Who is calling, and what they may do: the owner's role intersected with the token's scope.
import {
  namespaceRoleToRole, rolePermissions, scopeCatalog, tenantWideRoles, type Permission, type ScopeKind,
} from '../../contract/scopes.js'
import type { Role } from '../../contract/users.js'
import type { NamespaceRole } from '../../contract/credentials.js'
import { ApiError, forbidden } from '../lib/errors.js'
import { REALM } from '../plugins/errors.js'
import type { Family } from '../db/credentials-repo.js'

/** What reading and changing each credential family takes (the credential API and bulk revoke jobs). */
export const familyPermissions = {
  user: { read: 'credentials:read', write: 'credentials:write' },
  service: { read: 'service_credentials:read', write: 'service_credentials:write' },
} as const satisfies Record<Family, { read: Permission; write: Permission }>

export interface Account {
  id: string
  email: string
  name: string
  role: Role
  kind: 'user' | 'service'
  disabled: boolean
}

export interface TokenInfo {
  id: string
  name: string
  type: string
  scope: ScopeKind
  /** As listed on the credential: this API's permissions and catalog names. */
  permissions: string[]
  createdAt: number
  expiresAt: number | null
  /** Set when the caller presented the secret a rotation replaced, during its overlap. */
  secret?: 'previous'
}

export interface Principal {
  via: 'session' | 'token'
  account: Account
  /** The role rights come from: the user's role, or a service credential's strongest namespace role. */
  role: Role | null
  permissions: ReadonlySet<Permission>
  /**
   * A token's whole scope: `permissions` and the catalog permissions it holds (not retired, and
   * sensitive ones only for an admin owner), and the same space-separated, computed once per cache
   * entry for the check path. Absent on sessions, whose scope is `permissions`.
   */
  grants?: ReadonlySet<string>
  scope?: string
  token?: TokenInfo
  sessionIdHash?: string
}

/** Every permission the caller holds: this API's and, for a token, the catalog's. */
export function grantsOf(p: Principal): ReadonlySet<string> {
  return p.grants ?? p.permissions
}

/**
 * The refusal of a call that lacks a permission: 403 naming it and what the caller holds, and for a
 * token the RFC 6750 section 3.1 challenge a client reads to learn which scope to ask for.
 */
export function missingPermission(p: Principal, perm: string, message = `This needs the ${perm} permission`): ApiError {
  const granted = [...grantsOf(p)].sort()
  return new ApiError('PERMISSION_DENIED', message, [{ reason: 'missing_permission', permission: perm, granted }],
    p.via === 'token' ? { 'www-authenticate': insufficientScope(perm) } : {})
}

export const insufficientScope = (perm: string) => `Bearer realm="${REALM}", error="insufficient_scope", scope="${perm}"`

const readOnly = new Set(scopeCatalog.filter((s) => s.read_only).map((s) => s.name))
const roleRank: Record<Role, number> = { auditor: 1, developer: 2, admin: 3 }

export function strongestNamespaceRole(roles: NamespaceRole[]): Role | null {
  let best: Role | null = null
  for (const r of roles) {
    if (r.namespace !== 'system' && r.namespace !== '*') continue
    const role = namespaceRoleToRole[r.role]
    // admin and auditor are not ordered by rank alone: auditor reads more than developer.
    if (!best || roleRank[role] > roleRank[best]) best = role
  }
  return best
}

export function scopePermissions(base: readonly Permission[], scope: ScopeKind, custom: readonly Permission[]): Permission[] {
  if (scope === 'full_access') return [...base]
  if (scope === 'read_only') return base.filter((p) => readOnly.has(p))
  const allowed = new Set(base)
  return custom.filter((p) => allowed.has(p))
}

export function effectivePermissions(role: Role | null, token?: { scope: ScopeKind; permissions: readonly Permission[] }): Set<Permission> {
  const base = role ? rolePermissions[role] : []
  return new Set(token ? scopePermissions(base, token.scope, token.permissions) : base)
}

export function can(p: Principal, perm: Permission): boolean {
  return p.permissions.has(perm)
}

export function requirePermission(p: Principal, perm: Permission): void {
  if (!can(p, perm)) throw missingPermission(p, perm)
}

/** As requirePermission, with the message of a rule that names who may do it (administrators). */
export function requirePermissionFor(p: Principal, perm: Permission, message: string): void {
  if (!can(p, perm)) throw missingPermission(p, perm, message)
}

/** Admins and auditors see every credential; everyone else only their own. */
export function seesTenant(p: Principal): boolean {
  return p.role !== null && tenantWideRoles.includes(p.role)
}

/**
 * Saved searches are a person's console preferences: a signed-in person may keep them whatever
 * their role, but a token may write them only when its scope allows writing at all, so read-only,
 * auditor and monitor tokens stay read-only everywhere.
 */
export function requirePreferenceWrite(p: Principal): void {
  if (p.via === 'session') return
  if (![...p.permissions].some((x) => !readOnly.has(x))) throw forbidden('This token is read-only; saved searches need a console session or a token that may write')
}
