// The shell's bell: a link to the notification centre carrying the unread count.
import { useQuery } from '@tanstack/react-query'
import { Bell } from 'lucide-react'
import { NavLink } from 'react-router'
import { cn } from '../../../components/ui/cn'
import { notificationQueries } from '../api/notifications'

export function NotificationBell({ onNavigate, className }: { onNavigate?: () => void; className?: string }) {
  const count = useQuery(notificationQueries.unreadCount()).data?.unread ?? 0
  const shown = count > 99 ? '99+' : String(count)
  const label = count ? `Notifications, ${count > 99 ? 'more than 99' : count} unread` : 'Notifications, none unread'
  return (
    <NavLink
      to="/notifications"
      onClick={onNavigate}
      aria-label={label}
      title={label}
      className={({ isActive }) => cn(
        'relative inline-flex size-9 items-center justify-center rounded-md text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800',
        isActive && 'bg-indigo-50 text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200',
        className,
      )}
    >
      <Bell className="size-5" aria-hidden />
      {count > 0 && (
        <span
          aria-hidden
          data-testid="unread-count"
          className="absolute -right-1 -top-1 min-w-5 rounded-full bg-red-700 px-1 text-center text-xs font-semibold leading-5 text-white"
        >
          {shown}
        </span>
      )}
    </NavLink>
  )
}
