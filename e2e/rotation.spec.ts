// The planner lists tokens expiring in 10 days. Rotate confirms the overlap; by default the token keeps
// its name and gets a new secret (revealed once), so it leaves the planner with its new expiry. Rotated
// to a new name, the old one stays listed as replaced until it is revoked.
import Database from 'better-sqlite3'
import { ADMIN, AdminApi, E2E_DB_FILE, expect, expectAccessible, PASSWORD, screenshot, signIn, test } from './support/fixtures'

test('planner lists a token expiring in 10 days and rotates it', async ({ page, adminApi, baseURL }, testInfo) => {
  const name = `deploy-bot-${Date.now()}`
  const legacy = `legacy-bot-${Date.now()}`
  await adminApi.createToken(baseURL!, { name, expiration_days: 10, scope: 'read_only', description: 'deploys' })
  await adminApi.createToken(baseURL!, { name: legacy, expiration_days: 10, scope: 'read_only' })
  await adminApi.createToken(baseURL!, { name: `far-future-${Date.now()}`, expiration_days: 200 })

  await signIn(page, ADMIN.email, ADMIN.password)
  await page.getByRole('link', { name: 'Rotation planner' }).click()
  await expect(page.getByRole('heading', { name: /Expires within 14 days/ })).toBeVisible()
  await expect(page.getByRole('link', { name })).toBeVisible()
  await expect(page.getByRole('link', { name: /far-future/ })).toHaveCount(0)
  await expectAccessible(page, testInfo, 'rotation')
  await screenshot(page, testInfo, 'rotation')

  const download = page.waitForEvent('download')
  await page.getByRole('button', { name: `Download a calendar reminder for ${name}` }).click()
  const ics = await (await download).path()
  const text = (await import('node:fs')).readFileSync(ics!, 'utf8')
  expect(text).toContain('BEGIN:VCALENDAR')
  expect(text).toContain(`SUMMARY:Rotate API token ${name}`)

  // The planner rotates server-side, after a confirmation that names the overlap.
  await page.getByRole('button', { name: `Rotate ${name}` }).click()
  const confirm1 = page.getByRole('dialog', { name: `Rotate ${name}?` })
  await expect(confirm1.getByRole('radio', { name: 'Keep the name, issue a new secret' })).toBeChecked()
  await expect(confirm1.getByTestId('rotate-summary')).toContainText(`${name} keeps its name, history and usage and gets a new secret`)
  await expect(confirm1.getByTestId('rotate-summary')).toContainText('keeps working for 24 hours')
  // Without the early cut-over: this token has had no caller, so "every caller has switched" would be
  // true at once and the cut-over job (every 10 s) could end the previous secret before the page is read.
  await confirm1.getByLabel('End the previous secret as soon as every caller has switched').uncheck()
  await expect(confirm1.getByTestId('rotate-summary')).not.toContainText('as soon as every caller')
  await confirm1.getByRole('button', { name: 'Rotate with 24 hours overlap' }).click()
  const reveal = page.getByRole('dialog', { name: `New secret for ${name}` })
  await expect(reveal.getByTestId('revealed-token')).toHaveValue(/_/)
  await reveal.getByLabel('I have stored this token').check()
  await reveal.getByRole('button', { name: 'Done' }).click()
  // The new secret gets the policy's default lifetime (90 days), so the token leaves the planner.
  await expect(page.getByRole('link', { name, exact: true })).toHaveCount(0)

  // Same name, same scope; the token page says until when the previous secret still works.
  await page.goto(`/tokens/${name}`)
  await expect(page.getByText('Read-only')).toBeVisible()
  await expect(page.getByTestId('rotation-state')).toContainText('Previous secret')
  await expect(page.getByTestId('rotation-state')).toContainText('valid until')

  // Rotating to a new name stays an option: a successor, and the old token listed as replaced.
  await page.goto('/rotation')
  await page.getByRole('button', { name: `Rotate ${legacy}` }).click()
  const confirm2 = page.getByRole('dialog', { name: `Rotate ${legacy}?` })
  await confirm2.getByRole('radio', { name: 'Rotate to a new name' }).check()
  await expect(confirm2.getByLabel(/New name/)).toHaveValue(`${legacy}-r2`)
  await confirm2.getByLabel('End the old token as soon as every caller has switched').uncheck()
  await confirm2.getByRole('button', { name: 'Rotate with 24 hours overlap' }).click()
  const reveal2 = page.getByRole('dialog', { name: `Replacement for ${legacy}` })
  await expect(reveal2.getByText(`${legacy}-r2`).first()).toBeVisible()
  await reveal2.getByLabel('I have stored this token').check()
  await reveal2.getByRole('button', { name: 'Done' }).click()
  await expect(page.getByText(`Replaced by ${legacy}-r2, revoke when callers have switched`)).toBeVisible()

  await page.getByRole('button', { name: `Revoke ${legacy}` }).click()
  // Revoking cannot be undone by its owner, so the planner asks first.
  const confirm = page.getByRole('dialog', { name: `Revoke ${legacy}?` })
  await expect(confirm).toContainText('This cannot be undone')
  await confirm.getByRole('button', { name: 'Revoke token' }).click()
  await expect(page.getByText(`Replaced by ${legacy}-r2`)).toHaveCount(0)
})

