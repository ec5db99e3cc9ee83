// Runs after the other journeys (file-name order, one server): it adds 1,000 people to the shared e2e
// database, and the journeys before it look for their own people on first pages.
// People at tenant size: the Users page shows one page of a thousand people, finds someone near the
// end of the alphabet by search, narrows by role and status and pages on; the wizard's Owner field and
// the All tokens "Any owner" filter find a person by typing part of their email.
import crypto from 'node:crypto'
import Database from 'better-sqlite3'
import { ADMIN, chooseOwner, E2E_DB_FILE, expect, expectAccessible, screenshot, signIn, test } from './support/fixtures'

const PEOPLE = 1000
const FIRST = ['Ada', 'Ben', 'Cleo', 'Dan', 'Eve', 'Finn', 'Gus', 'Hana', 'Ivo', 'Jade', 'Kai', 'Lea', 'Max', 'Nia', 'Otto', 'Pia',
  'Quin', 'Rae', 'Sol', 'Tess', 'Uma', 'Vic', 'Wes', 'Xia', 'Yan', 'Zoe']

/** People written straight into the server's database in one transaction, as npm run seed writes them. */
function seedPeople(tag: string) {
  const db = new Database(E2E_DB_FILE)
  db.pragma('busy_timeout = 10000')
  const insert = db.prepare(`INSERT INTO users (id, email, name, role, kind, password_hash, disabled, created_at, updated_at, last_login_at)
    VALUES (?, ?, ?, ?, 'user', NULL, ?, ?, ?, NULL)`)
  const now = Date.now()
  db.transaction(() => {
    for (let i = 0; i < PEOPLE; i++) {
      const first = FIRST[i % FIRST.length]
      insert.run(crypto.randomUUID(), `${first.toLowerCase()}.${String(i).padStart(3, '0')}.${tag}@tenant.test`, `${first} Tenant ${i}`,
        i % 10 === 0 ? 'auditor' : 'developer', i % 40 === 0 ? 1 : 0, now - i * 60_000, now - i * 60_000)
    }
  })()
  db.exec('ANALYZE')
  db.close()
}

