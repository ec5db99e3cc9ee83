// Seed 002: the organisation-wide token inventory, and saved searches kept per person, shareable by link.
import crypto from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { inventoryQuerySchema, listResponseSchema } from '../../contract/credentials.js'
import { errorBodySchema } from '../../contract/errors.js'
import { createSavedSearchSchema, savedSearchListSchema, savedSearchSchema } from '../../contract/saved-searches.js'
import { notFound } from '../lib/errors.js'
import { iso } from '../lib/time.js'
import { requirePrincipal } from '../plugins/auth.js'
import { requirePreferenceWrite } from '../services/principal.js'
import type { Services } from '../app.js'
import { plannerQuerySchema, plannerResponseSchema } from '../../contract/planner.js'
import { rotationPlan } from '../services/planner.js'

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema }

export function inventoryRoutes(app: FastifyInstance, s: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const db = s.db.db

  r.get('/api/inventory', {
    schema: { tags: ['inventory'], summary: 'Every token of every user and service account (admins, auditors)', querystring: inventoryQuerySchema, response: { 200: listResponseSchema, ...errors } },
  }, async (req) => s.credentials.inventory(requirePrincipal(req), { ...req.query, limit: req.query.limit ?? 50 }))

  r.get('/api/inventory/planner', {
    schema: { tags: ['inventory'], summary: 'Rotation planner: counts per expiry group (expired, 3, 7, 14 days) and one group paged', querystring: plannerQuerySchema, response: { 200: plannerResponseSchema, ...errors } },
  }, async (req) => rotationPlan(db, requirePrincipal(req), req.query))

  r.get('/api/saved_searches', {
    schema: { tags: ['inventory'], summary: 'My saved searches and those others shared', response: { 200: savedSearchListSchema, ...errors } },
  }, async (req) => {
    const p = requirePrincipal(req)
    const rows = await db.selectFrom('saved_searches as s').innerJoin('users as u', 'u.id', 's.owner_id')
      .selectAll('s').select('u.email as owner_email')
      .where((eb) => eb.or([eb('s.owner_id', '=', p.account.id), eb('s.shared', '=', 1)]))
      .orderBy('s.name').execute()
    return { items: rows.map((x) => ({ id: x.id, name: x.name, page: x.page, query: x.query, shared: x.shared === 1, owner_email: x.owner_email, mine: x.owner_id === p.account.id, created_at: iso(x.created_at) })) }
  })

  r.post('/api/saved_searches', {
    schema: { tags: ['inventory'], summary: 'Save a search', body: createSavedSearchSchema, response: { 201: savedSearchSchema, ...errors } },
  }, async (req, reply) => {
    const p = requirePrincipal(req)
    requirePreferenceWrite(p)
    const id = crypto.randomUUID()
    const now = Date.now()
    const query = req.body.query.replace(/^\?/, '')
    await db.insertInto('saved_searches').values({ id, owner_id: p.account.id, name: req.body.name, page: req.body.page, query, shared: req.body.shared ? 1 : 0, created_at: now }).execute()
    return reply.status(201).send({ id, name: req.body.name, page: req.body.page, query, shared: Boolean(req.body.shared), owner_email: p.account.email, mine: true, created_at: iso(now) })
  })

  r.delete('/api/saved_searches/:id', {
    schema: { tags: ['inventory'], summary: 'Delete one of my saved searches', params: z.strictObject({ id: z.string().max(64) }), response: { 200: z.object({ status: z.boolean() }), ...errors } },
  }, async (req) => {
    const p = requirePrincipal(req)
    requirePreferenceWrite(p)
    const res = await db.deleteFrom('saved_searches').where('id', '=', req.params.id).where('owner_id', '=', p.account.id).executeTakeFirst()
    if (Number(res.numDeletedRows) === 0) throw notFound('Saved search')
    return { status: true }
  })
}
