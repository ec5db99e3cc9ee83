// Governance journeys: an admin lowers the maximum lifetime, reads the dry run and applies it; an owner
// rotates from the detail page (the token keeps its name and gets a new secret), watches the caller
// switch, and the previous secret ends.
import { ADMIN, expect, signIn, test } from './support/fixtures'

const WHOAMI = '/api/web/custom/namespaces/system/whoami'
const DAY = 86_400_000

test('admin lowers the maximum lifetime, reads the dry run, and applies it to existing tokens', async ({ page, adminApi, baseURL }) => {
  const name = `long-lived-${Date.now()}`
  await adminApi.createToken(baseURL!, { name, expiration_days: 300 })
  await signIn(page, ADMIN.email, ADMIN.password)
  await page.getByRole('link', { name: 'Policy' }).click()
  await expect(page.getByRole('heading', { name: 'Policy' })).toBeVisible()
  await page.getByLabel('Default expiry (days)').fill('30')
  await page.getByLabel('Maximum lifetime (days)').fill('60')
  await page.getByRole('button', { name: 'Preview changes (dry run)' }).click()
  await expect(page.getByTestId('dry-run-summary')).toContainText('break these rules')
  const row = page.getByRole('row', { name: new RegExp(name) })
  await expect(row).toContainText('Shorter expiry')
  await expect(row).toContainText(ADMIN.email)

  await page.getByLabel('Existing tokens as well, from a date').check()
  await page.getByRole('button', { name: 'Apply to new and existing tokens' }).click()
  await expect(page.getByText(/existing token\(s\) changed/)).toBeVisible()
  const after = await adminApi.get<{ expiry_timestamp: string }>(`/api/web/namespaces/system/api_credentials/${name}`)
  expect(Math.round((Date.parse(after.expiry_timestamp) - Date.now()) / DAY)).toBe(60)
  await adminApi.setPolicy(baseURL!, { default_expiration_days: 90, max_expiration_days: 365 })
})

test('owner rotates from the detail page, the caller switches, and the previous secret ends', async ({ page, adminApi, baseURL }) => {
  test.setTimeout(60_000)
  const name = `cutover-bot-${Date.now()}`
  const old = await adminApi.createToken(baseURL!, { name, expiration_days: 30 })
  const use = (token: string) => page.request.get(WHOAMI, { headers: { authorization: `APIToken ${token}` } })
  expect((await use(old.data)).status()).toBe(200)

  await signIn(page, ADMIN.email, ADMIN.password)
  await page.goto(`/tokens/${name}`)
  await page.getByRole('button', { name: 'Rotate', exact: true }).click()
  const dialog = page.getByRole('dialog', { name: `Rotate ${name}?` })
  await dialog.getByLabel('Overlap').selectOption({ label: '1 hour' })
  await expect(dialog.getByRole('radio', { name: 'Keep the name, issue a new secret' })).toBeChecked()
  await expect(dialog.getByTestId('rotate-summary')).toContainText('keeps its name, history and usage and gets a new secret')
  await expect(dialog.getByTestId('rotate-summary')).toContainText('keeps working for 1 hour')
  await expect(dialog.getByLabel('End the previous secret as soon as every caller has switched')).toBeChecked()
  await dialog.getByRole('button', { name: 'Rotate with 1 hour overlap' }).click()
  const reveal = page.getByRole('dialog', { name: `New secret for ${name}` })
  const secret = (await reveal.getByTestId('revealed-token').inputValue()).trim()
  expect(secret).toMatch(/_/)
  await reveal.getByLabel('I have stored this token').check()
  await reveal.getByRole('button', { name: 'Done' }).click()

  await page.goto(`/tokens/${name}`)
  await expect(page.getByRole('heading', { name })).toBeVisible()
  await expect(page.getByTestId('rotation-state')).toContainText(`Previous secret …${old.data.slice(-4)} valid until`)
  await expect(page.getByText('Not yet')).toBeVisible()
  expect((await use(old.data)).status()).toBe(200)

  // The caller switches; the cut-over job (every 10 s) ends the previous secret, not the token.
  expect((await use(secret)).status()).toBe(200)
  await expect.poll(async () => (await use(old.data)).status(), { timeout: 30_000, intervals: [1000] }).toBe(401)
  await page.reload()
  await expect(page.getByTestId('rotation-state')).toContainText(`The previous secret …${old.data.slice(-4)} has ended`)
  expect((await use(secret)).status()).toBe(200)
})
