// Rotate one token server-side: by default the token keeps its name (so configs, dashboards and audit
// searches keep finding it) and gets a new secret; rotating to a new name is the option. Choose the
// overlap (and whether to end early once every caller has switched), confirm a sentence that names
// it, then reveal the new secret once. Shared by the token detail page and the rotation planner, so
// it lives here rather than in either feature.
import { useQuery } from '@tanstack/react-query'
import { useId, useState } from 'react'
import { toast } from 'sonner'
import type { Credential } from '../../contract/credentials'
import { lineageName } from '../../contract/rotation'
import { ApiError } from '../lib/api-client'
import type { Family } from '../lib/api/credentials'
import { useRotateCredential } from '../lib/api/governance'
import { metaQueries } from '../lib/api/meta'
import { RevealTokenDialog, type RevealedToken } from './reveal-token-dialog'
import { Button } from './ui/button'
import { Dialog } from './ui/dialog'
import { Field, Input, Select } from './ui/field'

const OVERLAPS: Array<[number, string]> = [[0, 'no overlap'], [3600, '1 hour'], [86_400, '24 hours'], [7 * 86_400, '7 days'], [30 * 86_400, '30 days']]
export const overlapLabel = (s: number) => OVERLAPS.find(([v]) => v === s)?.[1] ?? `${s} seconds`

export function RotateDialog({ family, credential, open, onOpenChange }: { family: Family; credential: Credential; open: boolean; onOpenChange: (o: boolean) => void }) {
  const policy = useQuery(metaQueries.policy())
  const [overlap, setOverlap] = useState(86_400)
  const [days, setDays] = useState<string>('')
  const [cutover, setCutover] = useState(true)
  const [mode, setMode] = useState<'keep' | 'rename'>('keep')
  const [newName, setNewName] = useState(() => lineageName(credential.name))
  const [revealed, setRevealed] = useState<RevealedToken | null>(null)
  const cutoverId = useId()
  const modeName = useId()
  const rotate = useRotateCredential(family, (secret, created) => setRevealed({ name: created.name, secret, expiresAt: created.expiration_timestamp }))
  const presets = policy.data?.expiry_presets ?? [30, 60, 90, 180, 365]
  const lifetime = days || String(policy.data?.default_expiration_days ?? 90)
  const keep = mode === 'keep'
  const next = newName.trim()
  const old = keep ? 'the previous secret' : 'the old token'
  const summary = keep
    ? (overlap === 0
        ? <><strong>{credential.name}</strong> keeps its name, history and usage and gets a new secret; its previous secret (<span className="font-mono">{credential.token_hint}</span>) is refused the moment you confirm.</>
        : <><strong>{credential.name}</strong> keeps its name, history and usage and gets a new secret; its previous secret (<span className="font-mono">{credential.token_hint}</span>) keeps working for <strong>{overlapLabel(overlap)}</strong> after you confirm, then it is refused{cutover ? ', or earlier, as soon as every caller of the last 30 days has used the new secret' : ''}.</>)
    : (overlap === 0
        ? <><strong>{credential.name}</strong> is refused the moment you confirm; <strong>{next}</strong> replaces it.</>
        : <><strong>{credential.name}</strong> keeps working for <strong>{overlapLabel(overlap)}</strong> after you confirm, beside <strong>{next}</strong>, then it is refused{cutover ? ', or earlier, as soon as every caller of the last 30 days has used the new token' : ''}.</>)

  return (
    <>
      <Dialog open={open && !revealed} onOpenChange={(o) => { if (!o) rotate.reset(); onOpenChange(o) }} title={`Rotate ${credential.name}?`} description="A new secret with the same owner, type and scope; its value is shown once.">
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault()
            rotate.mutate({
              name: credential.name, overlap_seconds: overlap, expiration_days: Number(lifetime), cutover_on_switch: overlap > 0 && cutover,
              ...(keep ? {} : { new_name: next }),
            }, {
              onSuccess: (created) => toast.success(keep
                ? `New secret issued for ${created.name}; the previous one ${overlap === 0 ? 'ended' : `ends within ${overlapLabel(overlap)}`}`
                : `${created.name} issued; ${credential.name} ${overlap === 0 ? 'ended' : `ends within ${overlapLabel(overlap)}`}`),
            })
          }}
        >
          <fieldset className="space-y-1">
            <legend className="text-sm font-medium">How</legend>
            <label className="flex items-center gap-2 text-sm">
              <input type="radio" name={modeName} checked={keep} onChange={() => setMode('keep')} />
              Keep the name, issue a new secret
            </label>
            <label className="flex items-center gap-2 text-sm">
              <input type="radio" name={modeName} checked={!keep} onChange={() => setMode('rename')} />
              Rotate to a new name
            </label>
          </fieldset>
          {!keep && (
            <Field label="New name" hint="A new token of this name replaces this one; configs that name this one must change.">
              {(ids) => <Input {...ids} value={newName} onChange={(e) => setNewName(e.target.value)} required maxLength={64} />}
            </Field>
          )}
          <Field label="Overlap" hint={`How long ${old} keeps working while callers switch.`}>
            {(ids) => (
              <Select {...ids} value={overlap} onChange={(e) => setOverlap(Number(e.target.value))}>
                {OVERLAPS.map(([v, label]) => <option key={v} value={v}>{label}</option>)}
              </Select>
            )}
          </Field>
          {overlap > 0 && (
            <div className="flex items-start gap-2">
              <input id={cutoverId} type="checkbox" className="mt-1" checked={cutover} onChange={(e) => setCutover(e.target.checked)} />
              <label htmlFor={cutoverId} className="text-sm">End {old} as soon as every caller has switched</label>
            </div>
          )}
          <Field label={keep ? 'New secret lifetime' : 'New token lifetime'}>
            {(ids) => (
              <Select {...ids} value={lifetime} onChange={(e) => setDays(e.target.value)}>
                {presets.map((d) => <option key={d} value={d}>{d} days</option>)}
              </Select>
            )}
          </Field>
          <p className="rounded-md bg-amber-50 p-3 text-sm text-amber-950 dark:bg-amber-950 dark:text-amber-100" data-testid="rotate-summary">{summary}</p>
          {rotate.error && <p role="alert" className="text-sm font-medium text-red-700 dark:text-red-400">{rotate.error instanceof ApiError ? rotate.error.message : 'Rotation failed'}</p>}
          <div className="flex justify-end gap-2">
            <Button variant="secondary" onClick={() => onOpenChange(false)}>Cancel</Button>
            <Button type="submit" disabled={rotate.isPending}>{rotate.isPending ? 'Rotating…' : overlap === 0 ? `Rotate and end ${old} now` : `Rotate with ${overlapLabel(overlap)} overlap`}</Button>
          </div>
        </form>
      </Dialog>
      <RevealTokenDialog title={revealed?.name === credential.name ? `New secret for ${credential.name}` : `Replacement for ${credential.name}`} token={revealed} onClose={() => { setRevealed(null); rotate.reset(); onOpenChange(false) }} />
    </>
  )
}