test('a thousand people: one page at a time, found by search, narrowed by filters; owner pickers find them by typing', async ({ page, adminApi }, testInfo) => {
  test.setTimeout(240_000)
  const tag = crypto.randomBytes(3).toString('hex')
  seedPeople(tag)
  // Near the end of the alphabet, an enabled developer: zoe.987.
  const email = `zoe.987.${tag}@tenant.test`
  await expect(async () => expect((await adminApi.get<{ items: Array<{ email: string }> }>(`/api/users?q=${tag}&limit=1`)).items).toHaveLength(1)).toPass({ timeout: 20_000 })
  const target = (await adminApi.get<{ items: Array<{ id: string; email: string }> }>(`/api/users?q=${encodeURIComponent(email)}`)).items[0]
  expect(target.email).toBe(email)

  await signIn(page, ADMIN.email, ADMIN.password)
  await page.getByRole('link', { name: 'Users' }).click()
  const table = page.getByRole('table', { name: 'Users' })
  await expect(table.getByRole('row')).toHaveCount(51)
  await expect(page.getByText('50 people on this page, more on the next')).toBeVisible()
  // One page, not a thousand rows: the page stays a few screens tall (it was ~55,000 px).
  const height = await page.evaluate(() => document.documentElement.scrollHeight)
  expect(height).toBeLessThan(8000)
  await expectAccessible(page, testInfo, 'users-first-page')

  // Search: someone near the end of the alphabet, by part of their email, then by name.
  const search = page.getByRole('searchbox', { name: 'Search people by name or email' })
  await search.fill(`zoe.987.${tag}`)
  await expect(page).toHaveURL(new RegExp(`q=zoe.987.${tag}`))
  await expect(table.getByRole('row')).toHaveCount(2)
  await expect(table.getByRole('row', { name: new RegExp(email) })).toContainText('Zoe Tenant 987')
  await search.fill('ZOE TENANT 9')
  await expect(table.getByRole('row')).toHaveCount(1 + 4)
  await screenshot(page, testInfo, 'users-search')

  // Filters narrow: disabled auditors of this tenant's seed (every 40th person).
  await search.fill(tag)
  await page.getByRole('combobox', { name: 'Role', exact: true }).selectOption('auditor')
  await page.getByRole('combobox', { name: 'Status', exact: true }).selectOption('true')
  await expect(page).toHaveURL(/role=auditor/)
  await expect(page).toHaveURL(/disabled=true/)
  await expect(table.getByRole('row')).toHaveCount(1 + PEOPLE / 40)
  for (const row of (await table.getByRole('row').all()).slice(1, 4)) {
    await expect(row.getByRole('combobox', { name: /^Role of / })).toHaveValue('auditor')
    await expect(row.getByText('Disabled', { exact: true })).toBeVisible()
  }
  await screenshot(page, testInfo, 'users-filtered')

  // The next page: the following 50 in email order, and back.
  await page.goto(`/users?q=${tag}`)
  await expect(table.getByRole('row')).toHaveCount(51)
  const firstPage = await table.getByRole('row').nth(1).locator('td').first().innerText()
  const lastOfFirst = (await table.getByRole('row').nth(50).locator('td').first().innerText()).split('\n')[1]
  await page.getByRole('button', { name: 'Next' }).click()
  await expect(page).toHaveURL(/cursor=/)
  await expect(table.getByRole('row').nth(1)).not.toContainText(firstPage.split('\n')[1])
  const secondFirst = (await table.getByRole('row').nth(1).locator('td').first().innerText()).split('\n')[1]
  expect(secondFirst > lastOfFirst).toBe(true)
  await page.getByRole('button', { name: 'Previous' }).click()
  await expect(table.getByRole('row').nth(1)).toContainText(firstPage.split('\n')[1])

  // The wizard: typing part of their email in Owner finds them; the token is theirs.
  const name = `people-owner-${tag}`
  await page.goto('/tokens/new')
  await page.getByLabel('Name', { exact: true }).fill(name)
  await page.getByRole('combobox', { name: 'Owner' }).fill(`987.${tag}`)
  await expect(page.getByRole('combobox', { name: 'Owner' })).toHaveAttribute('aria-expanded', 'true')
  await expect(page.getByRole('option')).toHaveCount(2)
  await expectAccessible(page, testInfo, 'wizard-owner-open')
  await screenshot(page, testInfo, 'wizard-owner-open')
  await page.getByRole('combobox', { name: 'Owner' }).press('ArrowDown')
  await page.getByRole('combobox', { name: 'Owner' }).press('ArrowDown')
  await page.getByRole('combobox', { name: 'Owner' }).press('Enter')
  await expect(page.getByRole('combobox', { name: 'Owner' })).toHaveValue(email)
  await expect(page.getByText('This name is available.')).toBeVisible()
  await page.getByRole('button', { name: 'Next' }).click()
  await page.getByRole('radio', { name: /Read-only/ }).check()
  await page.getByRole('button', { name: 'Next' }).click()
  await page.getByRole('radio', { name: /30 days/ }).check()
  await page.getByRole('button', { name: 'Next' }).click()
  await expect(page.getByText(email)).toBeVisible()
  await page.getByRole('button', { name: 'Create token' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByLabel('I have stored this token').check()
  await dialog.getByRole('button', { name: 'Done' }).click()
  await expect(page).toHaveURL(new RegExp(`/tokens/${name}$`))
  await expect(page.locator('dl').first()).toContainText(email)

  // All tokens, Any owner: found by typing, kept in the URL, shown again after a reload.
  await page.goto('/tokens?view=all')
  await chooseOwner(page, email, `zoe.987.${tag.slice(0, 4)}`)
  await expect(page).toHaveURL(new RegExp(`owner=${target.id}`))
  const tokens = page.getByRole('table', { name: 'API tokens' })
  await expect(tokens.getByRole('link', { name, exact: true })).toBeVisible()
  await expect(tokens.getByRole('row')).toHaveCount(2)
  await page.reload()
  await expect(page.getByRole('combobox', { name: 'Owner', exact: true })).toHaveValue(email)
  await expect(tokens.getByRole('link', { name, exact: true })).toBeVisible()
  await expectAccessible(page, testInfo, 'all-tokens-owner')
  // Cleared back to Any owner.
  await page.getByRole('button', { name: 'Clear: Any owner' }).click()
  await expect(page).not.toHaveURL(/owner=/)
  await expect(page.getByRole('combobox', { name: 'Owner', exact: true })).toHaveValue('')
  // The inventory's owner filter shows the same person from its URL.
  await page.goto(`/inventory?owner=${target.id}`)
  await expect(page.getByRole('combobox', { name: 'Owner', exact: true })).toHaveValue(email)
  await expect(page.getByRole('table', { name: 'Token inventory' }).getByRole('link', { name, exact: true })).toBeVisible()
})
