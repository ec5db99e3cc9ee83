// The UX review's rows, each as a person meets it in the browser against the real server.
import fs from 'node:fs'
import zlib from 'node:zlib'
import { ADMIN, expect, PASSWORD, signIn, test } from './support/fixtures'

/** A well-formed token (prefix, base62, CRC32 checksum) that was never issued: an "unknown" check. */
function unissuedToken(): string {
  const A = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
  const body = `tcp_${Array.from({ length: 30 }, () => A[Math.floor(Math.random() * 62)]).join('')}`
  let n = zlib.crc32(body) >>> 0
  let sum = ''
  for (let i = 0; i < 6; i++) { sum = A[n % 62] + sum; n = Math.floor(n / 62) }
  return body + sum
}

const uid = () => Date.now().toString(36) + Math.random().toString(36).slice(2, 5)

test('audit log: filters apply on Enter and match the export; a service credential link finds its page; a row opens exact times', async ({ page, adminApi, baseURL }) => {
  const svc = await adminApi.createServiceCredential(baseURL!, { name: `audit-svc-${uid()}` })
  await adminApi.revoke(baseURL!, 'service_credentials', svc.name)
  const dev = await adminApi.createUser('developer', baseURL!)
  await signIn(page, ADMIN.email, ADMIN.password)
  await page.goto('/audit')
  await page.getByLabel('Actor email').fill(dev.email)
  await page.getByLabel('Actor email').press('Enter')
  await expect(page).toHaveURL(new RegExp(`actor=${encodeURIComponent(dev.email).replace(/\./g, '\\.')}`))
  await expect(page.getByRole('link', { name: 'Export CSV' })).toHaveAttribute('href', new RegExp(`actor=${encodeURIComponent(dev.email)}`))
  // The developer never acted, so nothing matches: the table agrees with the filter.
  await expect(page.getByText('No events match')).toBeVisible()

  await page.getByLabel('Actor email').fill('')
  await page.getByLabel('Token name').fill(svc.name)
  await page.getByLabel('Token name').press('Enter')
  const revokeRow = page.getByRole('row', { name: /credential\.revoke/ })
  await expect(revokeRow).toHaveCount(1)
  await revokeRow.getByRole('button', { name: /Details of event/ }).click()
  const dialog = page.getByRole('dialog')
  await expect(dialog.getByText(/\d{2}:\d{2}:\d{2}\.\d{3}/).first()).toBeVisible()
  await expect(dialog.getByText(/Z$/).first()).toBeVisible()
  await dialog.getByRole('button', { name: 'Close' }).click()
  await revokeRow.getByRole('link', { name: svc.name }).click()
  await expect(page).toHaveURL(new RegExp(`/service-credentials/${svc.name}$`))
  await expect(page.getByRole('heading', { name: svc.name })).toBeVisible()
})

test('users: a role change asks first and names the consequence', async ({ page, adminApi, baseURL }) => {
  const dev = await adminApi.createUser('developer', baseURL!)
  await signIn(page, ADMIN.email, ADMIN.password)
  await page.goto(`/users?q=${encodeURIComponent(dev.email)}`)
  const select = page.getByRole('combobox', { name: `Role of ${dev.email}` })
  await select.selectOption('admin')
  const dialog = page.getByRole('dialog', { name: `Make ${dev.email} administrator?` })
  await expect(dialog).toContainText('every right in the tenant')
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await expect(select).toHaveValue('developer')
  expect((await adminApi.get<{ items: Array<{ email: string; role: string }> }>(`/api/users?q=${encodeURIComponent(dev.email)}`)).items.find((u) => u.email === dev.email)!.role).toBe('developer')
  await select.selectOption('auditor')
  await page.getByRole('dialog').getByRole('button', { name: 'Make auditor' }).click()
  await expect(select).toHaveValue('auditor')
})

