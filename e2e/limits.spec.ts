// A token's limits from its page: the allowlist starts from the addresses that used it, a dry run
// shows which recent uses a list would refuse, and a rate limit set here answers 429 at /api/verify.
import { ADMIN, expect, expectAccessible, signIn, test } from './support/fixtures'

test('set an allowlist from the suggestion with a dry run, then a rate limit that /api/verify enforces', async ({ page, adminApi, baseURL }, testInfo) => {
  const name = `gateway-ci-${Date.now()}`
  const { data: token } = await adminApi.createToken(baseURL!, { name, expiration_days: 30 })
  const verify = () => page.request.get('/api/verify', { headers: { authorization: `APIToken ${token}` } })
  // Uses from this machine (127.0.0.1), recorded within the e2e server's 300 ms flush.
  for (let i = 0; i < 3; i++) expect((await verify()).status()).toBe(204)

  await signIn(page, ADMIN.email, ADMIN.password)
  await page.goto(`/tokens/${name}`)
  const card = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Limits', exact: true }) })
  await expect(card.getByLabel('Allowed addresses')).toHaveText('Any address')
  await card.getByRole('button', { name: 'Edit limits' }).click()
  const list = card.getByRole('textbox', { name: 'Allowed addresses' })

  // A list without this machine: the dry run names its uses as the ones it would refuse.
  await list.fill('203.0.113.0/24')
  await expect(async () => {
    await card.getByRole('button', { name: 'Dry run against recent uses' }).click()
    await expect(card).toContainText(/Would have refused 3 of 3 uses/, { timeout: 1000 })
  }).toPass({ timeout: 10_000 })
  await expect(card.getByRole('list', { name: 'Uses the list would refuse' })).toContainText('127.0.0.1')

  // The suggestion: the addresses that used it; its dry run refuses nothing.
  await expect(async () => {
    await card.getByRole('button', { name: 'Suggest from recent uses' }).click()
    await expect(list).toHaveValue('127.0.0.1/32', { timeout: 1000 })
  }).toPass({ timeout: 10_000 })
  await card.getByRole('button', { name: 'Dry run against recent uses' }).click()
  await expect(card.getByRole('status')).toContainText(/No use since .* would have been refused \(3 allowed\)/)

  await card.getByRole('textbox', { name: 'Requests per window' }).fill('2')
  await card.getByRole('textbox', { name: 'Window (seconds)' }).fill('3600')
  await expectAccessible(page, testInfo, 'token-limits-editor')
  await card.getByRole('button', { name: 'Save limits' }).click()
  await expect(page.getByText('Limits saved')).toBeVisible()
  await expect(card.getByLabel('Allowed addresses')).toHaveText('127.0.0.1/32')
  await expect(card).toContainText('2 requests per 3,600 s')

  // The quota starts with the change: two checks pass with the RateLimit fields, the third is refused.
  const first = await verify()
  expect(first.status()).toBe(204)
  expect(first.headers()['ratelimit-policy']).toBe('"default";q=2;w=3600')
  expect(first.headers().ratelimit).toMatch(/^"default";r=1;t=\d+$/)
  expect((await verify()).status()).toBe(204)
  const over = await verify()
  expect(over.status()).toBe(429)
  expect(Number(over.headers()['retry-after'])).toBeGreaterThan(0)
  expect((await over.json()).details).toEqual([{ reason: 'rate_limited' }])
})
