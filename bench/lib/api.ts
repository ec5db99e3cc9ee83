// The server's public HTTP API as the benchmark uses it: sign in, create and revoke tokens, check one.
export interface Session {
  base: string
  cookie: string
  csrf: string
}

export async function login(base: string, email: string, password: string): Promise<Session> {
  const r = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ email, password }),
  })
  if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${await r.text()}`)
  const body = (await r.json()) as { csrf_token: string }
  const cookie = (r.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).find((c) => c.startsWith('tc_session='))
  if (!cookie) throw new Error('sign-in returned no tc_session cookie')
  return { base, cookie, csrf: body.csrf_token }
}

async function mutate(s: Session, path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${s.base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: s.base, cookie: s.cookie, 'x-csrf-token': s.csrf },
    body: JSON.stringify(body),
  })
  const text = await r.text()
  return { status: r.status, json: text ? JSON.parse(text) : null }
}

export async function createApiToken(s: Session, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await mutate(s, '/api/web/namespaces/system/api_credentials', { name, expiration_days: 30, ...extra })
  if (r.status !== 200) throw new Error(`create ${name}: ${r.status} ${JSON.stringify(r.json)}`)
  return (r.json as { data: string }).data
}

export async function createServiceCredential(s: Session, name: string): Promise<string> {
  // ves-io-monitor maps to the auditor role, the least role whose permissions include tokens:introspect.
  const r = await mutate(s, '/api/web/namespaces/system/service_credentials', {
    name, expiration_days: 30, namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }],
    scope: 'custom', permissions: ['tokens:introspect'],
  })
  if (r.status !== 200) throw new Error(`create service credential ${name}: ${r.status} ${JSON.stringify(r.json)}`)
  return (r.json as { data: string }).data
}

export async function revokeApiToken(s: Session, name: string): Promise<void> {
  const r = await mutate(s, '/api/web/namespaces/system/revoke/api_credentials', { name })
  if (r.status !== 200) throw new Error(`revoke ${name}: ${r.status} ${JSON.stringify(r.json)}`)
}

/** GET /api/verify with the token; returns the status (204 valid, 401 refused). */
export async function verify(base: string, token: string): Promise<number> {
  const r = await fetch(`${base}/api/verify`, { headers: { authorization: `APIToken ${token}` } })
  await r.arrayBuffer()
  return r.status
}

/** Creates `count` API tokens named <prefix>-000001… with a few requests in flight at once. */
export async function createMany(s: Session, prefix: string, count: number, inFlight = 8, extra: Record<string, unknown> = {}): Promise<string[]> {
  const tokens: string[] = new Array(count)
  let next = 0
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < count) {
      const i = next++
      tokens[i] = await createApiToken(s, `${prefix}-${String(i + 1).padStart(6, '0')}`, extra)
    }
  }))
  return tokens
}
