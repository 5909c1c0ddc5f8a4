// Patient delivery (issue 13 §2, PROTOCOL.md §7.2 "Patience" and "Requeue"), between real nodes over
// real mutual TLS: while a peer is down only probes reach its port and queued letters spend no
// attempts; when it is back every queued letter goes at once, not after its own backoff; a recipient
// gives up after delivery.giveUpAfter (a time, on an injected clock), not after a number of attempts;
// an operator requeues failed recipients through the API and the CLI.
import t from 'tap'
import { createServer, type Server, type Socket } from 'node:net'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { testNet, call, waitFor, waitForRecipient, thaiLetter, type TestNode } from '../helpers/nodes.js'

/** A stand-in for a peer that is down: a TCP listener on its port that counts every connection and
 *  resets it before any TLS (what a crashed process behind a load balancer looks like). */
async function blackhole(port: number): Promise<{ connections: () => number; close: () => Promise<void> }> {
  let n = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((s) => {
    n++
    sockets.add(s)
    s.on('error', () => {})
    s.resetAndDestroy()
  })
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()))
  return {
    connections: () => n,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    }),
  }
}

const recipients = async (node: TestNode, id: string) => (await call(node, 'GET', `/api/v1/letters/${id}`)).body.recipients as Array<{ agency: string; messageId: string; status: string; attempts: number; deadline?: string; lastError?: { code: string; detail: string } }>
const peers = async (node: TestNode) => (await call(node, 'GET', '/api/v1/peers')).body.peers as Array<{ origin: string; state: string; failures: number; pending: Record<string, number>; nextProbeAt?: string; lastError?: { code: string } }>

t.test('a peer that is down gets probes only; once back, the whole queue is delivered at once', async (t) => {
  // Per-message backoff of a minute: were letters to wait on their own backoff after the outage,
  // none would arrive within the test's wait. The circuit probes every 50–200 ms.
  const net = await testNet(['moi', 'mof'], { delivery: { initialBackoffMs: 60_000, maxBackoffMs: 60_000, probeInitialBackoffMs: 50, probeMaxBackoffMs: 200, concurrencyPerPeer: 4 } })
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  const down = await blackhole(mof.federationPort)
  t.teardown(() => down.close())
  await moi.start()

  const ids: string[] = []
  for (let i = 0; i < 12; i++) {
    const r = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: `หนังสือที่ ${i + 1}` }) })
    t.equal(r.status, 202)
    ids.push(r.body.id)
  }
  const origin = `https://127.0.0.1:${mof.federationPort}`
  // Several probes fail while it is down.
  const seen = await waitFor('mof down, probed several times', async () => {
    const p = (await peers(moi)).find((x) => x.origin === origin)
    return p && p.state !== 'up' && p.failures >= 6 ? p : undefined
  })
  t.equal(seen.lastError?.code, 'ERR_PEER_UNREACHABLE', 'the peer-level reason is shown')
  t.equal(seen.pending.mof, 12, 'all twelve wait for it')
  const attempts = async () => (await Promise.all(ids.map((id) => recipients(moi, id)))).flat().reduce((n, r) => n + r.attempts, 0)
  const spent = await attempts()
  t.ok(spent >= 1 && spent <= 4, `only the first claim (at most concurrencyPerPeer = 4) spent an attempt: ${spent}`)
  const failures = (await peers(moi)).find((x) => x.origin === origin)!.failures
  // Every connection is an attempt of those first few or one probe: failures count each probe.
  t.ok(down.connections() <= spent + failures + 1, `connections ${down.connections()} ≤ attempts ${spent} + probes (≤ ${failures}) + one in flight`)
  t.equal(await attempts(), spent, 'waiting letters spend no attempts while the peer is down')
  for (const id of ids) {
    const [r] = await recipients(moi, id)
    t.equal(r!.status, 'queued', 'nothing failed')
  }

  await down.close()
  await mof.start() // the same port
  for (const id of ids) await waitForRecipient(moi, id, 'delivered')
  t.equal((await call(mof, 'GET', '/api/v1/inbox?limit=50')).body.items.length, 12, 'every queued letter arrived once, without waiting for its own backoff')
  t.equal(await attempts(), spent + 12, 'one more attempt each: the one that delivered it')
  t.notOk((await peers(moi)).some((x) => x.origin === origin && x.state !== 'up'), 'the peer is shown up again')
})

