// A base port for a dev federation (src/cli/dev-ports.ts) whose whole block N..N+BASE_PORT_SPAN is free
// right now on 127.0.0.1, chosen at random in 20000–32767 like freePort (below Linux's ephemeral range).
import { BASE_PORT_SPAN } from '../../src/cli/dev-ports.js'
import { listensOn } from '../../src/cli/free-port.js'

export async function freeBasePort(): Promise<number> {
  for (let i = 0; i < 64; i++) {
    const base = 20_000 + Math.floor(Math.random() * (32_767 - BASE_PORT_SPAN - 20_000))
    let ok = true
    for (let p = base; ok && p <= base + BASE_PORT_SPAN; p++) ok = (await listensOn(p)) !== undefined
    if (ok) return base
  }
  throw new Error('freeBasePort: no free block of ports found')
}
