// The wizard makes an API certificate or a kubeconfig as well as a token. The one-time
// reveal offers each as a file download; after it closes the secret (and a certificate's password)
// is nowhere in the page, the URL, history state or browser storage.
import fs from 'node:fs'
import forge from 'node-forge'
import type { Locator, Page } from '@playwright/test'
import { expect, expectAccessible, PASSWORD, screenshot, signIn, test } from './support/fixtures'

const P12_PASSWORD = 'e2e-p12-Passw0rd!'

/** The reveal is open and the wizard's Create button behind it has finished turning from pending back to enabled. */
async function revealSettled(page: Page, dialog: Locator) {
  await expect(dialog.getByText(/never be shown again/)).toBeVisible()
  await expect(page.locator('form button[type=submit]')).toBeEnabled()
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'))
}

/** Nothing of any value in the page's storage, history state or URL. */
async function expectNowhere(page: Page, values: string[]) {
  const stored = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, history.state]))
  for (const v of values) {
    expect(stored).not.toContain(v)
    expect(page.url()).not.toContain(encodeURIComponent(v))
  }
}

test('a developer creates an API certificate and downloads it once as a PKCS#12 file', async ({ page, adminApi, baseURL }, testInfo) => {
  const dev = await adminApi.createUser('developer', baseURL!)
  await signIn(page, dev.email, PASSWORD)
  await page.getByRole('link', { name: 'Add API token' }).click()

  const type = page.getByRole('group', { name: 'Type' })
  await expect(type.getByRole('radio', { name: /API token/ })).toBeChecked()
  await type.getByRole('radio', { name: /API certificate \(P12\)/ }).check()
  await page.getByLabel('Name', { exact: true }).fill('laptop-mtls-cert')
  await page.getByLabel('P12 password').fill(P12_PASSWORD)
  await page.getByLabel('Confirm the password').fill(`${P12_PASSWORD}-typo`)
  await page.getByRole('button', { name: 'Next' }).click()
  await expect(page.getByText('The passwords do not match')).toBeVisible()
  await screenshot(page, testInfo, 'certificate-details')
  await page.getByLabel('Confirm the password').fill(P12_PASSWORD)
  await page.getByRole('button', { name: 'Next' }).click()
  await expect(page.getByRole('heading', { name: 'Scope' })).toBeVisible()
  await page.getByRole('button', { name: 'Next' }).click()
  await page.getByRole('button', { name: 'Next' }).click()
  await expect(page.getByRole('definition').filter({ hasText: 'API certificate (P12)' })).toBeVisible()
  expect(await page.content()).not.toContain(P12_PASSWORD)
  await page.getByRole('button', { name: 'Create certificate' }).click()

  const dialog = page.getByRole('dialog', { name: 'Your new API certificate' })
  await expect(dialog.getByText(/protected by the password you chose/)).toBeVisible()
  await revealSettled(page, dialog)
  await expectAccessible(page, testInfo, 'certificate-reveal')
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Download laptop-mtls-cert.p12' }).click(),
  ])
  expect(download.suggestedFilename()).toBe('laptop-mtls-cert.p12')
  const bytes = fs.readFileSync((await download.path())!)

  // The file is a PKCS#12 bundle that opens with the password: the key and the certificate for this developer.
  const asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString('binary')))
  expect(() => forge.pkcs12.pkcs12FromAsn1(asn1, 'not-the-password')).toThrow()
  const p12 = forge.pkcs12.pkcs12FromAsn1(asn1, P12_PASSWORD)
  const certs = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? []
  const keys = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? []
  expect(keys).toHaveLength(1)
  expect(certs.map((b) => b.cert?.subject.getField('CN')?.value)).toContain(dev.email)

  const secret = bytes.toString('base64')
  await expectNowhere(page, [secret.slice(0, 64), P12_PASSWORD])
  await dialog.getByLabel('I have stored this certificate').check()
  await dialog.getByRole('button', { name: 'Done' }).click()
  await expect(page).toHaveURL(/\/tokens\/laptop-mtls-cert$/)
  await expect(page.getByRole('heading', { name: 'laptop-mtls-cert' })).toBeVisible()
  expect(await page.content()).not.toContain(secret.slice(0, 64))
  expect(await page.content()).not.toContain(P12_PASSWORD)
  await expectNowhere(page, [secret.slice(0, 64), P12_PASSWORD])
})

