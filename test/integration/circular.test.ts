// A circular (หนังสือเวียน, issue 5 §4) to 63 agencies on three hosting nodes over real mTLS: the
// letter is sealed per profile group (sealForAll, PROTOCOL.md §17), the shared content stored once
// when the profile can share it, and the recipients are delivered independently: one refused
// (failed at once), two on a node that is down (retried until it comes up) while the others are
// delivered. Runs once per envelope profile preference. A receiving node keeps the content its hosted
// recipients share once (migration 012), and still gives each of them the exact envelope it receipted.
import t from 'tap'
import { randomBytes, createHash } from 'node:crypto'
import { hostingNet, type HostingNet, type HostingNode } from '../helpers/hosting.js'
import { thaiLetter, waitFor } from '../helpers/nodes.js'
import { defaultProfiles, type EnvelopeProfile, type SealsMany } from '../../src/crypto/profiles.js'
import { TrustAnchors } from '../../src/pki/validate.js'
import { verifyEvidence } from '../../src/services/evidence/index.js'
import { readLayout } from '../../src/evidence/layout.js'

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

const A = Array.from({ length: 30 }, (_, i) => `a${String(i + 1).padStart(2, '0')}`)
const B = Array.from({ length: 30 }, (_, i) => `b${String(i + 1).padStart(2, '0')}`)
const C = ['c01', 'c02']
const GONE = 'a-gone' // listed under node-a in the directory, not hosted there: refused with 421
const ALL = [...A, GONE, ...B, ...C]

type Recipient = { agency: string; status: string; attempts: number; lastError?: { code: string; detail: string }; deadline?: string; envelopeSha256: string; receipt?: string }

