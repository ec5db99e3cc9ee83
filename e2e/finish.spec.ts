// Finish: sign-in accessibility, dark mode that follows the system and can be switched, a 390 px
// layout, and keyboard use.
import { ADMIN, expect, expectAccessible, screenshot, signIn, test } from './support/fixtures'

test('sign-in page is accessible and refuses a wrong password clearly', async ({ page }, testInfo) => {
  await page.goto('/')
  await expect(page).toHaveURL(/\/sign-in/)
  await expectAccessible(page, testInfo, 'sign-in')
  await screenshot(page, testInfo, 'sign-in')
  await page.getByLabel('Email').fill(ADMIN.email)
  await page.getByLabel('Password').fill('not-the-password')
  await page.getByRole('button', { name: /sign in/i }).click()
  await expect(page.getByRole('alert')).toContainText('Email or password is incorrect')
})

test('dark mode follows the system and can be switched', async ({ browser, baseURL }, testInfo) => {
  const context = await browser.newContext({ baseURL, colorScheme: 'dark' })
  const page = await context.newPage()
  await signIn(page, ADMIN.email, ADMIN.password)
  await expect(page.locator('html')).toHaveClass(/dark/)
  await expectAccessible(page, testInfo, 'tokens-dark')
  await screenshot(page, testInfo, 'tokens-dark')
  await page.getByRole('button', { name: /Colour scheme: system/ }).click()
  await expect(page.locator('html')).not.toHaveClass(/dark/)
  await page.reload()
  await expect(page.locator('html')).not.toHaveClass(/dark/)
  await context.close()
})

test('works at 390 px wide with a collapsible navigation, and by keyboard', async ({ browser, baseURL }, testInfo) => {
  const context = await browser.newContext({ baseURL, viewport: { width: 390, height: 844 } })
  const page = await context.newPage()
  await signIn(page, ADMIN.email, ADMIN.password)
  await expect(page.getByRole('heading', { name: 'API Tokens', exact: true })).toBeVisible()
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden()
  await page.getByRole('button', { name: 'Open navigation' }).click()
  await screenshot(page, testInfo, 'mobile-nav')
  await page.getByRole('link', { name: 'Rotation planner' }).click()
  await expect(page.getByRole('heading', { name: 'Rotation planner' })).toBeVisible()
  await screenshot(page, testInfo, 'mobile-rotation')
  await expectAccessible(page, testInfo, 'mobile-rotation')

  // Keyboard: the skip link comes first and moves focus to the content.
  await page.goto('/tokens')
  await expect(page.getByRole('heading', { name: 'API Tokens', exact: true })).toBeVisible()
  await page.keyboard.press('Tab')
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused()
  await context.close()
})

test('a person changes their password and signs in with the new one', async ({ page, adminApi, baseURL }, testInfo) => {
  const dev = await adminApi.createUser('developer', baseURL!)
  await signIn(page, dev.email, 'e2e-user-password-1')
  await page.getByRole('button', { name: 'Change password' }).click()
  const dialog = page.getByRole('dialog')
  await dialog.getByLabel('Current password').fill('wrong-password-123')
  await dialog.getByLabel('New password').fill('my-new-password-42')
  await dialog.getByRole('button', { name: 'Change password' }).click()
  await expect(dialog.getByText('The current password is not right')).toBeVisible()
  await expectAccessible(page, testInfo, 'change-password')
  await dialog.getByLabel('Current password').fill('e2e-user-password-1')
  await dialog.getByRole('button', { name: 'Change password' }).click()
  await expect(dialog).toBeHidden()
  await page.getByRole('button', { name: 'Sign out' }).click()
  await signIn(page, dev.email, 'my-new-password-42')
  await expect(page.getByRole('heading', { name: 'API Tokens', exact: true })).toBeVisible()
})
