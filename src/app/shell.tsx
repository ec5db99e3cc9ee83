// The signed-in layout: navigation, who is signed in, theme switch, sign-out.
import { useQuery } from '@tanstack/react-query'
import { Activity, CalendarClock, Fingerprint, KeyRound, ListChecks, LogOut, Menu, Monitor, Moon, ScrollText, ServerCog, ShieldCheck, Sun, TableProperties, Users, Webhook, X } from 'lucide-react'
import { lazy, Suspense, useState } from 'react'
import { Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router'
import { sessionQueries, sessionEnded, useSignOut } from '../lib/api/session'
import { isAdmin, seesAll } from '../lib/roles'
import { saveTheme, storedTheme, type Theme } from '../lib/theme'
import { Badge } from '../components/ui/badge'
import { Spinner } from '../components/ui/states'
import { cn } from '../components/ui/cn'
import { NotificationBell } from '../features/notifications/components/notification-bell'

// Loaded on demand: its form library stays out of the first load.
const ChangePasswordDialog = lazy(() => import('./change-password-dialog').then((m) => ({ default: m.ChangePasswordDialog })))

const themeIcons = { system: Monitor, light: Sun, dark: Moon }
const nextTheme: Record<Theme, Theme> = { system: 'light', light: 'dark', dark: 'system' }

function ThemeSwitch() {
  const [theme, setTheme] = useState<Theme>(storedTheme)
  const Icon = themeIcons[theme]
  return (
    <button
      type="button"
      onClick={() => { const t = nextTheme[theme]; saveTheme(t); setTheme(t) }}
      className="inline-flex items-center gap-2 rounded-md px-2 py-1.5 text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
      aria-label={`Colour scheme: ${theme}. Switch to ${nextTheme[theme]}`}
      title={`Switch to ${nextTheme[theme]}`}
    >
      <Icon className="size-4" aria-hidden />
      <span>Colour scheme: {theme}</span>
    </button>
  )
}

export function Shell() {
  const session = useQuery(sessionQueries.current())
  const location = useLocation()
  const navigate = useNavigate()
  const signOut = useSignOut()
  const [navOpen, setNavOpen] = useState(false)
  const [pwOpen, setPwOpen] = useState(false)
  if (session.isPending) return <div className="p-8"><Spinner label="Checking your session" /></div>
  if (!session.data) {
    const next = encodeURIComponent(location.pathname + location.search)
    return <Navigate to={`/sign-in?${sessionEnded() ? 'reason=expired&' : ''}next=${next}`} replace />
  }
  const user = session.data.user
  const links = [
    { to: '/tokens', label: 'API Tokens', icon: KeyRound, show: true },
    { to: '/service-credentials', label: 'Service Credentials', icon: ServerCog, show: seesAll(user) },
    { to: '/rotation', label: 'Rotation planner', icon: CalendarClock, show: true },
    { to: '/users', label: 'Users', icon: Users, show: isAdmin(user) },
    { to: '/policy', label: 'Policy', icon: ShieldCheck, show: isAdmin(user) },
    { to: '/permissions', label: 'Permissions', icon: ListChecks, show: true },
    { to: '/webhooks', label: 'Webhooks', icon: Webhook, show: isAdmin(user) },
    { to: '/identity', label: 'Identity', icon: Fingerprint, show: isAdmin(user) },
    { to: '/inventory', label: 'Inventory', icon: TableProperties, show: seesAll(user), section: 'Security' },
    { to: '/audit', label: 'Audit log', icon: ScrollText, show: true, section: 'Security' },
    { to: '/dashboard', label: 'Dashboard', icon: Activity, show: seesAll(user), section: 'Security' },
  ].filter((l) => l.show)

  return (
    <div className="min-h-screen lg:grid lg:grid-cols-[15rem_1fr]">
      <a href="#main" className="sr-only focus:not-sr-only focus:fixed focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 dark:focus:bg-slate-900">
        Skip to content
      </a>
      <header className="flex items-center justify-between border-b border-slate-200 bg-white px-4 py-3 lg:hidden dark:border-slate-800 dark:bg-slate-900">
        <span className="flex items-center gap-2 font-semibold"><KeyRound className="size-4 text-indigo-600" aria-hidden />Token Console</span>
        <div className="flex items-center gap-1">
        <NotificationBell onNavigate={() => setNavOpen(false)} />
        <button type="button" className="rounded p-1.5 hover:bg-slate-100 dark:hover:bg-slate-800" aria-expanded={navOpen} aria-controls="app-nav" onClick={() => setNavOpen((o) => !o)}>
          {navOpen ? <X className="size-5" aria-hidden /> : <Menu className="size-5" aria-hidden />}
          <span className="sr-only">{navOpen ? 'Close navigation' : 'Open navigation'}</span>
        </button>
        </div>
      </header>
      {/* The aside spans the whole grid row, so its background reaches the bottom of long pages;
          the inner column sticks to the viewport. */}
      <aside
        id="app-nav"
        className={cn('border-r border-slate-200 bg-white lg:block dark:border-slate-800 dark:bg-slate-900', navOpen ? 'block' : 'hidden')}
      >
       <div className="flex flex-col lg:sticky lg:top-0 lg:h-screen lg:overflow-y-auto">
        <div className="hidden items-center gap-2 px-5 py-4 font-semibold lg:flex">
          <span className="rounded-md bg-indigo-600 p-1.5 text-white"><KeyRound className="size-4" aria-hidden /></span>
          Token Console
          <NotificationBell className="ml-auto" />
        </div>
        <nav aria-label="Main" className="flex-1 px-3 py-2">
          {(['Administration', 'Security'] as const).map((section) => (
          <div key={section} className="mb-3">
          <p className="px-2 pb-1 text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">{section}</p>
          <ul className="space-y-0.5">
            {links.filter((l) => (l.section ?? 'Administration') === section).map(({ to, label, icon: Icon }) => (
              <li key={to}>
                <NavLink
                  to={to}
                  onClick={() => setNavOpen(false)}
                  className={({ isActive }) =>
                    cn(
                      'flex items-center gap-2 rounded-md px-2 py-2 font-medium',
                      isActive ? 'bg-indigo-50 text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200' : 'text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800',
                    )
                  }
                >
                  <Icon className="size-4" aria-hidden />
                  {label}
                </NavLink>
              </li>
            ))}
          </ul>
          </div>
          ))}
        </nav>
        <div className="space-y-2 border-t border-slate-200 p-3 dark:border-slate-800">
          <div className="px-2">
            <p className="truncate font-medium" title={user.email}>{user.email}</p>
            <Badge tone="indigo" className="mt-1 capitalize">{user.role}</Badge>
          </div>
          <button type="button" onClick={() => setPwOpen(true)} className="flex w-full items-center gap-2 rounded-md px-2 py-1.5 text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800">
            <KeyRound className="size-4" aria-hidden /> Change password
          </button>
          <ThemeSwitch />
          <button
            type="button"
            onClick={() => signOut.mutate(undefined, { onSettled: () => navigate('/sign-in', { replace: true }) })}
            className="flex w-full items-center gap-2 rounded-md px-2 py-1.5 text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
          >
            <LogOut className="size-4" aria-hidden /> Sign out
          </button>
        </div>
       </div>
      </aside>
      <main id="main" tabIndex={-1} className="min-w-0 px-4 py-6 sm:px-8">
        <Suspense fallback={<Spinner />}>
          <Outlet />
        </Suspense>
      </main>
      {pwOpen && <Suspense><ChangePasswordDialog open={pwOpen} onOpenChange={setPwOpen} /></Suspense>}
    </div>
  )
}
