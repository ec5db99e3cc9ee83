import { describe, expect, it } from 'vitest'
import { daysFromDate, toCertificateRequest, toCreateRequest, toCreateServiceRequest, toKubeConfigRequest, wizardSchema, type WizardValues } from './wizard-schema'

const base: WizardValues = {
  type: 'API_TOKEN', credential_type: 'API_TOKEN', password: '', password_confirm: '', kube_namespace: '', name: 'terraform-prod', description: '', owner_id: '', service_account_id: '', service_account_name: '',
  namespace_role: 'ves-io-monitor', scope: 'read_only', permissions: [], expiry: '90', custom_date: '', max_days: 365,
}
const errorsOf = (v: Partial<WizardValues>) => {
  const r = wizardSchema.safeParse({ ...base, ...v })
  return r.success ? {} : Object.fromEntries(r.error.issues.map((i) => [i.path.join('.'), i.message]))
}

describe('creation wizard validation', () => {
  it('accepts a valid personal token', () => {
    expect(errorsOf({})).toEqual({})
  })

  it('applies the name rule: 6–64 lowercase letters, digits and hyphens', () => {
    expect(errorsOf({ name: 'short' }).name).toMatch(/at least 6/)
    expect(errorsOf({ name: 'Has_Upper' }).name).toMatch(/lowercase/)
    expect(errorsOf({ name: '-leading-hyphen' }).name).toMatch(/lowercase/)
    expect(errorsOf({ name: 'a'.repeat(65) }).name).toMatch(/at most 64/)
  })

  it('needs a permission for a custom scope', () => {
    expect(errorsOf({ scope: 'custom' }).permissions).toBe('Choose at least one permission')
    expect(errorsOf({ scope: 'custom', permissions: ['credentials:read'] })).toEqual({})
  })

  it('checks a custom expiry date against today and the policy maximum', () => {
    const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10)
    expect(errorsOf({ expiry: 'custom', custom_date: '' }).custom_date).toBe('Choose a date')
    expect(errorsOf({ expiry: 'custom', custom_date: inDays(0) }).custom_date).toBe('Choose a date after today')
    expect(errorsOf({ expiry: 'custom', custom_date: inDays(400) }).custom_date).toMatch(/at most 365 days/)
    expect(errorsOf({ expiry: 'custom', custom_date: inDays(45) })).toEqual({})
    expect(daysFromDate(inDays(45))).toBe(45)
  })

  it('needs a name for a new service account', () => {
    expect(errorsOf({ type: 'SERVICE_API_TOKEN', service_account_name: 'x' }).service_account_name).toMatch(/at least 6/)
    expect(errorsOf({ type: 'SERVICE_API_TOKEN', service_account_name: 'terraform-ci' })).toEqual({})
  })

  it('builds the F5-compatible request bodies', () => {
    expect(toCreateRequest({ ...base, scope: 'custom', permissions: ['credentials:read'], owner_id: 'u2' })).toEqual({
      name: 'terraform-prod', namespace: 'system', expiration_days: 90, spec: { type: 'API_TOKEN' }, description: undefined,
      owner_id: 'u2', scope: 'custom', permissions: ['credentials:read'],
    })
    expect(toCreateServiceRequest({ ...base, type: 'SERVICE_API_TOKEN', service_account_name: 'terraform-ci', namespace_role: 'ves-io-admin' })).toMatchObject({
      type: 'SERVICE_API_TOKEN', namespace_roles: [{ namespace: 'system', role: 'ves-io-admin' }], service_account_name: 'terraform-ci',
    })
  })

  it('needs a certificate password, at most 1024 characters, typed twice the same', () => {
    const cert = { credential_type: 'API_CERTIFICATE' } as const
    expect(errorsOf(cert).password).toBe('Enter a password: it protects the P12 file')
    expect(errorsOf({ ...cert, password: 'x'.repeat(1025), password_confirm: 'x'.repeat(1025) }).password).toBe('Password must be at most 1024 characters')
    expect(errorsOf({ ...cert, password: 'p12-secret', password_confirm: 'p12-secreT' }).password_confirm).toBe('The passwords do not match')
    expect(errorsOf({ ...cert, password: 'p12-secret', password_confirm: 'p12-secret' })).toEqual({})
    // A password is only asked of a certificate.
    expect(errorsOf({ credential_type: 'API_TOKEN' })).toEqual({})
  })

  it('accepts an empty or a Kubernetes namespace for a kubeconfig, nothing else', () => {
    const kube = { credential_type: 'KUBE_CONFIG' } as const
    expect(errorsOf(kube)).toEqual({})
    expect(errorsOf({ ...kube, kube_namespace: 'team-a' })).toEqual({})
    expect(errorsOf({ ...kube, kube_namespace: 'Team_A' }).kube_namespace).toMatch(/at most 63 lowercase letters/)
    expect(errorsOf({ ...kube, kube_namespace: 'a'.repeat(64) }).kube_namespace).toMatch(/at most 63/)
  })

  it('builds the certificate body without its password and the kube_configs body', () => {
    const cert = toCertificateRequest({ ...base, credential_type: 'API_CERTIFICATE', password: 'p12-secret', password_confirm: 'p12-secret' })
    expect(cert).toEqual({ name: 'terraform-prod', namespace: 'system', expiration_days: 90, description: undefined, owner_id: undefined, scope: 'read_only', permissions: undefined })
    expect(JSON.stringify(cert)).not.toContain('p12-secret')
    expect(toKubeConfigRequest({ ...base, credential_type: 'KUBE_CONFIG', kube_namespace: 'team-a', description: 'ignored', owner_id: 'u2' }))
      .toEqual({ name: 'terraform-prod', namespace: 'system', expiration_days: 90, vk8s_namespace: 'team-a' })
    expect(toKubeConfigRequest({ ...base, credential_type: 'KUBE_CONFIG' }).vk8s_namespace).toBeUndefined()
  })
})

describe('never-expiring tokens in the wizard', () => {
  it('asks for never_expires instead of expiration_days, for tokens only', () => {
    expect(toCreateRequest({ ...base, expiry: 'never' })).toMatchObject({ never_expires: true, expiration_days: undefined })
    expect(toCreateServiceRequest({ ...base, type: 'SERVICE_API_TOKEN', service_account_name: 'ci-runner', expiry: 'never' })).toMatchObject({ never_expires: true, expiration_days: undefined })
    expect(toCreateRequest(base)).toMatchObject({ never_expires: undefined, expiration_days: 90 })
    expect(errorsOf({ expiry: 'never' })).toEqual({})
    expect(errorsOf({ expiry: 'never', credential_type: 'API_CERTIFICATE', password: 'secret-pass', password_confirm: 'secret-pass' }).expiry).toMatch(/always have an end date/)
  })
})
