// Routes compose features. Pages load lazily, through the router's own `lazy`, so a page's code is
// fetched as soon as its URL is known, alongside the session check rather than after it.
import { createBrowserRouter, Navigate, type RouteObject } from 'react-router'
import { Shell } from './shell'

const page = (load: () => Promise<RouteObject['Component']>): Pick<RouteObject, 'lazy'> => ({ lazy: async () => ({ Component: await load() }) })

export const router = createBrowserRouter([
  { path: '/sign-in', ...page(() => import('../features/auth/components/sign-in-page').then((m) => m.SignInPage)) },
  {
    element: <Shell />,
    children: [
      { index: true, element: <Navigate to="/tokens" replace /> },
      { path: '/tokens', ...page(() => import('../features/tokens/components/tokens-page').then((m) => m.TokensPage)) },
      { path: '/tokens/new', ...page(() => import('../features/tokens/components/create-token-page').then((m) => () => <m.CreateTokenPage kind="API_TOKEN" />)) },
      { path: '/tokens/:name', ...page(() => import('../features/tokens/components/token-detail-page').then((m) => () => <m.TokenDetailPage family="api_credentials" />)) },
      { path: '/credentials/:name', ...page(() => import('../features/tokens/components/credential-redirect').then((m) => m.CredentialRedirect)) },
      { path: '/service-credentials', ...page(() => import('../features/service-credentials/components/service-credentials-page').then((m) => m.ServiceCredentialsPage)) },
      { path: '/service-credentials/new', ...page(() => import('../features/tokens/components/create-token-page').then((m) => () => <m.CreateTokenPage kind="SERVICE_API_TOKEN" />)) },
      { path: '/service-credentials/:name', ...page(() => import('../features/tokens/components/token-detail-page').then((m) => () => <m.TokenDetailPage family="service_credentials" />)) },
      { path: '/rotation', ...page(() => import('../features/rotation/components/rotation-planner-page').then((m) => m.RotationPlannerPage)) },
      { path: '/policy', ...page(() => import('../features/policy/components/policy-page').then((m) => m.PolicyPage)) },
      { path: '/users', ...page(() => import('../features/users/components/users-page').then((m) => m.UsersPage)) },
      { path: '/inventory', ...page(() => import('../features/inventory/components/inventory-page').then((m) => m.InventoryPage)) },
      { path: '/audit', ...page(() => import('../features/audit/components/audit-page').then((m) => m.AuditPage)) },
      { path: '/dashboard', ...page(() => import('../features/dashboard/components/dashboard-page').then((m) => m.DashboardPage)) },
      { path: '*', element: <Navigate to="/tokens" replace /> },
    ],
  },
])
