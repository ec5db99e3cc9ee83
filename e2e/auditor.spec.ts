// A security reviewer sees every token and no control that changes anything.
import { expect, expectAccessible, PASSWORD, screenshot, signIn, test } from './support/fixtures'

test('auditor sees every token and no mutation control', async ({ page, adminApi, baseURL }, testInfo) => {
  const auditor = await adminApi.createUser('auditor', baseURL!)
  const dev = await adminApi.createUser('developer', baseURL!)
  const t = await adminApi.createToken(baseURL!, { name: `audited-${Date.now()}`, owner_id: dev.id, expiration_days: 60, description: 'seen by the auditor' })

  await signIn(page, auditor.email, PASSWORD)
  await expect(page.getByRole('heading', { name: 'API Tokens', exact: true })).toBeVisible()
  const row = page.getByRole('row', { name: new RegExp(t.name) })
  await expect(row.getByText(dev.email)).toBeVisible()
  await expect(page.getByRole('link', { name: 'Add API token' })).toHaveCount(0)
  await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0)
  await screenshot(page, testInfo, 'auditor-list')

  await row.getByRole('link', { name: t.name }).click()
  await expect(page.getByRole('heading', { name: t.name })).toBeVisible()
  for (const name of ['Renew', 'Revoke', 'Re-activate', 'Rotate']) {
    await expect(page.getByRole('button', { name, exact: true })).toHaveCount(0)
  }
  await expectAccessible(page, testInfo, 'auditor-detail')

  await page.getByRole('link', { name: 'Service Credentials' }).click()
  await expect(page.getByRole('heading', { name: 'Service Credentials', exact: true })).toBeVisible()
  await expect(page.getByRole('link', { name: 'Add service credential' })).toHaveCount(0)
  await expectAccessible(page, testInfo, 'service-credentials')
  await screenshot(page, testInfo, 'service-credentials')

  // The API refuses an auditor's change even when the UI is bypassed.
  const res = await page.request.post('/api/web/namespaces/system/revoke/api_credentials', { data: { name: t.name }, headers: { origin: baseURL! } })
  expect([403]).toContain(res.status())
})
