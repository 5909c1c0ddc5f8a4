// Two delivery workers of one node (issue 19 item 2) on one real SQLite file: one in a child process,
// whose attempt never ends, one here. While the child lives it renews its lease and this worker does
// not attempt the message; once the child is SIGKILLed, its lease runs out and this worker attempts
// the message itself, waking for the lease's end (no new work arrives to wake it), and records its
// own attempt's outcome. Scripted peer clients, as deliver-circuit.test.ts.
import t from 'tap'
import { spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db, OutboxStore } from '../../src/storage/index.js'
import { DeliveryWorker } from '../../src/services/delivery/worker.js'
import { EnvelopeCache } from '../../src/services/envelope-cache.js'
import { defaultProfiles } from '../../src/crypto/profiles.js'
import { createLogger } from '../../src/log.js'
import type { Directory } from '../../src/pki/directory.js'
import type { PeerClient } from '../../src/federation/peer-client.js'
import type { TrustAnchors } from '../../src/pki/validate.js'

const REPO = new URL('../..', import.meta.url)
const SRC = new URL('../../src/', import.meta.url).href
const LEASE = 4_000

const directory = { agency: (id: string) => ({ id, endpoints: [`https://${id}.test:8443`] }), nodeOf: () => undefined } as unknown as Directory
const settings = { initialBackoffMs: 60_000, maxBackoffMs: 60_000, maxInFlight: 4 }

/** The child: a worker whose peer never answers; says `posted` when its attempt began. */
const CHILD = `
import { Db, OutboxStore } from '${SRC}storage/index.ts'
import { DeliveryWorker } from '${SRC}services/delivery/worker.ts'
import { EnvelopeCache } from '${SRC}services/envelope-cache.ts'
import { defaultProfiles } from '${SRC}crypto/profiles.ts'
import { createLogger } from '${SRC}log.ts'
const db = Db.open(process.env.DB_FILE)
const outbox = new OutboxStore(db, undefined, { owner: 'host-a:8443', leaseMs: ${LEASE} })
const directory = { agency: (id) => ({ id, endpoints: ['https://' + id + '.test:8443'] }), nodeOf: () => undefined }
const peers = { post: () => { process.stdout.write('posted\\n'); return new Promise(() => {}) }, probe: async () => ({ status: 200 }) }
new DeliveryWorker({ clock: { now: Date.now }, log: createLogger('silent'), db, outbox, peers, profiles: defaultProfiles(), anchors: {},
  directory: () => directory, settings: ${JSON.stringify(settings)}, envelopes: new EnvelopeCache(1 << 20) }).start()
setInterval(() => {}, 1 << 30) // a node's listeners keep it running; the worker's timers do not
`

t.test('a live process keeps its claim; a killed one\'s is taken over when its lease runs out', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-deliver-leases-'))
  const file = join(dir, 'saraban.sqlite')
  const db = Db.open(file)
  const outbox = new OutboxStore(db, undefined, { owner: 'host-b:8443', leaseMs: LEASE })
  const letterId = randomUUID()
  const messageId = randomUUID()
  await db.write(() => outbox.insertLetter({ id: letterId, senderAgency: 'hq', letterJson: '{}', createdAt: Date.now() }, [{
    messageId, letterId, recipientAgency: 'mof', profile: 'jose-v1', envelope: Buffer.from('env:mof'), envelopeSha256: 'ab'.repeat(32),
    contentKey: randomBytes(32), priority: 3, nextAttemptAt: Date.now(),
  }]))

  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    cwd: REPO, env: { ...process.env, DB_FILE: file }, stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<void>((r) => child.on('exit', () => r()))
  let posted = false
  child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('posted')) posted = true })

  let here = 0
  const peers = {
    async post() {
      here++
      return { status: 500, contentType: 'application/problem+json', body: Buffer.from('{"code":"ERR_INTERNAL","detail":"x"}'), sharesContent: false }
    },
    async probe() { return { status: 200 } },
  } as unknown as PeerClient
  const worker = new DeliveryWorker({
    clock: { now: Date.now }, log: createLogger('silent'), db, outbox, peers, profiles: defaultProfiles(), anchors: {} as TrustAnchors,
    directory: () => directory, settings, envelopes: new EnvelopeCache(1 << 20),
  })
  t.teardown(async () => {
    child.kill('SIGKILL')
    await exited
    await worker.stop(100)
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const until = async (what: string, fn: () => boolean, ms = 30_000) => {
    for (const end = Date.now() + ms; !fn(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) throw new Error(`timed out: ${what}`)
  }
  const row = () => db.sqlite.prepare<[string], { status: string; attempts: number; claimedBy: string | null; leaseUntil: number | null; lastErrorCode: string | null }>(
    'SELECT status, attempts, claimed_by AS claimedBy, lease_until AS leaseUntil, last_error_code AS lastErrorCode FROM outbox_messages WHERE message_id = ?').get(messageId)!

  await until('the child attempts the message', () => posted)
  const first = row()
  t.match(first, { status: 'sending', attempts: 1, claimedBy: 'host-a:8443' }, 'claimed by the child')
  worker.start()
  // Two renewals (every third of the lease) while its attempt hangs: the claim outlives its first lease.
  await until('the child renews its lease twice', () => row().leaseUntil! >= first.leaseUntil! + (2 * LEASE) / 3)
  t.equal(here, 0, 'this worker did not attempt a message the living child holds')
  t.equal(row().claimedBy, 'host-a:8443')

  child.kill('SIGKILL')
  await exited
  await until('this worker attempts it once the dead child\'s lease ran out', () => here > 0)
  await until('and records its own outcome', () => row().status !== 'sending')
  t.equal(here, 1, 'attempted once here')
  t.match(row(), { status: 'queued', attempts: 2, claimedBy: 'host-b:8443', leaseUntil: null, lastErrorCode: 'ERR_PEER_REFUSED' }, 'its retry (a 500: ERR_PEER_REFUSED, retried) is recorded under its own lease')
})
