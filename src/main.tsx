import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { RouterProvider } from 'react-router'
import { Providers } from './app/providers'
import { router } from './app/router'
import './index.css'
import { z } from 'zod'

// zod 4 compiles parsers with new Function when it may; the CSP allows no eval, so it would probe,
// log a violation and fall back. Say so up front instead.
z.config({ jitless: true })

// The server puts a per-request style nonce in the page (its CSP has no 'unsafe-inline'); the
// scroll lock of Radix dialogs stamps it on the <style> it adds (react-style-singleton reads this).
const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content
if (nonce) (globalThis as { __webpack_nonce__?: string }).__webpack_nonce__ = nonce

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Providers>
      <RouterProvider router={router} />
    </Providers>
  </StrictMode>,
)
