#!/usr/bin/env node
// `npx token-console`: loads the TypeScript CLI through tsx (a dependency), resolved from this file
// so it runs from any working directory with plain node.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('./main.ts')
process.exitCode = await main(process.argv.slice(2))
