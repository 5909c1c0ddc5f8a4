// Shared content by reference (PROTOCOL.md §17.8) over real mutual TLS: a circular to agencies on two
// hosting nodes crosses the wire whole once per node, and by reference (head ‖ tail) for every other
// recipient there; each recipient still holds and receipts the exact envelope the sender sealed. A
// reference from a peer that never delivered that content, or with the wrong length, is 412.
import t from 'tap'
import { randomBytes, createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { Agent, request } from 'undici'
import { hostingNet, type HostingNet, type HostingNode } from '../helpers/hosting.js'
import { thaiLetter, waitFor } from '../helpers/nodes.js'

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
const A = Array.from({ length: 12 }, (_, i) => `a${String(i + 1).padStart(2, '0')}`)
const B = Array.from({ length: 8 }, (_, i) => `b${String(i + 1).padStart(2, '0')}`)

interface Seen { length: number; ref: string | undefined; to: string }

/** Every request that reaches a node's federation listener, as it came off the wire. */
function watch(node: HostingNode): Seen[] {
  const seen: Seen[] = []
  node.ctx!.federation.server.on('request', (req: IncomingMessage) => {
    if (req.method !== 'POST') return
    seen.push({ length: Number(req.headers['content-length']), ref: req.headers['saraban-shared-sha256'] as string | undefined, to: String(req.headers['saraban-to']) })
  })
  return seen
}

for (const profiles of [['jose-v2'], ['cms-v1']]) {
  t.test(`a circular crosses the wire once per receiving node (${profiles[0]})`, async (t) => {
    let net: HostingNet | undefined
    t.teardown(async () => net?.stop())
    net = await hostingNet([
      { id: 'hq-node', mode: 'agency', agencies: ['hq'] },
      { id: 'node-a', mode: 'node', agencies: A },
      { id: 'node-b', mode: 'node', agencies: B },
    ], { profiles, delivery: { initialBackoffMs: 50, maxBackoffMs: 300 } })
    const [hq, a, b] = (['hq-node', 'node-a', 'node-b'] as const).map((id) => net!.nodes[id]!) as [HostingNode, HostingNode, HostingNode]
    await Promise.all([hq.start(), a.start(), b.start()])
    const seen = { a: watch(a), b: watch(b) }

    const pdf = randomBytes(300 * 1024)
    const sent = await hq.call('hq', 'POST', '/api/v1/letters', {
      letter: { ...thaiLetter([...A, ...B]), number: 'มท 0201.2/ว 1591', sender: { agency: 'hq' } },
      attachments: [{ filename: 'circular.pdf', mediaType: 'application/pdf', content: pdf.toString('base64') }],
    })
    t.equal(sent.status, 202, JSON.stringify(sent.body).slice(0, 300))
    const letterId = sent.body.id as string
    type R = { agency: string; status: string; messageId: string; envelopeSha256: string }
    const done = await waitFor('all delivered', async () => {
      const s = (await hq.call('hq', 'GET', `/api/v1/letters/${letterId}`)).body as { recipients: R[] }
      return s.recipients.every((r) => r.status === 'delivered') ? s.recipients : undefined
    }, 60_000)

    const content = hq.ctx!.db.sqlite.prepare('SELECT bytes FROM outbox_contents').pluck().get() as Buffer
    for (const [name, list, agencies] of [['node-a', seen.a, A], ['node-b', seen.b, B]] as const) {
      const whole = list.filter((s) => s.ref === undefined)
      const byRef = list.filter((s) => s.ref !== undefined)
      t.equal(whole.length, 1, `${name}: the shared bytes crossed the wire once`)
      t.ok(whole[0]!.length > content.length, `${name}: in one whole part of ${whole[0]!.length} bytes`)
      t.equal(byRef.length, agencies.length - 1, `${name}: every other recipient's part came by reference`)
      t.ok(byRef.every((s) => s.ref === sha256(content)), `${name}: naming the SHA-256 of the sender's shared bytes`)
      t.ok(byRef.every((s) => s.length < 8 * 1024), `${name}: parts by reference are head ‖ tail only (largest ${Math.max(...byRef.map((s) => s.length))} bytes)`)
    }
    // What each recipient holds is the exact envelope the sender sealed and the receipt signed.
    for (const r of done) {
      const node = A.includes(r.agency) ? a : b
      const held = node.ctx!.inbox.getEnvelope(r.messageId)
      t.equal(held && sha256(held), r.envelopeSha256, `${r.agency}: the envelope as sealed`)
    }
    t.equal(a.ctx!.db.sqlite.prepare('SELECT count(*) FROM inbox_contents').pluck().get(), 1, 'node-a holds the content once')

    // A peer that never delivered that content cannot use (or probe for) it, whatever it names.
    const head = Buffer.from('{"ciphertext":"')
    const post = async (as: HostingNode, headers: Record<string, string>) => {
      const agent = new Agent({ connect: { key: as.tls.keyPem, cert: as.tls.chainPem, ca: net!.pki.root.certPem, rejectUnauthorized: true } })
      try {
        const res = await request(`${a.url}/federation/v1/messages`, {
          method: 'POST', dispatcher: agent, body: head,
          headers: { 'content-type': profiles[0] === 'cms-v1' ? 'application/cms' : 'application/jose+json', ...headers },
        })
        return { status: res.statusCode, body: (await res.body.json()) as { code?: string; field?: string }, announces: res.headers['saraban-shared-content'] }
      } finally {
        await agent.close()
      }
    }
    const ref = { 'saraban-shared-sha256': sha256(content), 'saraban-shared-offset': String(head.length), 'saraban-shared-length': String(content.length) }
    const foreign = await post(b, ref)
    t.equal(foreign.status, 412, 'node-b delivered nothing with this content to node-a')
    t.equal(foreign.body.code, 'ERR_SHARED_CONTENT_UNKNOWN')
    t.equal(foreign.body.field, 'Saraban-Shared-Sha256')
    t.equal(foreign.announces, '1', 'the answer announces the capability')
    const wrongLength = await post(hq, { ...ref, 'saraban-shared-length': String(content.length - 1) })
    t.equal(wrongLength.status, 412, 'the sender itself, with the wrong length')
    const partial = await post(hq, { 'saraban-shared-sha256': sha256(content) })
    t.same([partial.status, partial.body.code], [400, 'ERR_ENVELOPE_MALFORMED'], 'one header without the others')
  })
}
