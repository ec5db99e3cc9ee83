// Requests of the F5 XC kubeconfig families (kube_configs, service_kube_configs, site_global_kube_configs).
import { z } from 'zod'
import { credentialNameSchema, expirationDaysSchema, k8sNameSchema as k8sName, namespaceRoleSchema, namespaceSchema } from './credentials.js'


export const createKubeConfigRequestSchema = z.strictObject({
  name: credentialNameSchema,
  namespace: namespaceSchema.optional(),
  expiration_days: expirationDaysSchema.optional(),
  /** The cluster's name in the kubeconfig (its server is the tenant's KUBE_API_SERVER). */
  vk8s_cluster_name: k8sName.optional(),
  /** The context's default namespace. */
  vk8s_namespace: k8sName.optional(),
})
export type CreateKubeConfigRequest = z.infer<typeof createKubeConfigRequestSchema>

const serviceKube = {
  name: credentialNameSchema,
  namespace: namespaceSchema.optional(),
  expiration_days: expirationDaysSchema.optional(),
  namespace_roles: z.array(namespaceRoleSchema).max(32).optional(),
  user_group_names: z.array(z.string().max(256)).max(32).optional(),
}

export const createServiceKubeConfigRequestSchema = z.strictObject({
  ...serviceKube,
  vk8s_kubeconfig: z.strictObject({ vk8s_cluster_name: k8sName.optional(), vk8s_namespace: k8sName.optional() }).optional(),
})
export type CreateServiceKubeConfigRequest = z.infer<typeof createServiceKubeConfigRequestSchema>

export const createSiteGlobalKubeConfigRequestSchema = z.strictObject({ ...serviceKube, site: k8sName.optional() })
export type CreateSiteGlobalKubeConfigRequest = z.infer<typeof createSiteGlobalKubeConfigRequestSchema>
