// Single sign-on in Chromium against a real OpenID provider (oidc-provider on 127.0.0.1, a random
// port): an administrator sets it up on the Identity page (with a discovery test), then a new person
// signs in through the provider's pages, lands in the console created just in time with the role
// their group maps to, and the Users page shows them as managed by SSO. The settings are put back
// afterwards, so the other journeys see a sign-in page without single sign-on.
import { ADMIN, expect, expectAccessible, signIn, test } from './support/fixtures'
import { OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, startOidcProvider, type TestProvider } from '../tests/support/oidc-provider'

let provider: TestProvider

test.beforeAll(async ({ baseURL }) => {
  provider = await startOidcProvider({
    redirectUris: [`${baseURL}/api/auth/oidc/callback`],
    accounts: { erin: { email: 'erin.sso@corp.test', email_verified: true, name: 'Erin Sso', groups: ['staff', 'tc-admins'] } },
  })
})

test.afterAll(async ({ playwright, baseURL }) => {
  const request = await playwright.request.newContext({ baseURL })
  try {
    const login = await request.post('/api/auth/login', { data: ADMIN, headers: { origin: baseURL! } })
    const { csrf_token } = await login.json() as { csrf_token: string }
    const off = await request.put('/api/identity/oidc', {
      data: { issuer: null, client_id: null, client_secret: null, role_claim: 'groups', role_map: {}, jit: true, default_role: 'developer', passwords_for_non_admins: true },
      headers: { origin: baseURL!, 'x-csrf-token': csrf_token },
    })
    expect(off.status(), await off.text()).toBe(200)
  } finally {
    await request.dispose()
    await provider?.close()
  }
})

test('an administrator sets up single sign-on; a new person signs in through the provider and is created with the mapped role', async ({ page }, testInfo) => {
  // The administrator fills the Identity page.
  await signIn(page, ADMIN.email, ADMIN.password)
  await page.getByRole('link', { name: 'Identity' }).click()
  await expect(page.getByRole('heading', { name: 'Identity', exact: true })).toBeVisible()
  await page.getByLabel('Issuer URL').fill(provider.issuer)
  await page.getByRole('button', { name: 'Test discovery' }).click()
  await expect(page.getByRole('status').filter({ hasText: `Discovered ${provider.issuer}` })).toContainText('PKCE S256 supported')
  await page.getByLabel('Client ID').fill(OIDC_CLIENT_ID)
  await page.getByLabel('Client secret').fill(OIDC_CLIENT_SECRET)
  await page.getByRole('button', { name: 'Add mapping' }).click()
  await page.getByLabel('Claim value 1', { exact: true }).fill('tc-admins')
  await page.getByLabel('Role for claim value 1', { exact: true }).selectOption('admin')
  await expectAccessible(page, testInfo, 'identity')
  await page.getByRole('button', { name: 'Save settings' }).click()
  await expect(page.getByText('Single sign-on settings saved')).toBeVisible()
  // The secret is never sent back: the field is empty and says one is stored.
  await page.reload()
  await expect(page.getByLabel('Client secret')).toHaveValue('')
  await expect(page.getByText('A secret is stored; it is never shown.')).toBeVisible()

  // Someone new, at the sign-in page: single sign-on is offered.
  await page.context().clearCookies()
  await page.goto('/sign-in')
  const sso = page.getByRole('link', { name: 'Sign in with single sign-on' })
  await expect(sso).toBeVisible()
  await expectAccessible(page, testInfo, 'sign-in-with-sso')
  await sso.click()

  // The provider's own sign-in page (its development login form: the login names the account).
  await page.waitForURL((u) => u.origin === provider.issuer)
  await page.locator('input[name="login"]').fill('erin')
  await page.locator('input[name="password"]').fill('anything')
  await page.getByRole('button', { name: 'Sign-in' }).click()

  // Back in the console, signed in as the person just created, an administrator by their group.
  await page.waitForURL((u) => u.pathname === '/tokens')
  await expect(page.getByText('erin.sso@corp.test').first()).toBeVisible()
  await page.getByRole('link', { name: 'Users' }).click()
  await page.getByRole('searchbox', { name: 'Search people by name or email' }).fill('erin.sso')
  const row = page.getByRole('row', { name: /erin\.sso@corp\.test/ })
  await expect(row).toContainText('Erin Sso')
  await expect(row).toContainText('SSO')
  await expect(row.getByRole('combobox', { name: 'Role of erin.sso@corp.test' })).toHaveValue('admin')
})

test('a refused single sign-on is explained on the sign-in page', async ({ page }) => {
  await page.goto('/sign-in?sso_error=disabled')
  await expect(page.getByRole('alert')).toHaveText('Your account is disabled. Ask an administrator.')
})
