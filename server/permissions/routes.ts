// /api/permissions: the permission catalog for upstream services (one Fastify plugin).
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import {
  catalogListQuerySchema, catalogListSchema, catalogNameParamsSchema, catalogPermissionDetailSchema, catalogPermissionSchema,
  createCatalogPermissionSchema,
} from '../../contract/permissions.js'
import { errorBodySchema } from '../../contract/errors.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import { reauthErrorResponse } from '../plugins/reauth.js'
import type { PermissionCatalogService } from './service.js'

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema }
const withName = { ...errors, 404: errorBodySchema }
/** What tokens may be granted is an administrative change: a recent sign-in. */
const gated = { recentSignIn: true }
const tags = ['permissions']

export async function permissionRoutes(app: FastifyInstance, opts: { catalog: PermissionCatalogService }) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const { catalog } = opts

  r.get('/api/permissions', {
    schema: {
      tags, operationId: 'listPermissions', summary: 'The permission catalog (anyone who may read credentials); retired=false for those a new token may get',
      querystring: catalogListQuerySchema, response: { 200: catalogListSchema, ...errors },
    },
  }, async (req) => catalog.list(requirePrincipal(req), req.query.retired))

  r.post('/api/permissions', {
    schema: {
      tags, operationId: 'createPermission', summary: 'Add a permission, service:resource:action (administrators); sensitive ones only admins\' tokens may hold',
      body: createCatalogPermissionSchema, response: { 201: catalogPermissionSchema, ...errors, 401: reauthErrorResponse, 409: errorBodySchema },
    },
    config: gated,
  }, async (req, reply) => reply.status(201).send(await catalog.create(requirePrincipal(req), req.body, auditContext(req))))

  r.get('/api/permissions/:name', {
    schema: {
      tags, operationId: 'getPermission', summary: 'One permission, with the unexpired tokens that hold it',
      params: catalogNameParamsSchema, response: { 200: catalogPermissionDetailSchema, ...withName },
    },
  }, async (req) => catalog.describe(requirePrincipal(req), req.params.name))

  r.post('/api/permissions/:name/retire', {
    schema: {
      tags, operationId: 'retirePermission', summary: 'Retire a permission: refused on new tokens, no longer granted by those that list it (administrators)',
      params: catalogNameParamsSchema, response: { 200: catalogPermissionSchema, ...withName, 401: reauthErrorResponse },
    },
    config: gated,
  }, async (req) => catalog.retire(requirePrincipal(req), req.params.name, auditContext(req)))
}
