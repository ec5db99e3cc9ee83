// The console works under a CSP with no 'unsafe-inline'. Radix's scroll lock and sonner's
// toasts add <style> elements; the page's nonce and sonner's hash must let them through, so no
// securitypolicyviolation fires anywhere in a journey that loads the app and opens a dialog.
import { expect, signIn, test } from './support/fixtures'

test('the console raises no CSP violation with dialogs and toasts on screen', async ({ page, adminApi, baseURL }) => {
  const violations: string[] = []
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] }
    w.__csp = []
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`))
  })
  page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) violations.push(m.text()) })

  const response = await page.goto('/')
  const csp = response!.headers()['content-security-policy']
  expect(csp).toMatch(/style-src 'self' 'nonce-[^']+'/)
  expect(csp).not.toContain('unsafe-inline')

  const dev = await adminApi.createUser('developer', baseURL!)
  await signIn(page, dev.email, 'e2e-user-password-1')
  // A Radix dialog: its scroll lock writes a <style> with the nonce.
  await page.getByRole('button', { name: /change password/i }).click()
  await expect(page.getByRole('dialog')).toBeVisible()
  const locked = await page.evaluate(() => [...document.querySelectorAll('style[nonce]')].length)
  expect(locked).toBeGreaterThan(0)
  await page.keyboard.press('Escape')
  // sonner's stylesheet is in the page and applied (blocked inline styles never get rules).
  const sonnerRules = await page.evaluate(() => [...document.querySelectorAll('style')]
    .filter((s) => s.textContent?.includes('data-sonner-toaster'))
    .reduce((n, s) => n + (s.sheet?.cssRules.length ?? 0), 0))
  expect(sonnerRules).toBeGreaterThan(0)

  violations.push(...await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp))
  expect(violations).toEqual([])
})
