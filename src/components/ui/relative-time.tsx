import { formatDateTime, relative } from '../../lib/format'

/** "3 days ago" with the exact local time on hover and for screen readers. */
export function RelativeTime({ iso, never = 'never' }: { iso: string | null; never?: string }) {
  if (!iso) return <span className="text-slate-500 dark:text-slate-400">{never}</span>
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {relative(iso)}
    </time>
  )
}
