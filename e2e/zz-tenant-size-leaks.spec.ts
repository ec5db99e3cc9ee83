// Runs last (journeys run one at a time, in file-name order, against one server): it loads 20,000
// tokens into the shared e2e database, and the journeys before it look for their own rows on first pages.
// A leaked token, found and answered, on a tenant-sized database (20,000 seeded tokens, ~10% of them
// revoked): the owner's leak notice leads to the token's page, which shows a refused use within
// seconds without a reload and offers a replacement with the same settings; the "Leaked" filter finds
// exactly the leaked token among all the others, with its badge.
import crypto from 'node:crypto'
import Database from 'better-sqlite3'
import { ADMIN, E2E_DB_FILE, expect, expectAccessible, PASSWORD, screenshot, signIn, test } from './support/fixtures'

const WHOAMI = '/api/web/custom/namespaces/system/whoami'
const SECRET = 'e2e-leak-report-secret-0123456789'
const SEEDED = 20_000
const DAY = 86_400_000

function seedTokens(ownerIds: string[], n: number) {
  const db = new Database(E2E_DB_FILE)
  db.pragma('busy_timeout = 10000')
  const insert = db.prepare(`INSERT INTO credentials (id, name, uid, type, owner_id, created_by, description, scope, permissions, namespace_roles,
    token_hash, token_last4, lifetime_days, created_at, expires_at, revoked_at) VALUES (?, ?, ?, 'API_TOKEN', ?, ?, ?, 'read_only', '[]', '[]', ?, ?, ?, ?, ?, ?)`)
  const now = Date.now()
  const tag = crypto.randomBytes(3).toString('hex')
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const owner = ownerIds[i % ownerIds.length]
      const created = now - ((i * 7919) % 300) * DAY - i
      const lifetime = [30, 90, 180, 365][i % 4]
      insert.run(crypto.randomUUID(), `seeded-${tag}-${i}`, crypto.randomUUID(), owner, owner, `Seeded token ${i}`,
        crypto.randomBytes(32).toString('hex'), String(i % 10000).padStart(4, '0'), lifetime, created, created + lifetime * DAY,
        i % 10 === 3 ? created + DAY : null)
    }
  })()
  // As npm run seed ends: planner statistics for the loaded table.
  db.exec('ANALYZE')
  db.close()
}

