// The first three steps of the creation wizard: details, scope, expiry.
import { useQuery } from '@tanstack/react-query'
import { AlertTriangle, CalendarPlus } from 'lucide-react'
import { useEffect } from 'react'
import type { UseFormReturn } from 'react-hook-form'
import type { ConsoleCredentialType } from '../../../../contract/auth'
import type { Permission } from '../../../../contract/scopes'
import type { Role } from '../../../../contract/users'
import { DESCRIPTION_MAX } from '../../../../contract/console'
import { NAME_RULE_MESSAGE } from '../../../../contract/credentials'
import { downloadText, reminderDay, rotationIcs } from '../../../lib/calendar'
import { metaQueries } from '../../../lib/api/meta'
import { userQueries } from '../../../lib/api/users'
import { OwnerCombobox } from '../../../components/owner-combobox'
import { formatDate } from '../../../lib/format'
import { Button } from '../../../components/ui/button'
import { Field, Input, Select, Textarea } from '../../../components/ui/field'
import type { Availability } from './name-availability'
import { CredentialTypeChoice, CredentialTypeFields, KUBECONFIG_DEFAULT_DAYS, KubeconfigRevocationNote } from './credential-type-fields'
import { RadioCard } from './radio-card'
import { CatalogPermissions } from './catalog-permissions'
import { resultingDate, type WizardValues } from './wizard-schema'

type Form = UseFormReturn<WizardValues>

/** A valid name close to what was typed: lowercase, hyphens for spaces and other characters. */
export function suggestName(typed: string): string | undefined {
  const s = typed.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64).replace(/-+$/, '')
  return s.length >= 6 && s !== typed ? s : undefined
}

/** The rule as an error only says what is wrong with this value; the hint keeps the rule itself. */
function nameProblem(typed: string, message: string | undefined): string | undefined {
  if (!message) return undefined
  if (message !== NAME_RULE_MESSAGE) return message
  const wrong = [/[A-Z]/.test(typed) && 'capital letters', /\s/.test(typed) && 'spaces', /[^A-Za-z0-9\s-]/.test(typed) && 'characters other than letters, digits and hyphens', /^-|-$/.test(typed) && 'a hyphen at the start or end']
    .filter(Boolean).join(', ')
  const suggestion = suggestName(typed)
  return `The name has ${wrong || 'something the rule does not allow'}.${suggestion ? ` Try “${suggestion}”.` : ''}`
}

export function DetailsStep({ form, isAdmin, availability, selfEmail, types }: { form: Form; isAdmin: boolean; availability: Availability; selfEmail: string; types: readonly ConsoleCredentialType[] }) {
  const { register, watch, setValue, formState: { errors } } = form
  const type = watch('type')
  // A kubeconfig's body has no description or owner: the cluster's RBAC decides what it may do.
  const kube = type === 'API_TOKEN' && watch('credential_type') === 'KUBE_CONFIG'
  const name = watch('name')
  const description = watch('description')
  const accounts = useQuery({ ...userQueries.serviceAccounts(), enabled: isAdmin && type === 'SERVICE_API_TOKEN' })
  const nameHint = availability === 'checking' ? 'Checking the name…' : availability === 'available' ? 'This name is available.' : NAME_RULE_MESSAGE
  const nameError = nameProblem(name, errors.name?.message) ?? (availability === 'taken' ? 'A token with this name already exists' : undefined)
  const suggestion = errors.name ? suggestName(name) : undefined
  const over = description.length > DESCRIPTION_MAX
  return (
    <div className="space-y-5">
      {type === 'API_TOKEN' && <CredentialTypeChoice form={form} types={types} />}
      <div>
        <Field label="Name" hint={nameHint} error={nameError}>
          {(ids) => <Input {...ids} autoComplete="off" spellCheck={false} placeholder="terraform-prod-ci" {...register('name')} />}
        </Field>
        {suggestion && (
          <Button size="sm" variant="secondary" className="mt-2" onClick={() => { setValue('name', suggestion, { shouldValidate: true }); form.setFocus('name') }}>
            Use “{suggestion}”
          </Button>
        )}
      </div>
      {!kube && (
        <Field
          label="Description (optional)"
          hint={<><span>What uses this token, so others know whether it is still needed.</span> <span aria-live="polite" className={over ? 'font-medium text-red-700 dark:text-red-400' : ''}>{description.length} / {DESCRIPTION_MAX}</span></>}
          error={errors.description?.message ?? (over ? `Description must be at most ${DESCRIPTION_MAX} characters (${description.length - DESCRIPTION_MAX} too many)` : undefined)}
        >
          {(ids) => <Textarea {...ids} placeholder="Token for the Terraform CI/CD pipeline" {...register('description')} />}
        </Field>
      )}
      {isAdmin && type === 'API_TOKEN' && !kube && (
        <Field label="Owner" hint="The token acts as this person and never grants more than their role.">
          {({ 'aria-invalid': _invalid, ...ids }) => (
            <OwnerCombobox {...ids} emptyLabel={`Me (${selfEmail})`} excludeEmail={selfEmail} enabledOnly
              value={watch('owner_id')} onChange={(u) => setValue('owner_id', u?.id ?? '', { shouldDirty: true })} />
          )}
        </Field>
      )}
      {type === 'API_TOKEN' && <CredentialTypeFields form={form} />}
      {isAdmin && type === 'SERVICE_API_TOKEN' && (
        <>
          <Field label="Service account" hint="Pick an existing service account or create one with the token.">
            {(ids) => (
              <Select {...ids} {...register('service_account_id')}>
                <option value="">New service account…</option>
                {accounts.data?.items.filter((a) => !a.disabled).map((a) => (
                  <option key={a.id} value={a.id}>{a.name}</option>
                ))}
              </Select>
            )}
          </Field>
          {watch('service_account_id') === '' && (
            <Field label="New service account name" hint={NAME_RULE_MESSAGE} error={errors.service_account_name?.message}>
              {(ids) => <Input {...ids} autoComplete="off" placeholder="terraform-ci" {...register('service_account_name')} />}
            </Field>
          )}
          <Field label="Namespace role (system)" hint="The service credential's rights in the system namespace.">
            {(ids) => (
              <Select {...ids} {...register('namespace_role')}>
                <option value="ves-io-monitor">ves-io-monitor: read everything</option>
                <option value="ves-io-power-developer">ves-io-power-developer: manage its own tokens</option>
                <option value="ves-io-admin">ves-io-admin: administer the tenant</option>
              </Select>
            )}
          </Field>
        </>
      )}
    </div>
  )
}

