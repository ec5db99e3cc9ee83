import type { AuditActor } from './audit.js'
import type { Principal } from './principal.js'

export function actorOf(p: Principal): AuditActor {
  return {
    id: p.account.id,
    email: p.account.email,
    type: p.via === 'token' ? 'token' : 'user',
    credentialName: p.token?.name ?? null,
    ...(p.token?.secret ? { credentialSecret: p.token.secret } : {}),
  }
}
