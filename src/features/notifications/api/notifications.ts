// Notifications: the query-key factory (unread count polled for the shell's bell, list pages) and
// the mark-read mutation, which refreshes both.
import { infiniteQueryOptions, queryOptions, useMutation, useQueryClient } from '@tanstack/react-query'
import type { MarkReadRequest, MarkReadResponse, NotificationListResponse, UnreadCountResponse } from '../../../../contract/notifications'
import { api } from '../../../lib/api-client'

export type NoticeFilter = 'all' | 'unread'
const PAGE = 25

export const notificationQueries = {
  all: () => ['notifications'] as const,
  unreadCount: () => queryOptions({
    queryKey: [...notificationQueries.all(), 'unread-count'] as const,
    queryFn: () => api<UnreadCountResponse>('/api/notifications/unread_count'),
    // The bell stays current without a push channel: every minute, and when the window regains focus.
    refetchInterval: 60_000,
    refetchOnWindowFocus: true,
    staleTime: 0,
  }),
  lists: () => [...notificationQueries.all(), 'list'] as const,
  list: (filter: NoticeFilter) => infiniteQueryOptions({
    queryKey: [...notificationQueries.lists(), filter] as const,
    queryFn: ({ pageParam }) => api<NotificationListResponse>('/api/notifications', {
      query: { unread: filter === 'unread' ? 'true' : undefined, limit: PAGE, cursor: pageParam },
    }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchOnWindowFocus: true,
  }),
}

export function useMarkRead() {
  const qc = useQueryClient()
  return useMutation({
    mutationFn: (body: MarkReadRequest) => api<MarkReadResponse>('/api/notifications/mark_read', { method: 'POST', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: notificationQueries.all() }),
  })
}
