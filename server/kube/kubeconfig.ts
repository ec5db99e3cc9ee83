// The kubeconfig a KUBE_CONFIG credential returns: the tenant's cluster (KUBE_API_SERVER, KUBE_CA_FILE)
// and a client certificate of the tenant CA whose subject is what Kubernetes authenticates
// (CN = user name, O = groups: kube-apiserver's x509 client-certificate authenticator).
import fs from 'node:fs'
import type { Config } from '../config.js'
import { invalid } from '../lib/errors.js'
import type { CertificateFormat } from '../pki/service.js'

export interface KubeSettings { server: string; caPem: string; clusterName: string }

/** Undefined when the server is not configured for kubeconfigs; create then answers a 400 saying what to set. */
export function kubeSettings(kube: Config['kube']): KubeSettings | undefined {
  if (!kube) return undefined
  return { server: kube.apiServer, caPem: fs.readFileSync(kube.caFile, 'utf8'), clusterName: kube.clusterName }
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
/** JSON strings are YAML scalars: no quoting rule of YAML's own to get wrong. */
const q = (s: string) => JSON.stringify(s)

/**
 * A kubeconfig's lifetime when the request gives none. Kubernetes API servers do not read CRLs: a
 * revoked kubeconfig is refused here and listed in /api/pki/crl.pem, but the cluster accepts its
 * certificate until it expires, so the end date is the only bound on a leaked one. A longer one is
 * still there for the asking, up to the policy's maximum.
 */
export const KUBECONFIG_DEFAULT_DAYS = 1

export function kubeconfigFormat(settings: KubeSettings | undefined): CertificateFormat {
  return {
    defaultExpirationDays: KUBECONFIG_DEFAULT_DAYS,
    check: () => {
      if (!settings) {
        throw invalid('Kubeconfigs are not configured on this server: set KUBE_API_SERVER (the cluster\'s https URL) and KUBE_CA_FILE (its CA certificate, PEM)', 'type')
      }
    },
    subject: (owner, spec) => {
      const roles = owner.namespaceRoles.length ? owner.namespaceRoles.map((r) => r.role) : owner.role ? [owner.role] : []
      // Kubernetes groups: the roles, then the user groups a service kubeconfig was asked for.
      return { commonName: owner.email, organizations: [...new Set([...roles, ...(spec.groups ?? [])])] }
    },
    render: (issued, _ca, spec) => {
      const s = settings!
      const cluster = spec.virtual_k8s_name || spec.site || s.clusterName
      const user = issued.subject.match(/CN=([^,]+)/)?.[1] ?? 'user'
      const lines = [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: ${q(cluster)}`,
        '  cluster:',
        `    server: ${q(s.server)}`,
        `    certificate-authority-data: ${b64(s.caPem)}`,
        'users:',
        `- name: ${q(user)}`,
        '  user:',
        // The chain (leaf, then the tenant CA) so a server trusting only the tenant CA can build it.
        `    client-certificate-data: ${b64(issued.certPem)}`,
        `    client-key-data: ${b64(issued.keyPem)}`,
        'contexts:',
        `- name: ${q(cluster)}`,
        '  context:',
        `    cluster: ${q(cluster)}`,
        `    user: ${q(user)}`,
        ...(spec.virtual_k8s_namespace ? [`    namespace: ${q(spec.virtual_k8s_namespace)}`] : []),
        `current-context: ${q(cluster)}`,
        '',
      ]
      return b64(lines.join('\n'))
    },
  }
}
