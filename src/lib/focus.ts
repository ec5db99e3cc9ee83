// Moving focus to where the work is after the page changes under the person: the next row after
// rows leave a list, a heading when a step or page changes.

/** Focuses a heading (or any element) that is not in the tab order, without scrolling past it. */
export function focusHeading(el: HTMLElement | null | undefined) {
  if (!el) return false
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1')
  el.focus()
  return document.activeElement === el
}

/** The page's own heading: the h1 in the main landmark (or the document's first). */
export function pageHeading(): HTMLElement | null {
  return document.querySelector<HTMLElement>('main h1') ?? document.querySelector<HTMLElement>('h1')
}

/** A table row's link by its text (the credential tables link each row by its name). */
function rowLinks(scope: ParentNode) {
  return [...scope.querySelectorAll<HTMLAnchorElement>('tbody tr')].map((tr) => tr.querySelector<HTMLAnchorElement>('td a'))
    .filter((a): a is HTMLAnchorElement => a !== null)
}

/**
 * Before rows are revoked: the row focus should land on after. The first row after the last one
 * acted on that was not itself acted on; else the nearest one before; else none (the list heading).
 */
export function rowAfter(scope: ParentNode, acted: ReadonlySet<string>): string | null {
  const names = rowLinks(scope).map((a) => a.textContent ?? '')
  const hit = names.map((n, i) => (acted.has(n) ? i : -1)).filter((i) => i >= 0)
  if (!hit.length) return null
  const after = names.slice(hit[hit.length - 1] + 1).find((n) => !acted.has(n))
  if (after !== undefined) return after
  return [...names.slice(0, hit[0])].reverse().find((n) => !acted.has(n)) ?? null
}

/**
 * After the list has been read again: focuses the named row's link once it is on the page, or the
 * page heading if it is not (the list is empty, or the row left it). Tries for up to two seconds
 * while the refreshed list renders.
 */
export function focusRowOrHeading(scope: ParentNode, name: string | null, heading: () => HTMLElement | null = pageHeading) {
  const until = Date.now() + 2000
  const attempt = () => {
    const link = name === null ? undefined : rowLinks(scope).find((a) => a.textContent === name)
    if (link) return void link.focus()
    if (Date.now() < until && name !== null) return void setTimeout(attempt, 50)
    focusHeading(heading())
  }
  setTimeout(attempt, 0)
}
