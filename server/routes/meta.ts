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
    if (a.kind === 'service' && p.token) {
      const row = await s.db.db.selectFrom('credentials').select('namespace_roles').where('id', '=', p.token.id).executeTakeFirst()
      roles = row ? (JSON.parse(row.namespace_roles) as NamespaceRole[]) : []
    } else if (p.role) roles = [{ namespace: 'system', role: roleToNamespaceRole[p.role] }]
    const map: Record<string, { names: string[] }> = {}
    for (const x of roles) (map[x.namespace] ??= { names: [] }).names.push(x.role)
    const [first, ...rest] = a.name.split(' ')
    return {
      user_uuid: a.id, email: a.email, name: a.name, first_name: first ?? '', last_name: rest.join(' '),
      tenant: s.config.tenant, type: a.kind === 'service' ? 'SERVICE' as const : 'USER' as const,
      role: p.role ?? 'none', disabled: a.disabled, namespace_roles: roles, namespace_access: { namespace_role_map: map },
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
