// One name per credential type, wherever a type is shown (tables, detail pages, filters, the wizard's
// review): people read "API certificate", never the API's API_CERTIFICATE.
import type { CredentialType } from '../../contract/credentials'

export const credentialTypeLabels: Record<CredentialType, string> = {
  API_TOKEN: 'API token',
  API_CERTIFICATE: 'API certificate',
  KUBE_CONFIG: 'Kubeconfig',
  SERVICE_API_TOKEN: 'Service API token',
  SERVICE_API_CERTIFICATE: 'Service API certificate',
  SERVICE_KUBE_CONFIG: 'Service kubeconfig',
  SITE_GLOBAL_KUBE_CONFIG: 'Site kubeconfig',
  SERVICE_SITE_GLOBAL_KUBE_CONFIG: 'Service site kubeconfig',
  SCIM_API_TOKEN: 'SCIM token',
}

/** A type the console does not know yet still reads as words rather than as a constant. */
export function typeLabel(type: string): string {
  if (type in credentialTypeLabels) return credentialTypeLabels[type as CredentialType]
  const words = type.toLowerCase().replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}
