// The three kubeconfig families of the F5 XC API as one Fastify plugin. Each is a credential of the
// user or service family with its own type; certificates come from the tenant CA (server/pki).
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  activateRequestSchema, createCredentialResponseSchema, credentialNameParamsSchema, getResponseSchema, listResponseSchema,
  nameRequestSchema, statusResponseSchema,
} from '../../contract/credentials.js'
import { createKubeConfigRequestSchema, createServiceKubeConfigRequestSchema, createSiteGlobalKubeConfigRequestSchema } from '../../contract/kube.js'
import { errorBodySchema } from '../../contract/errors.js'
import type { Services } from '../app.js'
import { invalid } from '../lib/errors.js'
import { auditContext, requirePrincipal } from '../plugins/auth.js'
import { reauthErrorResponse } from '../plugins/reauth.js'
import { KubeService, type KubeFamily } from './service.js'
import { kubeconfigFormat, kubeSettings } from './kubeconfig.js'

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 429: errorBodySchema }
const nsParams = z.strictObject({ namespace: z.string().max(64) })

function checkNamespace(ns: string, bodyNs?: string) {
  if (ns !== 'system') throw invalid('namespace must be "system"', 'namespace')
  if (bodyNs !== undefined && bodyNs !== ns) throw invalid('namespace in the body must match the path', 'namespace')
}

export async function kubeRoutes(app: FastifyInstance, opts: { services: Services }) {
  const s = opts.services
  app.pki.addFormat(['KUBE_CONFIG', 'SERVICE_KUBE_CONFIG', 'SITE_GLOBAL_KUBE_CONFIG'], kubeconfigFormat(kubeSettings(s.config.kube)))
  const kube = new KubeService(s.credentials)
  const r = app.withTypeProvider<ZodTypeProvider>()
  const base = '/api/web/namespaces/:namespace'
  const families: Array<[KubeFamily, string]> = [['kube_configs', 'Kubeconfigs'], ['service_kube_configs', 'Service kubeconfigs'], ['site_global_kube_configs', 'Site global kubeconfigs']]

  r.post(`${base}/kube_configs`, {
    schema: { tags: ['Kubeconfigs'], summary: 'Create a kubeconfig (client certificate of the tenant CA); it is in this response only', params: nsParams, body: createKubeConfigRequestSchema, response: { 200: createCredentialResponseSchema, ...errors, 401: reauthErrorResponse } },
    config: { recentSignIn: true },
  }, async (req) => {
    checkNamespace(req.params.namespace, req.body.namespace)
    return kube.create(requirePrincipal(req), req.body, auditContext(req))
  })
  r.post(`${base}/service_kube_configs`, {
    schema: { tags: ['Service kubeconfigs'], summary: 'Create a service account kubeconfig; it is in this response only', params: nsParams, body: createServiceKubeConfigRequestSchema, response: { 200: createCredentialResponseSchema, ...errors, 401: reauthErrorResponse } },
    config: { recentSignIn: true },
  }, async (req) => {
    checkNamespace(req.params.namespace, req.body.namespace)
    return kube.createService(requirePrincipal(req), 'SERVICE_KUBE_CONFIG', req.body, auditContext(req))
  })
  r.post(`${base}/site_global_kube_configs`, {
    schema: { tags: ['Site global kubeconfigs'], summary: 'Create a site global kubeconfig; it is in this response only', params: nsParams, body: createSiteGlobalKubeConfigRequestSchema, response: { 200: createCredentialResponseSchema, ...errors, 401: reauthErrorResponse } },
    config: { recentSignIn: true },
  }, async (req) => {
    checkNamespace(req.params.namespace, req.body.namespace)
    return kube.createService(requirePrincipal(req), 'SITE_GLOBAL_KUBE_CONFIG', req.body, auditContext(req))
  })

  for (const [family, tag] of families) {
    r.get(`${base}/${family}`, {
      schema: { tags: [tag], summary: `List ${family}`, params: nsParams, response: { 200: listResponseSchema, ...errors } },
    }, async (req) => {
      checkNamespace(req.params.namespace)
      return kube.list(requirePrincipal(req), family)
    })
    r.get(`${base}/${family}/:name`, {
      schema: { tags: [tag], summary: `Get one of ${family}`, params: nsParams.extend(credentialNameParamsSchema.shape), response: { 200: getResponseSchema, ...errors } },
    }, async (req) => {
      checkNamespace(req.params.namespace)
      return kube.get(requirePrincipal(req), family, req.params.name)
    })
    r.post(`${base}/revoke/${family}`, {
      schema: { tags: [tag], summary: 'Revoke at once: the certificate is refused and listed in /api/pki/crl.pem', params: nsParams, body: nameRequestSchema, response: { 200: statusResponseSchema, ...errors } },
    }, async (req) => {
      checkNamespace(req.params.namespace, req.body.namespace)
      return kube.revoke(requirePrincipal(req), family, req.body.name, auditContext(req))
    })
    r.post(`${base}/activate/${family}`, {
      schema: { tags: [tag], summary: 'Re-activate: a no-op unless revoked; a revoked one only where the policy allows it', params: nsParams, body: activateRequestSchema, response: { 200: statusResponseSchema, ...errors } },
    }, async (req) => {
      checkNamespace(req.params.namespace, req.body.namespace)
      return kube.activate(requirePrincipal(req), family, req.body, auditContext(req))
    })
  }
}
