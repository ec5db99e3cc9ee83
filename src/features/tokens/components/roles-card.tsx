// Change a service credential's namespace role (PUT service_credentials/{name}).
import { useState } from 'react'
import { toast } from 'sonner'
import type { Credential } from '../../../../contract/credentials'
import { useReplaceRoles } from '../../../lib/api/credentials'
import { Button } from '../../../components/ui/button'
import { ConfirmDialog } from '../../../components/ui/confirm-dialog'
import { Card } from '../../../components/ui/card'
import { Field, Select } from '../../../components/ui/field'

type RoleName = Credential['namespace_roles'][number]['role']
const rank: Record<RoleName, number> = { 'ves-io-monitor': 1, 'ves-io-power-developer': 2, 'ves-io-admin': 3 }

export function RolesCard({ credential }: { credential: Credential }) {
  const current = credential.namespace_roles.find((r) => r.namespace === 'system')?.role ?? 'ves-io-monitor'
  const [role, setRole] = useState<RoleName>(current)
  const replace = useReplaceRoles()
  const [confirming, setConfirming] = useState(false)
  const apply = () => replace.mutate({ name: credential.name, namespace_roles: [{ namespace: 'system', role }] }, {
    onSuccess: () => { toast.success(`${credential.name} now has ${role} in system`); setConfirming(false) },
  })
  return (
    <Card>
      <h2 className="mb-3">Namespace role</h2>
      <form
        className="flex flex-col gap-3 sm:flex-row sm:items-end"
        onSubmit={(e) => {
          e.preventDefault()
          // Changing a machine identity's rights acts at once on every caller holding the token.
          setConfirming(true)
        }}
      >
        <Field label="Role in the system namespace" className="flex-1">
          {(ids) => (
            <Select {...ids} value={role} onChange={(e) => setRole(e.target.value as RoleName)}>
              <option value="ves-io-monitor">ves-io-monitor: read everything</option>
              <option value="ves-io-power-developer">ves-io-power-developer: manage its own tokens</option>
              <option value="ves-io-admin">ves-io-admin: administer the tenant</option>
            </Select>
          )}
        </Field>
        <Button type="submit" disabled={role === current || replace.isPending}>{replace.isPending ? 'Saving…' : 'Change role'}</Button>
      </form>
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Give ${credential.name} ${role}?`}
        consequence={<>{current} → <strong>{role}</strong> in the system namespace. {rank[role] > rank[current] ? 'This widens what the token can do' : 'This narrows what the token can do'}, at once, for every caller using it.</>}
        confirmLabel="Change role"
        tone={rank[role] > rank[current] ? 'danger' : 'primary'}
        pending={replace.isPending}
        error={replace.error?.message}
        onConfirm={apply}
      />
    </Card>
  )
}
