// The server for browser journeys: a fresh database every run, the console built from the sources.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
// E2E_DATA_DIR: a separate directory, so two runs on different E2E_PORTs do not share one database.
const dataDir = process.env.E2E_DATA_DIR ?? path.join(root, '.tmp', 'e2e-data')
fs.rmSync(dataDir, { recursive: true, force: true })
fs.mkdirSync(dataDir, { recursive: true })

// Kubeconfigs need a cluster: its URL (nothing listens there; the journeys only read the file) and its
// CA certificate, made here with openssl as tests/api/kube-configs.test.ts does.
const kubeCaFile = path.join(dataDir, 'kube-ca.pem')
const kubeCa = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dataDir, 'kube-ca-key.pem'), '-out', kubeCaFile, '-days', '2', '-subj', '/CN=kubernetes'], { stdio: 'ignore' })
const kubeEnv = kubeCa.status === 0 ? { KUBE_API_SERVER: 'https://127.0.0.1:6443', KUBE_CA_FILE: kubeCaFile } : {}

const build = spawnSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], { cwd: root, stdio: 'inherit' })
if (build.status !== 0) process.exit(build.status ?? 1)

const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'server/main.ts')], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: process.env.E2E_PORT ?? '8480',
    HOST: '127.0.0.1',
    ADMIN_EMAIL: 'admin@example.com',
    ADMIN_PASSWORD: 'e2e-admin-password-1',
    USAGE_FLUSH_MS: '300',
    // e2e/leak.spec.ts signs a scanner's report with it.
    LEAK_REPORT_SECRET: 'e2e-leak-report-secret-0123456789',
    // e2e/webhooks.spec.ts delivers to a receiver on 127.0.0.1, which only this setting allows.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: '1',
    // Refused checks reach the audit log (and the leak timeline) within seconds, not the minute of production.
    CHECK_FAILURE_AUDIT_INTERVAL_MS: '2000',
    LOG_LEVEL: 'warn',
    ...kubeEnv,
  },
})
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
child.on('exit', (code) => process.exit(code ?? 0))
