import { describe, expect, it } from 'vitest'
import { daysFromDate, toCreateRequest, toCreateServiceRequest, wizardSchema, type WizardValues } from './wizard-schema'

const base: WizardValues = {
  type: 'API_TOKEN', name: 'terraform-prod', description: '', owner_id: '', service_account_id: '', service_account_name: '',
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
})