test('a leaked token: found by its filter among 20,000, refused uses within seconds, replaced with the same settings', async ({ page, adminApi, baseURL, playwright }, testInfo) => {
  test.setTimeout(180_000)
  // Tenant-sized data first: 20,000 tokens of 20 owners, about a tenth revoked, written into the e2e
  // server's database in one transaction (its triggers keep the counters and the search index, as for
  // every insert). npm run seed's loader needs the file to itself, so it cannot load a running server.
  const owners = await Promise.all(Array.from({ length: 20 }, () => adminApi.createUser('developer', baseURL!)))
  seedTokens(owners.map((o) => o.id), SEEDED)
  // The first console read after the load may meet a cold read thread on a busy machine: asked again.
  await expect(async () => expect((await adminApi.get<{ total: number }>('/api/inventory?limit=1')).total).toBeGreaterThanOrEqual(SEEDED)).toPass({ timeout: 20_000 })

  const dev = await adminApi.createUser('developer', baseURL!)
  const name = `leaky-deploy-${Date.now().toString(36)}`
  const { data: token } = await adminApi.createToken(baseURL!, {
    name, owner_id: dev.id, expiration_days: 30, scope: 'custom', permissions: ['credentials:read'], description: 'Deploys the docs site',
  })
  const api = await playwright.request.newContext({ baseURL })
  const use = () => api.get(WHOAMI, { headers: { authorization: `APIToken ${token}`, 'user-agent': 'stale-ci/3.0' } })
  expect((await use()).status()).toBe(200)

  const body = JSON.stringify([{ token, url: 'https://example.com/leaked-config', source: 'code-search' }])
  const ts = String(Math.floor(Date.now() / 1000))
  const signature = `v1=${crypto.createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`
  const res = await api.post('/api/web/namespaces/system/report_leak', {
    data: body, headers: { 'content-type': 'application/json', 'x-leak-report-timestamp': ts, 'x-leak-report-signature': signature },
  })
  expect(await res.json()).toMatchObject({ revoked: 1 })

  // The owner hears of it; the notice opens the token's page on its replacement offer.
  await signIn(page, dev.email, PASSWORD)
  await page.goto('/notifications')
  await page.getByRole('link', { name: `Your token "${name}" was reported as leaked and revoked` }).click()
  await expect(page).toHaveURL(new RegExp(`/tokens/${name}\\?replace=1$`))
  const offer = page.getByRole('link', { name: 'Create a replacement with the same settings' })
  await expect(offer).toBeFocused()
  await expect(page.getByText('Leaked', { exact: true }).first()).toBeVisible()
  await expect(page.getByText(/^Ended \(was to expire /)).toBeVisible()

  // A use refused now shows on the open page within seconds, with no reload.
  const card = page.locator('section, div').filter({ has: page.getByRole('heading', { name: 'Leak timeline' }) }).last()
  await expect(card).toContainText('no use has been attempted since')
  expect((await use()).status()).toBe(401)
  await expect(card).toContainText('1 use refused', { timeout: 8_000 })
  await expect(card).toContainText('stale-ci/3.0')
  await expectAccessible(page, testInfo, 'leaked-token')
  await screenshot(page, testInfo, 'leaked-token')

  // The replacement: the same settings, a free name, created and shown once.
  await offer.click()
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(`${name}-2`)
  await expect(page.getByLabel('Description (optional)')).toHaveValue('Deploys the docs site')
  await page.getByRole('button', { name: 'Next' }).click()
  await expect(page.getByRole('radio', { name: /Custom/ })).toBeChecked()
  await expect(page.getByRole('checkbox', { name: /credentials:read/ })).toBeChecked()
  await expect(page.getByRole('checkbox', { name: /users:write/ })).toHaveCount(0)
  await page.getByRole('button', { name: 'Next' }).click()
  await expect(page.getByRole('radio', { name: /30 days/ })).toBeChecked()
  await page.getByRole('button', { name: 'Next' }).click()
  await page.getByRole('button', { name: 'Create token' }).click()
  const dialog = page.getByRole('dialog')
  const secret = await dialog.getByTestId('revealed-token').inputValue()
  expect(secret).toMatch(/^tcp_[0-9A-Za-z]{36}$/)
  await dialog.getByLabel('I have stored this token').check()
  await dialog.getByRole('button', { name: 'Done' }).click()
  await expect(page).toHaveURL(new RegExp(`/tokens/${name}-2$`))
  expect(await page.content()).not.toContain(secret)
  const details = page.locator('dl').first()
  await expect(details).toContainText('Custom: credentials:read')
  await expect(details).toContainText(dev.email)
  const who = await (await api.get(WHOAMI, { headers: { authorization: `APIToken ${secret}` } })).json()
  expect(who).toMatchObject({ email: dev.email, token: { name: `${name}-2`, scope: 'custom', permissions: ['credentials:read'] } })
  await api.dispose()

  // The owner's list: the Leaked filter shows it with its badge, and not the replacement.
  await page.goto('/tokens')
  await page.getByRole('combobox', { name: 'Status' }).selectOption('leaked')
  await expect(page).toHaveURL(/status=leaked/)
  const mine = page.getByRole('table')
  await expect(mine.getByRole('link', { name, exact: true })).toBeVisible()
  await expect(mine.getByRole('link', { name: `${name}-2` })).toHaveCount(0)
  await expect(mine.getByRole('row').filter({ hasText: name }).getByText('Leaked', { exact: true })).toBeVisible()

  // An administrator's inventory of every token: exactly the leaked tokens among 20,000 (this one, and
  // any an earlier journey on the same server reported), each with its badge.
  const leakedTotal = (await adminApi.get<{ total: number }>('/api/inventory?status=leaked&limit=1')).total
  expect(leakedTotal).toBeGreaterThanOrEqual(1)
  await page.context().clearCookies()
  await signIn(page, ADMIN.email, ADMIN.password)
  await page.goto('/inventory')
  await expect(page.getByText(/\d[\d,.\s]* tokens/)).toBeVisible()
  const started = Date.now()
  await page.getByRole('combobox', { name: 'Status' }).selectOption('leaked')
  const table = page.getByRole('table', { name: 'Token inventory' })
  await expect(table.getByRole('row')).toHaveCount(leakedTotal + 1)
  await expect(table.getByRole('link', { name, exact: true })).toBeVisible()
  await expect(page.getByText(leakedTotal === 1 ? '1 token' : `${leakedTotal} tokens`, { exact: true })).toBeVisible()
  expect(Date.now() - started).toBeLessThan(5_000)
  await expect(table.getByText('Leaked', { exact: true })).toHaveCount(leakedTotal)
  await expect(table.getByText('API token', { exact: true }).first()).toBeVisible()
  // Revoked, among the ~2,000 seeded revoked tokens, no longer holds the leaked one.
  await page.getByRole('combobox', { name: 'Status' }).selectOption('revoked')
  await expect(page.getByText(/^\d[\d,.\s]* tokens$/)).toBeVisible()
  await expect(table.getByRole('link', { name, exact: true })).toHaveCount(0)
  await expect(table.getByText('Leaked', { exact: true })).toHaveCount(0)
  await expectAccessible(page, testInfo, 'inventory-leaked')
})
