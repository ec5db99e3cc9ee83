// With a 1-minute re-authentication window, a developer whose sign-in is older
// fills the create wizard, is asked for the password on submit, and gets the token they described;
// cancelling the prompt on renew leaves a clear message in the renew dialog and nothing renewed.
import Database from 'better-sqlite3'
import { expect, expectAccessible, PASSWORD, signIn, test, E2E_DB_FILE } from './support/fixtures'

// The e2e server's SQLite file (scripts/e2e-server.mjs, server/db/connection.ts).

/** As if the person signed in `minutes` ago and never confirmed their password since. */
function signInAgo(userId: string, minutes: number) {
  const db = new Database(E2E_DB_FILE)
  try {
    db.pragma('busy_timeout = 5000')
    db.prepare('UPDATE sessions SET created_at = ?, authenticated_at = NULL WHERE user_id = ?').run(Date.now() - minutes * 60_000, userId)
  } finally {
    db.close()
  }
}

// The server is shared by every journey of a run: leave the policy as it was, even after a failure
// (an after-hook gets its own time, where a finally inside a timed-out test would not run).
test.afterEach(async ({ adminApi, baseURL }) => {
  await adminApi.setPolicy(baseURL!, { reauth_window_minutes: null })
})

test('an old sign-in is asked for the password, then the started action completes', async ({ page, adminApi, baseURL }, testInfo) => {
  await adminApi.setPolicy(baseURL!, { reauth_window_minutes: 1 })
  const dev = await adminApi.createUser('developer', baseURL!)
  await signIn(page, dev.email, PASSWORD)
  await page.getByRole('link', { name: 'Add API token' }).click()
  await page.getByLabel('Name', { exact: true }).fill('reauth-laptop')
  await page.getByLabel('Description (optional)').fill('typed before the prompt')
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Next' }).click()
  signInAgo(dev.id, 5)
  await page.getByRole('button', { name: 'Create token' }).click()

  const prompt = page.getByRole('dialog', { name: 'Confirm your password' })
  await expect(prompt).toBeVisible()
  await expect(prompt).toContainText('your last sign-in was 5 minutes ago; the tenant policy asks for one within 1 minute')
  await expectAccessible(page, testInfo, 'reauth-prompt')
  await prompt.getByLabel('Password').fill('not-my-password-1')
  await prompt.getByRole('button', { name: 'Confirm' }).click()
  await expect(prompt.getByText('That password is not right. Try again.')).toBeVisible()
  await prompt.getByLabel('Password').fill(PASSWORD)
  await prompt.getByRole('button', { name: 'Confirm' }).click()

  const reveal = page.getByRole('dialog', { name: 'Your new API token' })
  await expect(reveal).toContainText('Token reauth-laptop was created.')
  const secret = await reveal.getByTestId('revealed-token').inputValue()
  expect(secret).toMatch(/^tcp_/)
  const created = await adminApi.get<object>('/api/web/namespaces/system/api_credentials/reauth-laptop')
  expect(JSON.stringify(created)).toContain('typed before the prompt')
  // The password went nowhere it could stay.
  const kept = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, history.state, location.href]))
  expect(kept).not.toContain(PASSWORD)
  await reveal.getByLabel('I have stored this token').check()
  await reveal.getByRole('button', { name: 'Done' }).click()
  await expect(page).toHaveURL(/\/tokens\/reauth-laptop$/)

  // Cancelling the prompt: the renew dialog says why nothing happened, and nothing did.
  const before = await adminApi.get<{ expiration_timestamp: string }>('/api/web/namespaces/system/api_credentials/reauth-laptop')
  signInAgo(dev.id, 3)
  await page.getByRole('button', { name: 'Renew' }).click()
  const renew = page.getByRole('dialog', { name: 'Renew reauth-laptop' })
  await renew.getByRole('button', { name: 'Renew' }).click()
  await expect(prompt).toBeVisible()
  await prompt.getByRole('button', { name: 'Cancel' }).click()
  await expect(prompt).toBeHidden()
  await expect(renew).toContainText('the prompt was cancelled. Nothing was changed.')
  const after = await adminApi.get<{ expiration_timestamp: string }>('/api/web/namespaces/system/api_credentials/reauth-laptop')
  expect(after.expiration_timestamp).toBe(before.expiration_timestamp)
  await expect(page).toHaveURL(/\/tokens\/reauth-laptop$/)
})
