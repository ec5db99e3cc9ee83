// On a rotated token: the overlap of its previous secret (or, rotated to a new name, of the old token
// beside its successor), and per caller of the last 30 days whether it has switched to the new one.
import { useQuery } from '@tanstack/react-query'
import type { Family } from '../lib/api/credentials'
import { rotationQueries } from '../lib/api/governance'
import { formatDateTime } from '../lib/format'
import { Card } from './ui/card'
import { RelativeTime } from './ui/relative-time'

export function RotationStatusCard({ family, name }: { family: Family; name: string }) {
  const q = useQuery(rotationQueries.status(family, name))
  const s = q.data
  if (!s || s.state === 'none') return null
  const kept = s.mode === 'new_secret'
  return (
    <Card>
      <h2 className="text-sm font-semibold">Rotation cut-over</h2>
      <p className="mt-1 text-sm text-slate-700 dark:text-slate-300" data-testid="rotation-state">
        {kept
          ? (s.state === 'ended'
              ? <>The previous secret <span className="font-mono">{s.previous_secret_hint}</span> has ended; callers use the current secret <span className="font-mono">{s.secret_hint}</span>.</>
              : <>Previous secret <span className="font-mono">{s.previous_secret_hint}</span> valid until {formatDateTime(s.overlap_ends_timestamp!)}{s.cutover_on_switch ? ', or until every caller below has switched' : ''}, beside the current secret <span className="font-mono">{s.secret_hint}</span>.</>)
          : s.state === 'ended'
            ? <>Ended: {name} is refused; callers use {s.replaced_by}.</>
            : <>Overlap with {s.replaced_by} until {formatDateTime(s.overlap_ends_timestamp!)}{s.cutover_on_switch ? ', or as soon as every caller below has switched' : ''}.</>}
      </p>
      {s.sources.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">No caller used {kept ? 'the previous secret' : 'this token'} in the last 30 days.</p>
      ) : (
        <table className="mt-3 w-full text-left text-sm">
          <caption className="sr-only">Callers of {name} in the last 30 days</caption>
          <thead><tr><th className="py-1">Source</th><th>{kept ? 'Last used previous secret' : 'Last used old token'}</th><th>Uses the new one</th></tr></thead>
          <tbody>
            {s.sources.map((src) => (
              <tr key={`${src.ip} ${src.user_agent}`} className="border-t border-slate-200 dark:border-slate-800">
                <td className="py-1"><span className="font-mono">{src.ip || 'unknown'}</span> <span className="text-slate-600 dark:text-slate-400">{src.user_agent}</span></td>
                <td><RelativeTime iso={src.old_last_used_timestamp} /></td>
                <td>{src.switched ? <>Yes, <RelativeTime iso={src.new_last_used_timestamp!} /></> : <strong>Not yet</strong>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  )
}
