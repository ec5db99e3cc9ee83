import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { fixture } from './fixture'

const schema = z.object({ id: z.string(), items: z.array(z.object({ n: z.number() })), when: z.string().optional() })

describe('fixture', () => {
  it('returns a value that matches the contract', () => {
    expect(fixture(schema, { id: 'a', items: [{ n: 1 }] })).toEqual({ id: 'a', items: [{ n: 1 }] })
  })
  it('refuses a mistyped or missing field, naming it', () => {
    expect(() => fixture(schema, { id: 1, items: [] } as never)).toThrow(/id:/)
    expect(() => fixture(schema, { id: 'a' } as never)).toThrow(/items:/)
  })
  it('refuses a field the contract does not have, even nested', () => {
    expect(() => fixture(schema, { id: 'a', items: [], extra: true } as never)).toThrow(/fields the contract does not: extra/)
    expect(() => fixture(schema, { id: 'a', items: [{ n: 1, m: 2 }] } as never)).toThrow(/items\[0\]\.m/)
  })
})
