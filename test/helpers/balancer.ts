// A TCP round-robin balancer for a node run as several processes (issue 19 item 2: several processes
// behind one identity): it listens on the node's directory federation port and passes each connection,
// bytes untouched (real mTLS goes through it end to end), to the federation port of one of the
// processes that run now. Used by the crash runs (crash-run.ts) and the engines bench (bench/run.ts).
import { createServer, connect, type Server, type Socket } from 'node:net'
import { Transform } from 'node:stream'

/** Passes bytes on in order, each chunk `ms` after it came. */
class Delay extends Transform {
  constructor(readonly ms: number) { super() }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    setTimeout(() => done(null, chunk), this.ms)
  }
}

export class Balancer {
  readonly #sockets = new Set<Socket>()
  #turn = 0

  private constructor(readonly server: Server, readonly upstreams: () => readonly number[], readonly latencyMs: number) {}

  /** Listens on 127.0.0.1:`port`; each new connection goes to the next of the ports `upstreams()`
   *  names at that moment (none: the connection is closed, and the peer retries). `latencyMs` > 0:
   *  the answers come back that late (a slow link). */
  static async listen(port: number, upstreams: () => readonly number[], latencyMs = 0): Promise<Balancer> {
    let balancer: Balancer | undefined
    const server = createServer((client) => balancer!.#forward(client))
    balancer = new Balancer(server, upstreams, latencyMs)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    return balancer
  }

  #forward(client: Socket): void {
    const live = this.upstreams()
    const to = live[this.#turn++ % Math.max(1, live.length)]
    if (to === undefined) return void client.destroy()
    const upstream = connect(to, '127.0.0.1')
    for (const sock of [client, upstream]) {
      this.#sockets.add(sock)
      sock.on('close', () => this.#sockets.delete(sock))
      sock.on('error', () => { client.destroy(); upstream.destroy() })
    }
    client.pipe(upstream)
    if (this.latencyMs > 0) upstream.pipe(new Delay(this.latencyMs)).pipe(client)
    else upstream.pipe(client)
  }

  /** Cuts every connection it carries and stops listening. */
  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}
