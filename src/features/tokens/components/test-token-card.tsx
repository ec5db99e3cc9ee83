// "Test a token" (seed 000 step 8): paste a token; the console says whose token it is, whether it is
// the one on this page, or exactly why it fails. Testing does not count as a use of the token, and
// the pasted value stays in this component only.
import { useState } from 'react'
import type { TestTokenResponse } from '../../../../contract/console'
import { testToken } from '../../../lib/api/console'
import { formatDateTime } from '../../../lib/format'
import { Button } from '../../../components/ui/button'
import { Card } from '../../../components/ui/card'
import { Field, Input } from '../../../components/ui/field'

const TOKEN_SHAPE = /^(tcp|tcs)_[0-9A-Za-z]{36}$/

const refusal: Record<Extract<TestTokenResponse, { valid: false }>['reason'], string> = {
  malformed: 'This does not look like a Token Console token: it should start with tcp_ or tcs_ followed by 36 letters and digits. Check that it was copied whole.',
  unknown: 'No token with this value exists: it was mistyped, or it was never issued here.',
  expired: 'This token has expired. Renew it, or create a new one.',
  revoked: 'This token was revoked. Callers using it are refused; create a new one.',
  disabled: 'This token’s owner is disabled, so it is refused until an administrator enables them.',
  not_yet_valid: 'This token is scheduled: it is refused until its start time.',
  address_not_allowed: 'This token is refused from this address: it is not in the token’s allowed addresses.',
  rate_limited: 'This token has used up its rate limit for now; try again when the window resets.',
}

export function explainFailure(token: string, reason: keyof typeof refusal | null): string {
  const t = token.trim()
  if (t !== token) return 'The token has spaces or line breaks around it. Copy it again without them.'
  if (!TOKEN_SHAPE.test(t)) return refusal.malformed
  return reason ? refusal[reason] : 'The check could not be completed. Try again.'
}

type Result = { ok: true; r: Extract<TestTokenResponse, { valid: true }> } | { ok: false; why: string }

export function TestTokenCard({ expectedName }: { expectedName?: string }) {
  const [token, setToken] = useState('')
  const [result, setResult] = useState<Result | null>(null)
  const [busy, setBusy] = useState(false)

  async function test() {
    setBusy(true)
    setResult(null)
    try {
      if (token.trim() !== token || !TOKEN_SHAPE.test(token)) return setResult({ ok: false, why: explainFailure(token, 'malformed') })
      const r = await testToken(token)
      setResult(r.valid ? { ok: true, r } : { ok: false, why: explainFailure(token, r.reason) })
    } catch (err) {
      setResult({ ok: false, why: (err as Error).message || explainFailure(token, null) })
    } finally {
      setBusy(false)
    }
  }

  const other = result?.ok && expectedName !== undefined && result.r.token.name !== expectedName
  return (
    <Card>
      <h2 className="mb-1">Test a token</h2>
      <p className="mb-3 text-slate-600 dark:text-slate-400">
        Paste a token to see whose it is, with which scope, until when. It is checked once, not kept, and not counted as a use.
      </p>
      <form onSubmit={(e) => { e.preventDefault(); if (token) void test() }} className="space-y-3">
        <Field label="Token to test">
          {(ids) => <Input {...ids} type="password" autoComplete="off" spellCheck={false} className="font-mono" value={token} onChange={(e) => { setToken(e.target.value); setResult(null) }} />}
        </Field>
        <Button type="submit" variant="secondary" disabled={!token || busy}>{busy ? 'Testing…' : 'Test token'}</Button>
      </form>
      <div aria-live="polite" className="mt-3">
        {result?.ok === true && (
          <div className={`rounded-md p-3 ${other ? 'bg-amber-50 text-amber-950 dark:bg-amber-950 dark:text-amber-100' : 'bg-emerald-50 text-emerald-950 dark:bg-emerald-950 dark:text-emerald-100'}`}>
            <p className="font-medium">
              {other ? <>Valid, but a different token: this is <strong>{result.r.token.name}</strong>, not {expectedName}.</>
                : <>Valid: this is {expectedName ? 'this page’s token' : 'token'} <strong>{result.r.token.name}</strong>.</>}
            </p>
            <p className="mt-1">
              Owner: {result.r.owner.email} ({result.r.owner.kind === 'service' ? 'service account' : result.r.yours ? 'you' : 'a person'}) · scope {result.r.token.scope.replace('_', ' ')}
              {result.r.token.expiry_timestamp ? ` · expires ${formatDateTime(result.r.token.expiry_timestamp)}` : ' · never expires'}.
            </p>
          </div>
        )}
        {result?.ok === false && <p role="alert" className="rounded-md bg-red-50 p-3 text-red-900 dark:bg-red-950 dark:text-red-200">{result.why}</p>}
      </div>
    </Card>
  )
}
