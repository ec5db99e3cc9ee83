// The console's one query client, created with the module so the session check starts before the
// first render, and route loaders can start a page's data fetch as soon as its URL is known.
import type { SessionUser } from '../../contract/auth'
import { createQueryClient } from '../lib/query-client'
import { sessionQueries } from '../lib/api/session'

export const queryClient = createQueryClient()
void queryClient.prefetchQuery(sessionQueries.current())

let firstLoad = true
/** Called once the app has mounted: the initial navigation's loaders have run by then. */
export const endFirstLoad = () => { firstLoad = false }

/**
 * On the first page load only, starts the page's main query once the session is known to exist;
 * never blocks navigation. Later navigations leave fetching to the page, so a session that ended
 * meanwhile is met by the page's own query and the one 401 handler, as before.
 */
export function prefetchWhenSignedIn(start: (user: SessionUser) => Promise<unknown>) {
  if (!firstLoad) return null
  void queryClient.fetchQuery(sessionQueries.current()).then((s) => (s ? start(s.user) : undefined)).catch(() => undefined)
  return null
}