/** `allowed`: what the chosen owner's role may hold; nothing else is offered (the server would refuse it). */
export function ScopeStep({ form, allowed, role }: { form: Form; allowed: readonly Permission[]; role: Role }) {
  const { watch, setValue, formState: { errors } } = form
  const scope = watch('scope')
  const permissions = watch('permissions')
  const catalog = useQuery(metaQueries.scopes())
  const offered = catalog.data?.items.filter((p) => allowed.includes(p.name))
  const withheld = (catalog.data?.items.length ?? 0) - (offered?.length ?? 0)
  return (
    <fieldset className="space-y-3">
      <legend className="mb-1 text-sm font-medium">Scope</legend>
      <p className="text-slate-600 dark:text-slate-400">Choose the narrowest scope that does the job. A token never grants more than its owner has.</p>
      <RadioCard name="scope" value="read_only" checked={scope === 'read_only'} onChange={() => setValue('scope', 'read_only')} title="Read-only">
        Can list and read, cannot change anything.
      </RadioCard>
      <RadioCard name="scope" value="custom" checked={scope === 'custom'} onChange={() => setValue('scope', 'custom')} title="Custom">
        Only the permissions you tick.
      </RadioCard>
      <RadioCard name="scope" value="full_access" checked={scope === 'full_access'} onChange={() => setValue('scope', 'full_access')} title="Full access">
        Everything the owner can do.
      </RadioCard>
      {scope === 'full_access' && (
        <div role="note" className="flex gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
          <AlertTriangle className="mt-0.5 size-4 shrink-0" aria-hidden />
          <p>
            <strong>Use with caution.</strong> Full access can do anything its owner can. Prefer a restricted token for one
            purpose, or a custom scope with only the permissions it needs, and rotate it often.
          </p>
        </div>
      )}
      {scope === 'custom' && (
        <fieldset className="rounded-lg border border-slate-200 p-3 dark:border-slate-700" aria-describedby={errors.permissions ? 'perm-error' : undefined}>
          <legend className="px-1 text-sm font-medium">Permissions</legend>
          {withheld > 0 && (
            <p className="mb-2 text-slate-600 dark:text-slate-400">Only the permissions the owner’s {role} role allows are offered.</p>
          )}
          <ul className="grid gap-2 sm:grid-cols-2">
            {offered?.map((p) => (
              <li key={p.name}>
                <label className="flex gap-2">
                  <input
                    type="checkbox"
                    className="mt-0.5 size-4 accent-indigo-600"
                    checked={permissions.includes(p.name)}
                    onChange={(e) => setValue('permissions', e.target.checked ? [...permissions, p.name] : permissions.filter((x) => x !== p.name), { shouldValidate: true })}
                  />
                  <span>
                    <code className="font-mono text-xs">{p.name}</code>
                    <span className="block text-xs text-slate-600 dark:text-slate-400">{p.description}</span>
                  </span>
                </label>
              </li>
            ))}
          </ul>
          <CatalogPermissions form={form} role={role} />
          {errors.permissions && <p id="perm-error" role="alert" className="mt-2 text-xs font-medium text-red-700 dark:text-red-400">{errors.permissions.message}</p>}
        </fieldset>
      )}
    </fieldset>
  )
}

