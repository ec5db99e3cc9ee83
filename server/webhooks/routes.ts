// /api/webhooks: admin-only webhook configuration, the test button and the delivery log (one Fastify plugin).
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  createWebhookSchema, createdWebhookSchema, deliveriesPageSchema, deliveriesQuerySchema, updateWebhookSchema, webhookIdParamsSchema,
  webhookListSchema, webhookSchema, webhookTestResultSchema,
} from '../../contract/webhooks.js'
import { errorBodySchema } from '../../contract/errors.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import { reauthErrorResponse } from '../plugins/reauth.js'
import type { WebhookService } from './service.js'

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema }
const withId = { ...errors, 404: errorBodySchema }
/** Where credential events are sent, and with which secret, is an administrative change: a recent sign-in. */
const gated = { recentSignIn: true }
const tags = ['webhooks']

export async function webhookRoutes(app: FastifyInstance, opts: { webhooks: WebhookService }) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const { webhooks } = opts

  r.get('/api/webhooks', {
    schema: { tags, operationId: 'listWebhooks', summary: 'Configured webhooks (administrators; never their secrets)', response: { 200: webhookListSchema, ...errors } },
  }, async (req) => webhooks.list(requirePrincipal(req)))

  r.post('/api/webhooks', {
    schema: {
      tags, operationId: 'createWebhook', summary: 'Add a webhook; the answer carries its signing secret, shown this once',
      body: createWebhookSchema, response: { 201: createdWebhookSchema, ...errors, 401: reauthErrorResponse },
    },
    config: gated,
  }, async (req, reply) => {
    const created = await webhooks.create(requirePrincipal(req), req.body, auditContext(req))
    return reply.status(201).header('cache-control', 'no-store').send(created)
  })

  r.get('/api/webhooks/:id', {
    schema: { tags, operationId: 'getWebhook', summary: 'One webhook', params: webhookIdParamsSchema, response: { 200: webhookSchema, ...withId } },
  }, async (req) => webhooks.get(requirePrincipal(req), req.params.id))

  r.patch('/api/webhooks/:id', {
    schema: {
      tags, operationId: 'updateWebhook', summary: 'Enable or disable a webhook, or change its URL, events or description',
      params: webhookIdParamsSchema, body: updateWebhookSchema, response: { 200: webhookSchema, ...withId, 401: reauthErrorResponse },
    },
    config: gated,
  }, async (req) => webhooks.update(requirePrincipal(req), req.params.id, req.body, auditContext(req)))

  r.delete('/api/webhooks/:id', {
    schema: {
      tags, operationId: 'deleteWebhook', summary: 'Delete a webhook and its delivery log',
      params: webhookIdParamsSchema, response: { 200: z.object({ status: z.boolean() }), ...withId, 401: reauthErrorResponse },
    },
    config: gated,
  }, async (req) => {
    await webhooks.remove(requirePrincipal(req), req.params.id, auditContext(req))
    return { status: true }
  })

  r.post('/api/webhooks/:id/test', {
    schema: {
      tags, operationId: 'testWebhook', summary: 'Send a webhook.test event to this webhook now and answer how the attempt went',
      params: webhookIdParamsSchema, response: { 200: webhookTestResultSchema, ...withId },
    },
  }, async (req) => webhooks.test(requirePrincipal(req), req.params.id, auditContext(req)))

  r.get('/api/webhooks/:id/deliveries', {
    schema: {
      tags, operationId: 'listWebhookDeliveries', summary: 'The delivery log, newest first: status, attempts, status codes and errors',
      params: webhookIdParamsSchema, querystring: deliveriesQuerySchema, response: { 200: deliveriesPageSchema, ...withId },
    },
  }, async (req) => webhooks.deliveries(requirePrincipal(req), req.params.id, req.query))
}
