import { z } from 'zod'

export const savedSearchSchema = z.object({
  id: z.string(),
  name: z.string(),
  page: z.string(),
  query: z.string(),
  shared: z.boolean(),
  owner_email: z.string(),
  mine: z.boolean(),
  created_at: z.string(),
})
export type SavedSearch = z.infer<typeof savedSearchSchema>

export const createSavedSearchSchema = z.strictObject({
  name: z.string().trim().min(1, { message: 'Name the search' }).max(80),
  /** Which console page the query string belongs to, e.g. "inventory". */
  page: z.enum(['inventory', 'tokens', 'audit']),
  query: z.string().max(2000),
  shared: z.boolean().default(false),
})
export type CreateSavedSearch = z.input<typeof createSavedSearchSchema>
export const savedSearchListSchema = z.object({ items: z.array(savedSearchSchema) })
