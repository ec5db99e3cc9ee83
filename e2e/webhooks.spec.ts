// An administrator adds a webhook pointing at a receiver this test runs (127.0.0.1, random port),
// copies its signing secret, sends a test and sees it delivered; the receiver checks the signature
// with the copied secret. The page holds at 390 px and passes axe; deleting asks first.
import crypto from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { ADMIN, expect, expectAccessible, screenshot, signIn, test } from './support/fixtures'

interface Hit { body: string; timestamp: string; signature: string; event: string }

test('admin adds a webhook, copies the secret, sends a test and sees it delivered', async ({ page, context, baseURL }, testInfo) => {
  const hits: Hit[] = []
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      hits.push({
        body: Buffer.concat(chunks).toString('utf8'), timestamp: String(req.headers['x-token-console-timestamp']),
        signature: String(req.headers['x-token-console-signature']), event: String(req.headers['x-token-console-event']),
      })
      res.statusCode = 200
      res.end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/e2e-hook`
  try {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL })
    await signIn(page, ADMIN.email, ADMIN.password)
    await page.getByRole('link', { name: 'Webhooks' }).click()
    await expect(page.getByRole('heading', { name: 'Webhooks', exact: true })).toBeVisible()
    await expectAccessible(page, testInfo, 'webhooks-list')

    await page.getByRole('button', { name: 'Add webhook' }).first().click()
    const add = page.getByRole('dialog', { name: 'Add webhook' })
    await add.getByLabel('Payload URL').fill('ftp://example.com/x')
    await add.getByRole('button', { name: 'Add webhook' }).click()
    await expect(add.getByText('Enter an http:// or https:// URL without a user name or password in it')).toBeVisible()
    await add.getByLabel('Payload URL').fill(url)
    await add.getByLabel('Description').fill('E2E receiver')
    await expect(add.getByRole('checkbox', { name: /Expiry notices/ })).toBeChecked()
    await expectAccessible(page, testInfo, 'webhook-add')
    await add.getByRole('button', { name: 'Add webhook' }).click()

    const reveal = page.getByRole('dialog', { name: 'Your webhook signing secret' })
    await expect(reveal.getByText('It will never be shown again')).toBeVisible()
    await expectAccessible(page, testInfo, 'webhook-secret')
    await screenshot(page, testInfo, 'webhook-secret')
    await reveal.getByRole('button', { name: 'Copy signing secret' }).click()
    await expect(reveal.getByText('Copied to the clipboard.')).toBeVisible()
    const secret = await page.evaluate(() => navigator.clipboard.readText())
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/)
    await expect(reveal.getByRole('button', { name: 'Done' })).toBeDisabled()
    await reveal.getByLabel('I have stored this secret').check()
    await reveal.getByRole('button', { name: 'Done' }).click()
    await expect(reveal).toBeHidden()
    // Gone from the page once the dialog closes.
    expect(await page.content()).not.toContain(secret)

    const card = page.locator('section').filter({ hasText: url })
    await card.getByRole('button', { name: 'Send test' }).click()
    await expect(card.getByText('Test delivered: the receiver answered 200.')).toBeVisible()
    const row = card.getByTestId('delivery-row').first()
    await expect(row).toContainText('webhook.test')
    await expect(row).toContainText('delivered 200')
    await expectAccessible(page, testInfo, 'webhook-log')
    await screenshot(page, testInfo, 'webhook-log-1440')

    expect(hits).toHaveLength(1)
    const hit = hits[0]!
    expect(hit.event).toBe('webhook.test')
    const expected = `sha256=${crypto.createHmac('sha256', secret).update(`${hit.timestamp}.${hit.body}`).digest('hex')}`
    expect(hit.signature).toBe(expected)
    expect(Math.abs(Date.now() / 1000 - Number(hit.timestamp))).toBeLessThan(300)

    await page.setViewportSize({ width: 390, height: 844 })
    const width = await page.evaluate(() => document.scrollingElement!.scrollWidth)
    expect(width, 'no sideways scroll at 390 px').toBeLessThanOrEqual(390)
    await expect(card.getByRole('button', { name: 'Send test' })).toBeInViewport()
    await expectAccessible(page, testInfo, 'webhook-log-390')
    await screenshot(page, testInfo, 'webhook-log-390')
    await page.setViewportSize({ width: 1440, height: 900 })

    await card.getByRole('button', { name: 'Disable' }).click()
    await expect(card.getByText('Disabled', { exact: true })).toBeVisible()
    await card.getByRole('button', { name: 'Delete' }).click()
    const confirm = page.getByRole('dialog', { name: 'Delete this webhook?' })
    await expectAccessible(page, testInfo, 'webhook-delete')
    await confirm.getByRole('button', { name: 'Delete webhook' }).click()
    await expect(page.getByText(url)).toHaveCount(0)
    expect(hits).toHaveLength(1)
  } finally {
    await new Promise<void>((resolve) => receiver.close(() => resolve()))
  }
})
