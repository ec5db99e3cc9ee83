// The creation wizard: details (with the type: token, certificate or kubeconfig), scope, expiry,
// review; then the one-time reveal.
import { zodResolver } from '@hookform/resolvers/zod'
import { useQuery } from '@tanstack/react-query'
import { ArrowLeft, ArrowRight } from 'lucide-react'
import { useEffect, useRef, useState } from 'react'
import { useForm } from 'react-hook-form'
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router'
import { ApiError } from '../../../lib/api-client'
import { credentialQueries, useCreateCertificate, useCreateCredential, useCreateKubeConfig } from '../../../lib/api/credentials'
import { metaQueries } from '../../../lib/api/meta'
import { sessionQueries, useUser } from '../../../lib/api/session'
import { userQueries } from '../../../lib/api/users'
import { canMutate, isAdmin } from '../../../lib/roles'
import { RevealTokenDialog, type RevealedToken } from '../../../components/reveal-token-dialog'
import { Button } from '../../../components/ui/button'
import { Card, PageHeader } from '../../../components/ui/card'
import { NoAccess } from '../../../components/ui/states'
import { useNameAvailability } from './name-availability'
import type { ConsoleCredentialType } from '../../../../contract/auth'
import { isCatalogPermissionName } from '../../../../contract/permissions'
import { namespaceRoleToRole, rolePermissions, type Permission } from '../../../../contract/scopes'
import type { Role } from '../../../../contract/users'
import { freeReplacementName, replacementValues } from './replacement'
import { Review } from './wizard-review'
import { DetailsStep, ExpiryStep, ScopeStep } from './wizard-steps'
import { stepFields, toCertificateRequest, toCreateRequest, toCreateServiceRequest, toKubeConfigRequest, wizardSchema, type WizardValues } from './wizard-schema'

const STEPS = ['Details', 'Scope', 'Expiry', 'Review']
const SCOPE_STEP = 1
const TOKEN_ONLY: readonly ConsoleCredentialType[] = ['API_TOKEN']
const createLabel: Record<ConsoleCredentialType, string> = { API_TOKEN: 'Create token', API_CERTIFICATE: 'Create certificate', KUBE_CONFIG: 'Create kubeconfig' }
const revealTitle: Record<ConsoleCredentialType, string> = { API_TOKEN: 'Your new API token', API_CERTIFICATE: 'Your new API certificate', KUBE_CONFIG: 'Your new kubeconfig' }

const DEFAULTS: WizardValues = {
  type: 'API_TOKEN', credential_type: 'API_TOKEN', password: '', password_confirm: '', kube_namespace: '', name: '', description: '', owner_id: '', service_account_id: '', service_account_name: '',
  namespace_role: 'ves-io-monitor', scope: 'read_only', permissions: [], expiry: '90', custom_date: '', max_days: 365,
}

const pages = {
  API_TOKEN: { title: 'Add API token', back: { to: '/tokens', label: 'API Tokens' }, detail: '/tokens' },
  SERVICE_API_TOKEN: { title: 'Add service credential', back: { to: '/service-credentials', label: 'Service Credentials' }, detail: '/service-credentials' },
} as const

