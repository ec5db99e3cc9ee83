// Change a service credential's namespace role (PUT service_credentials/{name}).
import { useState } from 'react'
import { toast } from 'sonner'
import type { Credential } from '../../../../contract/credentials'
import { useReplaceRoles } from '../../../lib/api/credentials'
import { Button } from '../../../components/ui/button'
import { Card } from '../../../components/ui/card'
import { Field, Select } from '../../../components/ui/field'

type RoleName = Credential['namespace_roles'][number]['role']

export function RolesCard({ credential }: { credential: Credential }) {
  const current = credential.namespace_roles.find((r) => r.namespace === 'system')?.role ?? 'ves-io-monitor'
  const [role, setRole] = useState<RoleName>(current)
  const replace = useReplaceRoles()
  return (
    <Card>
      <h2 className="mb-3">Namespace role</h2>
      <form
        className="flex flex-col gap-3 sm:flex-row sm:items-end"
        onSubmit={(e) => {
          e.preventDefault()
          replace.mutate({ name: credential.name, namespace_roles: [{ namespace: 'system', role }] }, {
            onSuccess: () => toast.success(`${credential.name} now has ${role} in system`),
          })
        }}
      >
        <Field label="Role in the system namespace" className="flex-1" error={replace.error?.message}>
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
    </Card>
  )
}
