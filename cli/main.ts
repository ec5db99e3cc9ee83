// token-console: the credential API from a terminal. Secrets travel only over stdin (login), the
// API's responses (stdout, once) and 0600 files; never in argv, the environment of children or logs.
import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { createCredentialResponseSchema, listResponseSchema, statusResponseSchema, whoamiResponseSchema, type Credential } from '../contract/credentials.js'
import { NS, request } from './api.js'
import { CliError, configFile, load, save } from './config.js'
import { keyValues, table } from './format.js'

const USAGE = `Usage: token-console <command> [options]

  login --server <url>        read a token from stdin, check it, store both (0600)
  whoami                      who the stored token belongs to
  list                        your credentials
  create <name>               a new token; the secret is printed once (or --out <file>, mode 0600)
  renew <name>                a new expiry counted from now
  revoke <name>               revoke at once
  rotate <name>               a new secret for the same credential (name, history and usage kept);
                              the previous secret stays valid for --overlap-seconds

Options:
  --output json|table         output format (default table)
  --service                   service_credentials instead of api_credentials
  --expiration-days <n>       create, renew, rotate
  --description <text>        create
  --overlap-seconds <n>       rotate (default 0: the previous secret ends now)
  --new-name <name>           rotate to a successor credential of that name instead
  --out <file>                create, rotate: write the secret to a new file of mode 0600
`

const options = {
  server: { type: 'string' },
  output: { type: 'string', default: 'table' },
  service: { type: 'boolean', default: false },
  'expiration-days': { type: 'string' },
  description: { type: 'string' },
  'overlap-seconds': { type: 'string' },
  'new-name': { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new CliError(`--${flag} must be a whole number`)
  return Number(value)
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Token (input hidden, end with Enter): ')
  const chunks: Buffer[] = []
  if (process.stdin.isTTY) {
    process.stdin.setRawMode(true)
    for await (const chunk of process.stdin) {
      const s = (chunk as Buffer).toString('utf8')
      if (s.includes('\u0003')) throw new CliError('Cancelled')
      const end = s.search(/[\r\n]/)
      chunks.push(Buffer.from(end < 0 ? s : s.slice(0, end)))
      if (end >= 0) break
    }
    process.stdin.setRawMode(false)
    process.stdin.pause()
    process.stderr.write('\n')
  } else {
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8').trim()
}

/** The secret goes to stdout once, or to a new 0600 file (never overwriting one). */
function deliverSecret(secret: string, out: string | undefined): string | undefined {
  if (out === undefined) return undefined
  fs.writeFileSync(out, secret + '\n', { mode: 0o600, flag: 'wx' })
  return out
}

const credentialRow = (c: Credential) => [c.name, c.type, c.status, c.expiry_timestamp ?? 'never', c.last_used_timestamp ?? 'never']

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
    const [command, name, ...extra] = positionals
    if (values.help || !command) {
      process.stdout.write(USAGE)
      return command || values.help ? 0 : 2
    }
    if (values.output !== 'json' && values.output !== 'table') throw new CliError('--output must be json or table')
    const json = values.output === 'json'
    const print = (data: unknown, text: string) => process.stdout.write(json ? JSON.stringify(data, null, 2) + '\n' : text)
    const res = values.service ? 'service_credentials' : 'api_credentials'
    if (extra.length) throw new CliError(`Unexpected argument: ${extra[0]}`)
    const needName = () => {
      if (!name) throw new CliError(`${command} needs a credential name`)
      return name
    }

    if (command === 'login') {
      if (!values.server) throw new CliError('login needs --server <url>, e.g. --server http://127.0.0.1:8080')
      const server = new URL(values.server).origin
      const token = await readStdin()
      if (!token) throw new CliError('No token on stdin')
      const me = await request({ server, token }, 'GET', `/api/web/custom/namespaces/system/whoami`, whoamiResponseSchema)
      save({ server, token })
      print({ server, email: me.email, token: me.token?.name ?? null, config: configFile() }, `Signed in to ${server} as ${me.email}${me.token ? ` (token ${me.token.name})` : ''}; stored in ${configFile()}\n`)
      return 0
    }

    const conn = load()
    if (values.server && new URL(values.server).origin !== conn.server) throw new CliError(`Stored credentials are for ${conn.server}; run login for ${values.server}`)
    switch (command) {
      case 'whoami': {
        const me = await request(conn, 'GET', '/api/web/custom/namespaces/system/whoami', whoamiResponseSchema)
        print(me, keyValues([
          ['email', me.email], ['name', me.name], ['type', me.type], ['role', me.role], ['tenant', me.tenant],
          ['token', me.token?.name], ['scope', me.token?.scope], ['expires', me.token ? me.token.expiry_timestamp ?? 'never' : undefined],
          ['permissions', me.permissions.join(' ')],
        ]))
        return 0
      }
      case 'list': {
        const list = await request(conn, 'GET', `${NS}/${res}`, listResponseSchema)
        print(list, table(['NAME', 'TYPE', 'STATUS', 'EXPIRES', 'LAST USED'], list.items.map(credentialRow)))
        return 0
      }
      case 'create':
      case 'rotate': {
        const body = command === 'create'
          ? { name: needName(), expiration_days: integer(values['expiration-days'], 'expiration-days'), description: values.description }
          : {
              name: needName(), overlap_seconds: integer(values['overlap-seconds'], 'overlap-seconds') ?? 0,
              expiration_days: integer(values['expiration-days'], 'expiration-days'), new_name: values['new-name'],
            }
        if (values.out !== undefined && fs.existsSync(values.out)) throw new CliError(`${values.out} exists; the secret is only written to a new file`)
        const path = command === 'create' ? `${NS}/${res}` : `${NS}/rotate/${res}`
        const created = await request(conn, 'POST', path, createCredentialResponseSchema, body)
        const file = deliverSecret(created.data, values.out)
        const expires = created.expiration_timestamp ?? 'never'
        let what = `Created ${created.name} (expires ${expires})`
        if (command === 'rotate') {
          const overlap = 'overlap_seconds' in body ? body.overlap_seconds : 0
          const previous = overlap === 0 ? 'the previous secret has ended' : `the previous secret stays valid for ${overlap} s`
          what = created.name === body.name
            ? `Rotated ${created.name}: a new secret for the same credential (expires ${expires}); ${previous}`
            : `Rotated ${body.name} to ${created.name} (expires ${expires}); ${overlap === 0 ? `${body.name} has ended` : `${body.name} stays valid for ${overlap} s`}`
        }
        if (file) {
          print({ ...created, data: undefined, written_to: file }, `${what}; secret written to ${file}\n`)
        } else if (json) {
          print(created, '')
        } else {
          process.stderr.write(`${what}. The secret below is shown once:\n`)
          process.stdout.write(created.data + '\n')
        }
        return 0
      }
      case 'renew':
      case 'revoke': {
        const body = command === 'renew' ? { name: needName(), expiration_days: integer(values['expiration-days'], 'expiration-days') } : { name: needName() }
        const result = await request(conn, 'POST', `${NS}/${command}/${res}`, statusResponseSchema, body)
        print(result, `${command === 'renew' ? 'Renewed' : 'Revoked'} ${body.name}\n`)
        return 0
      }
      default:
        throw new CliError(`Unknown command: ${command} (try --help)`)
    }
  } catch (err) {
    if (err instanceof CliError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`token-console: ${(err as Error).message}\n`)
      return 1
    }
    if ((err as { code?: string }).code === 'EEXIST') {
      process.stderr.write(`token-console: ${(err as Error).message}\n`)
      return 1
    }
    throw err
  }
}
