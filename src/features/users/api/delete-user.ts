// Deleting a person, and revoking every active token they own first (through bulk revoke, 200 a call).
import { useMutation, useQueryClient } from '@tanstack/react-query'
import type { ListResponse } from '../../../../contract/credentials'
import type { DeleteUserResponse } from '../../../../contract/users'
import { api } from '../../../lib/api-client'
import { API_BASE, credentialQueries } from '../../../lib/api/credentials'
import { userQueries } from '../../../lib/api/users'

export function useDeleteUser() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api<DeleteUserResponse>(`/api/users/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => Promise.all([qc.invalidateQueries({ queryKey: userQueries.all() }), qc.invalidateQueries({ queryKey: credentialQueries.all() })]),
  })
}

/** The names of the person's active (or disabled-with-them) personal tokens, page by page. */
async function activeTokenNames(ownerId: string): Promise<string[]> {
  const names: string[] = []
  let cursor: string | undefined
  for (;;) {
    const page = await api<ListResponse>('/api/inventory', {
      query: { owner: ownerId, status: 'active,disabled', account_type: 'user', limit: 200, cursor },
    })
    names.push(...page.items.map((c) => c.name))
    if (!page.next_cursor || page.items.length === 0) return names
    cursor = page.next_cursor
  }
}

/** Revokes them all; resolves to how many were revoked. */
export function useRevokeAllOf() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: async (ownerId: string) => {
      const names = await activeTokenNames(ownerId)
      let revoked = 0
      for (let i = 0; i < names.length; i += 200) {
        const r = await api<{ credentials_marked_for_deletion: string[] }>(`${API_BASE}/bulk_revoke/api_credentials`, {
          method: 'POST', body: { name_selector: { names: names.slice(i, i + 200) } },
        })
        revoked += r.credentials_marked_for_deletion.length
      }
      return revoked
    },
    onSettled: () => Promise.all([qc.invalidateQueries({ queryKey: userQueries.all() }), qc.invalidateQueries({ queryKey: credentialQueries.all() })]),
  })
}
