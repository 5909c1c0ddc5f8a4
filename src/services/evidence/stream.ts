// An evidence bundle v2 (PROTOCOL.md §8.4–§8.5) streamed, byte for byte the archive that
// buildEvidenceArchive() writes, without holding it: a circular's 2,000 envelopes would be gigabytes
// (issue 5 §4). manifest.json, README.txt and SHA256SUMS come first and list every later file's size
// and digest, so it takes two passes over the messages, each read from the store one at a time:
// planEvidenceArchive() computes the files' digests and keeps none of their bytes; chunks() then
// rebuilds each file and writes it. Memory: one message's files at a time (a shared file, e.g. an
// attachment, is rebuilt from the first message that holds it). What can change between the passes
// (delivery state, receipts, time-stamps arriving, trust history) is read in the first and replayed
// in the second; a file that still comes out different ends the stream with an error, never with an
// archive that contradicts its manifest.
import { createHash } from 'node:crypto'
import { isoTime } from '../../clock.js'
import type { OutboxLetter, OutboxMessage, OutboxMessageMeta, OutboxStore } from '../../storage/outbox.js'
import { BLOCK, padding, tarHeader, type TarEntry } from '../../evidence/tar.js'
import type { ManifestMessage, ManifestNotice, ManifestPart, PartRole } from '../../evidence/manifest.js'
import { frontFiles, messageParts, type EvidenceDeps, type NoticeEvidence, type StoredToken } from './build.js'
import { noticeParts } from './build-notice.js'
import type { PartSink } from './parts.js'
import { OpenedContents } from '../receive/open-memo.js'

/** A letter's messages: their state as of now, and each one's envelope and content key on demand. */
export interface EvidenceSource {
  readonly messages: readonly OutboxMessageMeta[]
  readonly message: (messageId: string) => OutboxMessage | undefined
}

export function outboxEvidenceSource(outbox: Pick<OutboxStore, 'messagesForLetter' | 'getMessage'>, letterId: string): EvidenceSource {
  // The letter's shared content is read from the store once for all its messages (both passes).
  const contents = new Map<number, Buffer>()
  return { messages: outbox.messagesForLetter(letterId), message: (id) => outbox.getMessage(id, contents) }
}

