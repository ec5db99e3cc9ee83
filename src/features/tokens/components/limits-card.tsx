// A token's least-privilege limits: where it may be used from (allowlist), how often (rate limit) and
// from when (not_before). The owner or an administrator edits them; the allowlist can start from the
// addresses that used the token lately, and a dry run shows which recent uses a list would refuse.
import { useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { toast } from 'sonner'
import type { Credential } from '../../../../contract/credentials'
import type { DryRunResponse } from '../../../../contract/limits'
import { MAX_ALLOWED_CIDRS, parseCidr, RATE_LIMIT_MAX, RATE_WINDOW_MAX_SECONDS } from '../../../../contract/limits'
import { limitQueries, useUpdateLimits } from '../../../lib/api/limits'
import type { Family } from '../../../lib/api/credentials'
import { formatDateTime } from '../../../lib/format'
import { Button } from '../../../components/ui/button'
import { Card } from '../../../components/ui/card'
import { Field, Input, Textarea } from '../../../components/ui/field'

const entriesOf = (text: string) => text.split(/[\s,]+/).map((e) => e.trim()).filter(Boolean)

/** The first problem with the typed list, named as the server would name it; undefined when it is fine. */
export function allowlistError(entries: readonly string[]): string | undefined {
  if (entries.length > MAX_ALLOWED_CIDRS) return `At most ${MAX_ALLOWED_CIDRS} addresses or CIDRs`
  const bad = entries.find((e) => !parseCidr(e))
  return bad === undefined ? undefined : `“${bad}” is not an IPv4 or IPv6 address or CIDR (like 203.0.113.0/24 or 2001:db8::/32)`
}

function rateError(limit: string, window: string): string | undefined {
  if (!limit && !window) return undefined
  const l = Number(limit)
  const w = Number(window)
  if (!Number.isInteger(l) || l < 1 || l > RATE_LIMIT_MAX) return `Requests: a whole number from 1 to ${RATE_LIMIT_MAX}`
  if (!Number.isInteger(w) || w < 1 || w > RATE_WINDOW_MAX_SECONDS) return `Window: a whole number of seconds from 1 to ${RATE_WINDOW_MAX_SECONDS}`
  return undefined
}

function DryRun({ result }: { result: DryRunResponse }) {
  if (!result.refused.length) {
    return <p role="status" className="text-sm">No use since {formatDateTime(result.since)} would have been refused ({result.allowed_uses.toLocaleString()} allowed).</p>
  }
  return (
    <div role="status" className="text-sm">
      <p className="font-medium text-amber-800 dark:text-amber-300">
        Would have refused {result.refused_uses.toLocaleString()} of {(result.refused_uses + result.allowed_uses).toLocaleString()} uses since {formatDateTime(result.since)}:
      </p>
      <ul aria-label="Uses the list would refuse" className="mt-1 list-disc pl-5">
        {result.refused.map((s) => <li key={s.ip}><code className="font-mono">{s.ip}</code> — {s.count.toLocaleString()} uses, last {formatDateTime(s.last_seen)}</li>)}
      </ul>
    </div>
  )
}

export function LimitsCard({ family, credential: c, canEdit }: { family: Family; credential: Credential; canEdit: boolean }) {
  const qc = useQueryClient()
  const update = useUpdateLimits(family, c.name)
  const [editing, setEditing] = useState(false)
  const [text, setText] = useState('')
  const [limit, setLimit] = useState('')
  const [window, setWindow] = useState('')
  const [dry, setDry] = useState<DryRunResponse>()
  const [busy, setBusy] = useState<string>()
  const [note, setNote] = useState<string>()
  const entries = entriesOf(text)
  const listError = allowlistError(entries)
  const quotaError = rateError(limit, window)

  const start = () => {
    setText((c.allowed_cidrs ?? []).join('\n'))
    setLimit(c.rate_limit ? String(c.rate_limit.limit) : '')
    setWindow(c.rate_limit ? String(c.rate_limit.window_seconds) : '')
    setDry(undefined)
    setNote(undefined)
    setEditing(true)
  }
  const suggest = async () => {
    setBusy('suggest')
    try {
      const s = await qc.fetchQuery(limitQueries.suggestion(family, c.name))
      setText(s.cidrs.join('\n'))
      setDry(undefined)
      setNote(s.cidrs.length ? `Suggested from ${s.sources.length} address${s.sources.length === 1 ? '' : 'es'} seen since ${formatDateTime(s.since)}.` : 'No use in the last 30 days to suggest from.')
    } catch (err) {
      setNote((err as Error).message)
    } finally {
      setBusy(undefined)
    }
  }
  const dryRun = async () => {
    setBusy('dry')
    try {
      setDry(await qc.fetchQuery({ ...limitQueries.dryRun(family, c.name, entries), staleTime: 0 }))
    } catch (err) {
      setNote((err as Error).message)
    } finally {
      setBusy(undefined)
    }
  }

  return (
    <Card>
      <div className="mb-3 flex items-center gap-2">
        <h2 className="flex-1">Limits</h2>
        {canEdit && !editing && <Button size="sm" variant="ghost" onClick={start} aria-label="Edit limits">Edit</Button>}
      </div>
      {!editing ? (
        <dl className="grid gap-2 sm:grid-cols-[10rem_minmax(0,1fr)]">
          <dt className="font-medium text-slate-600 dark:text-slate-400">Allowed addresses</dt>
          <dd aria-label="Allowed addresses">{c.allowed_cidrs?.length ? c.allowed_cidrs.map((x) => <code key={x} className="mr-2 font-mono">{x}</code>) : 'Any address'}</dd>
          <dt className="font-medium text-slate-600 dark:text-slate-400">Rate limit</dt>
          <dd>{c.rate_limit ? `${c.rate_limit.limit.toLocaleString()} requests per ${c.rate_limit.window_seconds.toLocaleString()} s` : 'None'}</dd>
          {c.not_before_timestamp && <><dt className="font-medium text-slate-600 dark:text-slate-400">Starts</dt><dd>{formatDateTime(c.not_before_timestamp)}</dd></>}
        </dl>
      ) : (
        <form
          className="space-y-3"
          onSubmit={(e) => {
            e.preventDefault()
            if (listError || quotaError) return
            const rate_limit = limit ? { limit: Number(limit), window_seconds: Number(window) } : null
            update.mutate({ allowed_cidrs: entries.length ? entries : null, rate_limit }, { onSuccess: () => { toast.success('Limits saved'); setEditing(false) } })
          }}
        >
          <Field label="Allowed addresses" hint="IPv4 or IPv6 addresses or CIDRs, one per line. Empty: any address." error={listError}>
            {(ids) => <Textarea {...ids} value={text} onChange={(e) => { setText(e.target.value); setDry(undefined) }} placeholder="203.0.113.0/24" className="font-mono" />}
          </Field>
          <div className="flex flex-wrap gap-2">
            <Button size="sm" variant="secondary" onClick={suggest} disabled={busy !== undefined}>{busy === 'suggest' ? 'Suggesting…' : 'Suggest from recent uses'}</Button>
            <Button size="sm" variant="secondary" onClick={dryRun} disabled={busy !== undefined || Boolean(listError) || !entries.length}>{busy === 'dry' ? 'Checking…' : 'Dry run against recent uses'}</Button>
          </div>
          {note && <p className="text-sm text-slate-600 dark:text-slate-400">{note}</p>}
          {dry && <DryRun result={dry} />}
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label="Requests per window" hint="Empty: no rate limit." error={quotaError}>
              {(ids) => <Input {...ids} inputMode="numeric" value={limit} onChange={(e) => setLimit(e.target.value)} />}
            </Field>
            <Field label="Window (seconds)">
              {(ids) => <Input {...ids} inputMode="numeric" value={window} onChange={(e) => setWindow(e.target.value)} />}
            </Field>
          </div>
          {update.error && <p role="alert" className="text-sm text-red-700 dark:text-red-400">{update.error.message}</p>}
          <div className="flex gap-2">
            <Button type="submit" size="sm" disabled={Boolean(listError || quotaError) || update.isPending}>{update.isPending ? 'Saving…' : 'Save limits'}</Button>
            <Button size="sm" variant="secondary" onClick={() => setEditing(false)}>Cancel</Button>
          </div>
        </form>
      )}
    </Card>
  )
}
