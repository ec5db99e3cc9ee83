// One error envelope for every failure: a gRPC-style code (as F5 XC uses) mapped to an HTTP status.
import { z } from 'zod'

export const errorCodes = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const

export type ErrorCodeName = keyof typeof errorCodes

export const httpStatusOf: Record<ErrorCodeName, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  UNAUTHENTICATED: 401,
}

export const errorDetailSchema = z.object({
  field: z.string().optional(),
  reason: z.string(),
  /** With reason "missing_permission": the permission the call needs… */
  permission: z.string().optional(),
  /** …and every permission the caller holds. */
  granted: z.array(z.string()).optional(),
})

export const errorBodySchema = z.object({
  code: z.number().int(),
  message: z.string(),
  details: z.array(errorDetailSchema),
})
export type ErrorBody = z.infer<typeof errorBodySchema>
export type ErrorDetail = z.infer<typeof errorDetailSchema>
