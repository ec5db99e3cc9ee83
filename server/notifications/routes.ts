// GET /api/notifications, GET /api/notifications/unread_count, POST /api/notifications/mark_read:
// each signed-in person's own notices, registered as one Fastify plugin.
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import {
  markReadRequestSchema, markReadResponseSchema, notificationListQuerySchema, notificationListResponseSchema, unreadCountResponseSchema,
} from '../../contract/notifications.js'
import { errorBodySchema } from '../../contract/errors.js'
import { requirePrincipal } from '../plugins/auth.js'
import type { NotificationService } from './service.js'

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema }

export async function notificationRoutes(app: FastifyInstance, opts: { notifications: NotificationService }) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const { notifications } = opts

  r.get('/api/notifications', {
    schema: {
      tags: ['notifications'], summary: 'Your notices, newest first (unread=true for unread only), in keyset pages',
      querystring: notificationListQuerySchema, response: { 200: notificationListResponseSchema, ...errors },
    },
  }, async (req) => notifications.list(requirePrincipal(req), req.query))

  r.get('/api/notifications/unread_count', {
    schema: { tags: ['notifications'], summary: 'How many of your notices are unread (counted up to 1000)', response: { 200: unreadCountResponseSchema, ...errors } },
  }, async (req) => notifications.unreadCount(requirePrincipal(req)))

  r.post('/api/notifications/mark_read', {
    schema: {
      tags: ['notifications'], summary: 'Mark some of your notices read ({ ids }) or all of them ({ all: true })',
      body: markReadRequestSchema, response: { 200: markReadResponseSchema, ...errors },
    },
  }, async (req) => notifications.markRead(requirePrincipal(req), req.body))
}
