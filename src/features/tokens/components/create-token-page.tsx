// The creation wizard: details, scope, expiry, review; then the one-time reveal.
import { zodResolver } from '@hookform/resolvers/zod'
import { useQuery } from '@tanstack/react-query'
import { ArrowLeft, ArrowRight } from 'lucide-react'
import { useState } from 'react'
import { useForm } from 'react-hook-form'
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router'
import { ApiError } from '../../../lib/api-client'
import { useCreateCredential } from '../../../lib/api/credentials'
import { metaQueries } from '../../../lib/api/meta'
import { useUser } from '../../../lib/api/session'
import { userQueries } from '../../../lib/api/users'
import { formatDate } from '../../../lib/format'
import { canMutate, isAdmin } from '../../../lib/roles'
import { RevealTokenDialog, type RevealedToken } from '../../../components/reveal-token-dialog'
import { Button } from '../../../components/ui/button'
import { Card, PageHeader } from '../../../components/ui/card'
import { NoAccess } from '../../../components/ui/states'
import { useNameAvailability } from './name-availability'
import { scopeLabel } from '../../../components/credential-table'
import { DetailsStep, ExpiryStep, ScopeStep } from './wizard-steps'
import { expirationDays, resultingDate, stepFields, toCreateRequest, toCreateServiceRequest, wizardSchema, type WizardValues } from './wizard-schema'

const STEPS = ['Details', 'Scope', 'Expiry', 'Review']

function Review({ v, ownerLabel }: { v: WizardValues; ownerLabel: string }) {
  const date = resultingDate(v)
  const rows: Array<[string, string]> = [
    ['Type', v.type === 'API_TOKEN' ? 'Personal API token' : 'Service credential'],
    ['Name', v.name],
    ['Description', v.description || '—'],
    [v.type === 'API_TOKEN' ? 'Owner' : 'Service account', ownerLabel],
    ...(v.type === 'SERVICE_API_TOKEN' ? [['Namespace role', `system: ${v.namespace_role}`] as [string, string]] : []),
    ['Scope', v.scope === 'custom' ? `Custom: ${v.permissions.join(', ')}` : scopeLabel[v.scope]],
    ['Expires', date ? `${formatDate(date)} (${expirationDays(v)} days)` : '—'],
  ]
  return (
    <dl className="divide-y divide-slate-200 dark:divide-slate-800">
      {rows.map(([k, val]) => (
        <div key={k} className="grid gap-1 py-2 sm:grid-cols-[10rem_1fr]">
          <dt className="font-medium text-slate-600 dark:text-slate-400">{k}</dt>
          <dd className="break-words">{val}</dd>
        </div>
      ))}
    </dl>
  )
}

const pages = {
  API_TOKEN: { title: 'Add API token', back: { to: '/tokens', label: 'API Tokens' }, detail: '/tokens' },
  SERVICE_API_TOKEN: { title: 'Add service credential', back: { to: '/service-credentials', label: 'Service Credentials' }, detail: '/service-credentials' },
} as const

