// Kubeconfig families over the credential rules (limits, policy, audit, revocation): each family is
// one credential type of the user or service family, and answers 404 for a name of another type.
import type { ActivateRequest } from '../../contract/credentials.js'
import type { CreateKubeConfigRequest, CreateServiceKubeConfigRequest, CreateSiteGlobalKubeConfigRequest } from '../../contract/kube.js'
import type { Family } from '../db/credentials-repo.js'
import { notFound } from '../lib/errors.js'
import type { AuditContext } from '../services/audit.js'
import type { CredentialService } from '../services/credentials.js'
import type { Principal } from '../services/principal.js'

export type KubeFamily = 'kube_configs' | 'service_kube_configs' | 'site_global_kube_configs'

const families: Record<KubeFamily, { family: Family; type: string; label: string }> = {
  kube_configs: { family: 'user', type: 'KUBE_CONFIG', label: 'Kubeconfig' },
  service_kube_configs: { family: 'service', type: 'SERVICE_KUBE_CONFIG', label: 'Service kubeconfig' },
  site_global_kube_configs: { family: 'service', type: 'SITE_GLOBAL_KUBE_CONFIG', label: 'Site global kubeconfig' },
}

export class KubeService {
  constructor(private readonly credentials: CredentialService) {}

  create(p: Principal, body: CreateKubeConfigRequest, ctx: AuditContext) {
    return this.credentials.create(p, {
      name: body.name, expiration_days: body.expiration_days,
      spec: { type: 'KUBE_CONFIG', virtual_k8s_name: body.vk8s_cluster_name, virtual_k8s_namespace: body.vk8s_namespace },
    }, ctx)
  }

  createService(p: Principal, type: 'SERVICE_KUBE_CONFIG' | 'SITE_GLOBAL_KUBE_CONFIG', body: CreateServiceKubeConfigRequest | CreateSiteGlobalKubeConfigRequest, ctx: AuditContext) {
    return this.credentials.createService(p, {
      name: body.name, expiration_days: body.expiration_days, type, namespace_roles: body.namespace_roles,
      user_group_names: body.user_group_names,
      vk8s_kubeconfig: 'vk8s_kubeconfig' in body ? body.vk8s_kubeconfig : undefined,
      site_kubeconfig: 'site' in body && body.site !== undefined ? { site: body.site } : undefined,
    }, ctx)
  }

  list(p: Principal, kf: KubeFamily) {
    const f = families[kf]
    return this.credentials.list(p, f.family, { type: [f.type] })
  }

  private async check(p: Principal, kf: KubeFamily, name: string) {
    const f = families[kf]
    const row = await this.credentials.visible(p, f.family, name)
    if (row.type !== f.type) throw notFound(f.label)
    return f.family
  }

  async get(p: Principal, kf: KubeFamily, name: string) {
    const got = await this.credentials.get(p, families[kf].family, name)
    if (got.type !== families[kf].type) throw notFound(families[kf].label)
    return got
  }

  async revoke(p: Principal, kf: KubeFamily, name: string, ctx: AuditContext) {
    return this.credentials.revoke(p, await this.check(p, kf, name), name, ctx)
  }

  async activate(p: Principal, kf: KubeFamily, body: ActivateRequest, ctx: AuditContext) {
    return this.credentials.activate(p, await this.check(p, kf, body.name), body, ctx)
  }
}
