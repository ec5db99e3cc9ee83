// The notification centre: one's own notices, newest first, unread marked; each links to the
// token's detail page; mark one read (or opening it does), or all of them.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { CheckCheck } from 'lucide-react'
import { useState } from 'react'
import { Link } from 'react-router'
import type { Notification } from '../../../../contract/notifications'
import { Badge } from '../../../components/ui/badge'
import { Button } from '../../../components/ui/button'
import { PageHeader } from '../../../components/ui/card'
import { cn } from '../../../components/ui/cn'
import { RelativeTime } from '../../../components/ui/relative-time'
import { EmptyState, ErrorState, Skeleton } from '../../../components/ui/states'
import { notificationQueries, useMarkRead, type NoticeFilter } from '../api/notifications'

function detailPath(n: Notification): string | null {
  if (!n.credential_name) return null
  // A leak notice opens the token's page on its replacement offer (the server names that page).
  if (n.kind === 'leak_report' && typeof n.data.link === 'string' && /^\/(tokens|service-credentials)\/[^/]+\?replace=1$/.test(n.data.link)) return n.data.link
  const name = encodeURIComponent(n.credential_name)
  if (n.family === 'service_credentials') return `/service-credentials/${name}`
  if (n.family === 'api_credentials') return `/tokens/${name}`
  return `/credentials/${name}`
}

function KindBadge({ n }: { n: Notification }) {
  switch (n.kind) {
    case 'expiry_notice':
      return n.data.in_use === true ? <Badge tone="amber">Expiring, in use</Badge> : <Badge>Expiring, unused</Badge>
    case 'leak_report': return <Badge tone="red">Leaked</Badge>
    case 'idle_end': return <Badge>Ended as idle</Badge>
    default: return <Badge tone="indigo">By someone else</Badge>
  }
}

function NoticeItem({ n }: { n: Notification }) {
  const mark = useMarkRead()
  const unread = n.read_at === null
  const to = detailPath(n)
  const readNow = () => { if (unread && !mark.isPending) mark.mutate({ ids: [n.id] }) }
  return (
    <li
      className={cn(
        'rounded-lg border bg-white p-4 dark:bg-slate-900',
        unread ? 'border-indigo-300 dark:border-indigo-700' : 'border-slate-200 dark:border-slate-800',
      )}
    >
      <article aria-labelledby={`notice-${n.id}`} className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0 space-y-1">
          <h2 id={`notice-${n.id}`} className="flex items-start gap-2 text-base font-semibold">
            {unread && <span aria-hidden className="mt-2 size-2 shrink-0 rounded-full bg-indigo-600" />}
            {unread && <span className="sr-only">Unread: </span>}
            {to ? (
              <Link to={to} onClick={readNow} className="break-words text-indigo-800 underline-offset-2 hover:underline dark:text-indigo-300">{n.title}</Link>
            ) : <span className="break-words">{n.title}</span>}
          </h2>
          <p className="break-words text-slate-700 dark:text-slate-300">{n.body}</p>
          <p className="flex flex-wrap items-center gap-2 text-sm text-slate-600 dark:text-slate-400">
            <KindBadge n={n} />
            <RelativeTime iso={n.created_at} />
            {!unread && <span>Read</span>}
          </p>
          {mark.error && <p role="alert" className="text-sm text-red-800 dark:text-red-300">{mark.error.message}</p>}
        </div>
        {unread && (
          <Button variant="secondary" size="sm" className="shrink-0 self-start" onClick={readNow} disabled={mark.isPending} aria-label={`Mark read: ${n.title}`}>
            Mark read
          </Button>
        )}
      </article>
    </li>
  )
}

export function NotificationsPage() {
  const [filter, setFilter] = useState<NoticeFilter>('all')
  const list = useInfiniteQuery(notificationQueries.list(filter))
  const unread = useQuery(notificationQueries.unreadCount()).data?.unread ?? 0
  const markAll = useMarkRead()
  const items = list.data?.pages.flatMap((p) => p.items) ?? []
  return (
    <>
      <PageHeader
        title="Notifications"
        description={unread ? `${unread} unread. Expiry notices and what others did to your tokens.` : 'Expiry notices and what others did to your tokens.'}
        actions={(
          <Button variant="secondary" onClick={() => markAll.mutate({ all: true })} disabled={!unread || markAll.isPending}>
            <CheckCheck className="size-4" aria-hidden /> Mark all read
          </Button>
        )}
      />
      {markAll.error && <p role="alert" className="mb-3 rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{markAll.error.message}</p>}
      <div role="group" aria-label="Show" className="mb-4 inline-flex rounded-md border border-slate-300 p-0.5 dark:border-slate-600">
        {(['all', 'unread'] as const).map((f) => (
          <button
            key={f}
            type="button"
            aria-pressed={filter === f}
            onClick={() => setFilter(f)}
            className={cn(
              'rounded px-3 py-1 text-sm font-medium',
              filter === f ? 'bg-indigo-600 text-white dark:bg-indigo-500' : 'text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800',
            )}
          >
            {f === 'all' ? 'All' : 'Unread'}
          </button>
        ))}
      </div>
      {list.isPending ? (
        <div className="space-y-3"><Skeleton className="h-20 w-full" /><Skeleton className="h-20 w-full" /></div>
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => list.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title={filter === 'unread' ? 'No unread notifications' : 'No notifications yet'}>
          You are told here before your tokens expire and when someone else changes one of them.
        </EmptyState>
      ) : (
        <>
          <ul aria-label="Notifications" className="space-y-3">
            {items.map((n) => <NoticeItem key={n.id} n={n} />)}
          </ul>
          {list.hasNextPage && (
            <div className="mt-4 text-center">
              <Button variant="secondary" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
                {list.isFetchingNextPage ? 'Loading…' : 'Show older'}
              </Button>
            </div>
          )}
        </>
      )}
    </>
  )
}
