// whoami, the scope catalog and a health check (the policy lives in server/policy/).
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { whoamiResponseSchema } from '../../contract/credentials.js'
import { roleToNamespaceRole, scopeCatalog, scopeCatalogResponseSchema } from '../../contract/scopes.js'
import { errorBodySchema } from '../../contract/errors.js'
import { requirePrincipal } from '../plugins/auth.js'
import { isoOrNull, iso } from '../lib/time.js'
import type { Services } from '../app.js'
import type { NamespaceRole } from '../../contract/credentials.js'

export function metaRoutes(app: FastifyInstance, s: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  // The domain owner is the tenant's first account (the one set up with the tenant); it never
  // changes, so it is read once.
  let owner: Promise<string | undefined> | undefined
  const domainOwner = () => (owner ??= s.db.db.selectFrom('users').select('id').where('kind', '=', 'user')
    .orderBy('created_at').orderBy('id').limit(1).executeTakeFirst()
    .then((r) => { if (!r) owner = undefined; return r?.id }, (err) => { owner = undefined; throw err }))

  r.get('/api/web/custom/namespaces/:namespace/whoami', {
    schema: {
      tags: ['whoami'], summary: 'Who the caller is; with a token, that token too',
      params: z.strictObject({ namespace: z.string() }),
      response: { 200: whoamiResponseSchema, 401: errorBodySchema },
    },
  }, async (req) => {
    const p = requirePrincipal(req)
    const a = p.account
    let roles: NamespaceRole[] = []
    let groups: string[] = []
    if (a.kind === 'service' && p.token) {
      const row = await s.db.db.selectFrom('credentials').select(['namespace_roles', 'user_group_names']).where('id', '=', p.token.id).executeTakeFirst()
      roles = row ? (JSON.parse(row.namespace_roles) as NamespaceRole[]) : []
      groups = row ? (JSON.parse(row.user_group_names) as string[]) : []
    } else if (p.role) roles = [{ namespace: 'system', role: roleToNamespaceRole[p.role] }]
    const map: Record<string, { names: string[] }> = {}
    for (const x of roles) (map[x.namespace] ??= { names: [] }).names.push(x.role)
    const [first, ...rest] = a.name.split(' ')
    const [user, owner] = await Promise.all([
      s.db.db.selectFrom('users').select(['created_at', 'last_login_at']).where('id', '=', a.id).executeTakeFirst(),
      domainOwner(),
    ])
    const tenant = s.config.tenant
    return {
      user_uuid: a.id, email: a.email, name: a.name, first_name: first ?? '', last_name: rest.join(' '),
      namespace: 'system', tenant, original_tenant: tenant, cname: tenant, company: tenant,
      type: a.kind === 'service' ? 'SERVICE' as const : 'USER' as const,
      access_type: 'DIRECT_ACCESS' as const, idm_type: 'VOLTERRA_MANAGED' as const, sync_mode: 'SELF' as const,
      state: a.disabled ? 'StateDisabled' as const : 'StateActive' as const, disabled: a.disabled,
      domain_owner: owner === a.id,
      creation_timestamp: iso(user?.created_at ?? 0), ...(user?.last_login_at ? { last_login_timestamp: iso(user.last_login_at) } : {}),
      group_names: groups, namespace_roles: roles, namespace_access: { namespace_role_map: map },
      environment: s.config.production ? 'production' : 'development',
      tenant_state: 'StateActive', tenant_type: 'ENTERPRISE' as const, plan_type: 'ORGANIZATION' as const,
      signup_origin: 'ORIGIN_UNKNOWN' as const, billing_plan_name: '', billing_flags: [], active_plan_transition_uid: '',
      addon_service_status: {}, feature_flags: [], tenant_flags: {}, tile_access: {}, self_managed: {},
      tos_accepted: '', tos_current_version: '', tos_version: '',
      role: p.role ?? 'none',
      permissions: [...p.permissions],
      token: p.token ? {
        name: p.token.name, type: p.token.type as 'API_TOKEN', scope: p.token.scope, permissions: p.token.permissions,
        expiry_timestamp: isoOrNull(p.token.expiresAt), create_timestamp: iso(p.token.createdAt),
      } : null,
    }
  })

  r.get('/api/scopes', {
    schema: { tags: ['meta'], summary: 'The permission catalog for custom scopes', response: { 200: scopeCatalogResponseSchema } },
  }, async (req) => {
    requirePrincipal(req)
    return { items: [...scopeCatalog] }
  })

  r.get('/api/health', {
    config: { auth: 'none' },
    schema: { tags: ['meta'], summary: 'Liveness and database reachability', response: { 200: z.object({ status: z.literal('ok'), database: z.string() }) } },
  }, async () => {
    await s.db.db.selectFrom('users').select('id').limit(1).execute()
    return { status: 'ok' as const, database: s.db.dialect }
  })
}