export interface EvidencePlan {
  /** The whole archive's length in bytes (a Content-Length). */
  readonly size: number
  /** The archive, file by file. */
  chunks(): AsyncGenerator<Buffer>
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')
const EMPTY = Buffer.alloc(0)

type Planned = ManifestPart & { readonly source: number }

/** Pass one: every file's path, role, size and digest, and the index of the message (or notice,
 *  after the messages) that first adds it. */
class Digests implements PartSink {
  readonly list: Planned[] = []
  readonly #paths = new Set<string>()
  source = 0
  add(path: string, role: PartRole, data: Buffer): string {
    if (this.#paths.has(path)) return path
    this.#paths.add(path)
    this.list.push({ path, role, size: data.length, sha256: sha256(data), source: this.source })
    return path
  }
}

/** Pass two: the bytes of the files in `wanted` (the others are dropped as they come). */
class Capture implements PartSink {
  readonly got = new Map<string, Buffer>()
  constructor(readonly wanted: ReadonlySet<string>) {}
  add(path: string, _role: PartRole, data: Buffer): string {
    if (this.wanted.has(path) && !this.got.has(path)) this.got.set(path, data)
    return path
  }
}

/** The answers of the history and time-stamp sources as pass one saw them, for pass two. Equal
 *  answers are kept once (a circular's 2,000 messages share a few directories and CRLs). */
function frozen(deps: EvidenceDeps): EvidenceDeps {
  const bytes = new Map<string, Buffer>()
  const texts = new Map<string, string>()
  const once = (b: Buffer) => { const k = sha256(b); let v = bytes.get(k); if (v === undefined) bytes.set(k, (v = b)); return v }
  const text = (s: string) => { let v = texts.get(s); if (v === undefined) texts.set(s, (v = s)); return v }
  const memo = <K, V>(fn: (k: K) => V, key: (k: K) => string | number) => {
    const seen = new Map<string | number, V>()
    return (k: K): V => { const id = key(k); if (!seen.has(id)) seen.set(id, fn(k)); return seen.get(id)! }
  }
  const { directoryAt, crlsAt, tokensFor, directoryJws, logFor } = deps
  return {
    ...deps,
    openMemo: deps.openMemo ?? new OpenedContents(deps.clock),
    directoryJws: (() => { let now: string | undefined; return () => (now ??= directoryJws()) })(),
    ...(directoryAt ? { directoryAt: memo((at: Date) => { const s = directoryAt(at); return s === undefined ? undefined : text(s) }, (at) => at.getTime()) } : {}),
    ...(crlsAt ? { crlsAt: memo((at: Date) => crlsAt(at).map(once), (at) => at.getTime()) } : {}),
    // A checkpoint signed between the passes must not change the archive: the first answer holds.
    ...(logFor ? { logFor: memo(logFor, (m) => m.messageId) } : {}),
    ...(tokensFor ? { tokensFor: memo((id: string): readonly StoredToken[] => tokensFor(id).map((t) => ({ ...t, token: once(t.token) })), (id) => id) } : {}),
  }
}

const YIELD_EVERY = 8

/** Pass one (may throw: nothing is written yet). */
export async function planEvidenceArchive(live: EvidenceDeps, letter: OutboxLetter, source: EvidenceSource): Promise<EvidencePlan> {
  await live.settleLog?.()
  const deps = frozen(live)
  const generatedAt = isoTime(deps.clock.now())
  const metas = source.messages
  // Envelope and content key from the store; the state (status, receipt) as listed now.
  const message = (i: number): OutboxMessage => {
    const meta = metas[i]!
    const m = source.message(meta.messageId)
    if (m === undefined) throw new Error(`evidence: message ${meta.messageId} of letter ${letter.id} is not in the store`)
    return { ...m, status: meta.status, deliveredAt: meta.deliveredAt, receipt: meta.receipt }
  }
  const shared = new Digests()
  const own = new Digests()
  const entries: ManifestMessage[] = []
  for (let i = 0; i < metas.length; i++) {
    shared.source = own.source = i
    entries.push(await messageParts(deps, message(i), shared, own))
    // Pass one awaits no I/O: a circular's thousands of messages (issue 16 item 3) held the event
    // loop for minutes, and the node answered nothing meanwhile (deliveries, receipts, the API).
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((r) => setImmediate(r))
  }
  const noticeList: readonly NoticeEvidence[] = deps.noticesFor?.(metas.map((m) => m.messageId)) ?? []
  const notices: ManifestNotice[] = []
  for (const [j, n] of noticeList.entries()) {
    shared.source = own.source = metas.length + j
    notices.push(await noticeParts(deps, n, shared, own))
  }
  const body = [...shared.list, ...own.list]
  const front = frontFiles({ letterId: letter.id, sender: letter.senderAgency, generatedAt }, entries, notices, body)
  const mtime = Math.floor(Date.parse(generatedAt) / 1000)
  const size = [...front.map((f) => f.data.length), ...body.map((p) => p.size)].reduce((n, s) => n + BLOCK + s + padding(s), 2 * BLOCK)

  /** The files of one message (or notice) that `wanted` names, rebuilt. */
  const rebuild = async (index: number, wanted: ReadonlySet<string>, side: 'shared' | 'own'): Promise<Map<string, Buffer>> => {
    const capture = new Capture(wanted)
    const drop = new Capture(new Set())
    const [s, o] = side === 'shared' ? [capture, drop] : [drop, capture]
    if (index < metas.length) await messageParts(deps, message(index), s, o)
    else await noticeParts(deps, noticeList[index - metas.length]!, s, o)
    return capture.got
  }

  async function* chunks(): AsyncGenerator<Buffer> {
    const file = function* (e: TarEntry) {
      yield tarHeader({ path: e.path, size: e.data.length, mtime })
      yield e.data
      const pad = padding(e.data.length)
      if (pad > 0) yield Buffer.alloc(pad)
    }
    for (const f of front) yield* file(f)
    for (const [side, list] of [['shared', shared.list], ['own', own.list]] as const) {
      for (let k = 0; k < list.length;) {
        // The files this message (or notice) adds, in archive order.
        const source = list[k]!.source
        let end = k
        while (end < list.length && list[end]!.source === source) end++
        const group = list.slice(k, end)
        const got = await rebuild(source, new Set(group.map((p) => p.path)), side)
        for (const p of group) {
          const data = got.get(p.path) ?? EMPTY
          if (data.length !== p.size || sha256(data) !== p.sha256) {
            throw new Error(`evidence: ${p.path} changed while the archive of letter ${letter.id} was written; ask for the bundle again`)
          }
          yield* file({ path: p.path, data })
        }
        got.clear()
        k = end
      }
    }
    yield Buffer.alloc(2 * BLOCK)
  }
  return { size, chunks }
}
