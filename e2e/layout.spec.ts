// Layouts that hold: every page at 390 px has no sideways scroll and its primary action on screen;
// at 1440 and 1280 px times stay on one line and the sidebar reaches the bottom. Screenshots of every
// page at 1440 and 390 px, light and dark, go to test-results/screenshots/ for review.
import fs from 'node:fs'
import path from 'node:path'
import type { Browser, Locator, Page } from '@playwright/test'
import { ADMIN, expect, signIn, test, type AdminApi } from './support/fixtures'

const SHOTS = path.resolve('test-results/screenshots')

interface Seed { token: string; service: string }

async function seed(adminApi: AdminApi, baseURL: string): Promise<Seed> {
  const stamp = Date.now().toString(36)
  const dev = await adminApi.createUser('developer', baseURL)
  const token = (await adminApi.createToken(baseURL, { name: `layout-terraform-${stamp}`, description: 'Terraform CI/CD pipeline for the production tenant', expiration_days: 10 })).name
  for (let i = 0; i < 12; i++) await adminApi.createToken(baseURL, { name: `layout-bot-${i}-${stamp}`, owner_id: dev.id, expiration_days: 30 + i })
  const service = (await adminApi.createServiceCredential(baseURL, { name: `layout-svc-${stamp}`, scope: 'read_only', namespace_roles: [{ namespace: 'system', role: 'ves-io-power-developer' }] })).name
  return { token, service }
}

/** Each page, and the control a person came to it for. */
function pages(s: Seed): Array<{ name: string; path: string; ready: (p: Page) => Locator; primary: (p: Page) => Locator }> {
  return [
    { name: 'tokens', path: '/tokens', ready: (p) => p.getByRole('heading', { name: 'API Tokens', exact: true }), primary: (p) => p.getByRole('link', { name: 'Add API token' }) },
    { name: 'token-new', path: '/tokens/new', ready: (p) => p.getByRole('heading', { name: 'Add API token' }), primary: (p) => p.getByRole('button', { name: /Next/ }) },
    { name: 'token-detail', path: `/tokens/${s.token}`, ready: (p) => p.getByRole('heading', { name: s.token }), primary: (p) => p.getByRole('button', { name: 'Revoke', exact: true }) },
    { name: 'service-credentials', path: '/service-credentials', ready: (p) => p.getByRole('heading', { name: 'Service Credentials' }), primary: (p) => p.getByRole('link', { name: 'Add service credential' }) },
    { name: 'service-credential-new', path: '/service-credentials/new', ready: (p) => p.getByRole('heading', { name: 'Add service credential' }), primary: (p) => p.getByRole('button', { name: /Next/ }) },
    { name: 'service-credential-detail', path: `/service-credentials/${s.service}`, ready: (p) => p.getByRole('heading', { name: s.service }), primary: (p) => p.getByRole('button', { name: 'Revoke', exact: true }) },
    { name: 'rotation', path: '/rotation', ready: (p) => p.getByRole('heading', { name: 'Rotation planner' }), primary: (p) => p.getByRole('button', { name: `Rotate ${s.token}` }) },
    { name: 'users', path: '/users', ready: (p) => p.getByRole('heading', { name: 'Users' }), primary: (p) => p.getByRole('button', { name: 'Add user' }) },
    { name: 'inventory', path: '/inventory', ready: (p) => p.getByRole('heading', { name: 'Token inventory' }), primary: (p) => p.getByRole('link', { name: 'Export CSV' }) },
    { name: 'audit', path: '/audit', ready: (p) => p.getByRole('heading', { name: 'Audit log' }), primary: (p) => p.getByRole('link', { name: 'Export CSV' }) },
    { name: 'dashboard', path: '/dashboard', ready: (p) => p.getByRole('heading', { name: 'Dashboard' }), primary: (p) => p.getByText(/Token checks since/) },
    { name: 'policy', path: '/policy', ready: (p) => p.getByRole('heading', { name: 'Policy', exact: true }), primary: (p) => p.getByRole('button', { name: 'Preview changes (dry run)' }) },
    { name: 'notifications', path: '/notifications', ready: (p) => p.getByRole('heading', { name: 'Notifications', exact: true }), primary: (p) => p.getByRole('button', { name: 'Mark all read' }) },
    { name: 'webhooks', path: '/webhooks', ready: (p) => p.getByRole('heading', { name: 'Webhooks', exact: true }), primary: (p) => p.getByRole('button', { name: 'Add webhook' }).first() },
  ]
}

async function expectNoSidewaysScroll(page: Page, width: number, where: string) {
  const w = await page.evaluate(() => document.scrollingElement!.scrollWidth)
  expect(w, `${where}: page is ${w} px wide at ${width} px`).toBeLessThanOrEqual(width)
}

async function expectOnScreen(l: Locator, width: number, what: string) {
  await expect(l, what).toBeVisible()
  const box = (await l.boundingBox())!
  expect(box.x, `${what} starts on screen`).toBeGreaterThanOrEqual(0)
  expect(box.x + box.width, `${what} ends on screen`).toBeLessThanOrEqual(width)
}

