// A security reviewer finds the tokens idle for more than 90 days, opens one, reads its usage, and
// exports the audit log, from the console alone.
import fs from 'node:fs'
import Database from 'better-sqlite3'
import { expect, expectAccessible, PASSWORD, screenshot, signIn, test, E2E_DB_FILE } from './support/fixtures'

const DAY = 86_400_000

test('security reviewer finds idle tokens, reads one’s usage and exports the audit log', async ({ page, adminApi, baseURL, playwright }, testInfo) => {
  const auditor = await adminApi.createUser('auditor', baseURL!)
  const owner = await adminApi.createUser('developer', baseURL!)
  const stamp = Date.now()
  const idle = await adminApi.createToken(baseURL!, { name: `legacy-sync-${stamp}`, owner_id: owner.id, expiration_days: 365, description: 'old nightly sync' })
  const busy = await adminApi.createToken(baseURL!, { name: `busy-bot-${stamp}`, expiration_days: 30 })

  // Both tokens are used through the real API, then the clock is turned back for the idle one.
  const api = await playwright.request.newContext({ baseURL })
  for (const t of [idle, busy]) {
    const res = await api.get('/api/web/custom/namespaces/system/whoami', { headers: { authorization: `APIToken ${t.data}`, 'user-agent': 'nightly-sync/2.1' } })
    expect(res.status()).toBe(200)
  }
  await api.dispose()
  await expect.poll(() => {
    const db = new Database(E2E_DB_FILE, { readonly: true })
    try { return (db.prepare('SELECT last_used_at FROM credentials WHERE name = ?').get(idle.name) as { last_used_at: number | null }).last_used_at } finally { db.close() }
  }).not.toBeNull()
  const db = new Database(E2E_DB_FILE)
  db.pragma('busy_timeout = 5000')
  db.prepare('UPDATE credentials SET created_at = ?, last_used_at = ? WHERE name = ?').run(stamp - 200 * DAY, stamp - 120 * DAY, idle.name)
  db.prepare('UPDATE usage_sources SET first_seen = ?, last_seen = ? WHERE credential_id = (SELECT id FROM credentials WHERE name = ?)').run(stamp - 200 * DAY, stamp - 120 * DAY, idle.name)
  db.close()

  await signIn(page, auditor.email, PASSWORD)
  await page.getByRole('link', { name: 'Inventory' }).click()
  await expect(page.getByRole('heading', { name: 'Token inventory' })).toBeVisible()
  await page.getByLabel('Usage').selectOption('idle_90')
  await expect(page).toHaveURL(/usage=idle_90/)
  const row = page.getByRole('row', { name: new RegExp(idle.name) })
  await expect(row).toBeVisible()
  await expect(row.getByText(owner.email)).toBeVisible()
  await expect(page.getByRole('row', { name: new RegExp(busy.name) })).toHaveCount(0)
  await expectAccessible(page, testInfo, 'inventory')
  await screenshot(page, testInfo, 'inventory-idle-90')

  // Keep the search, shared with the team.
  await page.getByLabel('Save the current filters as').fill('Idle for 90+ days')
  await page.getByLabel('Share with everyone who can see the inventory').check()
  await page.getByRole('button', { name: 'Save search' }).click()
  await expect(page.getByRole('link', { name: 'Idle for 90+ days' })).toBeVisible()

  await row.getByRole('link', { name: idle.name }).click()
  await expect(page.getByRole('heading', { name: idle.name })).toBeVisible()
  await expect(page.getByText(/Idle for 1[12]\d days/)).toBeVisible()
  const sources = page.getByRole('table', { name: 'Sources that used this token' })
  await expect(sources.getByText('nightly-sync/2.1')).toBeVisible()
  await expect(sources.getByText('127.0.0.1')).toBeVisible()
  await expectAccessible(page, testInfo, 'detail-usage')
  await screenshot(page, testInfo, 'detail-usage')

  await page.getByRole('link', { name: 'Audit log' }).click()
  await expect(page.getByText(/Hash chain intact/)).toBeVisible()
  await page.getByLabel('Token name').fill(idle.name)
  await page.getByLabel('Token name').press('Tab')
  await expect(page).toHaveURL(new RegExp(`credential=${idle.name}`))
  await expect(page.getByRole('cell', { name: 'credential.create' })).toBeVisible()
  await expectAccessible(page, testInfo, 'audit-log')
  await screenshot(page, testInfo, 'audit-log')
  const download = page.waitForEvent('download')
  await page.getByRole('link', { name: 'Export CSV' }).click()
  const file = await (await download).path()
  const csv = fs.readFileSync(file!, 'utf8').trim().split('\r\n')
  expect(csv[0]).toMatch(/^id,at,actor_email/)
  expect(csv.length).toBeGreaterThan(1)
  expect(csv.slice(1).every((l) => l.includes(idle.name))).toBe(true)
  expect(csv.join('\n')).not.toContain(idle.data)

  // The admin dashboard shows the same activity in figures.
  await page.getByRole('link', { name: 'Dashboard' }).click()
  await expect(page.getByText('Active personal tokens')).toBeVisible()
  await expectAccessible(page, testInfo, 'dashboard')
  await screenshot(page, testInfo, 'dashboard')
})