export function CreateTokenPage({ kind = 'API_TOKEN' }: { kind?: 'API_TOKEN' | 'SERVICE_API_TOKEN' }) {
  const user = useUser()
  const page = pages[kind]
  const navigate = useNavigate()
  const policy = useQuery(metaQueries.policy())
  const admin = isAdmin(user)
  const users = useQuery({ ...userQueries.list(), enabled: admin })
  const accounts = useQuery({ ...userQueries.serviceAccounts(), enabled: admin })
  const [search] = useSearchParams()
  const [step, setStep] = useState(0)
  const [revealed, setRevealed] = useState<RevealedToken | null>(null)
  const [serverError, setServerError] = useState<string | null>(null)
  const form = useForm<WizardValues>({
    resolver: zodResolver(wizardSchema),
    mode: 'onTouched',
    defaultValues: {
      type: kind, name: '', description: '', owner_id: '', service_account_id: '', service_account_name: '',
      namespace_role: 'ves-io-monitor', scope: 'read_only', permissions: [], expiry: '90', custom_date: '', max_days: 365,
    },
  })
  const values = form.watch()
  const availability = useNameAvailability(values.name)
  const family = values.type === 'API_TOKEN' ? 'api_credentials' : 'service_credentials'
  const create = useCreateCredential(family, (secret, created) => setRevealed({ name: created.name, secret, expiresAt: created.expiration_timestamp }))
  if (kind === 'API_TOKEN' && admin && search.get('type') === 'service') return <Navigate to="/service-credentials/new" replace />
  if (!canMutate(user)) return <NoAccess />
  if (kind === 'SERVICE_API_TOKEN' && !admin) return <NoAccess what="Adding a service credential" />

  const maxDays = policy.data?.max_expiration_days ?? 365
  if (values.max_days !== maxDays) form.setValue('max_days', maxDays)
  const ownerLabel = values.type === 'API_TOKEN'
    ? values.owner_id ? users.data?.items.find((u) => u.id === values.owner_id)?.email ?? values.owner_id : `Me (${user.email})`
    : values.service_account_id ? accounts.data?.items.find((a) => a.id === values.service_account_id)?.name ?? '' : `New: ${values.service_account_name}`

  const next = async () => {
    // Focus goes to the first field to fix, so the person is taken to the problem.
    const ok = await form.trigger(stepFields[step], { shouldFocus: true })
    if (!ok) return
    if (step === 0 && availability === 'taken') return form.setFocus('name')
    setServerError(null)
    setStep((s) => Math.min(s + 1, STEPS.length - 1))
  }

  const submit = form.handleSubmit(async (v) => {
    setServerError(null)
    try {
      await create.mutateAsync(v.type === 'API_TOKEN' ? toCreateRequest(v) : toCreateServiceRequest(v))
    } catch (err) {
      if (!(err instanceof ApiError)) return setServerError('The token could not be created. Try again.')
      const field = err.details.find((d) => d.field)?.field
      if (err.status === 409 || field === 'name') {
        form.setError('name', { message: err.status === 409 ? 'A token with this name already exists' : err.message })
        setStep(0)
      } else if (field === 'permissions') {
        form.setError('permissions', { message: err.message })
        setStep(1)
      } else if (field === 'expiration_days') {
        setStep(2)
        setServerError(err.message)
      } else {
        setServerError(err.status === 429 ? `${err.message}` : err.status === 403 ? `Not allowed: ${err.message}` : err.message)
      }
    }
  })

  return (
    <>
      <Link to={page.back.to} className="mb-3 inline-flex items-center gap-1 text-indigo-700 hover:underline dark:text-indigo-300">
        <ArrowLeft className="size-4" aria-hidden /> {page.back.label}
      </Link>
      <PageHeader title={page.title} description="Name it, choose its scope and lifetime, review, and create. The token is shown once." />
      <ol className="mb-5 flex flex-wrap gap-2" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s} aria-current={i === step ? 'step' : undefined} className={`rounded-full px-3 py-1 text-xs font-medium ${i === step ? 'bg-indigo-600 text-white' : i < step ? 'bg-indigo-100 text-indigo-900 dark:bg-indigo-950 dark:text-indigo-200' : 'bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300'}`}>
            {i + 1}. {s}
          </li>
        ))}
      </ol>
      <Card className="max-w-2xl">
        <form onSubmit={(e) => { e.preventDefault(); if (step === STEPS.length - 1) void submit(); else void next() }} noValidate>
          <h2 className="mb-4">{STEPS[step]}</h2>
          {step === 0 && <DetailsStep form={form} isAdmin={admin} availability={availability} selfEmail={user.email} />}
          {step === 1 && <ScopeStep form={form} />}
          {step === 2 && <ExpiryStep form={form} />}
          {step === 3 && <Review v={values} ownerLabel={ownerLabel} />}
          {serverError && (
            <p role="alert" className="mt-4 rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{serverError}</p>
          )}
          <div className="mt-6 flex justify-between gap-2">
            <Button variant="secondary" onClick={() => (step === 0 ? navigate(page.back.to) : setStep(step - 1))}>
              {step === 0 ? 'Cancel' : <><ArrowLeft className="size-4" aria-hidden /> Back</>}
            </Button>
            {step < STEPS.length - 1 ? (
              <Button type="submit">Next <ArrowRight className="size-4" aria-hidden /></Button>
            ) : (
              <Button type="submit" disabled={create.isPending}>{create.isPending ? 'Creating…' : 'Create token'}</Button>
            )}
          </div>
        </form>
      </Card>
      <RevealTokenDialog
        token={revealed}
        onClose={() => {
          const name = revealed?.name
          setRevealed(null)
          create.reset()
          navigate(`${page.detail}/${encodeURIComponent(name ?? '')}`, { replace: true })
        }}
      />
    </>
  )
}
