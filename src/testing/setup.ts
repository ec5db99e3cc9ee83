// Shared setup for component tests (they opt into a DOM with `// @vitest-environment happy-dom`).
import '@testing-library/jest-dom/vitest'
