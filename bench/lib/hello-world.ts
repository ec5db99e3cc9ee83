// The baseline: a bare Fastify hello-world, run as its own process (node --import tsx) by bench/verify.ts.
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/', async () => 'ok')
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) })
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void app.close())
