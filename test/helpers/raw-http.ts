// A raw HTTP/1.1 client over TLS or TCP for listener tests (issue 13 §2): it writes exactly the bytes a
// test gives, can go on trickling a body, and reports what came back and whether the server closed.
import { connect as tlsConnect } from 'node:tls'
import { connect as netConnect, type Socket } from 'node:net'

export interface RawAnswer {
  /** Status of the first answer, 0 when none came. */
  readonly status: number
  readonly head: string
  readonly body: string
  /** All bytes received, as latin1 text (answers after the first included). */
  readonly raw: string
  /** True when the server closed the connection (not the client, not the test's safety timer). */
  readonly closedByServer: boolean
}

export interface RawOptions {
  readonly port: number
  readonly tls?: { ca: string; key?: string; cert?: string }
  /** The request line and headers, without the final blank line. */
  readonly head: string
  /** Bytes sent right after the head. */
  readonly body?: Buffer
  /** Then this chunk every `everyMs` until the server closes or the safety timer fires. */
  readonly trickle?: { chunk: Buffer; everyMs: number }
  /** Omit the blank line that ends the headers (a slow-headers client). */
  readonly unfinishedHead?: boolean
  /** The test gives up after this long (a safety net, not an assertion). */
  readonly giveUpMs?: number
}

export async function rawRequest(o: RawOptions): Promise<RawAnswer> {
  const socket: Socket = o.tls
    ? tlsConnect({ host: '127.0.0.1', port: o.port, ca: o.tls.ca, ...(o.tls.key ? { key: o.tls.key, cert: o.tls.cert } : {}), servername: 'localhost', checkServerIdentity: () => undefined })
    : netConnect({ host: '127.0.0.1', port: o.port })
  await new Promise<void>((resolve, reject) => {
    socket.once(o.tls ? 'secureConnect' : 'connect', () => resolve())
    socket.once('error', reject)
  })
  const chunks: Buffer[] = []
  let trickle: NodeJS.Timeout | undefined
  let gaveUp = false
  const closed = new Promise<void>((resolve) => {
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => undefined) // a reset after the answer is an outcome too
    socket.once('close', () => { if (trickle) clearInterval(trickle); resolve() })
  })
  socket.write(o.head + (o.unfinishedHead ? '\r\n' : '\r\n\r\n'))
  if (o.body) socket.write(o.body)
  if (o.trickle) {
    const t = o.trickle
    trickle = setInterval(() => { if (socket.writable) socket.write(t.chunk) }, t.everyMs)
  }
  const safety = setTimeout(() => { gaveUp = true; socket.destroy() }, o.giveUpMs ?? 15_000)
  await closed
  clearTimeout(safety)
  const raw = Buffer.concat(chunks).toString('latin1')
  const [head = '', ...rest] = raw.split('\r\n\r\n')
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
  return { status, head, body: rest.join('\r\n\r\n'), raw, closedByServer: !gaveUp }
}
