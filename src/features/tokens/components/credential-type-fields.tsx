// The personal wizard's type choice (only the types this server issues) and each type's own fields:
// the certificate's password (kept in the form only) or the kubeconfig's namespace.
import type { UseFormReturn } from 'react-hook-form'
import type { ConsoleCredentialType } from '../../../../contract/auth'
import { Field, Input } from '../../../components/ui/field'
import { RadioCard } from './radio-card'
import type { WizardValues } from './wizard-schema'

type Form = UseFormReturn<WizardValues>

export const credentialTypeLabel: Record<ConsoleCredentialType, string> = {
  API_TOKEN: 'API token',
  API_CERTIFICATE: 'API certificate (P12)',
  KUBE_CONFIG: 'Kubeconfig',
}

/**
 * A kubeconfig's preset lifetime, as the server's default for one (server/kube/kubeconfig.ts): a
 * Kubernetes API server reads no revocation list, so its end date is all that stops a leaked one.
 */
export const KUBECONFIG_DEFAULT_DAYS = 1
/** The form's own default expiry, restored when a kubeconfig's short one is left behind. */
const FORM_DEFAULT_EXPIRY = '90'

/** Said wherever a kubeconfig's lifetime is chosen: revoking it here does not reach the cluster. */
export function KubeconfigRevocationNote() {
  return (
    <p role="note" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
      Revoking a kubeconfig does not reach the Kubernetes API server: clusters do not read revocation lists (CRLs), so the
      cluster accepts it until it expires. Its lifetime is the only limit, so it lasts {KUBECONFIG_DEFAULT_DAYS} day unless you choose longer.
    </p>
  )
}

const explanation: Record<ConsoleCredentialType, string> = {
  API_TOKEN: 'A secret for the Authorization header of API calls.',
  API_CERTIFICATE: 'A client certificate and key in a password-protected PKCS#12 file, for mutual TLS.',
  KUBE_CONFIG: 'A kubeconfig file with a client certificate for the tenant’s Kubernetes cluster.',
}

/** Radio cards for the enabled types; nothing when API tokens are the only one. */
export function CredentialTypeChoice({ form, types }: { form: Form; types: readonly ConsoleCredentialType[] }) {
  const chosen = form.watch('credential_type')
  if (types.length < 2) return null
  const choose = (t: ConsoleCredentialType) => {
    form.setValue('credential_type', t)
    // A kubeconfig starts with its short lifetime; another type gets the usual default back.
    if (t === 'KUBE_CONFIG') form.setValue('expiry', String(KUBECONFIG_DEFAULT_DAYS))
    else if (form.getValues('expiry') === String(KUBECONFIG_DEFAULT_DAYS)) form.setValue('expiry', FORM_DEFAULT_EXPIRY)
    // A password is not kept for a type that does not use it.
    if (t !== 'API_CERTIFICATE') {
      form.setValue('password', '')
      form.setValue('password_confirm', '')
      form.clearErrors(['password', 'password_confirm'])
    }
  }
  return (
    <fieldset className="space-y-2">
      <legend className="mb-1 text-sm font-medium">Type</legend>
      <div className="grid gap-2 sm:grid-cols-3">
        {types.map((t) => (
          <RadioCard key={t} name="credential_type" value={t} checked={chosen === t} onChange={() => choose(t)} title={credentialTypeLabel[t]}>
            {explanation[t]}
          </RadioCard>
        ))}
      </div>
    </fieldset>
  )
}

/** The chosen type's own fields: a password and its confirmation, or the kubeconfig's namespace. */
export function CredentialTypeFields({ form }: { form: Form }) {
  const { register, watch, formState: { errors } } = form
  const type = watch('credential_type')
  if (type === 'API_CERTIFICATE') {
    return (
      <div className="space-y-5">
        <Field label="P12 password" hint="Protects the downloaded file; you will need it to import the certificate. The server does not keep it and it cannot be shown again." error={errors.password?.message}>
          {(ids) => <Input {...ids} type="password" autoComplete="new-password" {...register('password')} />}
        </Field>
        <Field label="Confirm the password" error={errors.password_confirm?.message}>
          {(ids) => <Input {...ids} type="password" autoComplete="new-password" {...register('password_confirm')} />}
        </Field>
      </div>
    )
  }
  if (type === 'KUBE_CONFIG') {
    return (
      <div className="space-y-3">
        <Field label="Cluster namespace (optional)" hint="The kubeconfig context’s default namespace. What it may do in the cluster is decided there, by RBAC for your user name and role." error={errors.kube_namespace?.message}>
          {(ids) => <Input {...ids} autoComplete="off" spellCheck={false} placeholder="default" {...register('kube_namespace')} />}
        </Field>
        <KubeconfigRevocationNote />
      </div>
    )
  }
  return null
}
