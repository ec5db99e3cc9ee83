// An admin acts on a developer's token; the developer sees the unread count on the
// bell, opens the notification centre, reads the notice, follows it to the token and marks all read.
import { expect, expectAccessible, PASSWORD, screenshot, signIn, test } from './support/fixtures'

test('a developer is told when an admin revokes their token, and marks the notices read', async ({ page, adminApi, baseURL }, testInfo) => {
  const dev = await adminApi.createUser('developer', baseURL!)
  const name = `deploy-bot-${Date.now()}`
  await adminApi.createToken(baseURL!, { name, owner_id: dev.id, expiration_days: 30 })
  await adminApi.revoke(baseURL!, 'api_credentials', name)

  await signIn(page, dev.email, PASSWORD)
  // Created for them and revoked, both by the admin: two unread notices.
  const bell = page.getByRole('link', { name: /^Notifications, / })
  await expect(bell).toHaveAccessibleName('Notifications, 2 unread')
  await expect(page.getByTestId('unread-count').filter({ visible: true })).toHaveText('2')
  await bell.click()
  await expect(page).toHaveURL(/\/notifications$/)
  await expect(page.getByRole('heading', { name: 'Notifications', level: 1 })).toBeVisible()

  const list = page.getByRole('list', { name: 'Notifications' })
  const revoked = list.getByRole('article', { name: `Unread: Your token "${name}" was revoked` })
  await expect(revoked).toBeVisible()
  await expect(revoked).toContainText('admin@example.com revoked your token')
  await expect(revoked).toContainText('It no longer authenticates.')
  await expect(list.getByRole('article', { name: `Unread: A token "${name}" was created for you` })).toBeVisible()
  await expectAccessible(page, testInfo, 'notifications-1440')
  await page.setViewportSize({ width: 1440, height: 900 })
  await screenshot(page, testInfo, 'notifications-1440')

  // Mark the revoke notice read: the count goes to 1 and the notice is no longer unread.
  await revoked.getByRole('button', { name: /^Mark read/ }).click()
  await expect(bell).toHaveAccessibleName('Notifications, 1 unread')
  await expect(list.getByRole('article', { name: `Your token "${name}" was revoked` })).toContainText('Read')
  await page.getByRole('button', { name: 'Unread', exact: true, pressed: false }).click()
  await expect(list.getByRole('article')).toHaveCount(1)
  await page.getByRole('button', { name: 'All', exact: true, pressed: false }).click()

  // The notice links to the token's detail page.
  await list.getByRole('link', { name: `Your token "${name}" was revoked` }).click()
  await expect(page).toHaveURL(new RegExp(`/tokens/${name}$`))
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible()
  await page.goBack()

  // 390 px: the centre fits, nothing scrolls sideways.
  await page.setViewportSize({ width: 390, height: 844 })
  const mobileBell = page.getByRole('link', { name: /^Notifications, / })
  await expect(mobileBell).toHaveAccessibleName('Notifications, 1 unread')
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true)
  await expectAccessible(page, testInfo, 'notifications-390')
  await screenshot(page, testInfo, 'notifications-390')

  await page.getByRole('button', { name: 'Mark all read' }).click()
  await expect(mobileBell).toHaveAccessibleName('Notifications, none unread')
  await expect(page.getByTestId('unread-count')).toHaveCount(0)
  await expect(page.getByRole('button', { name: 'Mark all read' })).toBeDisabled()
  await expect(page.getByRole('list', { name: 'Notifications' }).getByRole('button', { name: /^Mark read/ })).toHaveCount(0)
})