for (const profiles of [['cms-v1'], ['jose-v2', 'jose-v1']]) {
  t.test(`circular to ${ALL.length} agencies on 3 nodes (directory profiles ${profiles.join(', ')})`, async (t) => {
    let net: HostingNet | undefined
    t.teardown(async () => net?.stop())
    net = await hostingNet([
      { id: 'hq-node', mode: 'agency', agencies: ['hq'] },
      { id: 'node-a', mode: 'node', agencies: A, later: [GONE] },
      { id: 'node-b', mode: 'node', agencies: B },
      { id: 'node-c', mode: 'node', agencies: C },
    ], { profiles, delivery: { initialBackoffMs: 50, maxBackoffMs: 300 } })
    const hq = net.nodes['hq-node']!
    const [a, b, c] = (['node-a', 'node-b', 'node-c'] as const).map((id) => net!.nodes[id]!) as [HostingNode, HostingNode, HostingNode]
    await Promise.all([hq.start(), a.start(), b.start()]) // node-c stays down for now

    const pdf = randomBytes(256 * 1024)
    const sent = await hq.call('hq', 'POST', '/api/v1/letters', {
      letter: { ...thaiLetter(ALL), number: 'มท 0201.2/ว 1590', urgency: 'MOST_URGENT', deliverBy: new Date(Date.now() + 86_400_000).toISOString(), sender: { agency: 'hq' } },
      attachments: [{ filename: 'circular.pdf', mediaType: 'application/pdf', content: pdf.toString('base64') }],
    })
    t.equal(sent.status, 202, JSON.stringify(sent.body).slice(0, 300))
    const letterId = sent.body.id as string
    t.same(sent.body.recipients.map((r: Recipient) => r.agency), ALL, 'one recipient per agency, in the order of the letter')

    // What was stored: the chosen profile's shared content once (when it can share), heads per recipient.
    const chosen = hq.ctx!.profiles.choose(profiles) as EnvelopeProfile & Partial<SealsMany>
    const db = hq.ctx!.db.sqlite
    const contents = db.prepare('SELECT count(*) AS n, coalesce(sum(length(bytes)), 0) AS bytes FROM outbox_contents').get() as { n: number; bytes: number }
    const heads = db.prepare('SELECT coalesce(sum(length(bytes)), 0) FROM outbox_envelopes').pluck().get() as number
    if (typeof chosen.sealMany === 'function') {
      t.equal(contents.n, 1, `${chosen.id}: the content is stored once for the letter`)
      t.ok(contents.bytes >= pdf.length, 'and holds the encrypted attachment')
      t.ok(heads < pdf.length, `${chosen.id}: ${ALL.length} heads and tails take ${heads} bytes, less than one attachment`)
    } else {
      // Per recipient (no sealMany): whole envelopes, held with the letter or, past SEAL_BATCH_BYTES,
      // stored ahead of it one content per message (test/integration/circular-sealing.test.ts).
      t.ok(contents.n === 0 || contents.n === ALL.length, `${chosen.id} seals per recipient: whole envelopes per message`)
      t.ok(heads + contents.bytes >= ALL.length * pdf.length)
    }

    const status = async () => (await hq.call('hq', 'GET', `/api/v1/letters/${letterId}?include=receipts`)).body as { status: string; recipients: Recipient[] }
    const byAgency = (s: { recipients: Recipient[] }) => new Map(s.recipients.map((r) => [r.agency, r]))
    // Everyone reachable is delivered while node-c is down and a-gone is refused.
    const first = await waitFor('A and B delivered, a-gone failed, C retrying', async () => {
      const s = await status()
      const m = byAgency(s)
      // node-c is down: its circuit is open and probed (PROTOCOL.md §7.2), its recipients wait.
      const probed = (await hq.call('hq', 'GET', '/api/v1/peers')).body.peers.some((p: { state: string; failures: number; pending: Record<string, number> }) =>
        p.state !== 'up' && p.failures >= 3 && C.every((id) => p.pending[id] === 1))
      const ok = [...A, ...B].every((id) => m.get(id)!.status === 'delivered') && m.get(GONE)!.status === 'failed' && probed
      return ok ? s : undefined
    }, 90_000)
    const m = byAgency(first)
    t.equal(m.get(GONE)!.lastError!.code, 'ERR_PEER_REFUSED', 'the refused recipient failed at once…')
    t.match(m.get(GONE)!.lastError!.detail, /ERR_RECIPIENT_NOT_HOSTED/, '…with the hosting node\'s code')
    t.ok(m.get(GONE)!.attempts === 1, 'after one attempt')
    for (const id of C) {
      t.not(m.get(id)!.status, 'delivered', `${id}: its node is down`)
      t.ok(m.get(id)!.attempts <= 1, `${id}: at most one attempt, then it waits on node-c's circuit`)
      if (m.get(id)!.attempts === 1) t.equal(m.get(id)!.lastError?.code, 'ERR_PEER_UNREACHABLE', `${id}: waiting as unreachable`)
    }
    t.equal(first.status, 'sending', 'the letter is still sending')
    t.ok([...A, ...B].every((id) => m.get(id)!.receipt && m.get(id)!.deadline === 'met'), 'each delivered recipient has its receipt and met the deadline')
    t.equal(m.get(GONE)!.deadline, 'ok', 'a failed recipient before its deadline: not yet missed')
    t.equal(new Set(first.recipients.map((r) => r.envelopeSha256)).size, ALL.length, 'every recipient has its own envelope')

    // Each hosting node stores the shared content once for all the recipients it hosts (issue 5 §4),
    // and every recipient's envelope back byte for byte: the SHA-256 its receipt signed (PROTOCOL.md §6).
    const senderShared = db.prepare('SELECT bytes FROM outbox_contents').pluck().get() as Buffer | undefined
    for (const [node, ids] of [[a, A], [b, B]] as const) {
      const ndb = node.ctx!.db.sqlite
      const stored = ndb.prepare('SELECT bytes FROM inbox_contents').pluck().all() as Buffer[]
      const rest = ndb.prepare('SELECT coalesce(sum(length(bytes) + coalesce(length(tail), 0)), 0) FROM inbox_envelopes').pluck().get() as number
      if (senderShared !== undefined) {
        t.equal(stored.length, 1, `${node.spec.id}: one content row for its ${ids.length} recipients`)
        t.ok(stored[0]!.equals(senderShared), `${node.spec.id}: the very bytes the sender stored once (${senderShared.length})`)
        t.ok(rest < pdf.length, `${node.spec.id}: ${ids.length} heads and tails take ${rest} bytes`)
      } else {
        t.equal(stored.length, 0, `${chosen.id} shares no content: whole envelopes`)
      }
      const wrong = ids.filter((id) => {
        const [msg] = node.ctx!.inbox.list({ agencies: [id], limit: 2 })
        const env = msg && node.ctx!.inbox.getEnvelope(msg.messageId)
        return !env || sha256(env) !== m.get(id)!.envelopeSha256 || msg.envelopeSha256 !== m.get(id)!.envelopeSha256
      })
      t.same(wrong, [], `${node.spec.id}: every recipient's stored envelope has the digest the sender holds a receipt for`)
    }

    // Recipients read the letter and its attachment with their own keys, whole and by range.
    for (const [node, id] of [[a, 'a01'], [a, 'a07'], [b, 'b30']] as const) {
      const inbox = (await node.call(id, 'GET', '/api/v1/inbox')).body.items as Array<{ id: string; from: string }>
      t.equal(inbox.length, 1, `${id} has the circular`)
      const att = await node.call(id, 'GET', `/api/v1/inbox/${inbox[0]!.id}/attachments/a1`)
      t.equal(att.status, 200)
      t.equal(sha256(att.body), sha256(pdf), `${id}: the attachment, byte for byte`)
      const part = await node.call(id, 'GET', `/api/v1/inbox/${inbox[0]!.id}/attachments/a1`, undefined, { range: 'bytes=100000-100999' })
      t.equal(part.status, 206)
      t.ok(Buffer.from(part.body).equals(pdf.subarray(100_000, 101_000)), `${id}: a range of it`)
    }
    t.equal(a.ctx!.inbox.list({ agencies: [GONE], limit: 10 }).length, 0, 'nothing stored for the agency node-a does not host')

    // node-c comes up: its recipients are delivered by the retries, the same envelopes.
    await c.start()
    const last = await waitFor('C delivered', async () => {
      const s = await status()
      return C.every((id) => byAgency(s).get(id)!.status === 'delivered') ? s : undefined
    }, 60_000)
    t.equal(last.status, 'partially-failed', 'delivered to all but the refused one')
    for (const id of C) t.equal(byAgency(last).get(id)!.envelopeSha256, m.get(id)!.envelopeSha256, `${id}: the retry sent the stored bytes`)
    t.same(hq.ctx!.outbox.counts(), { queued: 0, sending: 0, delivered: ALL.length - 1, failed: 1 })
    // Issue 5 §6: the sender's saraban system is told once per recipient (events table, PROTOCOL.md §7.3).
    const events = db.prepare(`SELECT type, agency, count(*) AS n, count(DISTINCT message_id) AS messages FROM events
      WHERE letter_id = ? GROUP BY type, agency ORDER BY type`).all(letterId)
    t.same(events, [
      { type: 'letter.delivered', agency: 'hq', n: ALL.length - 1, messages: ALL.length - 1 },
      { type: 'letter.failed', agency: 'hq', n: 1, messages: 1 },
    ], 'letter.delivered once per delivered recipient, letter.failed once for the refused one, no deadline events')

    // The sender's evidence (PROTOCOL.md §8) proves every delivery; only the refused recipient has no receipt.
    const got = await hq.call('hq', 'GET', `/api/v1/letters/${letterId}/evidence`)
    t.equal(got.status, 200)
    const manifest = readLayout(got.body).manifest!
    const report = await verifyEvidence(got.body, { anchors: new TrustAnchors([net.pki.root.cert]), profiles: defaultProfiles() })
    const gone = manifest.messages.find((x) => x.recipient === GONE)!
    t.strictSame([...new Set(report.findings.filter((f) => !f.ok).map((f) => f.part))], [`messages/${gone.messageId}`], 'every delivered recipient verifies')

    // A damaged shared content is an error on read for every recipient that refers to it, never other bytes.
    if (senderShared !== undefined) {
      a.ctx!.db.sqlite.prepare('UPDATE inbox_contents SET bytes = ?').run(Buffer.concat([senderShared.subarray(0, 5000), Buffer.from([senderShared[5000]! ^ 1]), senderShared.subarray(5001)]))
      const id = (await a.call('a01', 'GET', '/api/v1/inbox')).body.items[0].id as string
      const broken = await a.call('a01', 'GET', `/api/v1/inbox/${id}/attachments/a1`)
      t.equal(broken.status, 500)
      t.equal(broken.body.code, 'ERR_INTERNAL', 'the download refuses a damaged stored envelope')
    }
  })
}
