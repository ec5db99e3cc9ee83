import { useQuery } from '@tanstack/react-query'
import { ArrowLeft } from 'lucide-react'
import { useEffect, useRef, useState } from 'react'
import { Link, useLocation, useParams, useSearchParams } from 'react-router'
import type { Credential } from '../../../../contract/credentials'
import { ApiError } from '../../../lib/api-client'
import { credentialQueries, type Family } from '../../../lib/api/credentials'
import { consoleQueries } from '../../../lib/api/console'
import { effectivePermissions, governingRole } from '../../../lib/effective-access'
import { useUser } from '../../../lib/api/session'
import { formatDateTime } from '../../../lib/format'
import { focusHeading, pageHeading } from '../../../lib/focus'
import { canMutate, isAdmin } from '../../../lib/roles'
import { Button } from '../../../components/ui/button'
import { Card, PageHeader } from '../../../components/ui/card'
import { RelativeTime } from '../../../components/ui/relative-time'
import { EmptyState, ErrorState, Skeleton } from '../../../components/ui/states'
import { StatusBadge } from '../../../components/ui/status-badge'
import { ActivateButton, RenewDialog, RevokeDialog } from './token-actions'
import { TestTokenCard } from './test-token-card'
import { RolesCard } from './roles-card'
import { UsageCard } from './usage-card'
import { DescriptionEditor } from './description-card'
import { scopeLabel, typeLabel } from '../../../components/credential-table'
import { RotateDialog } from '../../../components/rotate-dialog'
import { RotationStatusCard } from '../../../components/rotation-status-card'
import { LeakTimelineCard } from './leak-timeline-card'
import { LimitsCard } from './limits-card'
import { isEnded, isRevoked } from '../../../lib/token-status'
import { replacementPath } from './replacement'

function ExpiryTimeline({ c }: { c: Credential }) {
  const [now] = useState(() => Date.now())
  const start = new Date(c.create_timestamp).getTime()
  if (!c.expiry_timestamp) return <p>Never expires.</p>
  const end = new Date(c.expiry_timestamp).getTime()
  const pct = Math.max(0, Math.min(100, ((now - start) / Math.max(1, end - start)) * 100))
  const late = now >= end
  // Revoked (or reported leaked) before its expiry: it ended then, whatever the end date said.
  const endedAt = c.revoked_timestamp && Date.parse(c.revoked_timestamp) < end ? c.revoked_timestamp : null
  if (endedAt) {
    return <p>Created {formatDateTime(c.create_timestamp)}; ended {formatDateTime(endedAt)}, before its expiry on {formatDateTime(c.expiry_timestamp)}.</p>
  }
  return (
    <div>
      <div className="relative h-2 rounded-full bg-slate-200 dark:bg-slate-800" role="img" aria-label={`${Math.round(pct)}% of its lifetime used`}>
        <div className={`h-2 rounded-full ${late ? 'bg-red-500' : pct > 85 ? 'bg-amber-500' : 'bg-indigo-500'}`} style={{ width: `${pct}%` }} />
      </div>
      <div className="mt-1.5 flex justify-between text-xs text-slate-600 dark:text-slate-400">
        <span>Created {formatDateTime(c.create_timestamp)}</span>
        <span>{late ? 'Expired' : 'Expires'} {formatDateTime(c.expiry_timestamp)}</span>
      </div>
    </div>
  )
}

/** A link styled as the primary button; focused when the page was opened to offer it. */
function ReplacementLink({ to, focus }: { to: string; focus: boolean }) {
  const ref = useRef<HTMLAnchorElement>(null)
  useEffect(() => { if (focus) ref.current?.focus() }, [focus])
  return (
    <Link ref={ref} to={to}
      className="inline-flex h-9 items-center justify-center gap-1.5 rounded-md bg-indigo-600 px-3.5 text-sm font-medium text-white hover:bg-indigo-500 dark:bg-indigo-500 dark:hover:bg-indigo-400">
      Create a replacement with the same settings
    </Link>
  )
}

