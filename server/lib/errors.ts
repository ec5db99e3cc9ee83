import { errorCodes, httpStatusOf, type ErrorBody, type ErrorCodeName, type ErrorDetail } from '../../contract/errors.js'

/** A failure meant for the caller: its message and details are safe to show. */
export class ApiError extends Error {
  constructor(
    readonly codeName: ErrorCodeName,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
  get status() {
    return httpStatusOf[this.codeName]
  }
  toBody(): ErrorBody {
    return { code: errorCodes[this.codeName], message: this.message, details: this.details }
  }
}

export const invalid = (message: string, field?: string) =>
  new ApiError('INVALID_ARGUMENT', message, [{ field, reason: message }])
export const notFound = (what = 'Object') => new ApiError('NOT_FOUND', `${what} not found`)
export const alreadyExists = (field?: string) =>
  new ApiError('ALREADY_EXISTS', 'Object already exists', field ? [{ field, reason: 'already exists' }] : [])
export const forbidden = (message = 'You do not have permission to do this') => new ApiError('PERMISSION_DENIED', message)
export const unauthenticated = (message = 'Authentication required') => new ApiError('UNAUTHENTICATED', message)

/** "table.column" of the unique constraint a failed insert hit, on either database, if it says. */
export function uniqueViolationColumn(err: unknown): string | undefined {
  const e = err as { code?: string; message?: string; table?: string; detail?: string }
  if (!isUniqueViolation(err)) return undefined
  const sqlite = /UNIQUE constraint failed: ([\w.]+)/.exec(e.message ?? '')
  if (sqlite) return sqlite[1]
  const pg = /Key \((\w+)\)/.exec(e.detail ?? '')
  return pg && e.table ? `${e.table}.${pg[1]}` : undefined
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string }
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === '23505'
}
