// People, removal and never-expiring tokens in the console: deleting a person who still owns a token (the dialog
// offers to revoke them all, then deletes), the inventory's Removed view, and a never-expiring token.
import { ADMIN, expect, expectAccessible, screenshot, signIn, test } from './support/fixtures'

test('admin deletes a developer who owns a token: revoke all offered, then delete; the Removed view lists it', async ({ page, adminApi, baseURL }, testInfo) => {
  const dev = await adminApi.createUser('developer', baseURL!)
  const live = await adminApi.createToken(baseURL!, { name: `people-live-${Date.now()}`, owner_id: dev.id, expiration_days: 30 })
  const old = await adminApi.createToken(baseURL!, { name: `people-old-${Date.now()}`, owner_id: dev.id, expiration_days: 30 })
  await adminApi.revoke(baseURL!, 'api_credentials', old.name)

  await signIn(page, ADMIN.email, ADMIN.password)
  await page.getByRole('link', { name: 'Users' }).click()
  await page.getByRole('searchbox', { name: 'Search people by name or email' }).fill(dev.email)
  const row = page.getByRole('row', { name: new RegExp(dev.email) })
  await row.getByRole('button', { name: `Delete ${dev.email}` }).click()
  const dialog = page.getByRole('dialog')
  await expect(dialog.getByText('cannot be deleted yet')).toBeVisible()
  await expect(dialog.getByText('1 active token', { exact: true })).toBeVisible()
  await expectAccessible(page, testInfo, 'delete-user-refused')
  await screenshot(page, testInfo, 'delete-user-refused')

  await dialog.getByRole('button', { name: 'Revoke all 1 active token' }).click()
  await expect(dialog.getByText('1 token revoked; none is active now.')).toBeVisible()
  await screenshot(page, testInfo, 'delete-user-revoked')
  await dialog.getByRole('button', { name: 'Delete user' }).click()
  await expect(dialog).toBeHidden()
  await expect(page.getByRole('row', { name: new RegExp(dev.email) })).toHaveCount(0)

  // What is left of their tokens, in the inventory's Removed view.
  await page.getByRole('link', { name: 'Inventory' }).first().click()
  await page.getByRole('navigation', { name: 'Inventory views' }).getByRole('link', { name: 'Removed' }).click()
  for (const name of [live.name, old.name]) {
    const r = page.getByRole('row', { name: new RegExp(name) })
    await expect(r.getByText('Owner deleted')).toBeVisible()
    await expect(r.getByText(dev.email)).toBeVisible()
  }
  await expectAccessible(page, testInfo, 'inventory-removed')
  await screenshot(page, testInfo, 'inventory-removed')
  // The name is free again.
  await adminApi.createToken(baseURL!, { name: live.name, expiration_days: 30 })
})

test('a never-expiring token is offered only where the policy allows it, with a warning', async ({ page, adminApi, baseURL }, testInfo) => {
  await signIn(page, ADMIN.email, ADMIN.password)
  await page.goto('/tokens/new')
  await page.getByLabel('Name', { exact: true }).fill(`forever-${Date.now()}`)
  await page.getByRole('button', { name: 'Next' }).click()
  await page.getByRole('button', { name: 'Next' }).click()
  await expect(page.getByRole('radio', { name: /Never/ })).toBeDisabled()

  await adminApi.setPolicy(baseURL!, { allow_never_expire: true, never_expire_account_types: ['user'] })
  try {
    await page.reload()
    const name = `forever-${Date.now()}`
    await page.getByLabel('Name', { exact: true }).fill(name)
    await page.getByRole('button', { name: 'Next' }).click()
    await page.getByRole('button', { name: 'Next' }).click()
    await page.getByRole('radio', { name: /Never/ }).check()
    await expect(page.getByRole('note')).toContainText('never expires works until someone revokes it')
    await expectAccessible(page, testInfo, 'wizard-never')
    await screenshot(page, testInfo, 'wizard-never')
    await page.getByRole('button', { name: 'Next' }).click()
    await expect(page.getByText('Never', { exact: true })).toBeVisible()
    await page.getByRole('button', { name: 'Create token' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('I have stored this token').check()
    await dialog.getByRole('button', { name: 'Done' }).click()
    await expect(page.getByText('Never expires.')).toBeVisible()
  } finally {
    await adminApi.setPolicy(baseURL!, { allow_never_expire: false, never_expire_account_types: [] })
  }
})