export function TokenDetailPage({ family }: { family: Family }) {
  const { name = '' } = useParams()
  const user = useUser()
  const q = useQuery(credentialQueries.detail(family, name))
  const credits = useQuery({ ...consoleQueries.credits(family, name), enabled: q.isSuccess })
  const [renewOpen, setRenewOpen] = useState(false)
  const [revokeOpen, setRevokeOpen] = useState(false)
  const [rotateOpen, setRotateOpen] = useState(false)
  // ?replace=1 (the owner's leak notice links here): the replacement offer is where the eye lands.
  const [search] = useSearchParams()
  const offerReplacement = search.get('replace') === '1'
  const back = family === 'api_credentials' ? { to: '/tokens', label: 'API Tokens' } : { to: '/service-credentials', label: 'Service Credentials' }
  // Opened from the wizard's Done: focus lands on the new token's name, once it is on the page.
  const location = useLocation()
  const headingFirst = (location.state as { focus?: string } | null)?.focus === 'heading'
  const focused = useRef(false)
  useEffect(() => {
    if (headingFirst && q.isSuccess && !focused.current) focused.current = focusHeading(pageHeading())
  }, [headingFirst, q.isSuccess])

  const header = (
    <Link to={back.to} className="mb-3 inline-flex items-center gap-1 text-indigo-700 hover:underline dark:text-indigo-300">
      <ArrowLeft className="size-4" aria-hidden /> {back.label}
    </Link>
  )
  if (q.isPending) return <>{header}<Skeleton className="h-40 w-full" /></>
  if (q.isError) {
    return (
      <>
        {header}
        {q.error instanceof ApiError && q.error.status === 404 ? (
          <EmptyState title="Token not found">No token called “{name}” exists, or it is not yours to see.</EmptyState>
        ) : (
          <ErrorState error={q.error} onRetry={() => q.refetch()} />
        )}
      </>
    )
  }
  const c = q.data
  const mutable = canMutate(user) && !isRevoked(c)
  // The owner, or an administrator, can start a replacement of a leaked token with its settings.
  const mayReplace = c.status === 'leaked' && canMutate(user) && (isAdmin(user) || c.owner.id === user.id)
  const role = c.owner.kind === 'service' ? governingRole(c) : null
  const effective = c.owner.kind === 'service' ? effectivePermissions(c, role) : null
  const createdBy = credits.data?.created_by
  const rows: Array<[string, React.ReactNode]> = [
    ['Type', typeLabel(c.type)],
    ['Owner', `${c.owner.email}${c.owner.kind === 'service' ? ' (service account)' : ''}`],
    ['Created by', createdBy ? (createdBy.id === c.owner.id ? `${createdBy.email} (the owner)` : createdBy.email) : credits.isPending ? '…' : 'unknown'],
    ['Scope', c.scope === 'custom' ? `Custom: ${c.permissions.join(', ')}${c.retired_permissions?.length ? ` (retired, no longer granted: ${c.retired_permissions.join(', ')})` : ''}` : scopeLabel[c.scope]],
    ...(c.namespace_roles.length ? [['Namespace roles', c.namespace_roles.map((r) => `${r.namespace}: ${r.role}`).join(', ')] as [string, React.ReactNode]] : []),
    ...(effective ? [['Effective access', (
      <span key="eff">
        Both apply: the {scopeLabel[c.scope].toLowerCase()} scope narrows what the role {role ? `(${role} rights)` : ''} allows.{' '}
        {effective.length ? <>It can use: <code className="font-mono text-xs">{effective.join(', ')}</code>.</> : 'It can do nothing.'}
      </span>
    )] as [string, React.ReactNode]] : []),
    ['Token ends in', <code key="hint" className="font-mono">{c.token_hint}</code>],
    ['Created', formatDateTime(c.create_timestamp)],
    ['Last used', <RelativeTime key="lu" iso={c.last_used_timestamp} never="never used" />],
    ['Expires', isEnded(c)
      ? `Ended${c.expiry_timestamp ? ` (${c.status === 'expired' ? 'expired' : 'was to expire'} ${formatDateTime(c.expiry_timestamp)})` : ''}`
      : c.expiry_timestamp ? formatDateTime(c.expiry_timestamp) : 'Never'],
    ...(c.revoked_timestamp ? [['Revoked', formatDateTime(c.revoked_timestamp)] as [string, React.ReactNode]] : []),
    ...(c.leaked_timestamp ? [['Reported leaked', formatDateTime(c.leaked_timestamp)] as [string, React.ReactNode]] : []),
    ...(c.rotated_from ? [['Replaces', c.rotated_from] as [string, React.ReactNode]] : []),
    ...(c.replaced_by ? [['Replaced by', c.replaced_by] as [string, React.ReactNode]] : []),
    ['UID', <code key="uid" className="font-mono text-xs">{c.uid}</code>],
  ]
  return (
    <>
      {header}
      <PageHeader
        title={c.name}
        actions={
          <>
            {mutable && c.status === 'active' && !c.replaced_by && <Button variant="secondary" onClick={() => setRotateOpen(true)}>Rotate</Button>}
            {mutable && <Button variant="secondary" onClick={() => setRenewOpen(true)}>Renew</Button>}
            {mutable && <Button variant="danger" onClick={() => setRevokeOpen(true)}>Revoke</Button>}
            {c.status === 'revoked' && !c.leaked_timestamp && isAdmin(user) && <ActivateButton family={family} name={c.name} />}
            {mayReplace && (
              <ReplacementLink to={replacementPath(family, c.name)} focus={offerReplacement} />
            )}
          </>
        }
      />
      <div className="grid grid-cols-1 items-start gap-4 xl:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
        <div className="min-w-0 space-y-4">
          {mayReplace && offerReplacement && (
            <p role="note" className="rounded-md border border-red-300 bg-red-50 p-3 text-red-950 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
              This token was reported as leaked and no longer works. Create a replacement with the same settings (name, scope, lifetime and owner), then give it to its callers.
            </p>
          )}
          <Card>
            <div className="mb-3 flex items-center gap-2"><h2>Details</h2><StatusBadge credential={c} /></div>
            <DescriptionEditor key={c.description} family={family} name={c.name} description={c.description}
              canEdit={!isRevoked(c) && (isAdmin(user) || (canMutate(user) && c.owner.id === user.id))} />
            <dl className="divide-y divide-slate-100 dark:divide-slate-800">
              {rows.map(([k, v]) => (
                <div key={k} className="grid gap-1 py-2 sm:grid-cols-[10rem_minmax(0,1fr)]">
                  <dt className="font-medium text-slate-600 dark:text-slate-400">{k}</dt>
                  <dd className="break-words">{v}</dd>
                </div>
              ))}
            </dl>
          </Card>
          <Card>
            <h2 className="mb-3">Lifetime</h2>
            <ExpiryTimeline c={c} />
          </Card>
          {c.leaked_timestamp && <LeakTimelineCard family={family} name={c.name} />}
          {/* A token rotated in place keeps its name: the card shows itself whenever there is a rotation. */}
          <RotationStatusCard family={family} name={c.name} />
          <LimitsCard family={family} credential={c} canEdit={!isRevoked(c) && (isAdmin(user) || (canMutate(user) && c.owner.id === user.id))} />
          <UsageCard family={family} name={c.name} />
          {family === 'service_credentials' && isAdmin(user) && !isRevoked(c) && <RolesCard credential={c} />}
        </div>
        <TestTokenCard expectedName={c.name} />
      </div>
      {mutable && <RenewDialog family={family} credential={c} open={renewOpen} onOpenChange={setRenewOpen} />}
      {mutable && <RotateDialog family={family} credential={c} open={rotateOpen} onOpenChange={setRotateOpen} />}
      {canMutate(user) && <RevokeDialog family={family} credential={c} open={revokeOpen} onOpenChange={setRevokeOpen} />}
    </>
  )
}
