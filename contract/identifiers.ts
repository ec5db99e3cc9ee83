// One normalisation of identifiers, used for lookup, uniqueness and every limit. Emails are compared
// after Unicode NFKC and case folding, so "admin@exampᴷe.com" spelled with U+212A KELVIN SIGN and the
// ASCII spelling are one account for sign-in, for the sign-in brake and for the unique index.

/**
 * NFKC, then lower case, then NFKC again (lower-casing can produce sequences that compose again).
 * JavaScript has no full case folding; toLowerCase after NFKC folds every letter that has a
 * single lower-case form, which is what an email's local part and domain use in practice.
 */
export function normalizeEmail(raw: string): string {
  return raw.trim().normalize('NFKC').toLowerCase().normalize('NFKC')
}

// C0 controls except tab, line feed and carriage return; DEL; C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Why a string cannot be stored as given, or undefined when it can. */
export function unsafeStringReason(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain NUL characters'
  if (CONTROL.test(s)) return 'must not contain control characters'
  if (LONE_SURROGATE.test(s)) return 'must be valid Unicode (it contains a lone surrogate)'
  return undefined
}
