// On a rotated-away token: the overlap, and per caller of the last 30 days whether it has switched.
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
  return (
    <Card>
      <h2 className="text-sm font-semibold">Rotation cut-over</h2>
      <p className="mt-1 text-sm text-slate-700 dark:text-slate-300" data-testid="rotation-state">
        {s.state === 'ended'
          ? <>Ended: {name} is refused; callers use {s.replaced_by}.</>
          : <>Overlap with {s.replaced_by} until {formatDateTime(s.overlap_ends_timestamp!)}{s.cutover_on_switch ? ', or as soon as every caller below has switched' : ''}.</>}
      </p>
      {s.sources.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">No caller used this token in the last 30 days.</p>
      ) : (
        <table className="mt-3 w-full text-left text-sm">
          <caption className="sr-only">Callers of {name} in the last 30 days</caption>
          <thead><tr><th className="py-1">Source</th><th>Last used old token</th><th>Uses the new one</th></tr></thead>
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