t.test('give-up horizon by time on an injected clock; deliverBy passing does not end delivery', async (t) => {
  let offset = 0
  const clock = { now: () => Date.now() + offset }
  const net = await testNet(['moi', 'mof'], { clock, delivery: { giveUpAfter: '3d', probeInitialBackoffMs: 50, probeMaxBackoffMs: 200, deadlineAtRiskMs: 0 } })
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!
  await moi.start() // mof is never started
  const deliverBy = new Date(Date.now() + 2000).toISOString()
  const sent = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { deliverBy }) })
  t.equal(sent.status, 202, JSON.stringify(sent.body))
  await waitFor('the circuit opened', async () => (await peers(moi)).find((p) => p.state !== 'up' && p.failures >= 3))
  const events = async () => (await call(moi, 'GET', '/api/v1/events', undefined, { accept: 'application/json' })).body.items as Array<{ type: string; data: Record<string, unknown> }>
  await waitFor('deliverBy passed: letter.deadline-missed', async () => (await events()).find((e) => e.type === 'letter.deadline-missed'))
  let [r] = await recipients(moi, sent.body.id)
  t.equal(r!.deadline, 'missed', 'PROTOCOL.md §7.3: the deadline is missed…')
  t.equal(r!.status, 'queued', '…and the letter is still being delivered (a late letter is still a letter)')

  offset = 3 * 86_400_000 - 60_000 // a minute before the horizon
  moi.ctx!.delivery.notify()
  await waitFor('a few more probes', async () => (await peers(moi)).find((p) => p.failures >= 6))
  ;[r] = await recipients(moi, sent.body.id)
  t.equal(r!.status, 'queued', 'three days less a minute: still trying')
  t.equal(r!.attempts, 1, 'and still one attempt: the rest was probes')

  offset = 3 * 86_400_000 + 1000
  moi.ctx!.delivery.notify()
  const failed = await waitForRecipient(moi, sent.body.id, 'failed')
  r = failed.recipients[0]
  t.equal(r!.lastError!.code, 'ERR_PEER_UNREACHABLE', 'failed with the last reason')
  t.match(r!.lastError!.detail, /no delivery within 3 d \(delivery\.giveUpAfter\)/)
  t.equal(r!.attempts, 1, 'an attempt count never decided it')
  t.ok((await events()).some((e) => e.type === 'letter.failed' && e.data.recipient === 'mof'), 'letter.failed')
})

t.test('an operator requeues failed recipients: the API route, its refusals, and the CLI', async (t) => {
  const net = await testNet(['moi', 'mof', 'dga'], { delivery: { giveUpAfter: 1, probeInitialBackoffMs: 50, probeMaxBackoffMs: 100 } })
  t.teardown(() => net.stop())
  const moi = net.nodes.moi!, mof = net.nodes.mof!
  await moi.start() // mof is down
  const a = (await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: 'ก' }) })).body.id as string
  const b = (await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: 'ข' }) })).body.id as string
  await waitForRecipient(moi, a, 'failed')
  await waitForRecipient(moi, b, 'failed')

  // A recipient cancelled by a withdrawal is never sent again.
  const c = (await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: 'ค' }) })).body.id as string
  const w = await call(moi, 'POST', `/api/v1/letters/${c}/withdraw`, { reason: 'ส่งผิด' })
  t.equal(w.status, 202, JSON.stringify(w.body))
  const cancelled = await call(moi, 'POST', `/api/v1/letters/${c}/retry`, { recipients: ['mof'] })
  t.equal(cancelled.status, 409)
  t.equal(cancelled.body.code, 'ERR_DELIVERY_CANCELLED')
  t.equal((await call(moi, 'POST', `/api/v1/letters/${c}/retry`)).body.code, 'ERR_NOT_FAILED', 'without a list: no failed recipient')
  const stranger = await call(moi, 'POST', `/api/v1/letters/${a}/retry`, { recipients: ['dga'] })
  t.equal(stranger.status, 400)
  t.equal(stranger.body.field, '/recipients/0')
  await net.nodes.dga!.start()
  t.equal((await call(net.nodes.dga!, 'POST', `/api/v1/letters/${a}/retry`)).status, 404, "another agency's key does not see the letter")

  await mof.start()
  const messageId = (await recipients(moi, a))[0]!.messageId
  const again = await call(moi, 'POST', `/api/v1/letters/${a}/retry`, {})
  t.equal(again.status, 202, JSON.stringify(again.body))
  t.match(again.body.recipients[0], { agency: 'mof', attempts: 0 })
  t.ok(['queued', 'sending', 'delivered'].includes(again.body.recipients[0].status))
  const delivered = await waitForRecipient(moi, a, 'delivered')
  t.equal(delivered.recipients[0].messageId, messageId, 'the same message, sent again')
  const twice = await call(moi, 'POST', `/api/v1/letters/${a}/retry`, { recipients: ['mof'] })
  t.equal(twice.status, 409)
  t.equal(twice.body.code, 'ERR_NOT_FAILED', 'a delivered recipient is not sent again')
  const events = (await call(moi, 'GET', '/api/v1/events', undefined, { accept: 'application/json' })).body.items as Array<{ type: string; letterId?: string; data: Record<string, unknown> }>
  t.ok(events.some((e) => e.type === 'letter.requeued' && e.letterId === a && e.data.recipient === 'mof'), 'letter.requeued')

  // The CLI, with the key in a file.
  const keyFile = join(net.dir, 'moi.key')
  writeFileSync(keyFile, moi.apiKey + '\n', { mode: 0o600 })
  const cli = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src/main.ts'), 'retry', '--api', moi.apiUrl!, '--key-file', keyFile, b, '--recipient', 'mof'],
      { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }))
  })
  t.equal(cli.status, 0, cli.stderr)
  t.match(cli.stdout, /^mof\t(queued|sending|delivered)$/m)
  await waitForRecipient(moi, b, 'delivered')
  t.equal((await call(mof, 'GET', '/api/v1/inbox?limit=10')).body.items.length, 2, 'both requeued letters arrived, once each')
})
