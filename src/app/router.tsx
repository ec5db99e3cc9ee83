// Routes compose features. Pages load lazily, through the router's own `lazy`, so a page's code is
// fetched as soon as its URL is known, alongside the session check rather than after it.
import { createBrowserRouter, Navigate, type LoaderFunctionArgs, type RouteObject } from 'react-router'
import { credentialQueries, type Family } from '../lib/api/credentials'
import { parseListParams, toFilters } from '../lib/list-params'
import { isAdmin, seesAll } from '../lib/roles'
import { prefetchWhenSignedIn, queryClient } from './query-client-instance'
import { Shell } from './shell'

// Loaders start the page's main query at navigation, beside its code; the page reads the same cache.
const detailLoader = (family: Family) => ({ params }: LoaderFunctionArgs) =>
  prefetchWhenSignedIn(() => queryClient.prefetchQuery(credentialQueries.detail(family, params.name ?? '')))
const tokensLoader = ({ request }: LoaderFunctionArgs) =>
  prefetchWhenSignedIn((user) => {
    const sp = new URL(request.url).searchParams
    const params = parseListParams(sp, isAdmin(user) ? 'mine' : seesAll(user) ? 'all' : 'mine')
    return queryClient.prefetchQuery(credentialQueries.list('api_credentials', toFilters(params, seesAll(user))))
  })

const page = (load: () => Promise<RouteObject['Component']>): Pick<RouteObject, 'lazy'> => ({ lazy: async () => ({ Component: await load() }) })

export const router = createBrowserRouter([
  { path: '/sign-in', ...page(() => import('../features/auth/components/sign-in-page').then((m) => m.SignInPage)) },
  {
    element: <Shell />,
    children: [
      { index: true, element: <Navigate to="/tokens" replace /> },
      { path: '/tokens', loader: tokensLoader, ...page(() => import('../features/tokens/components/tokens-page').then((m) => m.TokensPage)) },
      { path: '/tokens/new', ...page(() => import('../features/tokens/components/create-token-page').then((m) => () => <m.CreateTokenPage kind="API_TOKEN" />)) },
      { path: '/tokens/:name', loader: detailLoader('api_credentials'), ...page(() => import('../features/tokens/components/token-detail-page').then((m) => () => <m.TokenDetailPage family="api_credentials" />)) },
      { path: '/credentials/:name', ...page(() => import('../features/tokens/components/credential-redirect').then((m) => m.CredentialRedirect)) },
      { path: '/service-credentials', ...page(() => import('../features/service-credentials/components/service-credentials-page').then((m) => m.ServiceCredentialsPage)) },
      { path: '/service-credentials/new', ...page(() => import('../features/tokens/components/create-token-page').then((m) => () => <m.CreateTokenPage kind="SERVICE_API_TOKEN" />)) },
      { path: '/service-credentials/:name', loader: detailLoader('service_credentials'), ...page(() => import('../features/tokens/components/token-detail-page').then((m) => () => <m.TokenDetailPage family="service_credentials" />)) },
      { path: '/rotation', ...page(() => import('../features/rotation/components/rotation-planner-page').then((m) => m.RotationPlannerPage)) },
      { path: '/policy', ...page(() => import('../features/policy/components/policy-page').then((m) => m.PolicyPage)) },
      { path: '/users', ...page(() => import('../features/users/components/users-page').then((m) => m.UsersPage)) },
      { path: '/webhooks', ...page(() => import('../features/webhooks/components/webhooks-page').then((m) => m.WebhooksPage)) },
      { path: '/permissions', ...page(() => import('../features/permissions/components/permissions-page').then((m) => m.PermissionsPage)) },
      { path: '/identity', ...page(() => import('../features/identity/components/identity-page').then((m) => m.IdentityPage)) },
      { path: '/inventory', ...page(() => import('../features/inventory/components/inventory-page').then((m) => m.InventoryPage)) },
      { path: '/notifications', ...page(() => import('../features/notifications/components/notifications-page').then((m) => m.NotificationsPage)) },
      { path: '/audit', ...page(() => import('../features/audit/components/audit-page').then((m) => m.AuditPage)) },
      { path: '/dashboard', ...page(() => import('../features/dashboard/components/dashboard-page').then((m) => m.DashboardPage)) },
      { path: '*', element: <Navigate to="/tokens" replace /> },
    ],
  },
])
