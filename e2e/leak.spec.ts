// A secret scanner reports a live token; it is dead at once, and its detail page shows
// the leak timeline (last use, report, revoke, refused uses) with no way to re-activate it.
import crypto from 'node:crypto'
import { ADMIN, expect, expectAccessible, signIn, test } from './support/fixtures'

const WHOAMI = '/api/web/custom/namespaces/system/whoami'
const SECRET = 'e2e-leak-report-secret-0123456789'

test('a reported token is revoked at once and its detail page tells the story', async ({ page, adminApi, baseURL }, testInfo) => {
  const name = `leaky-ci-${Date.now()}`
  const { data: token } = await adminApi.createToken(baseURL!, { name, expiration_days: 30 })
  const use = () => page.request.get(WHOAMI, { headers: { authorization: `APIToken ${token}`, 'user-agent': 'ci-runner/2.1' } })
  expect((await use()).status()).toBe(200)

  const body = JSON.stringify([{ token, url: 'https://example.com/public-gist/7', source: 'gist' }])
  const ts = String(Math.floor(Date.now() / 1000))
  const signature = `v1=${crypto.createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`
  const res = await page.request.post('/api/web/namespaces/system/report_leak', {
    data: body, headers: { 'content-type': 'application/json', 'x-leak-report-timestamp': ts, 'x-leak-report-signature': signature },
  })
  expect(await res.json()).toMatchObject({ revoked: 1 })
  expect((await use()).status()).toBe(401)

  await signIn(page, ADMIN.email, ADMIN.password)
  await page.goto(`/tokens/${name}`)
  const card = page.getByRole('region', { name: 'Leak timeline' }).or(page.locator('section', { has: page.getByRole('heading', { name: 'Leak timeline' }) }))
  await expect(card).toContainText('Reported as leaked')
  await expect(card).toContainText('found by gist at https://example.com/public-gist/7')
  await expect(card).toContainText('Revoked by the leak report, at once')
  await expect(card).toContainText('Last accepted use before the report')
  // Refused uses are written in aggregate (every 2 s on the e2e server); a reload shows them once written.
  await expect(async () => {
    await page.reload()
    await expect(card).toContainText(/1 use refused/, { timeout: 2000 })
  }).toPass({ timeout: 30_000 })
  await expect(card).toContainText('ci-runner/2.1')
  await expect(page.getByRole('button', { name: /Re-activate|Activate/ })).toHaveCount(0)
  await expectAccessible(page, testInfo, 'leak-timeline')
})
