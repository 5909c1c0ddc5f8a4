// A TCP port on 127.0.0.1 that was free a moment ago (the demo's extra node; tests): the kernel picks
// it for a listener that is closed again at once, so another process may still take it in between.
import { createServer } from 'node:net'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}
