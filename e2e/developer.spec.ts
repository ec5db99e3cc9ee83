// A developer creates a personal token, copies it from the reveal dialog, uses it, and cannot reach
// another person's token. After the dialog closes the secret is nowhere in the page or its storage.
import { expect, expectAccessible, PASSWORD, screenshot, signIn, test } from './support/fixtures'

test('developer creates, copies and uses a token, and cannot reach another person’s', async ({ page, context, adminApi, baseURL, playwright }, testInfo) => {
  const dev = await adminApi.createUser('developer', baseURL!)
  const other = await adminApi.createUser('developer', baseURL!)
  const othersToken = await adminApi.createToken(baseURL!, { name: `others-token-${Date.now()}`, owner_id: other.id, expiration_days: 30 })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL })

  await signIn(page, dev.email, PASSWORD)
  await expect(page.getByText('No API tokens yet')).toBeVisible()
  await expect(page.getByRole('button', { name: 'All tokens' })).toHaveCount(0)
  await page.getByRole('link', { name: 'Add API token' }).click()
  await expect(page.getByLabel('Owner')).toHaveCount(0)
  await page.getByLabel('Name', { exact: true }).fill('Bad_Name')
  await page.getByRole('button', { name: 'Next' }).click()
  await expect(page.getByText(/lowercase letters, digits and hyphens/).first()).toBeVisible()
  await page.getByLabel('Name', { exact: true }).fill('my-laptop-cli')
  await page.getByRole('button', { name: 'Next' }).click()
  await page.getByRole('radio', { name: /Custom/ }).check()
  await page.getByRole('button', { name: 'Next' }).click()
  await expect(page.getByText('Choose at least one permission')).toBeVisible()
  await page.getByRole('checkbox', { name: /credentials:read/ }).first().check()
  await page.getByRole('button', { name: 'Next' }).click()
  await page.getByRole('button', { name: 'Next' }).click()
  await page.getByRole('button', { name: 'Create token' }).click()

  const dialog = page.getByRole('dialog')
  const secret = await dialog.getByTestId('revealed-token').inputValue()
  expect(secret).toMatch(/^tcp_[0-9A-Za-z]{36}$/)
  await dialog.getByRole('button', { name: 'Copy token' }).click()
  await expect(dialog.getByText('Copied to the clipboard.')).toBeVisible()
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret)
  await expect(dialog.getByRole('textbox', { name: 'Environment variable' })).toHaveValue(`export MY_LAPTOP_CLI_API_TOKEN="${secret}"`)
  await dialog.getByLabel('I have stored this token').check()
  await dialog.getByRole('button', { name: 'Done' }).click()
  await expect(page).toHaveURL(/\/tokens\/my-laptop-cli$/)

  // The secret is gone: not in the DOM, the URL, history state or browser storage.
  expect(await page.content()).not.toContain(secret)
  expect(page.url()).not.toContain(secret)
  const stored = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, history.state]))
  expect(stored).not.toContain(secret)

  // The token works against whoami, narrowed to its custom scope.
  const api = await playwright.request.newContext({ baseURL })
  const who = await api.get('/api/web/custom/namespaces/system/whoami', { headers: { authorization: `APIToken ${secret}` } })
  expect(who.status()).toBe(200)
  const body = await who.json()
  expect(body.email).toBe(dev.email)
  expect(body.token).toMatchObject({ name: 'my-laptop-cli', scope: 'custom', permissions: ['credentials:read'] })
  // ...and cannot reach the other developer's token: the same 404 as a missing one.
  const peek = await api.get(`/api/web/namespaces/system/api_credentials/${othersToken.name}`, { headers: { authorization: `APIToken ${secret}` } })
  expect(peek.status()).toBe(404)
  await api.dispose()

  // "Test a token" on the detail page says whose token it is, and that it is this one.
  await page.getByLabel('Token to test').fill(secret)
  await page.getByRole('button', { name: 'Test token' }).click()
  await expect(page.getByText('Valid: this is this page’s token my-laptop-cli.')).toBeVisible()
  await expect(page.getByText(`Owner: ${dev.email} (you)`, { exact: false })).toBeVisible()
  await page.getByLabel('Token to test').fill(secret.slice(0, -1) + (secret.endsWith('x') ? 'y' : 'x'))
  await page.getByRole('button', { name: 'Test token' }).click()
  await expect(page.getByText(/copied whole/)).toBeVisible()

  await page.goto(`/tokens/${othersToken.name}`)
  await expect(page.getByText('Token not found')).toBeVisible()
  await page.goto('/tokens')
  await expect(page.getByRole('link', { name: othersToken.name })).toHaveCount(0)
  await expect(page.getByRole('link', { name: 'my-laptop-cli' })).toBeVisible()
  await expectAccessible(page, testInfo, 'developer-list')
  await screenshot(page, testInfo, 'developer-list')
})

test('an ended session returns to sign-in with a message, then to the same page', async ({ page, adminApi, baseURL }) => {
  const dev = await adminApi.createUser('developer', baseURL!)
  await signIn(page, dev.email, PASSWORD)
  await page.goto('/rotation')
  await expect(page.getByRole('heading', { name: 'Rotation planner' })).toBeVisible()
  await page.context().clearCookies()
  await page.getByRole('link', { name: 'API Tokens' }).click()
  await expect(page.getByText('Your session ended')).toBeVisible()
  await page.getByLabel('Email').fill(dev.email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: /sign in/i }).click()
  await expect(page).toHaveURL(/\/tokens/)
})