async function signedIn(browser: Browser, baseURL: string, width: number, colorScheme: 'light' | 'dark') {
  const context = await browser.newContext({ baseURL, viewport: { width, height: width < 640 ? 844 : 900 }, colorScheme })
  const page = await context.newPage()
  await signIn(page, ADMIN.email, ADMIN.password)
  return { context, page }
}

test('every page at 390 px: no sideways scroll, primary action on screen, dialogs fit', async ({ browser, baseURL, adminApi }) => {
  const s = await seed(adminApi, baseURL!)
  const { context, page } = await signedIn(browser, baseURL!, 390, 'light')
  for (const p of pages(s)) {
    await page.goto(p.path)
    await expect(p.ready(page)).toBeVisible()
    await page.waitForLoadState('networkidle')
    await expectNoSidewaysScroll(page, 390, p.name)
    await expectOnScreen(p.primary(page), 390, `${p.name}: primary action`)
  }
  // A service credential says which of its scope and namespace role applies (both, narrowed).
  await page.goto(`/service-credentials/${s.service}`)
  await expect(page.getByText(/Both apply: the read-only scope narrows what the role \(developer rights\) allows/)).toBeVisible()
  // Users: each role select is a usable control with its value showing, and row actions are on screen.
  await page.goto('/users')
  const role = page.getByRole('combobox', { name: /^Role of / }).last()
  await expectOnScreen(role, 390, 'role select')
  expect((await role.boundingBox())!.width).toBeGreaterThan(150)
  await expectOnScreen(page.getByRole('button', { name: /^Disable / }).last(), 390, 'disable button')
  // The wizard's one-time reveal shows the whole token at 390 px.
  await page.goto('/tokens/new')
  await page.getByRole('textbox', { name: 'Name' }).fill(`narrow-reveal-${Date.now().toString(36)}`)
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: /Next/ }).click()
  await page.getByRole('button', { name: 'Create token' }).click()
  const field = page.getByTestId('revealed-token')
  await expect(field).toBeVisible()
  const fits = await field.evaluate((el) => el.scrollHeight <= el.clientHeight + 1 && el.scrollWidth <= el.clientWidth + 1)
  expect(fits, 'the token is not clipped').toBe(true)
  await expectNoSidewaysScroll(page, 390, 'reveal dialog')
  const dialog = (await page.getByRole('dialog').boundingBox())!
  expect(dialog.x + dialog.width).toBeLessThanOrEqual(390)
  await context.close()
})

test('at 1440 and 1280 px times stay on one line and the sidebar reaches the page bottom', async ({ browser, baseURL, adminApi }) => {
  await seed(adminApi, baseURL!)
  for (const width of [1440, 1280]) {
    const { context, page } = await signedIn(browser, baseURL!, width, 'light')
    for (const path of ['/tokens?view=all', '/inventory', '/service-credentials']) {
      await page.goto(path)
      await expect(page.getByRole('table')).toBeVisible()
      const lines = await page.locator('tbody td time').evaluateAll((els) => els.map((e) => e.getClientRects().length))
      expect(lines.length).toBeGreaterThan(0)
      expect(lines.filter((n) => n > 1), `${path} at ${width}: times wrapped`).toEqual([])
      await expectNoSidewaysScroll(page, width, path)
    }
    await page.goto('/inventory')
    await expect(page.getByRole('table')).toBeVisible()
    // The theme control says what it is, not just "System".
    await expect(page.getByRole('button', { name: /Colour scheme: system/ })).toHaveText('Colour scheme: system')
    const [aside, doc] = await page.evaluate(() => [document.getElementById('app-nav')!.getBoundingClientRect().height, document.scrollingElement!.scrollHeight])
    expect(aside, 'sidebar background reaches the bottom').toBeGreaterThanOrEqual(doc - 1)
    await context.close()
  }
})

test('screenshots of every page at 1440 and 390 px, light and dark', async ({ browser, baseURL, adminApi }) => {
  test.setTimeout(240_000)
  const s = await seed(adminApi, baseURL!)
  fs.mkdirSync(SHOTS, { recursive: true })
  const anon = await browser.newContext({ baseURL })
  for (const width of [1440, 390]) {
    for (const scheme of ['light', 'dark'] as const) {
      const signInPage = await (await browser.newContext({ baseURL, viewport: { width, height: 900 }, colorScheme: scheme })).newPage()
      await signInPage.goto('/sign-in')
      await expect(signInPage.getByRole('heading', { name: 'Sign in' })).toBeVisible()
      await signInPage.screenshot({ path: path.join(SHOTS, `sign-in-${width}-${scheme}.png`), fullPage: true })
      await signInPage.context().close()
      const { context, page } = await signedIn(browser, baseURL!, width, scheme)
      for (const p of pages(s)) {
        await page.goto(p.path)
        await expect(p.ready(page)).toBeVisible()
        await page.waitForLoadState('networkidle')
        await page.screenshot({ path: path.join(SHOTS, `${p.name}-${width}-${scheme}.png`), fullPage: true })
      }
      await context.close()
    }
  }
  await anon.close()
  expect(fs.readdirSync(SHOTS).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(48)
})
