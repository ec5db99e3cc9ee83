// The token-console CLI (cli/) against the running server: a child process per command, HOME in a
// temp folder, the token given on stdin only.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listResponseSchema, whoamiResponseSchema } from '../../contract/credentials.js'
import { buildTestApp, type TestApp } from '../support/app.js'
import { call, createToken, signedIn, WHOAMI } from '../support/factories.js'

const BIN = path.resolve('cli/token-console.mjs')
let t: TestApp
let server: string
let home: string
let adminToken: string

function cli(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // A clean environment: only what node needs, and HOME pointing at the temp folder.
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, HOME: home }, cwd: home })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })
}
const works = async (token: string) => (await call(t.app, { token }, { url: WHOAMI })).statusCode

beforeAll(async () => {
  t = await buildTestApp()
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = t.app.server.address() as { port: number }
  server = `http://127.0.0.1:${port}`
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-cli-home-'))
  const admin = (await signedIn(t, 'admin')).auth
  adminToken = (await createToken(t.app, admin, { name: 'cli-admin-token' })).token
})
afterAll(async () => {
  await t.close()
  fs.rmSync(home, { recursive: true, force: true })
})

describe('token-console CLI: happy', () => {
  it('logs in with a token from stdin and stores it in a 0600 file under ~/.config', { timeout: 60_000 }, async () => {
    const r = await cli(['login', '--server', server], adminToken)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Signed in')
    expect(r.stdout).not.toContain(adminToken)
    const file = path.join(home, '.config', 'token-console', 'credentials.json')
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ server, token: adminToken })

    const me = await cli(['whoami', '--output', 'json'])
    expect(me.code).toBe(0)
    expect(whoamiResponseSchema.parse(JSON.parse(me.stdout)).token?.name).toBe('cli-admin-token')
    expect((await cli(['whoami'])).stdout).toMatch(/^token\s+cli-admin-token$/m)
  })

  it('makes an existing config folder 0700 on login, and the file 0600', { timeout: 60_000 }, async () => {
    const dir = path.join(home, '.config', 'token-console')
    fs.mkdirSync(dir, { recursive: true })
    // A folder made before by hand or by another tool, with the default umask.
    fs.chmodSync(dir, 0o755)
    const r = await cli(['login', '--server', server], adminToken)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
    expect(fs.statSync(path.join(dir, 'credentials.json')).mode & 0o777).toBe(0o600)
  })

  it('creates (secret once on stdout, or --out to a 0600 file), lists, renews, rotates and revokes', { timeout: 120_000 }, async () => {
    const created = await cli(['create', 'cli-made-token', '--expiration-days', '7', '--description', 'from the CLI'])
    expect(created.code).toBe(0)
    const secret = created.stdout.trim()
    expect(created.stderr).toContain('shown once')
    expect(created.stderr).not.toContain(secret)
    expect(await works(secret)).toBe(200)

    const out = path.join(home, 'second.token')
    const toFile = await cli(['create', 'cli-file-token', '--out', out, '--output', 'json'])
    expect(toFile.code).toBe(0)
    const fileSecret = fs.readFileSync(out, 'utf8').trim()
    expect(fs.statSync(out).mode & 0o777).toBe(0o600)
    expect(toFile.stdout).not.toContain(fileSecret)
    expect(JSON.parse(toFile.stdout)).toMatchObject({ name: 'cli-file-token', written_to: out })
    expect(await works(fileSecret)).toBe(200)
    // Never overwrites: a second secret to the same file is refused before anything is created.
    const again = await cli(['create', 'cli-file-token-2', '--out', out])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('exists')

    const list = await cli(['list', '--output', 'json'])
    expect(list.code).toBe(0)
    const names = listResponseSchema.parse(JSON.parse(list.stdout)).items.map((c) => c.name)
    expect(names).toEqual(expect.arrayContaining(['cli-made-token', 'cli-file-token']))
    expect(names).not.toContain('cli-file-token-2')
    const tableOut = (await cli(['list'])).stdout
    expect(tableOut.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+STATUS\s+EXPIRES\s+LAST USED$/)
    expect(tableOut).toMatch(/^cli-made-token\s+API_TOKEN\s+active\s/m)

    const renewed = await cli(['renew', 'cli-made-token', '--expiration-days', '30', '--output', 'json'])
    expect(renewed.code).toBe(0)
    expect(JSON.parse(renewed.stdout)).toEqual({ status: true })

    // By default a rotation keeps the credential and its name: a new secret, the previous one kept for the overlap.
    const rotated = await cli(['rotate', 'cli-made-token', '--overlap-seconds', '3600', '--output', 'json'])
    expect(rotated.code).toBe(0)
    const fresh = JSON.parse(rotated.stdout) as { name: string; data: string }
    expect(fresh.name).toBe('cli-made-token')
    expect(fresh.data).not.toBe(secret)
    expect(await works(fresh.data)).toBe(200)
    expect(await works(secret)).toBe(200)
    const afterRotate = listResponseSchema.parse(JSON.parse((await cli(['list', '--output', 'json'])).stdout)).items.map((c) => c.name)
    expect(afterRotate.filter((n) => n.startsWith('cli-made-token'))).toEqual(['cli-made-token'])

    // In a table, the one-time secret alone is on stdout and stderr says what happened to the previous one.
    const rotatedFile = path.join(home, 'rotated.token')
    const inPlace = await cli(['rotate', 'cli-file-token', '--out', rotatedFile])
    expect(inPlace.code).toBe(0)
    expect(inPlace.stdout).toMatch(/^Rotated cli-file-token: a new secret for the same credential \(expires .+\); the previous secret has ended; secret written to .+rotated\.token\n$/)
    expect(await works(fs.readFileSync(rotatedFile, 'utf8').trim())).toBe(200)
    expect(await works(fileSecret)).toBe(401)

    // --new-name still rotates to a successor credential.
    const moved = await cli(['rotate', 'cli-made-token', '--new-name', 'cli-made-token-next'])
    expect(moved.code).toBe(0)
    expect(moved.stderr).toContain('Rotated cli-made-token to cli-made-token-next')
    expect(moved.stderr).toContain('cli-made-token has ended')
    const successor = moved.stdout.trim()
    expect(await works(successor)).toBe(200)
    expect(await works(fresh.data)).toBe(401)
    expect(await works(secret)).toBe(401)

    const revoked = await cli(['revoke', 'cli-made-token-next'])
    expect(revoked).toMatchObject({ code: 0, stdout: 'Revoked cli-made-token-next\n' })
    expect(await works(successor)).toBe(401)
  })
})

describe('token-console CLI: error', () => {
  it('reports the API error envelope, bad options and a missing login in one line, exit 1', { timeout: 60_000 }, async () => {
    const missing = await cli(['revoke', 'no-such-token-here'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^token-console: .+ \(HTTP 404\)\n$/)
    expect((await cli(['list', '--output', 'yaml'])).stderr).toContain('--output must be json or table')
    expect((await cli(['list', '--bogus'])).code).toBe(1)
    const badLogin = await cli(['login', '--server', server], 'tcp_not-a-real-token')
    expect(badLogin.code).toBe(1)
    expect(badLogin.stderr).toContain('HTTP 401')
    fs.rmSync(path.join(home, '.config'), { recursive: true, force: true })
    expect((await cli(['whoami'])).stderr).toContain('Not signed in')
  })
})
