// /credentials/<name>: an audit row names a credential without its family; find it and go there.
import { useQuery } from '@tanstack/react-query'
import { Navigate, useParams } from 'react-router'
import { ApiError } from '../../../lib/api-client'
import { credentialQueries } from '../../../lib/api/credentials'
import { useUser } from '../../../lib/api/session'
import { seesAll } from '../../../lib/roles'
import { EmptyState, ErrorState, Spinner } from '../../../components/ui/states'

const missing = (e: unknown) => e instanceof ApiError && (e.status === 404 || e.status === 403)

export function CredentialRedirect() {
  const { name = '' } = useParams()
  const user = useUser()
  const personal = useQuery({ ...credentialQueries.detail('api_credentials', name), retry: false })
  const service = useQuery({ ...credentialQueries.detail('service_credentials', name), retry: false, enabled: seesAll(user) && personal.isError })
  if (personal.data) return <Navigate to={`/tokens/${encodeURIComponent(name)}`} replace />
  if (service.data) return <Navigate to={`/service-credentials/${encodeURIComponent(name)}`} replace />
  if (personal.isError && !missing(personal.error)) return <ErrorState error={personal.error} onRetry={() => personal.refetch()} />
  if (personal.isError && (!seesAll(user) || service.isError)) {
    return <EmptyState title="Token not found">No API token or service credential called “{name}” exists, or it is not yours to see.</EmptyState>
  }
  return <Spinner label="Finding the token" />
}
