// Routes compose features. Pages are loaded lazily so the first load stays small.
import { lazy, Suspense } from 'react'
import { createBrowserRouter, Navigate } from 'react-router'
import { Shell } from './shell'

const SignInPage = lazy(() => import('../features/auth/components/sign-in-page').then((m) => ({ default: m.SignInPage })))
const TokensPage = lazy(() => import('../features/tokens/components/tokens-page').then((m) => ({ default: m.TokensPage })))
const CreateTokenPage = lazy(() => import('../features/tokens/components/create-token-page').then((m) => ({ default: m.CreateTokenPage })))
const TokenDetailPage = lazy(() => import('../features/tokens/components/token-detail-page').then((m) => ({ default: m.TokenDetailPage })))
const CredentialRedirect = lazy(() => import('../features/tokens/components/credential-redirect').then((m) => ({ default: m.CredentialRedirect })))
const ServiceCredentialsPage = lazy(() =>
  import('../features/service-credentials/components/service-credentials-page').then((m) => ({ default: m.ServiceCredentialsPage })),
)
const RotationPlannerPage = lazy(() => import('../features/rotation/components/rotation-planner-page').then((m) => ({ default: m.RotationPlannerPage })))
const AuditPage = lazy(() => import('../features/audit/components/audit-page').then((m) => ({ default: m.AuditPage })))
const InventoryPage = lazy(() => import('../features/inventory/components/inventory-page').then((m) => ({ default: m.InventoryPage })))
const DashboardPage = lazy(() => import('../features/dashboard/components/dashboard-page').then((m) => ({ default: m.DashboardPage })))
const UsersPage = lazy(() => import('../features/users/components/users-page').then((m) => ({ default: m.UsersPage })))

export const router = createBrowserRouter([
  { path: '/sign-in', element: <Suspense><SignInPage /></Suspense> },
  {
    element: <Shell />,
    children: [
      { index: true, element: <Navigate to="/tokens" replace /> },
      { path: '/tokens', element: <TokensPage /> },
      { path: '/tokens/new', element: <CreateTokenPage kind="API_TOKEN" /> },
      { path: '/credentials/:name', element: <CredentialRedirect /> },
      { path: '/tokens/:name', element: <TokenDetailPage family="api_credentials" /> },
      { path: '/service-credentials', element: <ServiceCredentialsPage /> },
      { path: '/service-credentials/new', element: <CreateTokenPage kind="SERVICE_API_TOKEN" /> },
      { path: '/service-credentials/:name', element: <TokenDetailPage family="service_credentials" /> },
      { path: '/rotation', element: <RotationPlannerPage /> },
      { path: '/users', element: <UsersPage /> },
      { path: '/inventory', element: <InventoryPage /> },
      { path: '/audit', element: <AuditPage /> },
      { path: '/dashboard', element: <DashboardPage /> },
      { path: '*', element: <Navigate to="/tokens" replace /> },
    ],
  },
])
