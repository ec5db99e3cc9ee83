// A radio button as a card: the wizard's type, scope and expiry choices.
export function RadioCard(props: { name: string; value: string; checked: boolean; onChange: () => void; title: string; children?: React.ReactNode; disabled?: boolean }) {
  return (
    <label className={`flex cursor-pointer gap-3 rounded-lg border p-3 ${props.checked ? 'border-indigo-600 bg-indigo-50 dark:border-indigo-400 dark:bg-indigo-950' : 'border-slate-300 dark:border-slate-700'} ${props.disabled ? 'cursor-not-allowed opacity-60' : ''}`}>
      <input type="radio" name={props.name} value={props.value} checked={props.checked} onChange={props.onChange} disabled={props.disabled} className="mt-0.5 size-4 accent-indigo-600" />
      <span>
        <span className="block font-medium">{props.title}</span>
        {props.children && <span className="mt-0.5 block text-slate-600 dark:text-slate-400">{props.children}</span>}
      </span>
    </label>
  )
}
