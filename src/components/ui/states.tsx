import { ShieldOff } from 'lucide-react'
import type { ReactNode } from 'react'
import { Link } from 'react-router'
import { Button } from './button'

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 px-6 py-12 text-center dark:border-slate-700">
      <h2>{title}</h2>
      {children && <p className="mx-auto mt-1 max-w-md text-slate-600 dark:text-slate-400">{children}</p>}
      {action && <div className="mt-4">{action}</div>}
    </div>
  )
}

/** A page or section this person's role does not open: say so, and offer a way on, not a retry. */
export function NoAccess({ what = 'This page' }: { what?: string }) {
  return (
    <div role="alert" className="rounded-lg border border-slate-200 bg-white px-6 py-10 text-center dark:border-slate-800 dark:bg-slate-900">
      <ShieldOff className="mx-auto mb-2 size-6 text-slate-500" aria-hidden />
      <h1 className="text-lg">Not available to your role</h1>
      <p className="mx-auto mt-1 max-w-md text-slate-600 dark:text-slate-400">
        {what} is for administrators{what === 'This page' ? ' or auditors' : ''}. Ask an administrator if you need it.
      </p>
      <Link to="/tokens" className="mt-4 inline-block font-medium text-indigo-700 underline dark:text-indigo-300">Go to your API tokens</Link>
    </div>
  )
}

export function ErrorState({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  // Retrying a refusal gives the same refusal.
  if ((error as { status?: number }).status === 403) return <NoAccess />
  return (
    <div role="alert" className="rounded-lg border border-red-200 bg-red-50 px-4 py-4 text-red-900 dark:border-red-900 dark:bg-red-950 dark:text-red-200">
      <p className="font-medium">Could not load this.</p>
      <p className="mt-1">{error.message}</p>
      {onRetry && (
        <Button variant="secondary" size="sm" className="mt-3" onClick={onRetry}>
          Try again
        </Button>
      )}
    </div>
  )
}

export function Skeleton({ className = 'h-4 w-full' }: { className?: string }) {
  return <div aria-hidden className={`animate-pulse rounded bg-slate-200 dark:bg-slate-800 ${className}`} />
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <span role="status" className="inline-flex items-center gap-2 text-slate-600 dark:text-slate-400">
      <span aria-hidden className="size-4 animate-spin rounded-full border-2 border-slate-300 border-t-indigo-600" />
      <span className="sr-only">{label}</span>
    </span>
  )
}
