// What a token may actually do: the owner's role (a service credential's strongest namespace role)
// narrowed by the token's scope. The server applies the same rule (server/services/principal.ts).
import type { Credential } from '../../contract/credentials'
import { namespaceRoleToRole, rolePermissions, scopeCatalog, type Permission } from '../../contract/scopes'
import type { Role } from '../../contract/users'

const rank: Record<Role, number> = { auditor: 1, developer: 2, admin: 3 }
const readOnly = new Set(scopeCatalog.filter((s) => s.read_only).map((s) => s.name))

export function governingRole(c: Pick<Credential, 'namespace_roles'>): Role | null {
  let best: Role | null = null
  for (const r of c.namespace_roles) {
    if (r.namespace !== 'system' && r.namespace !== '*') continue
    const role = namespaceRoleToRole[r.role]
    if (!best || rank[role] > rank[best]) best = role
  }
  return best
}

export function effectivePermissions(c: Pick<Credential, 'scope' | 'permissions'>, role: Role | null): Permission[] {
  const base = role ? rolePermissions[role] : []
  if (c.scope === 'full_access') return [...base]
  if (c.scope === 'read_only') return base.filter((p) => readOnly.has(p))
  // Catalog permissions (service:resource:action) are for other services: not this API's access.
  return c.permissions.filter((p): p is Permission => (base as readonly string[]).includes(p))
}
