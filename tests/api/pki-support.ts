// Shared by the pki tests: a server certificate for 127.0.0.1, and curl with a P12.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { buildTestApp } from '../support/app.js'

export const run = promisify(execFile)

/** A self-signed server certificate for https://127.0.0.1 (the client certificates are what is tested). */
export async function serverCertificate(dir: string) {
  const cert = path.join(dir, 'server.pem')
  const key = path.join(dir, 'server-key.pem')
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
  return { certFile: cert, keyFile: key, cert: fs.readFileSync(cert, 'utf8'), key: fs.readFileSync(key, 'utf8') }
}

/**
 * A cluster the way kubeadm makes one: its own CA ("kubernetes") and an API server certificate for
 * 127.0.0.1 signed by it, so a Go client verifies the server as it would a real cluster's.
 */
export async function clusterCertificates(dir: string) {
  const caKey = path.join(dir, 'cluster-ca-key.pem')
  const caFile = path.join(dir, 'cluster-ca.pem')
  const key = path.join(dir, 'apiserver-key.pem')
  const csr = path.join(dir, 'apiserver.csr')
  const cert = path.join(dir, 'apiserver.pem')
  const ext = path.join(dir, 'apiserver.ext')
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '1', '-subj', '/CN=kubernetes',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=kube-apiserver'])
  fs.writeFileSync(ext, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n')
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', ext])
  return { caFile, cert: fs.readFileSync(cert, 'utf8'), key: fs.readFileSync(key, 'utf8') }
}

/** curl with a PKCS#12 client certificate; answers the HTTP status and body. */
export async function curlP12(url: string, p12File: string, password: string, caFile: string) {
  const { stdout } = await run('curl', ['-s', '--cacert', caFile, '--cert-type', 'P12', '--cert', `${p12File}:${password}`,
    '-w', '\n%{http_code}', url]).catch((err: { stdout?: string; stderr?: string; code?: number }) => {
    throw new Error(`curl failed (${err.code}): ${err.stderr ?? ''}`)
  })
  const i = stdout.lastIndexOf('\n')
  return { status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) }
}

/**
 * A test app configured for kubeconfigs: a cluster CA made with openssl in `dir` and a cluster URL
 * nothing listens on (the tests read the kubeconfig; they never call the cluster). It is passed
 * in the config of this app only.
 */
export async function buildKubeTestApp(dir: string, server = 'https://k8s.example.test:6443', clusterCaFile?: string) {
  const caFile = clusterCaFile ?? path.join(dir, 'cluster-ca.pem')
  if (!clusterCaFile) {
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', caFile, '-days', '1', '-subj', '/CN=kubernetes'])
  }
  return { app: await buildTestApp({ kube: { apiServer: server, caFile, clusterName: 'default' } }), caPem: fs.readFileSync(caFile, 'utf8') }
}