function downloadReminder(name: string, expiry: Date) {
  const ics = rotationIcs({ name, uid: `${name}-${expiry.getTime()}`, expiry, steps: ['Create the replacement token', 'Update the callers', 'Revoke this token'], link: `${window.location.origin}/rotation` })
  downloadText(`rotate-${name}.ics`, ics, 'text/calendar')
}

export function ExpiryStep({ form }: { form: Form }) {
  const { watch, setValue, register, formState: { errors } } = form
  const policy = useQuery(metaQueries.policy())
  const expiry = watch('expiry')
  const date = resultingDate({ expiry, custom_date: watch('custom_date') })
  const kube = watch('type') === 'API_TOKEN' && watch('credential_type') === 'KUBE_CONFIG'
  const policyPresets = policy.data?.expiry_presets ?? [30, 60, 90, 180, 365]
  // A kubeconfig is offered its short default first (no cluster reads the CRL).
  const presets = kube && !policyPresets.includes(KUBECONFIG_DEFAULT_DAYS) ? [KUBECONFIG_DEFAULT_DAYS, ...policyPresets] : policyPresets
  // "Never" only where the policy allows it for this account type, and only for tokens (a certificate has an end date).
  const account = watch('type') === 'API_TOKEN' ? 'user' : 'service'
  const tokenKind = watch('type') === 'SERVICE_API_TOKEN' || watch('credential_type') === 'API_TOKEN'
  const neverAllowed = Boolean(policy.data?.allow_never_expire && policy.data.settings.never_expire_account_types.includes(account)) && tokenKind
  const fallback = policy.data && !neverAllowed && expiry === 'never' ? String(policy.data.default_expiration_days) : undefined
  useEffect(() => { if (fallback) setValue('expiry', fallback) }, [fallback, setValue])
  return (
    <fieldset className="space-y-3">
      <legend className="mb-1 text-sm font-medium">Expiry</legend>
      <div className="grid gap-2 sm:grid-cols-3">
        {presets.map((d) => (
          <RadioCard key={d} name="expiry" value={String(d)} checked={expiry === String(d)} onChange={() => setValue('expiry', String(d))} title={d === 1 ? '1 day' : `${d} days`}>
            {kube && d === KUBECONFIG_DEFAULT_DAYS ? 'Recommended for kubeconfigs' : d === 90 ? 'Recommended for CI/CD' : d === 365 ? 'Integrations, rotate yearly' : d === 180 ? 'Batch jobs' : undefined}
          </RadioCard>
        ))}
        <RadioCard name="expiry" value="custom" checked={expiry === 'custom'} onChange={() => setValue('expiry', 'custom')} title="Custom date" />
        <RadioCard name="expiry" value="never" checked={expiry === 'never'} onChange={() => setValue('expiry', 'never')} disabled={!neverAllowed} title="Never">
          {neverAllowed ? 'Not recommended' : !tokenKind ? 'Not for certificates and kubeconfigs' : 'Not allowed by tenant policy'}
        </RadioCard>
      </div>
      {expiry === 'custom' && (
        <Field label="Expires on" error={errors.custom_date?.message} hint={`Up to ${policy.data?.max_expiration_days ?? 365} days from today.`}>
          {(ids) => <Input {...ids} type="date" className="max-w-xs" {...register('custom_date')} />}
        </Field>
      )}
      {kube && <KubeconfigRevocationNote />}
      <p aria-live="polite" className="font-medium">
        {expiry === 'never' ? 'Never expires.' : date ? <>Expires on {formatDate(date)}.</> : 'Choose when the token expires.'}
      </p>
      {expiry === 'never' && (
        <p role="note" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
          A token that never expires works until someone revokes it: if it leaks, nothing ends it for you. Rotate it regularly; unused for two years, it is removed.
        </p>
      )}
      {date && (
        <div className="flex flex-wrap items-center gap-2">
          <Button size="sm" variant="secondary" onClick={() => downloadReminder(watch('name'), date)}>
            <CalendarPlus className="size-3.5" aria-hidden /> Add a rotation reminder to my calendar
          </Button>
          <span className="text-slate-600 dark:text-slate-400">An all-day event on {formatDate(reminderDay(date))}, two weeks before expiry.</span>
        </div>
      )}
    </fieldset>
  )
}
