// Rotate: create the replacement with the same owner, type, scope and lifetime, reveal it once, then
// revoke the old token now or keep both for an overlap. The state lives with the page, not the row:
// the row moves to another group as soon as the replacement exists.
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { toast } from 'sonner'
import type { Credential } from '../../../../contract/credentials'
import { useCreateCredential, useCredentialAction, type Family } from '../../../lib/api/credentials'
import { metaQueries } from '../../../lib/api/meta'
import { useUser } from '../../../lib/api/session'
import { RevealTokenDialog, type RevealedToken } from '../../../components/reveal-token-dialog'
import { Button } from '../../../components/ui/button'
import { Dialog } from '../../../components/ui/dialog'
import { lifetimeDays, lineageName } from '../planner'

const familyOf = (c: Credential): Family => (c.type === 'SERVICE_API_TOKEN' ? 'service_credentials' : 'api_credentials')

export function useRotation() {
  const user = useUser()
  const policy = useQuery(metaQueries.policy())
  const [old, setOld] = useState<Credential | null>(null)
  const [revealed, setRevealed] = useState<RevealedToken | null>(null)
  const [askOld, setAskOld] = useState(false)
  const onSecret = (secret: string, created: { name: string; expiration_timestamp: string | null }) =>
    setRevealed({ name: created.name, secret, expiresAt: created.expiration_timestamp })
  const createPersonal = useCreateCredential('api_credentials', onSecret)
  const createService = useCreateCredential('service_credentials', onSecret)
  const revokePersonal = useCredentialAction('api_credentials', 'revoke')
  const revokeService = useCredentialAction('service_credentials', 'revoke')

  function start(c: Credential) {
    setOld(c)
    const common = {
      name: lineageName(c.name),
      namespace: 'system' as const,
      expiration_days: lifetimeDays(c, policy.data?.max_expiration_days ?? 365),
      description: c.description || undefined,
      scope: c.scope,
      permissions: c.scope === 'custom' ? c.permissions : undefined,
      rotated_from: c.name,
    }
    const onError = (err: Error) => { setOld(null); toast.error(`Rotation of ${c.name} failed: ${err.message}`) }
    if (familyOf(c) === 'api_credentials') {
      createPersonal.mutate({ ...common, spec: { type: 'API_TOKEN' }, owner_id: c.owner.id !== user.id ? c.owner.id : undefined }, { onError })
    } else {
      createService.mutate({ ...common, type: 'SERVICE_API_TOKEN', namespace_roles: c.namespace_roles, service_account_id: c.owner.id }, { onError })
    }
  }

  const revoke = old && familyOf(old) === 'service_credentials' ? revokeService : revokePersonal
  const element = (
    <>
      <RevealTokenDialog
        title={old ? `Replacement for ${old.name}` : undefined}
        token={revealed}
        onClose={() => { setRevealed(null); createPersonal.reset(); createService.reset(); setAskOld(true) }}
      />
      {old && (
        <Dialog
          open={askOld}
          onOpenChange={(o) => { setAskOld(o); if (!o) setOld(null) }}
          title={`What about ${old.name}?`}
          description={`${lineageName(old.name)} replaces it. Revoke the old token now, or keep both while callers switch over.`}
        >
          <div className="flex flex-col gap-2 sm:flex-row sm:justify-end">
            <Button variant="secondary" onClick={() => { setAskOld(false); toast.info(`${old.name} kept: the planner lists it until you revoke it`); setOld(null) }}>
              Keep both for an overlap
            </Button>
            <Button
              variant="danger"
              disabled={revoke.isPending}
              onClick={() => revoke.mutate(old.name, {
                onSuccess: () => { toast.success(`${old.name} revoked`); setAskOld(false); setOld(null) },
                onError: (e) => toast.error(e.message),
              })}
            >
              Revoke old token now
            </Button>
          </div>
        </Dialog>
      )}
    </>
  )
  return { start, pendingName: createPersonal.isPending || createService.isPending ? old?.name : undefined, element }
}
