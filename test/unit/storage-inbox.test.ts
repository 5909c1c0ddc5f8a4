// InboxStore on a real SQLite file: idempotent insert, attachments byte-exact, atomicity, cursors.
import t from 'tap'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db, InboxStore, type InboxAttachmentMeta, type InboxMessage, type NewInboxMessage } from '../../src/storage/index.js'

function open(t: { teardown(fn: () => void): void }): { db: Db; inbox: InboxStore; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-inbox-'))
  const file = join(dir, 'saraban.sqlite')
  const db = Db.open(file)
  t.teardown(async () => {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { db, inbox: new InboxStore(db), file }
}

function msg(over: Partial<NewInboxMessage> = {}): NewInboxMessage {
  const envelope = randomBytes(2048)
  return {
    messageId: randomUUID(), recipientAgency: 'moi', senderAgency: 'mof', profile: 'jose-v1', envelope,
    envelopeSha256: createHash('sha256').update(envelope).digest('hex'), letterJson: '{"subject":"ขอเชิญประชุม"}',
    signerJson: '{"agency":"mof"}', receivedAt: 1_000, receipt: `receipt-${randomUUID()}`, ...over,
  }
}

function attachment(id: string, bytes: Buffer, filename = `${id}.pdf`): InboxAttachmentMeta {
  return { id, filename, mediaType: 'application/pdf', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }
}

t.test('insert stores message, envelope and attachment metadata; the envelope round-trips byte-exact', async (t) => {
  const { db, inbox, file } = open(t)
  const m = msg()
  // every byte value, a 3 MB blob, an empty file, a Thai file name
  const all256 = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
  const atts = [attachment('a1', all256), attachment('a2', randomBytes(3 * 1024 * 1024)), attachment('a3', Buffer.alloc(0), 'บันทึกข้อความ.txt')]
  t.same(await db.write(() => inbox.insert(m, atts)), { inserted: true })

  const { envelope, ...meta } = m
  const expected: InboxMessage = { ...meta, attachments: atts }
  t.same(inbox.get(m.messageId), expected, 'attachments listed in the order given')
  t.ok(inbox.getEnvelope(m.messageId)!.equals(envelope))
  atts.forEach((a, position) => t.same(inbox.getAttachment(m.messageId, a.id), { ...a, position }, `${a.id} is at manifest position ${position}`))
  t.equal(inbox.getAttachment(m.messageId, 'a9'), undefined)
  t.equal(inbox.get('nope'), undefined)
  t.equal(inbox.getEnvelope('nope'), undefined)

  await db.close() // and after a reopen
  const reopened = Db.open(file)
  t.ok(new InboxStore(reopened).getEnvelope(m.messageId)!.equals(envelope))
  await reopened.close()
})

t.test('insert is idempotent by message id and returns the stored receipt', async (t) => {
  const { db, inbox } = open(t)
  const m = msg()
  await db.write(() => inbox.insert(m, [attachment('a1', Buffer.from('one'))]))
  t.same(inbox.peek(m.messageId), { envelopeSha256: m.envelopeSha256, receipt: m.receipt, recipientAgency: 'moi', senderAgency: m.senderAgency, profile: m.profile, receivedAt: m.receivedAt })
  t.equal(inbox.peek(randomUUID()), undefined)

  // a retry of the same message, and one with other bytes under the same id: neither is stored again
  const retry = await db.write(() => inbox.insert({ ...m, receipt: 'a second receipt' }, [attachment('a1', Buffer.from('one'))]))
  t.same(retry, { inserted: false, envelopeSha256: m.envelopeSha256, receipt: m.receipt })
  const other = await db.write(() => inbox.insert({ ...m, envelopeSha256: 'ff'.repeat(32) }, [attachment('b1', Buffer.from('two'))]))
  t.same(other, { inserted: false, envelopeSha256: m.envelopeSha256, receipt: m.receipt }, 'the caller compares digests')
  t.same(inbox.get(m.messageId)!.attachments.map((a) => a.id), ['a1'])

  // two copies racing into the same batch: one inserted, the other sees it
  const n = msg()
  const [x, y] = await Promise.all([db.write(() => inbox.insert(n, [])), db.write(() => inbox.insert(n, []))])
  t.same([x, y], [{ inserted: true }, { inserted: false, envelopeSha256: n.envelopeSha256, receipt: n.receipt }])
  t.equal(db.stats.commits, 4)
})

t.test('a message and its attachments are stored together or not at all', async (t) => {
  const { db, inbox } = open(t)
  const m = msg()
  const liar = { ...attachment('a2', Buffer.from('abc')), size: -1 }
  await t.rejects(db.write(() => inbox.insert(m, [attachment('a1', Buffer.from('ok')), liar])), { code: 'SQLITE_CONSTRAINT_CHECK' })
  t.equal(inbox.peek(m.messageId), undefined)
  t.equal(inbox.getEnvelope(m.messageId), undefined)
  t.equal(inbox.getAttachment(m.messageId, 'a1'), undefined)
  const dupIds = [attachment('a1', Buffer.from('x')), attachment('a1', Buffer.from('y'))]
  t.throws(() => inbox.insert(m, dupIds), { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }, 'outside write() too')
  t.equal(inbox.peek(m.messageId), undefined)
  t.same(await db.write(() => inbox.insert(m, [])), { inserted: true }, 'the id is still free')
})

t.test('list: newest first, keyset cursor, only the asked agencies, attachments included', async (t) => {
  const { db, inbox } = open(t)
  for (let i = 0; i < 23; i++) {
    const atts = i % 4 === 0 ? [attachment('a1', Buffer.from(`f${i}`)), attachment('a2', Buffer.from('g'))] : []
    await db.write(() => inbox.insert(msg({ receivedAt: 1_000 + Math.floor(i / 4) }), atts))
  }
  for (let i = 0; i < 6; i++) await db.write(() => inbox.insert(msg({ recipientAgency: 'dga', receivedAt: 1_003 }), []))
  await db.write(() => inbox.insert(msg({ recipientAgency: 'mof' }), []))

  const walk = (agencies: string[]) => {
    const seen: InboxMessage[] = []
    for (let page: InboxMessage[] = []; ; ) {
      const last = page.at(-1)
      page = inbox.list({ agencies, limit: 5, ...(last ? { before: last.receivedAt, beforeId: last.messageId } : {}) })
      if (page.length === 0) return seen
      seen.push(...page)
    }
  }
  const desc = (a: InboxMessage, b: InboxMessage) => b.receivedAt - a.receivedAt || (a.messageId < b.messageId ? 1 : -1)
  const moi = walk(['moi'])
  t.equal(moi.length, 23)
  t.equal(new Set(moi.map((m) => m.messageId)).size, 23)
  t.same(moi, [...moi].sort(desc))
  t.equal(moi.filter((m) => m.attachments.length === 2).length, 6)
  t.same(moi.find((m) => m.attachments.length > 0)!.attachments.map((a) => a.id), ['a1', 'a2'])
  const two = walk(['moi', 'dga'])
  t.equal(two.length, 29)
  t.same(two, [...two].sort(desc))
  t.notOk(two.some((m) => m.recipientAgency === 'mof'))
  t.same(inbox.list({ agencies: ['moi'], limit: 50, before: 1_001 }).map((m) => m.receivedAt), [1_000, 1_000, 1_000, 1_000])
  t.same(inbox.list({ agencies: [], limit: 5 }), [])
})
