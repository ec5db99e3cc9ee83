// The wizard's last step: everything that will be created, in one list. Never shows the password.
import { scopeLabel } from '../../../components/credential-table'
import { formatDate } from '../../../lib/format'
import { typeLabel } from '../../../lib/credential-types'
import { credentialTypeLabel } from './credential-type-fields'
import { expirationDays, neverExpires, resultingDate, type WizardValues } from './wizard-schema'

export function Review({ v, ownerLabel }: { v: WizardValues; ownerLabel: string }) {
  const date = resultingDate(v)
  const personal = v.type === 'API_TOKEN'
  const rows: Array<[string, string]> = [
    // As the type was chosen (the certificate says it comes as a P12 file); the service type by its label.
    ['Type', personal ? credentialTypeLabel[v.credential_type] : typeLabel('SERVICE_API_TOKEN')],
    ['Name', v.name],
  ]
  if (personal && v.credential_type === 'KUBE_CONFIG') {
    rows.push(['Owner', ownerLabel], ['Cluster namespace', v.kube_namespace || '— (the cluster’s default)'])
  } else {
    rows.push(['Description', v.description || '—'], [personal ? 'Owner' : 'Service account', ownerLabel])
    if (!personal) rows.push(['Namespace role', `system: ${v.namespace_role}`])
    if (personal && v.credential_type === 'API_CERTIFICATE') rows.push(['P12 password', 'Set (not stored; needed to open the file)'])
    rows.push(['Scope', v.scope === 'custom' ? `Custom: ${v.permissions.join(', ')}` : scopeLabel[v.scope]])
  }
  rows.push(['Expires', neverExpires(v) ? 'Never' : date ? `${formatDate(date)} (${expirationDays(v)} ${expirationDays(v) === 1 ? 'day' : 'days'})` : '—'])
  return (
    <dl className="divide-y divide-slate-200 dark:divide-slate-800">
      {rows.map(([k, val]) => (
        <div key={k} className="grid gap-1 py-2 sm:grid-cols-[10rem_1fr]">
          <dt className="font-medium text-slate-600 dark:text-slate-400">{k}</dt>
          <dd className="break-words">{val}</dd>
        </div>
      ))}
    </dl>
  )
}
