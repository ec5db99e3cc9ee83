// The CLI's HTTP calls: every response is parsed with the contract's zod schema, so a server and a
// CLI that drift apart fail loudly instead of printing wrong data.
import type { z } from 'zod'
import { errorBodySchema } from '../contract/errors.js'
import { CliError, type Stored } from './config.js'

export const NS = '/api/web/namespaces/system'

export async function request<S extends z.ZodType>(
  conn: Stored, method: 'GET' | 'POST', path: string, schema: S, body?: unknown,
): Promise<z.infer<S>> {
  let res: Response
  try {
    res = await fetch(new URL(path, conn.server), {
      method,
      headers: { authorization: `APIToken ${conn.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch (err) {
    throw new CliError(`Cannot reach ${conn.server}: ${(err as Error).cause ?? (err as Error).message}`)
  }
  const text = await res.text()
  let json: unknown
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    throw new CliError(`${method} ${path}: HTTP ${res.status}, not JSON`)
  }
  if (!res.ok) {
    const e = errorBodySchema.safeParse(json)
    const retry = res.headers.get('retry-after')
    throw new CliError(`${e.success ? e.data.message : `HTTP ${res.status}`} (HTTP ${res.status}${retry ? `, retry after ${retry} s` : ''})`)
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    const first = parsed.error.issues[0]
    throw new CliError(`${method} ${path}: the response does not match the contract (${first?.path.join('.') || 'body'}: ${first?.message})`)
  }
  return parsed.data
}
