// Journey fixtures: seed through the real API as the first admin; sign people in through the real page.
import crypto from 'node:crypto'
import path from 'node:path'
import { test as base, expect, type APIRequestContext, type Page, type TestInfo } from '@playwright/test'
import AxeBuilder from '@axe-core/playwright'

/** The e2e server's SQLite file (scripts/e2e-server.mjs: E2E_DATA_DIR, or .tmp/e2e-data). */
export const E2E_DB_FILE = path.join(process.env.E2E_DATA_DIR ?? path.resolve('.tmp', 'e2e-data'), 'token-console.sqlite')

export const ADMIN = { email: 'admin@example.com', password: 'e2e-admin-password-1' }
export const PASSWORD = 'e2e-user-password-1'
const API = '/api/web/namespaces/system'

export type Role = 'admin' | 'developer' | 'auditor'

/** An API client signed in as the first admin, sending the CSRF header on mutations. */
export class AdminApi {
  private constructor(private readonly request: APIRequestContext, private readonly csrf: string, private readonly password: string) {}

  static async signIn(request: APIRequestContext, baseURL: string, who = ADMIN) {
    const res = await request.post('/api/auth/login', { data: who, headers: { origin: baseURL } })
    expect(res.status(), await res.text()).toBe(200)
    const { csrf_token } = await res.json()
    return new AdminApi(request, csrf_token, who.password)
  }

  private headers(baseURL: string) {
    return { 'x-csrf-token': this.csrf, origin: baseURL }
  }

  async createUser(role: Role, baseURL: string, email = `${role}-${crypto.randomBytes(3).toString('hex')}@example.com`) {
    const res = await this.request.post('/api/users', {
      data: { email, name: `${role[0].toUpperCase()}${role.slice(1)} ${email.slice(0, 6)}`, role, password: PASSWORD },
      headers: this.headers(baseURL),
    })
    expect(res.status(), await res.text()).toBe(201)
    return (await res.json()) as { id: string; email: string; name: string; role: Role }
  }

  /** Creates a token and returns its name only: the value is not kept by tests that don't need it. */
  async createToken(baseURL: string, body: Record<string, unknown>) {
    const res = await this.request.post(`${API}/api_credentials`, { data: body, headers: this.headers(baseURL) })
    expect(res.status(), await res.text()).toBe(200)
    return (await res.json()) as { name: string; data: string; expiration_timestamp: string }
  }

  async createServiceCredential(baseURL: string, body: Record<string, unknown>) {
    const res = await this.request.post(`${API}/service_credentials`, {
      data: { namespace_roles: [{ namespace: 'system', role: 'ves-io-monitor' }], ...body }, headers: this.headers(baseURL),
    })
    expect(res.status(), await res.text()).toBe(200)
    return (await res.json()) as { name: string; data: string; expiration_timestamp: string }
  }

  async revoke(baseURL: string, family: 'api_credentials' | 'service_credentials', name: string) {
    const res = await this.request.post(`${API}/revoke/${family}`, { data: { name }, headers: this.headers(baseURL) })
    expect(res.status(), await res.text()).toBe(200)
  }

  /** Changes the tenant policy for new tokens only, keeping every setting not given. */
  async setPolicy(baseURL: string, patch: Record<string, unknown>) {
    const { settings } = await this.get<{ settings: Record<string, unknown> }>('/api/policy')
    const put = () => this.request.put('/api/policy', { data: { settings: { ...settings, ...patch }, apply: { mode: 'new_only' } }, headers: this.headers(baseURL) })
    let res = await put()
    // A policy change asks for a recent sign-in once a window is set; a journey that set a short one
    // may outlast it before its clean-up puts the policy back.
    if (res.status() === 401) {
      const again = await this.request.post('/api/auth/reauthenticate', { data: { password: this.password }, headers: this.headers(baseURL) })
      expect(again.status(), await again.text()).toBe(200)
      res = await put()
    }
    expect(res.status(), await res.text()).toBe(200)
  }

  async get<T>(path: string): Promise<T> {
    const res = await this.request.get(path)
    expect(res.status(), await res.text()).toBe(200)
    return (await res.json()) as T
  }

  async text(path: string): Promise<string> {
    const res = await this.request.get(path)
    expect(res.status()).toBe(200)
    return res.text()
  }
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: /sign in/i }).click()
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'))
}

/**
 * Picks a person in an owner combobox (the wizard's Owner, the Any owner filters) the way a person
 * does: types part of their email and chooses them from what the server found.
 */
export async function chooseOwner(page: Page, email: string, typed = email, name = 'Owner') {
  const box = page.getByRole('combobox', { name, exact: true })
  await box.fill(typed)
  await page.getByRole('option', { name: new RegExp(email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).click()
  await expect(box).toHaveValue(email)
}

/** No serious or critical axe violation on the page as it is now. */
export async function expectAccessible(page: Page, testInfo: TestInfo, name: string) {
  const results = await new AxeBuilder({ page }).analyze()
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(results.violations, null, 2), contentType: 'application/json' })
  expect(bad.map((v) => `${v.id}: ${v.help}: ${v.nodes.map((n) => `${n.target.join(' ')} ${n.any[0]?.message ?? ''}`).join('; ')}`), `axe on ${name}`).toEqual([])
}

/** A full-page screenshot kept with the test output. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string) {
  const file = testInfo.outputPath(`${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  await testInfo.attach(name, { path: file, contentType: 'image/png' })
}

export const test = base.extend<{ adminApi: AdminApi }>({
  adminApi: async ({ playwright, baseURL }, use) => {
    const request = await playwright.request.newContext({ baseURL })
    await use(await AdminApi.signIn(request, baseURL!))
    await request.dispose()
  },
})
export { expect }
