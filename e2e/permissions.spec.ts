// An administrator adds a catalog permission on the Permissions page; a developer finds it in the
// wizard's custom scope and creates a token with it; a gateway-style GET /api/verify asking for
// another permission is refused naming it, and asking for this one passes.
import crypto from 'node:crypto'
import { ADMIN, expect, expectAccessible, PASSWORD, signIn, test } from './support/fixtures'

test('admin adds a permission, a developer gets a token with it, the gateway check enforces it', async ({ page, adminApi, baseURL }, testInfo) => {
  const suffix = crypto.randomBytes(3).toString('hex')
  const wanted = `billing${suffix}:invoices:read`
  const other = `billing${suffix}:refunds:create`
  const dev = await adminApi.createUser('developer', baseURL!)

  await signIn(page, ADMIN.email, ADMIN.password)
  await page.getByRole('link', { name: 'Permissions' }).click()
  await expect(page.getByRole('heading', { name: 'Permissions', exact: true })).toBeVisible()
  for (const [name, description] of [[wanted, 'Read invoices'], [other, 'Create refunds']]) {
    await page.getByRole('button', { name: 'Add permission' }).first().click()
    const add = page.getByRole('dialog', { name: 'Add permission' })
    await add.getByLabel('Name').fill(name)
    await add.getByLabel('Description').fill(description)
    await add.getByRole('button', { name: 'Add permission' }).click()
    await expect(add).toBeHidden()
    await expect(page.getByText(name, { exact: true })).toBeVisible()
  }
  await expectAccessible(page, testInfo, 'permissions-page')
  await page.context().clearCookies()

  await signIn(page, dev.email, PASSWORD)
  await page.getByRole('link', { name: 'Permissions' }).click()
  await expect(page.getByText(wanted, { exact: true })).toBeVisible()
  await expect(page.getByRole('button', { name: 'Add permission' })).toHaveCount(0)
  await page.goto('/tokens/new')
  await page.getByLabel('Name', { exact: true }).fill(`invoices-${suffix}`)
  await page.getByRole('button', { name: 'Next' }).click()
  await page.getByRole('radio', { name: /Custom/ }).check()
  await page.getByLabel('Search catalog permissions').fill(`billing${suffix}:invoices`)
  await expect(page.getByRole('checkbox', { name: new RegExp(other) })).toHaveCount(0)
  await page.getByRole('checkbox', { name: new RegExp(wanted) }).check()
  await expectAccessible(page, testInfo, 'wizard-catalog-permissions')
  await page.getByRole('button', { name: 'Next' }).click()
  await page.getByRole('button', { name: 'Next' }).click()
  await expect(page.getByText(`Custom: ${wanted}`)).toBeVisible()
  await page.getByRole('button', { name: 'Create token' }).click()
  const dialog = page.getByRole('dialog')
  const secret = await dialog.getByTestId('revealed-token').inputValue()
  await dialog.getByLabel('I have stored this token').check()
  await dialog.getByRole('button', { name: 'Done' }).click()

  // What a gateway does: no cookies, the token and the permission the location needs.
  const refused = await page.request.get('/api/verify', { headers: { authorization: `Bearer ${secret}`, 'x-required-scope': other, cookie: '' } })
  expect(refused.status()).toBe(403)
  expect(refused.headers()['www-authenticate']).toBe(`Bearer realm="token-console", error="insufficient_scope", scope="${other}"`)
  expect((await refused.json()).details[0]).toMatchObject({ reason: 'missing_permission', permission: other, granted: [wanted] })
  const passed = await page.request.get('/api/verify', { headers: { authorization: `Bearer ${secret}`, 'x-required-scope': wanted, cookie: '' } })
  expect(passed.status()).toBe(204)
  expect(passed.headers()['x-token-name']).toBe(`invoices-${suffix}`)
})
