// The tenant policy (administrators): edit the rules, preview exactly which existing tokens they
// would change, then apply them to new tokens only or to existing ones too from a chosen date.
import { zodResolver } from '@hookform/resolvers/zod'
import { useQuery } from '@tanstack/react-query'
import { useId, useState } from 'react'
import { useForm, type UseFormRegisterReturn } from 'react-hook-form'
import { toast } from 'sonner'
import { policySettingsSchema, type DryRunResponse, type PolicySettings } from '../../../../contract/policy'
import { ApiError } from '../../../lib/api-client'
import { isStalePolicy, usePolicyDryRun, useUpdatePolicy, versionedPolicyQuery } from '../../../lib/api/governance'
import { useUser } from '../../../lib/api/session'
import { formatDate, formatDateTime } from '../../../lib/format'
import { isAdmin } from '../../../lib/roles'
import { Button } from '../../../components/ui/button'
import { Card, PageHeader } from '../../../components/ui/card'
import { Field, Input, Select } from '../../../components/ui/field'
import { ErrorState, NoAccess, Skeleton } from '../../../components/ui/states'
import { DryRunTable } from './dry-run-table'

const nullableNumber = { setValueAs: (v: string) => (v === '' || v === null ? null : Number(v)) }
const nullableText = { setValueAs: (v: string) => (v === '' ? null : v) }

function Check({ label, reg }: { label: string; reg: UseFormRegisterReturn }) {
  const id = useId()
  return (
    <div className="flex items-center gap-2">
      <input id={id} type="checkbox" {...reg} />
      <label htmlFor={id} className="text-sm">{label}</label>
    </div>
  )
}

export function PolicyPage() {
  const me = useUser()
  const read = useQuery({ ...versionedPolicyQuery(), enabled: isAdmin(me) })
  if (!isAdmin(me)) return <NoAccess what="The Policy page" />
  if (read.isPending) return <Skeleton className="h-64 w-full" />
  if (read.isError) return <ErrorState error={read.error} onRetry={() => read.refetch()} />
  const { policy, etag } = read.data
  // A new version (after a save or a reload) starts the form afresh from it.
  return (
    <PolicyForm
      key={etag ?? policy.updated_timestamp ?? 'initial'} initial={policy.settings} etag={etag} reload={() => read.refetch()}
      updated={policy.updated_timestamp ? `${formatDateTime(policy.updated_timestamp)} by ${policy.updated_by}` : null}
    />
  )
}

