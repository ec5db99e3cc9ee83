// Applies the saved or system colour scheme before the app renders, so there is no flash.
import { applyTheme, storedTheme } from './lib/theme'
applyTheme(storedTheme())