// The planner's groups are counted and paged on the server; the console shows each group's
// count and pages within a group, most urgent first.
test('planner counts each group and pages within one', async ({ page, adminApi, baseURL }) => {
  const stamp = Date.now().toString(36)
  const names: string[] = []
  for (let i = 0; i < 22; i++) names.push((await adminApi.createToken(baseURL!, { name: `soon-${String(i).padStart(2, '0')}-${stamp}`, expiration_days: 5 })).name)

  await signIn(page, ADMIN.email, ADMIN.password)
  await page.goto('/rotation')
  const heading = page.getByRole('heading', { name: /^Expires within 7 days \([\d,]+\)$/ })
  await expect(heading).toBeVisible()
  const count = Number(/\(([\d,]+)\)/.exec((await heading.textContent())!)![1].replace(/,/g, ''))
  expect(count).toBeGreaterThanOrEqual(22)
  await expect(page.getByTestId('planner-counts')).toContainText(`Expires within 7 days: ${count.toLocaleString('en-US')}`)

  const group = page.locator('section').filter({ has: heading })
  await expect(group.getByText(`1–20 of ${count}`)).toBeVisible()
  await expect(group.getByRole('link', { name: names[0] })).toBeVisible()
  await expect(group.getByRole('link', { name: names[21] })).toHaveCount(0)
  await group.getByRole('button', { name: 'Less urgent' }).click()
  await expect(group.getByText(`21–${Math.min(40, count)} of ${count}`)).toBeVisible()
  await expect(group.getByRole('link', { name: names[21] })).toBeVisible()
  await expect(group.getByRole('link', { name: names[0] })).toHaveCount(0)
  await group.getByRole('button', { name: 'More urgent' }).click()
  await expect(group.getByRole('link', { name: names[0] })).toBeVisible()
})

test('a developer revokes all their expired tokens from the planner, with progress, and nobody else\'s', async ({ page, adminApi, baseURL, playwright }, testInfo) => {
  const dev = await adminApi.createUser('developer', baseURL!)
  const request = await playwright.request.newContext({ baseURL })
  const devApi = await AdminApi.signIn(request, baseURL!, { email: dev.email, password: PASSWORD })
  const stamp = Date.now().toString(36)
  const mine: string[] = []
  for (let i = 0; i < 3; i++) mine.push((await devApi.createToken(baseURL!, { name: `old-${i}-${stamp}`, expiration_days: 30 })).name)
  await request.dispose()
  const others = (await adminApi.createToken(baseURL!, { name: `admins-old-${stamp}`, expiration_days: 30 })).name
  const db = new Database(E2E_DB_FILE)
  const revokedAt = (name: string) => (db.prepare('SELECT revoked_at FROM credentials WHERE name = ?').get(name) as { revoked_at: number | null }).revoked_at
  try {
    db.prepare(`UPDATE credentials SET expires_at = ? WHERE name IN (${[...mine, others].map(() => '?').join(',')})`).run(Date.now() - 60_000, ...mine, others)

    await signIn(page, dev.email, PASSWORD)
    await page.goto('/rotation')
    const heading = page.getByRole('heading', { name: 'Expired (3)' })
    await expect(heading).toBeVisible()
    const group = page.locator('section').filter({ has: heading })
    await group.getByRole('button', { name: 'Revoke all expired…' }).click()
    // The preview: count and owners, the first names, who can undo it, and the whole set as CSV.
    const confirm = page.getByRole('dialog', { name: 'Revoke 3 expired tokens of 1 owner?' })
    await expect(confirm).toContainText('batches of 200')
    // The dialog opens on the field where the count is typed (before anything else in it is clicked).
    const typed = confirm.getByRole('textbox', { name: /Type the number of tokens/ })
    await expect(typed).toBeFocused()
    for (const n of mine) await expect(confirm.getByRole('list', { name: 'First tokens to be revoked' })).toContainText(n)
    await expect(confirm.getByRole('note')).toContainText('Who can undo this')
    const [download] = await Promise.all([page.waitForEvent('download'), confirm.getByRole('link', { name: /Download the list \(3, CSV\)/ }).click()])
    const csv = await (await import('node:fs/promises')).readFile((await download.path())!, 'utf8')
    const lines = csv.trimEnd().split('\r\n')
    expect(lines[0]).toBe('name,type,owner_email,expiry_timestamp')
    expect(lines.length - 1).toBe(3)
    // Typed count: the action waits for the right number.
    await typed.fill('2')
    await expect(confirm.getByRole('button', { name: 'Revoke 3' })).toBeDisabled()
    await typed.fill('3')
    await confirm.getByRole('button', { name: 'Revoke 3' }).click()
    await expect(page.getByTestId('bulk-revoke-job')).toContainText('Done: 3 revoked')
    await expect(page.getByRole('progressbar', { name: 'Personal tokens: expired revoked' })).toHaveAttribute('aria-valuenow', '3')
    await expectAccessible(page, testInfo, 'rotation-revoke-expired')
    // The planner is read again: nothing expired is left of this developer's.
    await expect(page.getByRole('heading', { name: /^Expired \(/ })).toHaveCount(0)
    for (const n of mine) expect(revokedAt(n)).not.toBeNull()
    expect(revokedAt(others)).toBeNull()
  } finally {
    db.close()
  }
})
