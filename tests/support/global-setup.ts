// Vitest global setup for API tests: with TEST_DB=postgres and no DATABASE_URL, start a throwaway cluster.
import type { TestProject } from 'vitest/node'
import { startCluster, type Cluster } from './pg-cluster.js'

let cluster: Cluster | undefined

export default async function setup(project: TestProject) {
  const dialect = process.env.TEST_DB ?? 'sqlite'
  let adminUrl = process.env.DATABASE_URL
  if (dialect === 'postgres' && !adminUrl) {
    cluster = await startCluster()
    adminUrl = cluster.url
  }
  project.provide('testDb', dialect)
  project.provide('pgAdminUrl', adminUrl ?? '')
  return () => cluster?.stop()
}

declare module 'vitest' {
  export interface ProvidedContext {
    testDb: string
    pgAdminUrl: string
  }
}
