// The tenant's first administrator, created once on an empty database.
import { generatePassword } from './lib/passwords.js'
import type { Services } from './app.js'

export async function ensureFirstAdmin(s: Services, log: (msg: string) => void): Promise<void> {
  if ((await s.users.count()) > 0) return
  const email = s.config.adminEmail ?? 'admin@example.com'
  // ADMIN_PASSWORD alone is for the default email: a newcomer setting only the password means it.
  const generated = !s.config.adminPassword
  const password = generated ? generatePassword() : s.config.adminPassword!
  await s.users.create(null, { email, name: 'Administrator', role: 'admin', password }, { ip: null, userAgent: 'bootstrap' })
  if (generated) {
    // Printed once to the terminal, never to the log stream or the database.
    log(`\n  First administrator created\n    email:    ${email}\n    password: ${password}\n  Sign in and change it (your email, bottom left: Change password). It is not shown again.\n`)
  } else {
    log(`First administrator created: ${email}`)
  }
}
