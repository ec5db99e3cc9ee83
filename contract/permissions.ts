// The permission catalog for upstream services: permissions an administrator declares
// (`service:resource:action`) that tokens carry beside this API's own and a gateway enforces through
// GET /api/verify with X-Required-Scope.
import { z } from 'zod'
import { permissionSchema } from './scopes.js'

export const CATALOG_NAME_MESSAGE = 'Use service:resource:action: three lowercase parts (letters, digits, "_" or "-", each starting with a letter) separated by ":"'
const CATALOG_NAME = /^[a-z][a-z0-9_-]{0,39}:[a-z][a-z0-9_-]{0,39}:[a-z][a-z0-9_-]{0,39}$/

/** Three parts, so a catalog name can never be one of this API's own two-part permissions. */
export const catalogPermissionNameSchema = z.string()
  .max(122, { message: CATALOG_NAME_MESSAGE })
  .regex(CATALOG_NAME, { message: CATALOG_NAME_MESSAGE })

export const isCatalogPermissionName = (name: string) => CATALOG_NAME.test(name)

/**
 * What a token's custom scope may list: one of this API's permissions or a catalog name. Whether a
 * catalog name exists, is not retired and may be held by the owner is the server's to check.
 */
export const grantablePermissionSchema = z.union([permissionSchema, catalogPermissionNameSchema], {
  message: `Each permission is one of this API's (${permissionSchema.options.join(', ')}) or a catalog permission, service:resource:action`,
})

export const createCatalogPermissionSchema = z.strictObject({
  name: catalogPermissionNameSchema,
  description: z.string().trim().min(1, { message: 'Describe what the permission allows' }).max(500, { message: 'Description must be at most 500 characters' }),
  /** Only tokens whose owner's role is admin may hold a sensitive permission. */
  sensitive: z.boolean().optional(),
})
export type CreateCatalogPermission = z.input<typeof createCatalogPermissionSchema>

export const catalogPermissionSchema = z.object({
  name: z.string(),
  description: z.string(),
  sensitive: z.boolean(),
  retired: z.boolean(),
  created_timestamp: z.string(),
  created_by: z.string().nullable(),
  retired_timestamp: z.string().nullable(),
})
export type CatalogPermission = z.infer<typeof catalogPermissionSchema>

export const MAX_CATALOG_PERMISSIONS = 1000

export const catalogListQuerySchema = z.strictObject({
  /** "false": in force only (what a new token may get); "true": retired only; absent: both. */
  retired: z.enum(['true', 'false']).optional(),
})
export const catalogListSchema = z.object({ items: z.array(catalogPermissionSchema).max(MAX_CATALOG_PERMISSIONS) })
export type CatalogList = z.infer<typeof catalogListSchema>

/** The describe answer: who still holds it, so retiring can be planned and followed up. */
export const catalogPermissionDetailSchema = catalogPermissionSchema.extend({
  /** Credentials neither revoked nor expired that list it. */
  tokens_holding: z.number().int().min(0),
  /** Their names, the first 50 by name. */
  token_names: z.array(z.string()).max(50),
})
export type CatalogPermissionDetail = z.infer<typeof catalogPermissionDetailSchema>

export const catalogNameParamsSchema = z.strictObject({ name: catalogPermissionNameSchema })