function PolicyForm({ initial, etag, reload, updated }: { initial: PolicySettings; etag: string | null; reload: () => void; updated: string | null }) {
  const form = useForm<PolicySettings>({ resolver: zodResolver(policySettingsSchema), defaultValues: initial })
  const dryRun = usePolicyDryRun()
  const update = useUpdatePolicy()
  const [mode, setMode] = useState<'new_only' | 'existing'>('new_only')
  const [from, setFrom] = useState('')
  const [preview, setPreview] = useState<{ result: DryRunResponse; settings: PolicySettings } | null>(null)
  const { errors } = form.formState
  const effectiveFrom = from ? new Date(`${from}T00:00:00`).toISOString() : undefined

  const runDryRun = form.handleSubmit((settings) => {
    dryRun.mutate({ settings, effective_from: effectiveFrom }, { onSuccess: (result) => setPreview({ result, settings }) })
  })
  const apply = form.handleSubmit((settings) => {
    const body = mode === 'new_only'
      ? { settings, apply: { mode: 'new_only' as const } }
      : { settings, apply: { mode: 'existing' as const, effective_from: effectiveFrom ?? new Date().toISOString() } }
    update.mutate({ ...body, etag }, {
      onSuccess: (r) => { toast.success(mode === 'new_only' ? 'Policy saved; it applies to new tokens' : `Policy saved; ${r.changed.length} existing token(s) changed`); setPreview(null) },
    })
  })
  const n = (name: keyof PolicySettings, label: string, hint?: string, nullable = false) => (
    <Field label={label} hint={hint} error={errors[name]?.message}>
      {(ids) => <Input {...ids} type="number" min={1} {...form.register(name, nullable ? nullableNumber : { valueAsNumber: true })} />}
    </Field>
  )
  return (
    <>
      <PageHeader title="Policy" description={<>The tenant&apos;s token rules, enforced on create, renew and rotate.{updated ? ` Last changed ${updated}.` : ''}</>} />
      <form noValidate onSubmit={runDryRun} className="space-y-4">
        <Card>
          <div className="grid gap-4 sm:grid-cols-2">
            {n('default_expiration_days', 'Default expiry (days)')}
            {n('max_expiration_days', 'Maximum lifetime (days)')}
            {n('idle_timeout_days', 'Idle timeout (days)', 'Tokens unused this long are ended. Empty: off.', true)}
            {n('max_active_tokens_per_user', 'Active tokens per user')}
            <Field label="Name rule (regular expression)" hint="Empty: any valid name. RE2 syntax, matched in linear time: no lookarounds or backreferences." error={errors.name_pattern?.message}>
              {(ids) => <Input {...ids} {...form.register('name_pattern', nullableText)} />}
            </Field>
            {n('reauth_window_minutes', 'Re-authentication window (minutes)', 'Creating, renewing or rotating from the console, and every administrative change (this policy, people and their roles, service credential roles, webhooks, the SCIM token), asks for the password again when the last sign-in is older. Empty: off.', true)}
            <Field label="Who may create service credentials">
              {(ids) => (
                <Select {...ids} {...form.register('service_credential_creators')}>
                  <option value="writers">Everyone with write access</option>
                  <option value="admins">Administrators only</option>
                </Select>
              )}
            </Field>
            <div className="space-y-2 pt-6">
              <Check label="Allow never-expiring tokens" reg={form.register('allow_never_expire')} />
              <Check label="Administrators may re-activate revoked tokens (never leaked ones)" reg={form.register('allow_reactivation')} />
            </div>
          </div>
        </Card>
        <Card>
          <h2 className="mb-3">Apply</h2>
          <fieldset className="space-y-2">
            <legend className="sr-only">Apply to</legend>
            <label className="flex items-center gap-2 text-sm"><input type="radio" name="mode" checked={mode === 'new_only'} onChange={() => setMode('new_only')} /> New tokens only</label>
            <label className="flex items-center gap-2 text-sm"><input type="radio" name="mode" checked={mode === 'existing'} onChange={() => setMode('existing')} /> Existing tokens as well, from a date</label>
          </fieldset>
          <Field label="Effective from" hint="Empty: now. Existing tokens that break the rules end no earlier than this." className="mt-3 max-w-xs">
            {(ids) => <Input {...ids} type="date" value={from} onChange={(e) => { setFrom(e.target.value); setPreview(null) }} />}
          </Field>
          <div className="mt-4 flex flex-wrap gap-2">
            <Button type="submit" variant="secondary" disabled={dryRun.isPending}>{dryRun.isPending ? 'Checking…' : 'Preview changes (dry run)'}</Button>
            <Button type="button" onClick={apply} disabled={update.isPending}>{update.isPending ? 'Saving…' : mode === 'new_only' ? 'Apply to new tokens' : 'Apply to new and existing tokens'}</Button>
          </div>
          {isStalePolicy(update.error) ? (
            <div role="alert" className="mt-3 text-sm font-medium text-red-700 dark:text-red-400">
              <p>Someone changed the policy since you opened it, so your changes were not saved. Reload to see the policy as it is now, then make your changes again.</p>
              <Button type="button" variant="secondary" className="mt-2" onClick={reload}>Reload the policy</Button>
            </div>
          ) : (dryRun.error ?? update.error) && <p role="alert" className="mt-3 text-sm font-medium text-red-700 dark:text-red-400">{(dryRun.error ?? update.error) instanceof ApiError ? (dryRun.error ?? update.error)!.message : 'The request failed'}</p>}
        </Card>
      </form>
      {preview && (
        <Card className="mt-4">
          <h2 className="mb-1">Dry run</h2>
          <p className="mb-3 text-sm text-slate-700 dark:text-slate-300" data-testid="dry-run-summary">
            {preview.result.total === 0
              ? 'No existing token breaks these rules.'
              : `${preview.result.total} existing token(s) break these rules. Applied to existing tokens from ${formatDate(preview.result.effective_from)}, each would get the change below; applied to new tokens only, none changes.`}
          </p>
          <DryRunTable items={preview.result.items} />
        </Card>
      )}
    </>
  )
}
