import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import {
  createUserRequestSchema, deleteUserResponseSchema, serviceAccountListResponseSchema, updateUserRequestSchema, userIdParamsSchema,
  userListQuerySchema, userListResponseSchema, userSchema,
} from '../../contract/users.js'
import { errorBodySchema } from '../../contract/errors.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import { reauthErrorResponse } from '../plugins/reauth.js'
import type { Services } from '../app.js'

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema }
/** Changing who may sign in, with what password and role, asks a console session for a recent sign-in. */
const changes = { ...errors, 401: reauthErrorResponse }

export function userRoutes(app: FastifyInstance, s: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  r.get('/api/users', {
    schema: {
      tags: ['users'], summary: 'List people a page at a time (email order), searched by name or email and filtered by role or disabled',
      querystring: userListQuerySchema, response: { 200: userListResponseSchema, ...errors },
    },
  }, async (req) => s.users.listUsers(requirePrincipal(req), req.query))

  r.get('/api/users/:id', {
    schema: { tags: ['users'], summary: 'One person', params: userIdParamsSchema, response: { 200: userSchema, ...errors } },
  }, async (req) => s.users.getUser(requirePrincipal(req), req.params.id))

  r.post('/api/users', {
    schema: { tags: ['users'], summary: 'Create a user', body: createUserRequestSchema, response: { 201: userSchema, ...changes } },
    config: { recentSignIn: true },
  }, async (req, reply) => reply.status(201).send(await s.users.create(requirePrincipal(req), req.body, auditContext(req))))

  r.patch('/api/users/:id', {
    schema: { tags: ['users'], summary: 'Change a role, a password, disable or enable (never yourself out, nor the last enabled administrator)', params: userIdParamsSchema, body: updateUserRequestSchema, response: { 200: userSchema, ...changes } },
    config: { recentSignIn: true },
  }, async (req) => s.users.update(requirePrincipal(req), req.params.id, req.body, auditContext(req)))

  r.delete('/api/users/:id', {
    schema: {
      tags: ['users'], summary: 'Delete a person (not yourself, not the last admin); refused while they own active tokens',
      params: userIdParamsSchema, response: { 200: deleteUserResponseSchema, ...changes },
    },
    config: { recentSignIn: true },
  }, async (req) => s.users.remove(requirePrincipal(req), req.params.id, auditContext(req)))

  r.get('/api/service_accounts', {
    schema: { tags: ['users'], summary: 'List service accounts', response: { 200: serviceAccountListResponseSchema, ...errors } },
  }, async (req) => s.users.listServiceAccounts(requirePrincipal(req)))
}
