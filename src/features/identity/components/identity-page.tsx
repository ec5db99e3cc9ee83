// Single sign-on (administrators): the OpenID provider, which claim value gives which role, whether a
// first sign-in creates the person, and whether people other than administrators may still use passwords.
import { zodResolver } from '@hookform/resolvers/zod'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useId, useState } from 'react'
import { useFieldArray, useForm, type UseFormRegisterReturn } from 'react-hook-form'
import { toast } from 'sonner'
import { z } from 'zod'
import type { OidcSettingsResponse } from '../../../../contract/identity'
import { roleSchema } from '../../../../contract/users'
import { ApiError, ReauthCancelledError } from '../../../lib/api-client'
import { useUser } from '../../../lib/api/session'
import { formatDateTime } from '../../../lib/format'
import { isAdmin } from '../../../lib/roles'
import { Button } from '../../../components/ui/button'
import { Card, PageHeader } from '../../../components/ui/card'
import { Field, Input, Select } from '../../../components/ui/field'
import { ErrorState, NoAccess, Skeleton } from '../../../components/ui/states'
import { identityQueries, saveOidcSettings, useTestDiscovery } from '../api'

const formSchema = z.object({
  issuer: z.string().trim().max(500).refine((v) => v === '' || /^https?:\/\/[^\s?#]+$/.test(v), { message: 'Enter the issuer URL, e.g. https://login.example.com/realms/acme' }),
  client_id: z.string().trim().max(255),
  /** Empty keeps the stored secret. */
  client_secret: z.string().max(1000),
  remove_secret: z.boolean(),
  role_claim: z.string().trim().min(1, { message: 'Name the claim, e.g. groups' }).max(100),
  mappings: z.array(z.object({ value: z.string().trim().min(1, { message: 'Enter the claim value' }).max(200), role: roleSchema })).max(100),
  jit: z.boolean(),
  default_role: roleSchema,
  passwords_for_non_admins: z.boolean(),
}).refine((v) => (v.issuer === '') === (v.client_id === ''), { message: 'Set both the issuer and the client id, or neither', path: ['client_id'] })
type FormValues = z.infer<typeof formSchema>

function Check({ label, hint, reg }: { label: string; hint?: string; reg: UseFormRegisterReturn }) {
  const id = useId()
  return (
    <div>
      <div className="flex items-center gap-2">
        <input id={id} type="checkbox" {...reg} aria-describedby={hint ? `${id}-hint` : undefined} />
        <label htmlFor={id} className="text-sm font-medium">{label}</label>
      </div>
      {hint && <p id={`${id}-hint`} className="ml-6 text-xs text-slate-600 dark:text-slate-400">{hint}</p>}
    </div>
  )
}

export function IdentityPage() {
  const me = useUser()
  const read = useQuery({ ...identityQueries.oidc(), enabled: isAdmin(me) })
  if (!isAdmin(me)) return <NoAccess what="The Identity page" />
  if (read.isPending) return <Skeleton className="h-64 w-full" />
  if (read.isError) return <ErrorState error={read.error} onRetry={() => read.refetch()} />
  return <IdentityForm key={read.data.updated_at ?? 'environment'} current={read.data} />
}

function toForm({ settings: s }: OidcSettingsResponse): FormValues {
  return {
    issuer: s.issuer ?? '', client_id: s.client_id ?? '', client_secret: '', remove_secret: false, role_claim: s.role_claim,
    mappings: Object.entries(s.role_map).map(([value, role]) => ({ value, role })), jit: s.jit, default_role: s.default_role,
    passwords_for_non_admins: s.passwords_for_non_admins,
  }
}

function IdentityForm({ current }: { current: OidcSettingsResponse }) {
  const qc = useQueryClient()
  const form = useForm<FormValues>({ resolver: zodResolver(formSchema), defaultValues: toForm(current) })
  const mappings = useFieldArray({ control: form.control, name: 'mappings' })
  const test = useTestDiscovery()
  const [saving, setSaving] = useState(false)
  const [saveError, setSaveError] = useState<string | null>(null)
  const { errors } = form.formState
  const s = current.settings

  const save = form.handleSubmit(async (v) => {
    setSaving(true)
    setSaveError(null)
    try {
      await saveOidcSettings(qc, {
        issuer: v.issuer || null, client_id: v.client_id || null,
        ...(v.remove_secret ? { client_secret: null } : v.client_secret ? { client_secret: v.client_secret } : {}),
        role_claim: v.role_claim, role_map: Object.fromEntries(v.mappings.map((m) => [m.value, m.role])), jit: v.jit,
        default_role: v.default_role, passwords_for_non_admins: v.passwords_for_non_admins,
      })
      toast.success('Single sign-on settings saved')
    } catch (err) {
      form.setValue('client_secret', '')
      if (!(err instanceof ReauthCancelledError)) setSaveError(err instanceof ApiError ? err.message : 'Saving failed. Try again.')
    } finally {
      setSaving(false)
    }
  })

  const runTest = () => {
    const issuer = form.getValues('issuer').trim()
    if (!issuer) {
      form.setError('issuer', { message: 'Enter the issuer URL to test it' })
      return
    }
    test.mutate(issuer)
  }

  const updated = current.updated_at ? ` Last changed ${formatDateTime(current.updated_at)} by ${current.updated_by}.` : ' Nothing saved yet: the values below come from OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.'
  return (
    <>
      <PageHeader title="Identity" description={<>Single sign-on with your company&apos;s OpenID Connect provider.{updated}</>} />
      <form noValidate onSubmit={(e) => void save(e)} className="space-y-4">
        <Card>
          <h2 className="mb-3 text-base font-semibold">Provider</h2>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Issuer URL" hint="Discovery reads {issuer}/.well-known/openid-configuration. Leave empty to turn single sign-on off." error={errors.issuer?.message}>
              {(ids) => <Input {...ids} type="url" placeholder="https://login.example.com" autoComplete="off" {...form.register('issuer')} />}
            </Field>
            <Field label="Client ID" error={errors.client_id?.message}>
              {(ids) => <Input {...ids} autoComplete="off" {...form.register('client_id')} />}
            </Field>
            <Field label="Client secret" hint={s.client_secret_set ? 'A secret is stored; it is never shown. Type a new one to replace it, or leave empty to keep it.' : 'None stored (a public client using PKCE alone).'}>
              {(ids) => <Input {...ids} type="password" autoComplete="new-password" {...form.register('client_secret')} />}
            </Field>
            <div className="space-y-2 self-end">
              {s.client_secret_set && <Check label="Remove the stored secret" reg={form.register('remove_secret')} />}
              <p className="text-xs text-slate-600 dark:text-slate-400">Register this redirect URI with the provider: <code className="break-all">{current.redirect_uri}</code></p>
            </div>
          </div>
          <div className="mt-4 flex flex-wrap items-center gap-3">
            <Button type="button" variant="secondary" onClick={runTest} disabled={test.isPending}>{test.isPending ? 'Testing…' : 'Test discovery'}</Button>
            {test.data && (test.data.ok
              ? <p role="status" className="text-sm text-green-800 dark:text-green-300">Discovered {test.data.issuer}: sign-in at {test.data.authorization_endpoint}{test.data.code_challenge_methods?.includes('S256') ? '; PKCE S256 supported' : ''}.</p>
              : <p role="alert" className="text-sm text-red-800 dark:text-red-300">{test.data.error}</p>)}
            {test.error && <p role="alert" className="text-sm text-red-800 dark:text-red-300">{test.error.message}</p>}
          </div>
        </Card>
        <Card>
          <h2 className="mb-3 text-base font-semibold">Roles</h2>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Role claim" hint="The ID token claim whose values map to roles, e.g. groups or roles." error={errors.role_claim?.message}>
              {(ids) => <Input {...ids} autoComplete="off" {...form.register('role_claim')} />}
            </Field>
            <Field label="Default role" hint="For a person created at first sign-in when none of their claim values maps to a role.">
              {(ids) => (
                <Select {...ids} {...form.register('default_role')}>
                  <option value="developer">Developer</option>
                  <option value="auditor">Auditor</option>
                  <option value="admin">Administrator</option>
                </Select>
              )}
            </Field>
          </div>
          <fieldset className="mt-4">
            <legend className="text-sm font-medium">Claim value → role</legend>
            <p className="mb-2 text-xs text-slate-600 dark:text-slate-400">When several values match, the strongest role wins (administrator, then auditor, then developer). People single sign-on created take their mapped role at each sign-in.</p>
            <ul className="space-y-2">
              {mappings.fields.map((f, i) => (
                <li key={f.id} className="flex flex-wrap items-start gap-2">
                  <Input aria-label={`Claim value ${i + 1}`} className="w-56" {...form.register(`mappings.${i}.value`)} />
                  <Select aria-label={`Role for claim value ${i + 1}`} className="w-44" {...form.register(`mappings.${i}.role`)}>
                    <option value="admin">Administrator</option>
                    <option value="developer">Developer</option>
                    <option value="auditor">Auditor</option>
                  </Select>
                  <Button type="button" size="sm" variant="ghost" onClick={() => mappings.remove(i)} aria-label={`Remove mapping ${i + 1}`}>Remove</Button>
                  {errors.mappings?.[i]?.value && <p className="w-full text-xs text-red-800 dark:text-red-300">{errors.mappings[i].value.message}</p>}
                </li>
              ))}
            </ul>
            <Button type="button" size="sm" variant="secondary" className="mt-2" onClick={() => mappings.append({ value: '', role: 'developer' })}>Add mapping</Button>
          </fieldset>
        </Card>
        <Card>
          <h2 className="mb-3 text-base font-semibold">Sign-in</h2>
          <div className="space-y-3">
            <Check label="Create people at their first sign-in (just in time)" hint="Off: only people who already have an account here (matched by verified email) may sign in." reg={form.register('jit')} />
            <Check label="People other than administrators may sign in with a password" hint="Off: they use single sign-on; administrators keep their passwords as a way in when the provider is down." reg={form.register('passwords_for_non_admins')} />
          </div>
        </Card>
        {saveError && <p role="alert" className="rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{saveError}</p>}
        <div className="flex justify-end">
          <Button type="submit" disabled={saving}>{saving ? 'Saving…' : 'Save settings'}</Button>
        </div>
      </form>
    </>
  )
}
