// "Test a token" (seed 000 step 8): paste a token; the console asks whoami with it and says whom it
// authenticates, or exactly why it failed. The pasted value stays in this component only.
import { useState } from 'react'
import type { WhoamiResponse } from '../../../../contract/credentials'
import { ApiError } from '../../../lib/api-client'
import { whoamiWithToken } from '../../../lib/api/credentials'
import { formatDateTime } from '../../../lib/format'
import { Button } from '../../../components/ui/button'
import { Card } from '../../../components/ui/card'
import { Field, Input } from '../../../components/ui/field'

const TOKEN_SHAPE = /^(tcp|tcs)_[0-9A-Za-z]{36}$/

export function explainFailure(token: string, err: unknown): string {
  const t = token.trim()
  if (t !== token) return 'The token has spaces or line breaks around it. Copy it again without them.'
  if (!TOKEN_SHAPE.test(t)) return 'This does not look like a Token Console token: it should start with tcp_ or tcs_ followed by 36 letters and digits. Check that it was copied whole.'
  if (err instanceof ApiError && err.status === 401) return 'The server refused this token: it was mistyped, has expired, was revoked, or its owner is disabled. Check its status in the list; if it expired, renew it or create a new one.'
  if (err instanceof ApiError) return err.message
  return 'The check could not be completed. Try again.'
}

export function TestTokenCard() {
  const [token, setToken] = useState('')
  const [result, setResult] = useState<{ ok: true; who: WhoamiResponse } | { ok: false; why: string } | null>(null)
  const [busy, setBusy] = useState(false)

  async function test() {
    setBusy(true)
    setResult(null)
    try {
      const who = await whoamiWithToken(token.trim())
      setResult(token.trim() === token ? { ok: true, who } : { ok: false, why: explainFailure(token, null) })
    } catch (err) {
      setResult({ ok: false, why: explainFailure(token, err) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <Card>
      <h2 className="mb-1">Test a token</h2>
      <p className="mb-3 text-slate-600 dark:text-slate-400">Paste a token to see whom it authenticates, with which scope, until when. It is sent once to whoami and not kept.</p>
      <form onSubmit={(e) => { e.preventDefault(); if (token) void test() }} className="space-y-3">
        <Field label="Token to test">
          {(ids) => <Input {...ids} type="password" autoComplete="off" spellCheck={false} className="font-mono" value={token} onChange={(e) => { setToken(e.target.value); setResult(null) }} />}
        </Field>
        <Button type="submit" variant="secondary" disabled={!token || busy}>{busy ? 'Testing…' : 'Test token'}</Button>
      </form>
      <div aria-live="polite" className="mt-3">
        {result?.ok === true && (
          <div className="rounded-md bg-emerald-50 p-3 text-emerald-950 dark:bg-emerald-950 dark:text-emerald-100">
            <p className="font-medium">Valid: authenticates {result.who.email} ({result.who.type === 'SERVICE' ? 'service account' : result.who.role}).</p>
            {result.who.token && (
              <p className="mt-1">
                Token <strong>{result.who.token.name}</strong>, scope {result.who.token.scope.replace('_', ' ')}
                {result.who.token.expiry_timestamp ? `, expires ${formatDateTime(result.who.token.expiry_timestamp)}` : ', never expires'}.
              </p>
            )}
          </div>
        )}
        {result?.ok === false && <p role="alert" className="rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{result.why}</p>}
      </div>
    </Card>
  )
}
