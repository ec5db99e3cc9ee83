// Error detail reasons clients act on. No imports: the console's first download takes these
// without the schema library.

/** details[].reason of the 401 that asks a console session to confirm its password. */
export const REAUTHENTICATION_REQUIRED = 'reauthentication_required'
