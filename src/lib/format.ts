// Dates in the browser's locale; relative phrases from date-fns.
import { differenceInCalendarDays, formatDistanceToNowStrict } from 'date-fns'

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

const secondsFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
const dayMonthFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' })

export const formatDate = (iso: string | Date) => dateFmt.format(new Date(iso))
export const formatDateTime = (iso: string | Date) => dateTimeFmt.format(new Date(iso))
export const relative = (iso: string | Date) => formatDistanceToNowStrict(new Date(iso), { addSuffix: true })
export const daysUntil = (iso: string, now = new Date()) => differenceInCalendarDays(new Date(iso), now)
/** To the second: audit events a few seconds apart must not look simultaneous. */
export const formatDateTimeSeconds = (iso: string | Date) => secondsFmt.format(new Date(iso))
/** The exact instant in local time with milliseconds and offset, for the audit detail. */
export function formatExact(iso: string | Date): string {
  const d = new Date(iso)
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  const off = -d.getTimezoneOffset()
  const sign = off >= 0 ? '+' : '-'
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)} ${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`
}
export const formatDayMonth = (iso: string | Date) => dayMonthFmt.format(new Date(iso))
