import { zodResolver } from '@hookform/resolvers/zod'
import { KeyRound } from 'lucide-react'
import { useForm } from 'react-hook-form'
import { Navigate, useNavigate, useSearchParams } from 'react-router'
import { useQuery } from '@tanstack/react-query'
import { loginRequestSchema, type LoginRequest } from '../../../../contract/auth'
import { ssoErrorMessages, type OidcStatus, type SsoErrorCode } from '../../../../contract/identity'
import { api, ApiError } from '../../../lib/api-client'
import { sessionQueries, useSignIn } from '../../../lib/api/session'
import { Button } from '../../../components/ui/button'
import { Field, Input } from '../../../components/ui/field'

/** Whether single sign-on is set up: the button shows only then. A failed check just leaves it out. */
const ssoStatusQuery = { queryKey: ['oidc-status'] as const, queryFn: () => api<OidcStatus>('/api/auth/oidc/status', { redirectOn401: false }), staleTime: 60_000, retry: false }

/** The message for the code the single sign-on callback sent back, if it is one of ours. */
export function ssoErrorMessage(code: string | null): string | null {
  return code && Object.hasOwn(ssoErrorMessages, code) ? ssoErrorMessages[code as SsoErrorCode] : null
}

/** Only same-site paths are followed after sign-in. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/tokens'
}

export function SignInPage() {
  const [params] = useSearchParams()
  const navigate = useNavigate()
  const session = useQuery(sessionQueries.current())
  const signIn = useSignIn()
  const sso = useQuery(ssoStatusQuery)
  const form = useForm<LoginRequest>({ resolver: zodResolver(loginRequestSchema), defaultValues: { email: '', password: '' } })
  const next = safeNext(params.get('next'))
  if (session.data) return <Navigate to={next} replace />

  const onSubmit = form.handleSubmit(async (values) => {
    try {
      await signIn.mutateAsync(values)
      navigate(next, { replace: true })
    } catch {
      form.setValue('password', '')
    }
  })
  const error = signIn.error
  const ssoError = ssoErrorMessage(params.get('sso_error'))
  return (
    <main id="main" className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center gap-2">
          <span className="rounded-lg bg-indigo-600 p-2 text-white"><KeyRound className="size-5" aria-hidden /></span>
          <span className="text-lg font-semibold">Token Console</span>
        </div>
        <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
          <h1 className="mb-1">Sign in</h1>
          <p className="mb-5 text-slate-600 dark:text-slate-400">Manage API tokens for your tenant.</p>
          {params.get('reason') === 'expired' && (
            <p role="status" className="mb-4 rounded-md bg-amber-50 p-3 text-amber-950 dark:bg-amber-950 dark:text-amber-100">
              Your session ended. Sign in again to continue where you were.
            </p>
          )}
          {ssoError && (
            <p role="alert" className="mb-4 rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{ssoError}</p>
          )}
          {sso.data?.configured && (
            <>
              <a
                href={`/api/auth/oidc/start?return_to=${encodeURIComponent(next)}`}
                className="inline-flex h-9 w-full items-center justify-center rounded-md bg-indigo-600 px-3.5 text-sm font-medium text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
              >
                Sign in with single sign-on
              </a>
              <p className="my-4 text-center text-xs text-slate-600 dark:text-slate-400">
                {sso.data.passwords_for_non_admins ? 'or with your email and password' : 'Administrators may also sign in with a password'}
              </p>
            </>
          )}
          {error && (
            <p role="alert" className="mb-4 rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">
              {error instanceof ApiError ? error.message : 'Sign-in failed. Try again.'}
            </p>
          )}
          <form onSubmit={onSubmit} noValidate className="space-y-4">
            <Field label="Email" error={form.formState.errors.email?.message}>
              {(ids) => <Input {...ids} type="email" autoComplete="username" autoFocus {...form.register('email')} />}
            </Field>
            <Field label="Password" error={form.formState.errors.password?.message}>
              {(ids) => <Input {...ids} type="password" autoComplete="current-password" {...form.register('password')} />}
            </Field>
            <Button type="submit" className="w-full" disabled={signIn.isPending}>
              {signIn.isPending ? 'Signing in…' : 'Sign in'}
            </Button>
          </form>
        </div>
      </div>
    </main>
  )
}
