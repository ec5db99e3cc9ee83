// Dates in the browser's locale; relative phrases from date-fns.
import { differenceInCalendarDays, formatDistanceToNowStrict } from 'date-fns'

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

export const formatDate = (iso: string | Date) => dateFmt.format(new Date(iso))
export const formatDateTime = (iso: string | Date) => dateTimeFmt.format(new Date(iso))
export const relative = (iso: string | Date) => formatDistanceToNowStrict(new Date(iso), { addSuffix: true })
export const daysUntil = (iso: string, now = new Date()) => differenceInCalendarDays(new Date(iso), now)
