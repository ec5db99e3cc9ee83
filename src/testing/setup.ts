// Shared setup for component tests (they opt into a DOM with `// @vitest-environment happy-dom`).
import '@testing-library/jest-dom/vitest'
import { cleanup } from '@testing-library/react'
import { afterEach } from 'vitest'

afterEach(() => cleanup())
