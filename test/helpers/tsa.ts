// A throwaway TSA for tests: a 'tsa' certificate under the test federation's issuing CA, and our dev TSA
// server on a loopback port (stoppable, restartable on the same port to simulate an outage).
import type { FastifyInstance } from 'fastify'
import { issueTsaCertificate } from '../../src/tsa/dev.js'
import { buildTsaServer } from '../../src/tsa/server.js'
import { createLogger } from '../../src/log.js'
import { systemClock, type Clock } from '../../src/clock.js'
import type { Issued } from '../../src/pki/dev-issue.js'
import { testFederation } from './federation.js'
import { freePort } from './nodes.js'

let rsa: Promise<Issued> | undefined
let ec: Promise<Issued> | undefined

/** The test federation's TSA certificate (memoised per process). */
export async function testTsaCert(keyType: 'ec' | 'rsa' = 'ec'): Promise<Issued> {
  const fed = await testFederation()
  if (keyType === 'rsa') return (rsa ??= issueTsaCertificate(fed.intermediate, { keyType: 'rsa' }))
  return (ec ??= issueTsaCertificate(fed.intermediate, { keyType: 'ec' }))
}

export interface TestTsa {
  readonly url: string
  readonly port: number
  readonly cert: Issued
  start(): Promise<void>
  stop(): Promise<void>
  /** Requests answered since creation. */
  readonly served: number
}

export async function testTsa(opts: { keyType?: 'ec' | 'rsa'; clock?: Clock; port?: number } = {}): Promise<TestTsa> {
  const cert = await testTsaCert(opts.keyType)
  const port = opts.port ?? (await freePort())
  let app: FastifyInstance | undefined
  let served = 0
  const tsa: TestTsa = {
    url: `http://127.0.0.1:${port}/`,
    port,
    cert,
    get served() { return served },
    async start() {
      if (app) return
      app = await buildTsaServer({ signer: { key: cert.key, chain: cert.chain }, clock: opts.clock ?? systemClock, log: createLogger('silent') })
      app.addHook('onResponse', async () => { served++ })
      await app.listen({ host: '127.0.0.1', port })
    },
    async stop() {
      const a = app
      app = undefined
      if (a) await a.close()
    },
  }
  await tsa.start()
  return tsa
}