export function CreateTokenPage({ kind = 'API_TOKEN' }: { kind?: 'API_TOKEN' | 'SERVICE_API_TOKEN' }) {
  const user = useUser()
  // The types this server issues come with the console session; the sign-in answer lacks them, so a
  // session without them is asked again once here.
  const session = useQuery({ ...sessionQueries.current(), refetchOnMount: (q) => (q.state.data?.credential_types ? true : 'always') })
  const types = kind === 'API_TOKEN' ? session.data?.credential_types ?? TOKEN_ONLY : TOKEN_ONLY
  const page = pages[kind]
  const navigate = useNavigate()
  const policy = useQuery(metaQueries.policy())
  const admin = isAdmin(user)
  const accounts = useQuery({ ...userQueries.serviceAccounts(), enabled: admin })
  const [search] = useSearchParams()
  const [step, setStep] = useState(0)
  const [revealed, setRevealed] = useState<RevealedToken | null>(null)
  const [serverError, setServerError] = useState<string | null>(null)
  const form = useForm<WizardValues>({
    resolver: zodResolver(wizardSchema),
    mode: 'onTouched',
    defaultValues: { ...DEFAULTS, type: kind },
  })
  const values = form.watch()
  // A replacement (?replace=<name>, from a leaked token's page): the wizard starts with its settings.
  const replaceOf = search.get('replace') ?? ''
  const source = useQuery({ ...credentialQueries.detail(kind === 'API_TOKEN' ? 'api_credentials' : 'service_credentials', replaceOf), enabled: replaceOf !== '' })
  const prefilled = useRef(false)
  // The replaced token's owner, read by id: kept as the owner only while an enabled person.
  const sourceOwnerId = source.data?.owner.kind === 'user' && source.data.owner.id !== user.id ? source.data.owner.id : ''
  const sourceOwner = useQuery({ ...userQueries.detail(sourceOwnerId), enabled: admin && sourceOwnerId !== '', retry: false })
  const prefillReady = source.data && policy.data && (!admin || !sourceOwnerId || !sourceOwner.isPending) && (!admin || kind === 'API_TOKEN' || accounts.data)
  useEffect(() => {
    if (!prefillReady || prefilled.current || !source.data || !policy.data) return
    prefilled.current = true
    const ctrl = new AbortController()
    const c = source.data
    const presets = policy.data.expiry_presets
    const maxDays = policy.data.max_expiration_days
    // An administrator may create for another enabled person; anyone else's replacement is their own.
    const mayOwn = (id: string) => admin && id !== user.id && sourceOwner.data?.id === id && !sourceOwner.data.disabled
    void freeReplacementName(c.name, ctrl.signal).catch(() => `${c.name}-2`).then((name) => {
      form.reset({ ...DEFAULTS, type: kind, max_days: maxDays, ...replacementValues(c, name, { presets, maxDays, mayOwn }) })
    })
  }, [prefillReady, source.data, policy.data, sourceOwner.data, admin, user.id, kind, form])

  // Only what the chosen owner's role may hold is offered; a change of owner drops the rest, and says so.
  // The owner picker leaves the person it chose (with their role) in this query's cache.
  const owner = useQuery({ ...userQueries.detail(values.owner_id), enabled: admin && values.owner_id !== '' })
  const ownerRole: Role = values.type === 'SERVICE_API_TOKEN'
    ? namespaceRoleToRole[values.namespace_role]
    : values.owner_id ? owner.data?.role ?? user.role : user.role
  const allowed = rolePermissions[ownerRole]
  const [removed, setRemoved] = useState<Permission[]>([])
  // Catalog permissions follow the catalog's own rule (offered by the scope step), not the role's list.
  const notAllowed = values.permissions.filter((p) => !isCatalogPermissionName(p) && !allowed.includes(p as Permission)).join(',')
  useEffect(() => {
    if (!notAllowed) return
    const ok: readonly string[] = rolePermissions[ownerRole]
    setRemoved(notAllowed.split(',') as Permission[])
    form.setValue('permissions', form.getValues('permissions').filter((p) => isCatalogPermissionName(p) || ok.includes(p)), { shouldValidate: form.formState.isSubmitted })
  }, [notAllowed, ownerRole, form])
  const availability = useNameAvailability(values.name)
  // Focus follows the step: its heading when the step changes, or the field a server error sends the
  // person back to. Not on first render: the page's own heading and the Name field come first then.
  const stepHeading = useRef<HTMLHeadingElement>(null)
  const focusOnStep = useRef<keyof WizardValues | null>(null)
  const shownStep = useRef(step)
  useEffect(() => {
    if (shownStep.current === step) return
    shownStep.current = step
    const field = focusOnStep.current
    focusOnStep.current = null
    if (field) form.setFocus(field)
    else stepHeading.current?.focus()
  }, [step, form])
  const family = values.type === 'API_TOKEN' ? 'api_credentials' : 'service_credentials'
  const credentialType = values.type === 'API_TOKEN' ? values.credential_type : 'API_TOKEN'
  const kube = credentialType === 'KUBE_CONFIG'
  const create = useCreateCredential(family, (secret, created) => setRevealed({ name: created.name, secret, expiresAt: created.expiration_timestamp }))
  const createCertificate = useCreateCertificate(() => form.getValues('password'), (secret, created) => {
    // The password has done its job: it leaves the form as the bundle it protects is shown.
    form.setValue('password', '')
    form.setValue('password_confirm', '')
    setRevealed({ name: created.name, secret, expiresAt: created.expiration_timestamp, kind: 'API_CERTIFICATE' })
  })
  const createKube = useCreateKubeConfig((secret, created) => setRevealed({ name: created.name, secret, expiresAt: created.expiration_timestamp, kind: 'KUBE_CONFIG' }))
  const pending = create.isPending || createCertificate.isPending || createKube.isPending
  if (kind === 'API_TOKEN' && admin && search.get('type') === 'service') return <Navigate to="/service-credentials/new" replace />
  if (!canMutate(user)) return <NoAccess />
  if (kind === 'SERVICE_API_TOKEN' && !admin) return <NoAccess what="Adding a service credential" />

  const maxDays = policy.data?.max_expiration_days ?? 365
  if (values.max_days !== maxDays) form.setValue('max_days', maxDays)
  const ownerLabel = values.type === 'API_TOKEN'
    ? values.owner_id && !kube ? owner.data?.email ?? values.owner_id : `Me (${user.email})`
    : values.service_account_id ? accounts.data?.items.find((a) => a.id === values.service_account_id)?.name ?? '' : `New: ${values.service_account_name}`

  const next = async () => {
    // Focus goes to the first field to fix, so the person is taken to the problem.
    const ok = await form.trigger(stepFields[step], { shouldFocus: true })
    if (!ok) return
    if (step === 0 && availability === 'taken') return form.setFocus('name')
    setServerError(null)
    // A kubeconfig has no scope of its own here: the cluster's RBAC decides, so that step is skipped.
    setStep((s) => Math.min(s + 1 === SCOPE_STEP && kube ? s + 2 : s + 1, STEPS.length - 1))
  }
  const back = () => setStep((s) => (s - 1 === SCOPE_STEP && kube ? s - 2 : s - 1))
  const shownSteps = STEPS.map((label, i) => ({ label, i })).filter(({ i }) => !(kube && i === SCOPE_STEP))

  const submit = form.handleSubmit(async (v) => {
    setServerError(null)
    try {
      if (v.type === 'SERVICE_API_TOKEN') await create.mutateAsync(toCreateServiceRequest(v))
      else if (v.credential_type === 'API_CERTIFICATE') await createCertificate.mutateAsync(toCertificateRequest(v))
      else if (v.credential_type === 'KUBE_CONFIG') await createKube.mutateAsync(toKubeConfigRequest(v))
      else await create.mutateAsync(toCreateRequest(v))
    } catch (err) {
      if (!(err instanceof ApiError)) return setServerError('The token could not be created. Try again.')
      const field = err.details.find((d) => d.field)?.field
      if (err.status === 409 || field === 'name') {
        form.setError('name', { message: err.status === 409 ? 'A token with this name already exists' : err.message })
        focusOnStep.current = 'name'
        setStep(0)
      } else if (field === 'password') {
        form.setError('password', { message: err.message })
        focusOnStep.current = 'password'
        setStep(0)
      } else if (field === 'permissions') {
        form.setError('permissions', { message: err.message })
        setStep(1)
      } else if (field === 'expiration_days' || field === 'never_expires') {
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
        {shownSteps.map(({ label: s, i }, n) => (
          <li key={s} aria-current={i === step ? 'step' : undefined} className={`rounded-full px-3 py-1 text-xs font-medium ${i === step ? 'bg-indigo-600 text-white' : i < step ? 'bg-indigo-100 text-indigo-900 dark:bg-indigo-950 dark:text-indigo-200' : 'bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300'}`}>
            {n + 1}. {s}
          </li>
        ))}
      </ol>
      <Card className="max-w-2xl">
        <form onSubmit={(e) => { e.preventDefault(); if (step === STEPS.length - 1) void submit(); else void next() }} noValidate>
          <h2 ref={stepHeading} tabIndex={-1} className="mb-4 outline-none">{STEPS[step]}</h2>
          {step === 0 && <DetailsStep form={form} isAdmin={admin} availability={availability} selfEmail={user.email} types={types} />}
          {removed.length > 0 && (
            <p role="status" className="mb-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
              Removed {removed.join(', ')}: the {ownerRole} role of the chosen owner does not allow {removed.length === 1 ? 'it' : 'them'}.
            </p>
          )}
          {replaceOf && (
            <p role="note" className="mb-4 rounded-md border border-indigo-200 bg-indigo-50 p-3 text-indigo-950 dark:border-indigo-800 dark:bg-indigo-950 dark:text-indigo-100">
              {source.isError ? <>The settings of “{replaceOf}” could not be read; fill them in yourself.</> : <>A replacement for “{replaceOf}”: its settings are filled in. Check them, then create.</>}
            </p>
          )}
          {step === 1 && <ScopeStep form={form} allowed={allowed} role={ownerRole} />}
          {step === 2 && <ExpiryStep form={form} />}
          {step === 3 && <Review v={values} ownerLabel={ownerLabel} />}
          {serverError && (
            <p role="alert" className="mt-4 rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{serverError}</p>
          )}
          <div className="mt-6 flex justify-between gap-2">
            <Button variant="secondary" onClick={() => (step === 0 ? navigate(page.back.to) : back())}>
              {step === 0 ? 'Cancel' : <><ArrowLeft className="size-4" aria-hidden /> Back</>}
            </Button>
            {step < STEPS.length - 1 ? (
              <Button type="submit">Next <ArrowRight className="size-4" aria-hidden /></Button>
            ) : (
              <Button type="submit" disabled={pending}>{pending ? 'Creating…' : createLabel[credentialType]}</Button>
            )}
          </div>
        </form>
      </Card>
      <RevealTokenDialog
        token={revealed}
        title={revealTitle[revealed?.kind ?? 'API_TOKEN']}
        onCloseAutoFocus={(e) => e.preventDefault()}
        onClose={() => {
          const name = revealed?.name
          setRevealed(null)
          create.reset()
          createCertificate.reset()
          createKube.reset()
          // The new token's page opens with focus on its heading (its Create button is gone with the wizard).
          navigate(`${page.detail}/${encodeURIComponent(name ?? '')}`, { replace: true, state: { focus: 'heading' } })
        }}
      />
    </>
  )
}