test('test a token: names a different token and does not count as a use', async ({ page, adminApi, baseURL }) => {
  const a = await adminApi.createToken(baseURL!, { name: `tested-a-${uid()}` })
  const b = await adminApi.createToken(baseURL!, { name: `tested-b-${uid()}` })
  await signIn(page, ADMIN.email, ADMIN.password)
  await page.goto(`/tokens/${a.name}`)
  await page.getByLabel('Token to test').fill(b.data)
  await page.getByRole('button', { name: 'Test token' }).click()
  await expect(page.getByText(`Valid, but a different token: this is ${b.name}, not ${a.name}.`)).toBeVisible()
  await expect(page.getByText(/Owner: admin@example\.com/)).toBeVisible()
  await page.getByLabel('Token to test').fill(a.data)
  await page.getByRole('button', { name: 'Test token' }).click()
  await expect(page.getByText(`Valid: this is this page’s token ${a.name}.`)).toBeVisible()
  // Uses are flushed every 300 ms in the e2e server; well after that, neither token was used.
  await page.waitForTimeout(1200)
  for (const t of [a, b]) {
    const c = await adminApi.get<{ last_used_timestamp: string | null }>(`/api/web/namespaces/system/api_credentials/${t.name}`)
    expect(c.last_used_timestamp, `${t.name} has no recorded use`).toBeNull()
  }
})

test('token detail: created by, an audited description edit, and a re-activation that asks first', async ({ page, adminApi, baseURL }) => {
  const dev = await adminApi.createUser('developer', baseURL!)
  const t = await adminApi.createToken(baseURL!, { name: `made-for-dev-${uid()}`, owner_id: dev.id, description: 'first words' })
  await signIn(page, ADMIN.email, ADMIN.password)
  await page.goto(`/tokens/${t.name}`)
  await expect(page.getByRole('definition').filter({ hasText: /^admin@example\.com$/ })).toBeVisible()
  await expect(page.getByRole('definition').filter({ hasText: dev.email })).toBeVisible()
  await page.getByRole('button', { name: 'Edit description' }).click()
  await page.getByRole('textbox', { name: 'Description' }).fill('nightly export to the data lake')
  await page.getByRole('button', { name: 'Save description' }).click()
  await expect(page.getByText('nightly export to the data lake')).toBeVisible()
  const audit = await adminApi.get<{ items: Array<{ action: string; details: Record<string, unknown> }> }>(`/api/audit?credential=${t.name}&action=credential.update`)
  expect(audit.items[0].details).toMatchObject({ from: 'first words', to: 'nightly export to the data lake' })

  await adminApi.revoke(baseURL!, 'api_credentials', t.name)
  await page.reload()
  // Revoke is final by default; only a policy that allows it offers re-activation.
  await expect(page.getByText('Revoked for good')).toBeVisible()
  await expect(page.getByRole('button', { name: 'Re-activate' })).toHaveCount(0)
  await adminApi.setPolicy(baseURL!, { allow_reactivation: true })
  await page.reload()
  await page.getByRole('button', { name: 'Re-activate' }).click()
  await expect(page.getByRole('dialog')).toContainText('anyone who still holds its value')
  await expect(page.getByRole('button', { name: 'Re-activate token' })).toBeDisabled()
  await page.getByRole('button', { name: 'Cancel' }).click()
  await expect(page.getByRole('button', { name: 'Re-activate' })).toBeVisible()
  await adminApi.setPolicy(baseURL!, { allow_reactivation: false })
})

