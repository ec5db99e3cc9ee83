// One config: every setting is read in server/config.ts, checked at start with a message naming it.
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config.js'

describe('loadConfig', () => {
  it('takes the cluster for kubeconfigs only whole and over https, named after the tenant unless told', () => {
    expect(loadConfig({}).kube).toBeUndefined()
    expect(loadConfig({ TENANT_NAME: 'acme', KUBE_API_SERVER: 'https://k8s.example:6443', KUBE_CA_FILE: '/x/ca.pem' }).kube)
      .toEqual({ apiServer: 'https://k8s.example:6443', caFile: '/x/ca.pem', clusterName: 'acme' })
    expect(loadConfig({ KUBE_API_SERVER: 'https://k8s.example', KUBE_CA_FILE: '/ca.pem', KUBE_CLUSTER_NAME: 'prod' }).kube?.clusterName).toBe('prod')
    expect(() => loadConfig({ KUBE_API_SERVER: 'https://k8s.example' })).toThrow(/KUBE_CA_FILE/)
    expect(() => loadConfig({ KUBE_CA_FILE: '/ca.pem' })).toThrow(/KUBE_API_SERVER/)
    expect(() => loadConfig({ KUBE_API_SERVER: 'http://k8s.example', KUBE_CA_FILE: '/ca.pem' })).toThrow(/https/)
    expect(() => loadConfig({ KUBE_API_SERVER: 'not a url', KUBE_CA_FILE: '/ca.pem' })).toThrow(/KUBE_API_SERVER must be an https:\/\/ URL/)
  })

  it('takes TLS_CERT and TLS_KEY together or not at all', () => {
    expect(loadConfig({}).tls).toBeUndefined()
    expect(loadConfig({ TLS_CERT: '/c.pem', TLS_KEY: '/k.pem' }).tls).toEqual({ certFile: '/c.pem', keyFile: '/k.pem' })
    expect(() => loadConfig({ TLS_CERT: '/c.pem' })).toThrow(/Set both TLS_CERT and TLS_KEY/)
  })

  it('reads the CA, the console read settings and the environment name', () => {
    expect(loadConfig({ CA_KEY_FILE: '/k', CA_CERT_FILE: '/c' }).ca).toEqual({ keyFile: '/k', certFile: '/c', keyPem: undefined, certPem: undefined })
    const c = loadConfig({ CONSOLE_QUERY_TIMEOUT_MS: '1500', CONSOLE_READ_THREADS: '4', NODE_ENV: 'production' })
    expect([c.consoleQueryTimeoutMs, c.consoleReadThreads, c.consoleReadNice, c.production]).toEqual([1500, 4, 19, true])
    expect([loadConfig({}).consoleQueryTimeoutMs, loadConfig({}).consoleReadThreads, loadConfig({}).production]).toEqual([2000, 2, false])
    expect(() => loadConfig({ CONSOLE_QUERY_TIMEOUT_MS: 'soon' })).toThrow(/CONSOLE_QUERY_TIMEOUT_MS must be a whole number/)
    expect(() => loadConfig({ CONSOLE_READ_THREADS: '-2' })).toThrow(/CONSOLE_READ_THREADS must be a whole number/)
  })
})
