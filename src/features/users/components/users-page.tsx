import { zodResolver } from '@hookform/resolvers/zod'
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import { UserPlus } from 'lucide-react'
import { useState } from 'react'
import { useForm } from 'react-hook-form'
import { toast } from 'sonner'
import type { OidcStatus } from '../../../../contract/identity'
import { createUserRequestSchema, type CreateUserRequest, type Role, type User } from '../../../../contract/users'
import { api, ApiError } from '../../../lib/api-client'
import { useUser } from '../../../lib/api/session'
import { useCreateUser, userQueries, useUpdateUser } from '../../../lib/api/users'
import { isAdmin } from '../../../lib/roles'
import { Badge } from '../../../components/ui/badge'
import { Button } from '../../../components/ui/button'
import { PageHeader } from '../../../components/ui/card'
import { Dialog } from '../../../components/ui/dialog'
import { Field, Input, Select } from '../../../components/ui/field'
import { RelativeTime } from '../../../components/ui/relative-time'
import { ConfirmDialog } from '../../../components/ui/confirm-dialog'
import { EmptyState, ErrorState, NoAccess, Skeleton } from '../../../components/ui/states'
import { CursorPager } from '../../../components/list-controls'
import { DeleteUserDialog } from './delete-user-dialog'
import { ScimTokenPanel } from './scim-token-panel'
import { UserFilterBar, useUserListParams } from './user-filters'

/** The identity provider keeps a provisioned person's role, password and active state. */
const IDP_NOTE = 'Managed by your identity provider (SCIM)'
/** A person single sign-on created: the provider keeps their name and email, and they sign in there. */
const SSO_NOTE = 'Signs in with single sign-on; name and email come from your identity provider'

const roleHelp: Record<Role, string> = {
  admin: 'Administrator: everything',
  developer: 'Developer: own personal tokens',
  auditor: 'Auditor: reads everything, changes nothing',
}

