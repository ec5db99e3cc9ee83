// The dry run's list: each existing token a proposed policy would change, its owner, last use and change.
import type { PolicyChange } from '../../../../contract/policy'
import { formatDate } from '../../../lib/format'
import { RelativeTime } from '../../../components/ui/relative-time'

const changeLabel: Record<PolicyChange['change'], string> = { shorten_expiry: 'Shorter expiry', idle_disable: 'Ended as idle' }

export function DryRunTable({ items }: { items: PolicyChange[] }) {
  if (!items.length) return null
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Tokens the proposed policy would change</caption>
        <thead>
          <tr className="text-slate-600 dark:text-slate-400"><th className="py-1">Token</th><th>Owner</th><th>Last used</th><th>Change</th><th>Expires now</th><th>Would expire</th></tr>
        </thead>
        <tbody>
          {items.map((i) => (
            <tr key={i.name} className="border-t border-slate-200 dark:border-slate-800">
              <td className="py-1 font-mono">{i.name}</td>
              <td>{i.owner.email}</td>
              <td><RelativeTime iso={i.last_used_timestamp} never="never used" /></td>
              <td title={i.reason}>{changeLabel[i.change]}: {i.reason}</td>
              <td>{i.current_expiry ? formatDate(i.current_expiry) : 'Never'}</td>
              <td>{formatDate(i.new_expiry)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
