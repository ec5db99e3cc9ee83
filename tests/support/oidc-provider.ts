// A real OpenID provider (the oidc-provider package) on 127.0.0.1 for single sign-on tests: one
// confidential client whose PKCE is required, accounts whose claims the test chooses, and the
// package's development sign-in pages (any password; the login names the account). The first-party
// client is granted what it asks for, so no consent page stands between the sign-in and the callback.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider, { type Configuration } from 'oidc-provider'

export const OIDC_CLIENT_ID = 'token-console'
export const OIDC_CLIENT_SECRET = 'test-oidc-client-secret-7f3a9c2e51b84d06'

export interface TestAccount {
  email?: string
  email_verified?: boolean
  name?: string
  groups?: string[]
}

export interface TestProvider {
  issuer: string
  port: number
  accounts: Map<string, TestAccount>
  close(): Promise<void>
}

/** A free port on 127.0.0.1 (for a provider that starts later, at a URL known beforehand). */
export async function freePort(): Promise<number> {
  const s = http.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise((resolve) => s.close(resolve))
  return port
}

export async function startOidcProvider(opts: { redirectUris: string[]; port?: number; accounts?: Record<string, TestAccount> }): Promise<TestProvider> {
  const accounts = new Map(Object.entries(opts.accounts ?? {}))
  const server = http.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  const issuer = `http://127.0.0.1:${port}`
  const config: Configuration = {
    clients: [{
      client_id: OIDC_CLIENT_ID, client_secret: OIDC_CLIENT_SECRET, redirect_uris: opts.redirectUris,
      response_types: ['code'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_basic',
    }],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    // The claims the scopes grant go into the ID token too, as most providers do for email and groups.
    conformIdTokenClaims: false,
    ttl: { Grant: 3600, Session: 3600, AccessToken: 600, IdToken: 600, Interaction: 600 },
    cookies: { keys: ['oidc-test-cookie-key-0123456789abcdef'] },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx, id) {
      const account = accounts.get(id)
      if (!account) return undefined
      return { accountId: id, claims: async () => ({ sub: id, ...account }) }
    },
    async loadExistingGrant(ctx) {
      const oidc = ctx.oidc
      const grantId = oidc.result?.consent?.grantId || oidc.session!.grantIdFor(oidc.client!.clientId)
      if (grantId) return oidc.provider.Grant.find(grantId)
      const grant = new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId })
      grant.addOIDCScope('openid email profile')
      await grant.save()
      return grant
    },
  }
  const provider = new Provider(issuer, config)
  // Its own development warnings are expected here and say nothing about the code under test.
  provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error', err))
  server.on('request', provider.callback())
  return {
    issuer, port, accounts,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
