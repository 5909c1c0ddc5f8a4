// The delivery worker on a real SQLite outbox with a scripted peer client: bounded concurrency per
// peer origin (a slow peer never takes every slot), the shared content sent as a piece without a
// copy per recipient, letter.failed events, and deliverBy deadline events on a deterministic clock.
import t from 'tap'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db, OutboxStore, type NewOutboxMessage } from '../../src/storage/index.js'
import { DeliveryWorker } from '../../src/services/delivery/worker.js'
import { DeadlineWatch } from '../../src/services/deadline-watch.js'
import { EnvelopeCache } from '../../src/services/envelope-cache.js'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { createLogger } from '../../src/log.js'
import type { Directory } from '../../src/pki/directory.js'
import type { PeerClient, PeerResponse } from '../../src/federation/peer-client.js'
import type { EventInput } from '../../src/domain/events.js'
import type { TrustAnchors } from '../../src/pki/validate.js'

const log = createLogger('silent')

function open(t: { teardown(fn: () => void): void }, now: () => number = Date.now) {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-fanout-'))
  const db = Db.open(join(dir, 'saraban.sqlite'))
  t.teardown(async () => {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { db, outbox: new OutboxStore(db, { now }) }
}

/** Agencies named slow* live at https://slow.test, the others at https://fast.test. */
const directory = {
  agency: (id: string) => ({ id, endpoints: [id.startsWith('slow') ? 'https://slow.test:8443' : 'https://fast.test:8443'] }),
  nodeOf: () => undefined,
} as unknown as Directory

const refused: PeerResponse = { status: 403, contentType: 'application/problem+json', body: Buffer.from('{"code":"ERR_FORBIDDEN","detail":"no"}'), sharesContent: false }

t.test('a slow peer gets at most its share of slots; the others are delivered meanwhile', async (t) => {
  const { db, outbox } = open(t)
  const letterId = randomUUID()
  const shared = randomBytes(32 * 1024)
  const msgs: NewOutboxMessage[] = [...Array.from({ length: 40 }, (_, i) => `slow${i}`), ...Array.from({ length: 12 }, (_, i) => `fast${i}`)].map((to) => ({
    messageId: randomUUID(), letterId, recipientAgency: to, profile: 'jose-v1', envelope: Buffer.from(`head:${to}|`), tail: Buffer.from('|tail'),
    contentRef: 'c', envelopeSha256: 'ab'.repeat(32), contentKey: randomBytes(32), priority: 0, nextAttemptAt: 0,
  }))
  await db.write(() => outbox.insertLetter({ id: letterId, senderAgency: 'hq', letterJson: '{}', createdAt: Date.now() }, msgs, [{ ref: 'c', profile: 'jose-v1', bytes: shared }]))

  const inFlight = new Map<string, number>()
  const most = new Map<string, number>()
  const sharedSeen = new Set<Buffer>()
  let releaseSlow!: () => void
  const slowGate = new Promise<void>((r) => (releaseSlow = r))
  const peers = {
    async post(endpoint: string, _path: string, _mt: string, envelope: Buffer | readonly Buffer[], routing?: { to: string }) {
      const pieces = envelope as readonly Buffer[]
      t.ok(Buffer.concat(pieces).equals(Buffer.concat([Buffer.from(`head:${routing!.to}|`), shared, Buffer.from('|tail')])), `${routing!.to}: head ‖ shared ‖ tail`)
      sharedSeen.add(pieces[1]!)
      const o = new URL(endpoint).host
      inFlight.set(o, (inFlight.get(o) ?? 0) + 1)
      most.set(o, Math.max(most.get(o) ?? 0, inFlight.get(o)!))
      try {
        if (o.startsWith('slow')) await slowGate
        else await new Promise((r) => setTimeout(r, 2))
        return refused
      } finally {
        inFlight.set(o, inFlight.get(o)! - 1)
      }
    },
  } as unknown as PeerClient
  const events: EventInput[] = []
  const worker = new DeliveryWorker({
    clock: { now: Date.now }, log, db, outbox, peers, profiles: defaultProfiles(), anchors: {} as TrustAnchors, directory: () => directory,
    settings: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 10, maxInFlight: 8, maxPerPeer: 3 },
    envelopes: new EnvelopeCache(1024 * 1024), events: { emit: (e) => void events.push(e) },
  })
  worker.start()
  t.teardown(() => worker.stop(100))
  const waitUntil = async (what: string, fn: () => boolean) => {
    for (const end = Date.now() + 10_000; !fn(); await new Promise((r) => setTimeout(r, 5))) if (Date.now() > end) throw new Error(`timed out: ${what}`)
  }
  await waitUntil('fast ones done', () => outbox.messagesForLetter(letterId).filter((m) => m.recipientAgency.startsWith('fast')).every((m) => m.status === 'failed'))
  t.equal(most.get('slow.test:8443'), 3, 'the slow peer never had more than its 3 slots')
  t.equal(outbox.counts().sending, 3, 'while the slow peer holds 3, the rest of its messages wait queued')
  t.equal(events.filter((e) => e.type === 'letter.failed').length, 12, 'letter.failed once per failed recipient')
  t.match(events[0], { agency: 'hq', type: 'letter.failed', letterId, data: { code: 'ERR_PEER_REFUSED' } })
  releaseSlow()
  await waitUntil('all done', () => outbox.counts().failed === 52)
  t.ok(most.get('slow.test:8443')! <= 3 && most.get('fast.test:8443')! <= 3)
  t.equal(sharedSeen.size, 1, 'every recipient was sent the same shared Buffer: read once, never copied')
  t.equal(events.length, 52)
})

t.test('deliverBy: at-risk, then missed, each raised once, on a deterministic clock', async (t) => {
  let now = 0
  const { db, outbox } = open(t, () => now)
  const letterId = randomUUID()
  const mk = (to: string): NewOutboxMessage => ({
    messageId: randomUUID(), letterId, recipientAgency: to, profile: 'jose-v1', envelope: Buffer.from('x'), envelopeSha256: 'ab'.repeat(32),
    contentKey: randomBytes(32), priority: 3, nextAttemptAt: 0, deadlineAt: 10_000,
  })
  const [a, b] = [mk('mof'), mk('dga')]
  await db.write(() => outbox.insertLetter({ id: letterId, senderAgency: 'moi', letterJson: '{}', createdAt: 0 }, [a!, b!]))
  const events: EventInput[] = []
  const watch = new DeadlineWatch({ clock: { now: () => now }, log, db, outbox, atRiskMs: 2_000, events: { emit: (e) => void events.push(e) } })
  const types = () => events.map((e) => `${e.type}:${(e.data as { recipient: string }).recipient}`)

  now = 7_999
  await watch.check()
  t.same(events, [], 'not yet within the at-risk window')
  now = 8_000
  await watch.check()
  t.same(types(), ['letter.deadline-at-risk:mof', 'letter.deadline-at-risk:dga'])
  t.match(events[0], { agency: 'moi', letterId, messageId: a!.messageId, data: { deliverBy: '1970-01-01T00:00:10.000Z' } })
  await watch.check()
  t.equal(events.length, 2, 'raised once')

  outbox.claimDue(9_000, 1)
  await db.write(() => outbox.markDelivered(a!.messageId, 'receipt', 9_500)) // mof in time
  now = 10_000
  await watch.check()
  await watch.check()
  t.same(types().slice(2), ['letter.deadline-missed:dga'], 'missed once, only for the recipient not delivered')
  t.same(outbox.messagesForLetter(letterId).map((m) => m.deadlineState), ['at-risk', 'missed'])
  t.equal(outbox.nextDeadlineEventAt(2_000), undefined, 'nothing left to watch')
  await watch.stop()
})