function CreateUserDialog({ open, onOpenChange, onCreated }: { open: boolean; onOpenChange: (o: boolean) => void; onCreated: (u: User) => void }) {
  const create = useCreateUser()
  const form = useForm<CreateUserRequest>({ resolver: zodResolver(createUserRequestSchema), defaultValues: { email: '', name: '', role: 'developer', password: '' } })
  const { errors } = form.formState
  const submit = form.handleSubmit((v) =>
    create.mutate(v, {
      onSuccess: (u) => { toast.success(`${u.email} can now sign in`); form.reset(); onOpenChange(false); onCreated(u) },
      onError: (err) => {
        if (err instanceof ApiError && err.status === 409) form.setError('email', { message: 'A user with this email already exists' })
      },
    }),
  )
  const other = create.error instanceof ApiError && create.error.status !== 409 ? create.error.message : undefined
  return (
    <Dialog open={open} onOpenChange={onOpenChange} title="Add user" description="They sign in with this email and password; ask them to keep the password safe.">
      <form onSubmit={submit} noValidate className="space-y-4">
        <Field label="Email" error={errors.email?.message}>{(ids) => <Input {...ids} type="email" autoComplete="off" {...form.register('email')} />}</Field>
        <Field label="Name" error={errors.name?.message}>{(ids) => <Input {...ids} autoComplete="off" {...form.register('name')} />}</Field>
        <Field label="Role" hint={roleHelp[form.watch('role')]}>
          {(ids) => (
            <Select {...ids} {...form.register('role')}>
              <option value="developer">Developer</option>
              <option value="auditor">Auditor</option>
              <option value="admin">Administrator</option>
            </Select>
          )}
        </Field>
        <Field label="Initial password" hint="At least 12 characters." error={errors.password?.message}>
          {(ids) => <Input {...ids} type="password" autoComplete="new-password" {...form.register('password')} />}
        </Field>
        {other && <p role="alert" className="rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{other}</p>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button type="submit" disabled={create.isPending}>{create.isPending ? 'Adding…' : 'Add user'}</Button>
        </div>
      </form>
    </Dialog>
  )
}

function DisableDialog({ user, onOpenChange }: { user: User | null; onOpenChange: (o: boolean) => void }) {
  const update = useUpdateUser()
  if (!user) return null
  return (
    <Dialog
      open
      onOpenChange={onOpenChange}
      title={`Disable ${user.email}?`}
      description={
        <>
          They are signed out at once and cannot sign in.{' '}
          <strong>{user.active_tokens} active token{user.active_tokens === 1 ? '' : 's'} will stop working</strong>{' '}
          {user.managed_by === 'scim' ? 'until your identity provider activates them again (only it can).' : 'until you enable them again.'}
        </>
      }
    >
      {update.error && <p role="alert" className="mb-3 rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{update.error.message}</p>}
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={() => onOpenChange(false)}>Cancel</Button>
        <Button variant="danger" disabled={update.isPending} onClick={() => update.mutate({ id: user.id, disabled: true }, { onSuccess: () => { toast.success(`${user.email} disabled`); onOpenChange(false) } })}>
          Disable user
        </Button>
      </div>
    </Dialog>
  )
}

function ResetPasswordDialog({ user, onOpenChange }: { user: User | null; onOpenChange: (o: boolean) => void }) {
  const update = useUpdateUser()
  const [password, setPassword] = useState('')
  if (!user) return null
  const tooShort = password.length > 0 && password.length < 12
  return (
    <Dialog open onOpenChange={onOpenChange} title={`Reset the password of ${user.email}`} description="They are signed out everywhere and sign in with the new password. Tell them through a channel you trust.">
      <form
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault()
          if (password.length < 12) return
          update.mutate({ id: user.id, password }, { onSuccess: () => { toast.success(`Password of ${user.email} reset`); setPassword(''); onOpenChange(false) } })
        }}
      >
        <Field label="New password" hint="At least 12 characters." error={tooShort ? 'Password must be at least 12 characters' : update.error?.message}>
          {(ids) => <Input {...ids} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
        </Field>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button type="submit" disabled={password.length < 12 || update.isPending}>Reset password</Button>
        </div>
      </form>
    </Dialog>
  )
}

const roleName: Record<Role, string> = { admin: 'Administrator', developer: 'Developer', auditor: 'Auditor' }
const roleConsequence: Record<Role, string> = {
  admin: 'They get every right in the tenant: manage all users, roles, tokens and service credentials, and read the audit log.',
  developer: 'They can create and manage their own personal tokens only, and no longer see other people’s tokens or the audit log of others.',
  auditor: 'They can read every token, user and the audit log, and can change nothing: their own tokens become read-only in practice.',
}

type Pending = { kind: 'role'; user: User; role: Role } | { kind: 'enable'; user: User }

function PendingChange({ change, onDone }: { change: Pending | null; onDone: () => void }) {
  const update = useUpdateUser()
  if (!change) return null
  const u = change.user
  const widens = change.kind === 'enable' || change.role === 'admin' || (change.role === 'auditor' && u.role === 'developer')
  return (
    <ConfirmDialog
      open
      onOpenChange={(o) => { if (!o) { update.reset(); onDone() } }}
      title={change.kind === 'role' ? `Make ${u.email} ${roleName[change.role].toLowerCase()}?` : `Enable ${u.email}?`}
      consequence={change.kind === 'role'
        ? <>{roleName[u.role]} → <strong>{roleName[change.role]}</strong>. {roleConsequence[change.role]} Their {u.active_tokens} active token{u.active_tokens === 1 ? '' : 's'} act{u.active_tokens === 1 ? 's' : ''} with the new role at once.</>
        : <>They can sign in again, and <strong>{u.active_tokens} token{u.active_tokens === 1 ? '' : 's'} of theirs work again</strong> at once.</>}
      confirmLabel={change.kind === 'role' ? `Make ${roleName[change.role].toLowerCase()}` : 'Enable user'}
      tone={widens ? 'danger' : 'primary'}
      pending={update.isPending}
      error={update.error?.message}
      onConfirm={() => update.mutate(change.kind === 'role' ? { id: u.id, role: change.role } : { id: u.id, disabled: false }, {
        onSuccess: (r) => { toast.success(change.kind === 'role' ? `${r.email} is now ${roleName[r.role].toLowerCase()}` : `${r.email} enabled; their tokens work again`); onDone() },
      })}
    />
  )
}

export function UsersPage() {
  const me = useUser()
  const { params, filters, update } = useUserListParams()
  // The cursors walked so far, so "Previous" can step back; a new search or filter starts again.
  const [history, setHistory] = useState<string[]>([])
  const users = useQuery({ ...userQueries.list(filters), placeholderData: keepPreviousData, enabled: isAdmin(me) })
  const filtered = Boolean(params.q || params.role || params.disabled)
  // Whether people other than administrators may still use passwords (the public sign-in status).
  const sso = useQuery({ queryKey: ['oidc-status'], queryFn: () => api<OidcStatus>('/api/auth/oidc/status'), staleTime: 60_000 })
  const [pending, setPending] = useState<Pending | null>(null)
  const [adding, setAdding] = useState(false)
  const [disabling, setDisabling] = useState<User | null>(null)
  const [resetting, setResetting] = useState<User | null>(null)
  const [deleting, setDeleting] = useState<User | null>(null)
  if (!isAdmin(me)) return <NoAccess what="The Users page" />
  return (
    <>
      <PageHeader
        title="Users"
        description="People who sign in to this tenant, their roles, and how many active tokens each holds."
        actions={<Button onClick={() => setAdding(true)}><UserPlus className="size-4" aria-hidden /> Add user</Button>}
      />
      <UserFilterBar params={params} update={(p) => { setHistory([]); update(p) }} />
      {users.isPending ? (
        <Skeleton className="h-40 w-full" />
      ) : users.isError ? (
        <ErrorState error={users.error} onRetry={() => users.refetch()} />
      ) : users.data.items.length === 0 ? (
        <EmptyState title={filtered ? 'No one matches' : 'No people yet'} action={filtered ? <Button variant="secondary" onClick={() => { setHistory([]); update({ q: '', role: '', disabled: '' }) }}>Clear filters</Button> : undefined}>
          {filtered ? 'Try part of a name or an email, or another role or status.' : 'Add the first person with Add user.'}
        </EmptyState>
      ) : (
        <>
        <div className="rounded-lg border border-slate-200 bg-white sm:overflow-x-auto dark:border-slate-800 dark:bg-slate-900">
          <table className="stack-table w-full text-sm sm:min-w-[44rem]">
            <caption className="sr-only">Users</caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-left text-slate-700 dark:border-slate-800 dark:bg-slate-950 dark:text-slate-300">
              <tr>
                <th scope="col" className="px-3 py-2.5 font-semibold">User</th>
                <th scope="col" className="px-3 py-2.5 font-semibold">Role</th>
                <th scope="col" className="px-3 py-2.5 font-semibold">Active tokens</th>
                <th scope="col" className="px-3 py-2.5 font-semibold">Last sign-in</th>
                <th scope="col" className="px-3 py-2.5 font-semibold">Status</th>
                <th scope="col" className="px-3 py-2.5 font-semibold"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {users.data.items.map((u) => {
                const byIdp = u.managed_by === 'scim'
                // No password to reset: SSO keeps their sign-in and passwords are for administrators only.
                const ssoOnly = u.managed_by === 'sso' && u.role !== 'admin' && sso.data?.passwords_for_non_admins === false
                return (
                <tr key={u.id}>
                  <td className="px-3 py-2.5">
                    <span className="font-medium">{u.name}</span><span className="block break-all text-slate-600 dark:text-slate-400">{u.email}</span>
                    {byIdp && <span id={`idp-${u.id}`} className="block text-xs text-slate-600 dark:text-slate-400">{IDP_NOTE}</span>}
                    {u.managed_by === 'sso' && <span className="block text-xs text-slate-600 dark:text-slate-400">{SSO_NOTE}</span>}
                  </td>
                  <td data-label="Role" className="px-3 py-2.5">
                    <Select
                      aria-label={`Role of ${u.email}`}
                      aria-describedby={byIdp ? `idp-${u.id}` : undefined}
                      title={byIdp ? IDP_NOTE : undefined}
                      className="w-full sm:w-44"
                      value={u.role}
                      disabled={u.id === me.id || byIdp}
                      onChange={(e) => setPending({ kind: 'role', user: u, role: e.target.value as Role })}
                    >
                      <option value="admin">Administrator</option>
                      <option value="developer">Developer</option>
                      <option value="auditor">Auditor</option>
                    </Select>
                  </td>
                  <td data-label="Active tokens" className="px-3 py-2.5">{u.active_tokens}</td>
                  <td data-label="Last sign-in" className="whitespace-nowrap px-3 py-2.5"><RelativeTime iso={u.last_login_at} /></td>
                  <td data-label="Status" className="px-3 py-2.5">
                    {u.disabled ? <Badge tone="red">Disabled</Badge> : <Badge tone="green">Active</Badge>}
                    {u.managed_by && <Badge tone="indigo" className="ml-1">{u.managed_by === 'scim' ? 'Managed by SCIM' : 'SSO'}</Badge>}
                  </td>
                  <td className="px-3 py-2.5 sm:whitespace-nowrap sm:text-right">
                    {u.id !== me.id && !byIdp && !ssoOnly && (
                      <Button size="sm" variant="ghost" className="mr-1" onClick={() => setResetting(u)} aria-label={`Reset the password of ${u.email}`}>Reset password</Button>
                    )}
                    {/* Disabling stays as a break-glass for someone the provider manages; only the provider re-enables them. */}
                    {u.id !== me.id && (u.disabled ? (
                      !byIdp && (
                        <Button size="sm" variant="secondary" onClick={() => setPending({ kind: 'enable', user: u })} aria-label={`Enable ${u.email}`}>
                          Enable
                        </Button>
                      )
                    ) : (
                      <Button size="sm" variant="secondary" onClick={() => setDisabling(u)} aria-label={`Disable ${u.email}`} title={byIdp ? `${IDP_NOTE}: disabling here is an emergency stop; re-enable them in the provider` : undefined}>Disable</Button>
                    ))}
                    {u.id !== me.id && (
                      <Button size="sm" variant="ghost" className="ml-1 text-red-700 dark:text-red-300" onClick={() => setDeleting(u)} aria-label={`Delete ${u.email}`}>Delete</Button>
                    )}
                  </td>
                </tr>
                )
              })}
            </tbody>
          </table>
        </div>
        <div className="mt-3 flex flex-wrap items-center justify-between gap-2 text-slate-600 dark:text-slate-400">
          <p aria-live="polite">
            {users.data.items.length} {users.data.items.length === 1 ? 'person' : 'people'} on this page{users.data.next_cursor ? ', more on the next' : ''}
            {users.isFetching && ' · updating…'}
          </p>
          <CursorPager
            canBack={history.length > 0}
            next={users.data.next_cursor}
            onBack={() => { setHistory(history.slice(0, -1)); update({ cursor: history[history.length - 1] }) }}
            onNext={(next) => { setHistory([...history, params.cursor]); update({ cursor: next }) }}
          />
        </div>
        </>
      )}
      <ScimTokenPanel />
      {/* A new person is shown at once, wherever the alphabet puts them: the list searches for them. */}
      <CreateUserDialog open={adding} onOpenChange={setAdding} onCreated={(u) => { setHistory([]); update({ q: u.email, role: '', disabled: '' }) }} />
      <DisableDialog user={disabling} onOpenChange={(o) => !o && setDisabling(null)} />
      <ResetPasswordDialog user={resetting} onOpenChange={(o) => !o && setResetting(null)} />
      <DeleteUserDialog key={deleting?.id} user={deleting} onOpenChange={(o) => !o && setDeleting(null)} />
      <PendingChange change={pending} onDone={() => setPending(null)} />
    </>
  )
}
