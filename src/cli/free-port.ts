// A TCP port on 127.0.0.1 that was free a moment ago (tests; the dev federation never uses it: src/cli/dev-ports.ts). It is chosen at
// random below Linux's ephemeral range (32768–60999 by default): a port the kernel picks for bind(0)
// lies inside that range, so an outgoing connection of any process could take it as its local port
// before our listener binds it (seen in CI as EADDRINUSE on a hosting test node). Below the range,
// only another caller of this function could, and only by drawing the same number in that moment.
import { createServer } from 'node:net'

const LOW = 20_000
const HIGH = 32_767
const TRIES = 64
/** Ports this process handed out: nothing listens on one until its caller binds it, so a later draw
 *  could find it free and hand it out twice (a bench's node then failed with EADDRINUSE). */
const given = new Set<number>()

/** Listens on the port for a moment: the port bound (port 0: the kernel's choice), or undefined if taken. */
export function listensOn(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(undefined))
    s.listen(port, '127.0.0.1', () => {
      const bound = (s.address() as { port: number }).port
      s.close(() => resolve(bound))
    })
  })
}

export async function freePort(): Promise<number> {
  for (let i = 0; i < TRIES; i++) {
    const drawn = LOW + Math.floor(Math.random() * (HIGH - LOW + 1))
    if (given.has(drawn)) continue
    const port = await listensOn(drawn)
    if (port !== undefined) return give(port)
  }
  const any = await listensOn(0) // everything tried was taken: let the kernel choose
  if (any === undefined) throw new Error('freePort: cannot listen on 127.0.0.1')
  return give(any)
}

function give(port: number): number {
  given.add(port)
  return port
}
