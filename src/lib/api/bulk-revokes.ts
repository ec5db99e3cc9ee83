// Bulk revokes of every expired credential (server/bulk-revoke): started as a job, followed while it runs.
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query'
import type { BulkRevokeJob, BulkRevokePreview } from '../../../contract/bulk-revokes'
import { api, buildUrl } from '../api-client'
import { API_BASE, credentialQueries, type Family } from './credentials'

export const bulkRevokeQueries = {
  all: () => ['bulk-revokes'] as const,
  /** Polled every half second while the job runs; still after it ends. */
  job: (id: string) =>
    queryOptions({
      queryKey: [...bulkRevokeQueries.all(), id] as const,
      queryFn: ({ signal }) => api<BulkRevokeJob>(`/api/bulk_revokes/${encodeURIComponent(id)}`, { signal }),
      refetchInterval: (q) => (q.state.data?.state === 'running' || !q.state.data ? 500 : false),
    }),
  /** What a start would revoke now; read fresh each time the confirmation opens. */
  preview: (family: Family) =>
    queryOptions({
      queryKey: [...bulkRevokeQueries.all(), 'preview', family] as const,
      queryFn: ({ signal }) => api<BulkRevokePreview>('/api/bulk_revokes/preview', { query: { family }, signal }),
      staleTime: 0,
      gcTime: 0,
    }),
  recent: () =>
    queryOptions({
      queryKey: [...bulkRevokeQueries.all(), 'recent'] as const,
      queryFn: ({ signal }) => api<{ items: BulkRevokeJob[] }>('/api/bulk_revokes', { query: { limit: '5' }, signal }),
    }),
}

/** The whole set a preview counts, as a CSV download (streamed by the server). */
export const previewCsvUrl = (family: Family) => buildUrl('/api/bulk_revokes/preview.csv', { family })

/**
 * Starts a job for one family: answered at once (202) with the job to follow. `expected` is the count
 * the person confirmed from the preview; the server refuses (409) if the set no longer has that many.
 */
export function useStartExpiredRevoke() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: ({ family, expected }: { family: Family; expected: number }) =>
      api<BulkRevokeJob>(`${API_BASE}/bulk_revoke/${family}`, {
        method: 'POST', headers: { prefer: 'respond-async' }, body: { expired_selector: { all: {}, expected_count: expected } },
      }),
    onSuccess: (job) => qc.setQueryData(bulkRevokeQueries.job(job.id).queryKey, job),
  })
}

/** Resumes a failed or interrupted job from where it stopped. */
export function useResumeRevoke() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api<BulkRevokeJob>(`/api/bulk_revokes/${encodeURIComponent(id)}/resume`, { method: 'POST' }),
    onSuccess: (job) => qc.setQueryData(bulkRevokeQueries.job(job.id).queryKey, job),
  })
}

/** Once a job ends, the lists, planner and counts it changed are read again. */
export const refreshAfterRevoke = (qc: ReturnType<typeof useQueryClient>) =>
  Promise.all([qc.invalidateQueries({ queryKey: credentialQueries.all() }), qc.invalidateQueries({ queryKey: bulkRevokeQueries.all() })])
