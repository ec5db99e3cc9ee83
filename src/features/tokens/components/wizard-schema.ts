// The creation wizard's form: contract rules for each field, plus the cross-field rules of the wizard.
import { addDays, differenceInCalendarDays, startOfDay } from 'date-fns'
import { z } from 'zod'
import { consoleCredentialTypeSchema } from '../../../../contract/auth'
import { credentialNameSchema, type CreateCredentialRequest, type CreateServiceCredentialRequest } from '../../../../contract/credentials'
import type { CreateKubeConfigRequest } from '../../../../contract/kube'
import { grantablePermissionSchema } from '../../../../contract/permissions'
import { namespaceRoleNameSchema, scopeKindSchema } from '../../../../contract/scopes'

export const PASSWORD_MAX = 1024
/** RFC 1123 label: what Kubernetes accepts as a namespace name. */
const K8S_NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

export const wizardSchema = z
  .object({
    type: z.enum(['API_TOKEN', 'SERVICE_API_TOKEN']),
    /** What a personal credential is: a token, an API certificate (P12) or a kubeconfig. */
    credential_type: consoleCredentialTypeSchema,
    /** API certificate only: protects the P12 file. Lives in the form only, never stored or cached. */
    password: z.string(),
    password_confirm: z.string(),
    /** Kubeconfig only: the context's default namespace in the cluster. */
    kube_namespace: z.string(),
    name: credentialNameSchema,
    description: z.string().max(1024, { message: 'Description must be at most 1024 characters' }),
    owner_id: z.string(),
    service_account_id: z.string(),
    service_account_name: z.string(),
    namespace_role: namespaceRoleNameSchema,
    scope: scopeKindSchema,
    /** This API's permissions and catalog permissions for other services. */
    permissions: z.array(grantablePermissionSchema),
    expiry: z.string(),
    custom_date: z.string(),
    max_days: z.number(),
  })
  .superRefine((v, ctx) => {
    if (v.type === 'API_TOKEN' && v.credential_type === 'API_CERTIFICATE') {
      // The server's rule (server/pki): a password is required, at most 1024 characters, never stored.
      if (v.password === '') ctx.addIssue({ code: 'custom', path: ['password'], message: 'Enter a password: it protects the P12 file' })
      else if (v.password.length > PASSWORD_MAX) ctx.addIssue({ code: 'custom', path: ['password'], message: `Password must be at most ${PASSWORD_MAX} characters` })
      else if (v.password_confirm !== v.password) ctx.addIssue({ code: 'custom', path: ['password_confirm'], message: 'The passwords do not match' })
    }
    if (v.type === 'API_TOKEN' && v.credential_type === 'KUBE_CONFIG' && v.kube_namespace !== '' && !K8S_NAMESPACE.test(v.kube_namespace)) {
      ctx.addIssue({ code: 'custom', path: ['kube_namespace'], message: 'A Kubernetes namespace has at most 63 lowercase letters, digits and hyphens, and starts and ends with a letter or digit' })
    }
    if (v.scope === 'custom' && v.permissions.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['permissions'], message: 'Choose at least one permission' })
    }
    if (v.type === 'SERVICE_API_TOKEN' && v.service_account_id === '') {
      const r = credentialNameSchema.safeParse(v.service_account_name)
      if (!r.success) ctx.addIssue({ code: 'custom', path: ['service_account_name'], message: r.error.issues[0].message })
    }
    if (v.expiry === 'never' && v.type === 'API_TOKEN' && v.credential_type !== 'API_TOKEN') {
      ctx.addIssue({ code: 'custom', path: ['expiry'], message: 'Certificates and kubeconfigs always have an end date; choose one' })
    }
    if (v.expiry === 'custom') {
      const days = daysFromDate(v.custom_date)
      if (days === undefined) ctx.addIssue({ code: 'custom', path: ['custom_date'], message: 'Choose a date' })
      else if (days < 1) ctx.addIssue({ code: 'custom', path: ['custom_date'], message: 'Choose a date after today' })
      else if (days > v.max_days) ctx.addIssue({ code: 'custom', path: ['custom_date'], message: `Tenant policy allows at most ${v.max_days} days` })
    }
  })
export type WizardValues = z.infer<typeof wizardSchema>

export function daysFromDate(date: string, now = new Date()): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined
  const d = new Date(`${date}T00:00:00`)
  if (Number.isNaN(d.getTime())) return undefined
  return differenceInCalendarDays(d, startOfDay(now))
}

/** 'never': no end date (only offered where the tenant policy allows it for the account type). */
export const neverExpires = (v: Pick<WizardValues, 'expiry'>) => v.expiry === 'never'

export function expirationDays(v: Pick<WizardValues, 'expiry' | 'custom_date'>): number | undefined {
  if (neverExpires(v)) return undefined
  return v.expiry === 'custom' ? daysFromDate(v.custom_date) : Number(v.expiry)
}

export function resultingDate(v: Pick<WizardValues, 'expiry' | 'custom_date'>, now = new Date()): Date | undefined {
  const days = expirationDays(v)
  return days && days > 0 ? addDays(now, days) : undefined
}

export function toCreateRequest(v: WizardValues): CreateCredentialRequest {
  return {
    name: v.name,
    namespace: 'system',
    expiration_days: expirationDays(v),
    never_expires: neverExpires(v) || undefined,
    spec: { type: 'API_TOKEN' },
    description: v.description || undefined,
    owner_id: v.owner_id || undefined,
    scope: v.scope,
    permissions: v.scope === 'custom' ? v.permissions : undefined,
  }
}

/** The API certificate request; the password is added when sending (useCreateCertificate). */
export function toCertificateRequest(v: WizardValues): Omit<CreateCredentialRequest, 'spec'> {
  const { spec: _spec, ...rest } = toCreateRequest(v)
  return rest
}

/** The kube_configs body: the F5 request has no owner, description or scope (RBAC decides in the cluster). */
export function toKubeConfigRequest(v: WizardValues): CreateKubeConfigRequest {
  return { name: v.name, namespace: 'system', expiration_days: expirationDays(v), vk8s_namespace: v.kube_namespace || undefined }
}

export function toCreateServiceRequest(v: WizardValues): CreateServiceCredentialRequest {
  return {
    name: v.name,
    namespace: 'system',
    type: 'SERVICE_API_TOKEN',
    expiration_days: expirationDays(v),
    never_expires: neverExpires(v) || undefined,
    namespace_roles: [{ namespace: 'system', role: v.namespace_role }],
    service_account_id: v.service_account_id || undefined,
    service_account_name: v.service_account_id ? undefined : v.service_account_name,
    description: v.description || undefined,
    scope: v.scope,
    permissions: v.scope === 'custom' ? v.permissions : undefined,
  }
}

/** Fields checked before leaving each step. */
export const stepFields: Array<Array<keyof WizardValues>> = [
  ['type', 'credential_type', 'name', 'description', 'owner_id', 'service_account_id', 'service_account_name', 'namespace_role', 'password', 'password_confirm', 'kube_namespace'],
  ['scope', 'permissions'],
  ['expiry', 'custom_date'],
  [],
]
