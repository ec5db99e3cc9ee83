// Calendar reminders (RFC 5545, CRLF line ends) to rotate a token before it expires.
import { format, max, startOfDay, subDays } from 'date-fns'

const DAY = 86_400_000
export const REMINDER_DAYS_BEFORE = 14

function icsEscape(s: string) {
  return s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n')
}

/** Two weeks before expiry, but never a day already past: then it is today. */
export function reminderDay(expiry: Date, now = new Date()): Date {
  return max([startOfDay(subDays(expiry, REMINDER_DAYS_BEFORE)), startOfDay(now)])
}

export function rotationIcs(a: { name: string; uid: string; expiry: Date; steps: string[]; link: string }, now = new Date()): string {
  const remind = reminderDay(a.expiry, now)
  const day = (d: Date) => format(d, 'yyyyMMdd')
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
  const description = `API token ${a.name} expires on ${a.expiry.toISOString().slice(0, 10)}.\n` +
    a.steps.map((s, i) => `${i + 1}. ${s}`).join('\n') + `\n${a.link}`
  return [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Token Console//Rotation reminder//EN', 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH',
    'BEGIN:VEVENT', `UID:rotate-${a.uid}@token-console`, `DTSTAMP:${stamp}`,
    `DTSTART;VALUE=DATE:${day(remind)}`, `DTEND;VALUE=DATE:${day(new Date(remind.getTime() + DAY))}`,
    `SUMMARY:${icsEscape(`Rotate API token ${a.name}`)}`, `DESCRIPTION:${icsEscape(description)}`,
    'BEGIN:VALARM', 'ACTION:DISPLAY', `DESCRIPTION:${icsEscape(`Rotate API token ${a.name}`)}`, 'TRIGGER:-PT0M', 'END:VALARM',
    'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n')
}

export function downloadText(filename: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = Object.assign(document.createElement('a'), { href: url, download: filename })
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