test('tokens and inventory: bulk revoke names the count; inventory exports the filtered set as CSV with the formula guard', async ({ page, adminApi, baseURL }) => {
  const tag = uid()
  const names = [0, 1].map((i) => `bulk-${i}-${tag}`)
  for (const n of names) await adminApi.createToken(baseURL!, { name: n })
  await adminApi.createToken(baseURL!, { name: `csv-guard-${tag}`, description: '=HYPERLINK("http://evil.example")' })
  await signIn(page, ADMIN.email, ADMIN.password)
  await page.goto(`/tokens?q=bulk-`)
  await page.getByRole('searchbox', { name: 'Search by name or description' }).fill(`bulk-`)
  for (const n of names) await page.getByRole('checkbox', { name: `Select ${n}` }).check()
  await page.getByRole('button', { name: 'Revoke 2 tokens' }).click()
  const dialog = page.getByRole('dialog', { name: 'Revoke 2 tokens?' })
  await expect(dialog).toContainText(names[0])
  // The count is typed to confirm, and the dialog opens on that field.
  const typed = dialog.getByRole('textbox', { name: /Type the number of tokens/ })
  await expect(typed).toBeFocused()
  await expect(dialog.getByRole('button', { name: 'Revoke 2 tokens' })).toBeDisabled()
  await typed.fill('2')
  await dialog.getByRole('button', { name: 'Revoke 2 tokens' }).click()
  for (const n of names) await expect(page.getByRole('row', { name: new RegExp(n) })).toContainText('Revoked')

  await page.goto('/inventory')
  await page.getByLabel('Sort by').selectOption('last_used:asc')
  await expect(page).toHaveURL(/sort=last_used&order=asc/)
  await page.getByRole('searchbox', { name: 'Search by name or description' }).fill(tag)
  await expect(page.getByRole('row')).toHaveCount(4)
  const download = page.waitForEvent('download')
  await page.getByRole('link', { name: 'Export CSV' }).click()
  const csv = fs.readFileSync(await (await download).path(), 'utf8')
  const lines = csv.trim().split(/\r\n/)
  expect(lines[0]).toBe('name,type,owner_email,owner_kind,status,scope,created,last_used,expires,description')
  expect(lines).toHaveLength(4)
  expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"")"`)
})

test('developer: the name check never answers 403, and an admin page says it is not for this role', async ({ page, adminApi, baseURL }) => {
  const dev = await adminApi.createUser('developer', baseURL!)
  await signIn(page, dev.email, PASSWORD)
  const refused: string[] = []
  page.on('response', (r) => { if (r.status() === 403) refused.push(r.url()) })
  await page.goto('/tokens/new')
  await page.getByRole('textbox', { name: 'Name' }).pressSequentially('my-new-token', { delay: 30 })
  await expect(page.getByText('This name is available.')).toBeVisible()
  expect(refused).toEqual([])
  for (const path of ['/service-credentials', '/users', '/inventory', '/dashboard']) {
    await page.goto(path)
    await expect(page.getByRole('heading', { name: 'Not available to your role' })).toBeVisible()
    await expect(page.getByRole('button', { name: 'Try again' })).toHaveCount(0)
  }
})

test('dashboard: refused checks by reason agree with /metrics, and charts are dated', async ({ page, adminApi, baseURL, playwright }) => {
  const t = await adminApi.createToken(baseURL!, { name: `dash-${uid()}` })
  await adminApi.revoke(baseURL!, 'api_credentials', t.name)
  const api = await playwright.request.newContext({ baseURL })
  const unknown = unissuedToken()
  for (const token of [t.data, unknown, 'garbage']) await api.get('/api/verify', { headers: { authorization: `Bearer ${token}` } })
  await api.dispose()
  await signIn(page, ADMIN.email, ADMIN.password)
  await page.goto('/dashboard')
  await expect(page.getByText(/Token checks since/)).toBeVisible()
  const metrics = await adminApi.text('/metrics')
  const count = (o: string) => Number(new RegExp(`tc_token_validations_total\\{outcome="${o}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0)
  for (const o of ['unknown', 'malformed', 'revoked']) {
    expect(count(o), `${o} counted`).toBeGreaterThan(0)
    await expect(page.getByTestId(`refused-${o}`)).toHaveText(count(o).toLocaleString('en-US'))
  }
  await expect(page.getByTestId('x-axis').first()).toHaveText(/\d/)
})
