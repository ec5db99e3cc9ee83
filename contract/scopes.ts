// The permission catalog a token scope is built from, and what each role may hold.
import { z } from 'zod'
import type { Role } from './users.js'

export const permissionSchema = z.enum([
  'credentials:read',
  'credentials:write',
  'service_credentials:read',
  'service_credentials:write',
  'users:read',
  'users:write',
  'audit:read',
  'tokens:introspect',
])
export type Permission = z.infer<typeof permissionSchema>

export const scopeCatalog: ReadonlyArray<{ name: Permission; description: string; read_only: boolean }> = [
  { name: 'credentials:read', description: 'List and read API tokens', read_only: true },
  { name: 'credentials:write', description: 'Create, renew, revoke and activate API tokens', read_only: false },
  { name: 'service_credentials:read', description: 'List and read service credentials', read_only: true },
  { name: 'service_credentials:write', description: 'Create, change, renew and revoke service credentials', read_only: false },
  { name: 'users:read', description: 'List users and service accounts', read_only: true },
  { name: 'users:write', description: 'Create users, change roles, disable and enable', read_only: false },
  { name: 'audit:read', description: 'Read and export the audit log', read_only: true },
  { name: 'tokens:introspect', description: 'Check other tokens (RFC 7662 introspection)', read_only: true },
]

export const rolePermissions: Record<Role, readonly Permission[]> = {
  admin: permissionSchema.options,
  developer: ['credentials:read', 'credentials:write'],
  auditor: ['credentials:read', 'service_credentials:read', 'users:read', 'audit:read', 'tokens:introspect'],
}

/** Roles that see every credential in the tenant; others see their own only. */
export const tenantWideRoles: readonly Role[] = ['admin', 'auditor']

export const scopeKindSchema = z.enum(['full_access', 'read_only', 'custom'])
export type ScopeKind = z.infer<typeof scopeKindSchema>

export const scopeCatalogResponseSchema = z.object({
  items: z.array(z.object({ name: permissionSchema, description: z.string(), read_only: z.boolean() })),
})

/** Namespace roles of service credentials use F5 XC's role names. */
export const namespaceRoleNameSchema = z.enum(['ves-io-admin', 'ves-io-power-developer', 'ves-io-monitor'])
export const namespaceRoleToRole: Record<z.infer<typeof namespaceRoleNameSchema>, Role> = {
  'ves-io-admin': 'admin',
  'ves-io-power-developer': 'developer',
  'ves-io-monitor': 'auditor',
}
export const roleToNamespaceRole: Record<Role, z.infer<typeof namespaceRoleNameSchema>> = {
  admin: 'ves-io-admin',
  developer: 'ves-io-power-developer',
  auditor: 'ves-io-monitor',
}
