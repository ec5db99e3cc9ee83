// Deleting a person: refused while they own active tokens, so the dialog then
// offers to revoke them all (bulk revoke) and delete after. Service accounts are never deleted here.
import { useState } from 'react'
import { toast } from 'sonner'
import type { User } from '../../../../contract/users'
import { ApiError } from '../../../lib/api-client'
import { Button } from '../../../components/ui/button'
import { Dialog } from '../../../components/ui/dialog'
import { useDeleteUser, useRevokeAllOf } from '../api/delete-user'

const plural = (n: number) => `${n} active token${n === 1 ? '' : 's'}`

export function DeleteUserDialog({ user, onOpenChange }: { user: User | null; onOpenChange: (o: boolean) => void }) {
  const remove = useDeleteUser()
  const revokeAll = useRevokeAllOf()
  const [revoked, setRevoked] = useState<number | null>(null)
  if (!user) return null
  const close = () => { remove.reset(); revokeAll.reset(); setRevoked(null); onOpenChange(false) }
  // The server's count wins over the list's (a token may have been created since the list loaded).
  const refused = remove.error instanceof ApiError && remove.error.code === 9 ? remove.error : undefined
  const activeCount = Number(refused?.fieldError('active_tokens') ?? (revoked === null ? user.active_tokens : 0))
  const mustRevoke = activeCount > 0 && revoked === null
  const otherError = remove.error && !refused?.fieldError('active_tokens') ? remove.error.message : revokeAll.error?.message

  const doDelete = () => remove.mutate(user.id, {
    onSuccess: (r) => {
      toast.success(`${user.email} deleted${r.tokens_removed ? `; ${r.tokens_removed} old token${r.tokens_removed === 1 ? '' : 's'} kept as removed entries in the inventory` : ''}`)
      close()
    },
  })
  const doRevoke = () => revokeAll.mutate(user.id, {
    onSuccess: (n) => { setRevoked(n); remove.reset(); toast.success(`${n} token${n === 1 ? '' : 's'} of ${user.email} revoked`) },
  })

  return (
    <Dialog
      open
      onOpenChange={(o) => { if (!o) close() }}
      title={`Delete ${user.email}?`}
      description={mustRevoke
        ? <>They own <strong>{plural(activeCount)}</strong>, so they cannot be deleted yet. Revoking {activeCount === 1 ? 'it' : 'them'} refuses every caller using {activeCount === 1 ? 'it' : 'them'} at once; then you can delete the account.</>
        : <>They can no longer sign in and their sessions end. Their revoked and expired tokens are kept as removed entries in the inventory and the audit log; <strong>this cannot be undone</strong>. Service accounts they created are not affected.</>}
    >
      {revoked !== null && <p role="status" className="mb-3 rounded-md bg-green-50 p-3 text-green-900 dark:bg-green-950 dark:text-green-200">{revoked} token{revoked === 1 ? '' : 's'} revoked; none is active now. You can delete the account.</p>}
      {otherError && <p role="alert" className="mb-3 rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{otherError}</p>}
      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button variant="secondary" onClick={close}>Cancel</Button>
        {mustRevoke ? (
          <Button variant="danger" disabled={revokeAll.isPending} onClick={doRevoke}>
            {revokeAll.isPending ? 'Revoking…' : `Revoke all ${plural(activeCount)}`}
          </Button>
        ) : (
          <Button variant="danger" disabled={remove.isPending} onClick={doDelete}>{remove.isPending ? 'Deleting…' : 'Delete user'}</Button>
        )}
      </div>
    </Dialog>
  )
}
