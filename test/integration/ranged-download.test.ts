// Downloads from an envelope stored in chunk rows (issue 16 item 2), over real mTLS between real
// nodes, in every profile: the receiver reads only the chunks each slice needs (crypto/ranged.ts,
// storage/blob-chunks.ts ranged()), and every attachment (sizes that put their starts and ends at
// odd offsets across the 1 MiB chunk boundaries) downloads byte for byte, as does a range across a
// boundary. A letter to two agencies is a circular: in jose-v2 and cms-v1 its content is stored once
// per node (§17.1) and hashed chunk by chunk against the receipt's digest before a download; a changed
// chunk of it is refused before the first byte.
import t from 'tap'
import { createHash } from 'node:crypto'
import { testNet, call, thaiLetter, waitForRecipient, type TestNet, type TestNode } from '../helpers/nodes.js'
import { bytesOf } from '../vectors/fixtures.js'

const MiB = 1024 * 1024
const LIMITS = { maxAttachmentBytes: 8 * MiB, maxAttachmentsTotalBytes: 8 * MiB, maxAttachments: 5, maxApiBodyBytes: 16 * MiB }
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const download = (node: TestNode, id: string, aid: string, headers: Record<string, string> = {}) =>
  fetch(`${node.apiUrl}/api/v1/inbox/${id}/attachments/${aid}`, { headers: { authorization: `Bearer ${node.apiKey}`, ...headers } })
const count = (node: TestNode, sql: string, ...args: unknown[]) => node.ctx!.db.sqlite.prepare(sql).pluck().get(...args) as number

for (const profile of ['jose-v1', 'jose-v2', 'cms-v1']) t.test(`${profile}: attachments of a chunked envelope download byte for byte`, async (t) => {
  const net: TestNet = await testNet(['moi', 'mof', 'dga'], { profiles: [profile], extra: { limits: LIMITS } })
  t.teardown(() => net.stop())
  await Promise.all(['moi', 'mof', 'dga'].map((a) => net.nodes[a]!.start()))
  const [moi, mof] = [net.nodes.moi!, net.nodes.mof!]
  const files = [bytesOf(MiB + 3, 21), bytesOf(700_001, 22), Buffer.from('ไฟล์แนบ\n'), bytesOf(MiB + 5, 23)]
  const f = new FormData()
  f.append('letter', new Blob([JSON.stringify(thaiLetter(['mof', 'dga'], { subject: 'หนังสือเวียนไฟล์ใหญ่' }))], { type: 'application/json' }))
  files.forEach((b, i) => f.append('attachment', new File([b], `file-${i}.bin`, { type: 'application/octet-stream' })))
  const res = await fetch(moi.apiUrl + '/api/v1/letters', { method: 'POST', headers: { authorization: `Bearer ${moi.apiKey}` }, body: f })
  const sent = (await res.json()) as { id: string }
  t.equal(res.status, 202, JSON.stringify(sent))
  await waitForRecipient(moi, sent.id, 'delivered', 120_000)
  const messageId = moi.ctx!.outbox.messagesForLetter(sent.id).find((m) => m.recipientAgency === 'mof')!.messageId
  const m = mof.ctx!.inbox.get(messageId)!
  t.equal(m.profile, profile)
  const chunked = count(mof, `SELECT count(*) FROM blob_chunks WHERE owner = ? OR owner IN
    (SELECT 'ic:' || content_sha256 FROM inbox_envelopes WHERE message_id = ?)`, `ie:${messageId}`, messageId)
  t.ok(chunked >= 3, `the receiver keeps the envelope in chunk rows (${chunked})`)

  const detail = await call(mof, 'GET', `/api/v1/inbox/${messageId}`)
  t.equal(detail.body.attachments.length, files.length)
  for (const [i, att] of (detail.body.attachments as Array<{ id: string; size: number; sha256: string }>).entries()) {
    const dl = await download(mof, messageId, att.id)
    t.equal(dl.status, 200)
    const got = Buffer.from(await dl.arrayBuffer())
    t.ok(got.equals(files[i]!), `attachment ${i} (${files[i]!.length} bytes) is the uploaded file`)
    t.equal(sha(got), sha(files[i]!), `attachment ${i}: the same SHA-256`)
    t.equal(att.sha256, sha(files[i]!))
  }
  const first = detail.body.attachments[0].id as string
  const part = await download(mof, messageId, first, { range: `bytes=${MiB - 1001}-${MiB + 1}` })
  t.equal(part.status, 206)
  t.ok(Buffer.from(await part.arrayBuffer()).equals(files[0]!.subarray(MiB - 1001, MiB + 2)), 'a range across a chunk boundary')

  const shared = mof.ctx!.db.sqlite.prepare('SELECT content_sha256 FROM inbox_envelopes WHERE message_id = ?').pluck().get(messageId) as string | null
  if (profile === 'jose-v1') {
    t.equal(shared, null, 'jose-v1 shares no content (§17.1): the envelope is stored whole')
    return
  }
  t.ok(shared !== null && count(mof, 'SELECT count(*) FROM blob_chunks WHERE owner = ?', `ic:${shared}`) >= 3, 'the circular\'s content is stored once, in chunk rows')
  // One flipped byte in a chunk of the shared content: the envelope no longer hashes to the digest
  // the receipt signed, so the download is refused before the first byte.
  const db = mof.ctx!.db.sqlite
  const row = db.prepare('SELECT bytes FROM blob_chunks WHERE owner = ? AND seq = 1').pluck().get(`ic:${shared}`) as Buffer
  const bytes = Buffer.from(row)
  bytes[12_345] = bytes[12_345] === 0x41 ? 0x42 : 0x41
  db.prepare('UPDATE blob_chunks SET bytes = ? WHERE owner = ? AND seq = 1').run(bytes, `ic:${shared}`)
  const refused = await download(mof, messageId, first)
  t.equal(refused.status, 500, 'refused before any byte of the attachment')
  t.equal(((await refused.json()) as { code: string }).code, 'ERR_INTERNAL')
})