test('a developer creates a kubeconfig for the tenant cluster, as a file and as YAML', async ({ page, context, adminApi, baseURL }, testInfo) => {
  const dev = await adminApi.createUser('developer', baseURL!)
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL })
  await signIn(page, dev.email, PASSWORD)
  await page.getByRole('link', { name: 'Add API token' }).click()

  // scripts/e2e-server.mjs sets KUBE_API_SERVER and KUBE_CA_FILE, so the server offers kubeconfigs.
  await page.getByRole('group', { name: 'Type' }).getByRole('radio', { name: /Kubeconfig/ }).check()
  await expect(page.getByLabel('Description (optional)')).toHaveCount(0)
  await page.getByLabel('Name', { exact: true }).fill('dev-cluster-kubeconfig')
  await page.getByLabel('Cluster namespace (optional)').fill('team-a')
  await page.getByRole('button', { name: 'Next' }).click()
  // No scope step: the cluster's RBAC decides what the kubeconfig may do.
  await expect(page.getByRole('heading', { name: 'Expiry' })).toBeVisible()
  await page.getByRole('button', { name: 'Next' }).click()
  await expect(page.getByRole('definition').filter({ hasText: /^Kubeconfig$/ })).toBeVisible()
  await page.getByRole('button', { name: 'Create kubeconfig' }).click()

  const dialog = page.getByRole('dialog', { name: 'Your new kubeconfig' })
  await revealSettled(page, dialog)
  await expectAccessible(page, testInfo, 'kubeconfig-reveal')
  await screenshot(page, testInfo, 'kubeconfig-reveal')
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Download dev-cluster-kubeconfig.kubeconfig' }).click(),
  ])
  expect(download.suggestedFilename()).toBe('dev-cluster-kubeconfig.kubeconfig')
  const yaml = fs.readFileSync((await download.path())!, 'utf8')
  expect(yaml).toContain('server: "https://127.0.0.1:6443"')
  expect(yaml).toContain('namespace: "team-a"')
  const certData = yaml.match(/client-certificate-data: (\S+)/)?.[1]
  expect(certData).toBeTruthy()
  const leaf = forge.pki.certificateFromPem(Buffer.from(certData!, 'base64').toString('utf8'))
  expect(leaf.subject.getField('CN').value).toBe(dev.email)
  expect(yaml).toMatch(/client-key-data: \S+/)

  // Long base64 lines scroll inside the YAML field: the dialog still fits a 390 px phone.
  await page.setViewportSize({ width: 390, height: 800 })
  expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(390)
  const box = (await dialog.boundingBox())!
  expect(box.x).toBeGreaterThanOrEqual(0)
  expect(box.x + box.width).toBeLessThanOrEqual(390)
  await page.setViewportSize({ width: 1280, height: 800 })

  // The same YAML is there to copy.
  await expect(dialog.getByRole('textbox', { name: 'Kubeconfig' })).toHaveValue(yaml)
  await dialog.getByRole('button', { name: 'Copy kubeconfig' }).click()
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(yaml)

  const key = yaml.match(/client-key-data: (\S+)/)![1]
  await expectNowhere(page, [key.slice(0, 64), certData!.slice(0, 64)])
  await dialog.getByLabel('I have stored this kubeconfig').check()
  await dialog.getByRole('button', { name: 'Done' }).click()
  await expect(page).toHaveURL(/\/tokens\/dev-cluster-kubeconfig$/)
  await expect(page.getByRole('heading', { name: 'dev-cluster-kubeconfig' })).toBeVisible()
  expect(await page.content()).not.toContain(key.slice(0, 64))
  await expectNowhere(page, [key.slice(0, 64)])
})
