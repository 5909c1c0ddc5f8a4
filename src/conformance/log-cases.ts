// The transparency-log cases (PROTOCOL.md §20.5, §20.6), as a witness meets the target's log: the
// checkpoint in a receipt (verified with the receipt, §6.3), the inclusion proof of the letter's
// `message.received` entry rebuilt from the receipt's claims alone (asked, and sent with the receipt),
// many proofs in one request, a range refused, and the target's current checkpoint consistent with
// the one a receipt carried.
import type { ReceiptClaims } from '../crypto/types.js'
import { verifyCheckpoint, type VerifiedCheckpoint } from '../services/log/checkpoints.js'
import { receivedEntry } from '../services/log/received-entry.js'
import { leafHash, verifyConsistency, verifyInclusion } from '../tlog/index.js'
import { checkLogProofHeader, LOG_PROOF_HEADER } from '../federation/log-proof-header.js'
import { deliver } from './delivered.js'
import { CaseFailure, check, expectProblem, expectStatus, skip } from './expect.js'
import type { Answer, Session } from './session.js'
import type { ConformanceCase } from './cases.js'

const B64_HASH = /^[A-Za-z0-9+/]{43}=$/

function logOf(claims: ReceiptClaims): { checkpoint: VerifiedCheckpoint; index: number } {
  const log = claims.log
  if (log === undefined) throw new CaseFailure('the receipt carries no `log` member (§20.5: every receipt carries the receiver\'s checkpoint)')
  // checkReceipt (§6.3) already verified the checkpoint's signature and signer: this reads it.
  return { checkpoint: verifyCheckpoint(log.checkpoint), index: log.index }
}

const get = (k: Session, rest: string): Promise<Answer> =>
  k.post({ method: 'GET', path: `/federation/v1/log/${encodeURIComponent(k.target)}/${rest}`, body: Buffer.alloc(0), contentType: '' })

function json(a: Answer, what: string): Record<string, unknown> {
  expectStatus(a, 200, what)
  try {
    const v = JSON.parse(a.body.toString('utf8')) as unknown
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>
  } catch { /* below */ }
  throw new CaseFailure(`${what}: the answer is not a JSON object`, { body: a.body.subarray(0, 200).toString('latin1') })
}

function hashes(v: unknown, what: string): Buffer[] {
  check(Array.isArray(v) && v.every((h) => typeof h === 'string' && B64_HASH.test(h)), `${what}: "proof" is a list of base64 SHA-256 hashes (§20.5)`, { proof: v })
  return (v as string[]).map((h) => Buffer.from(h, 'base64'))
}

export const LOG_CASES: readonly ConformanceCase[] = [
  { id: 'C-20.5-01', section: '§20.5', title: 'a receipt carries the target\'s checkpoint, and the target proves the letter\'s message.received entry to it', answer: '200, the proof verifies', profiles: 'all',
    run: async (k, profile) => {
      const { claims } = await deliver(k, profile)
      const { checkpoint, index } = logOf(claims)
      check(index < checkpoint.body.size, 'the entry\'s index is below the checkpoint\'s size (§20.5)', { index, size: checkpoint.body.size })
      const a = json(await get(k, `proof/inclusion?index=${index}&size=${checkpoint.body.size}`), 'proof/inclusion')
      check(a['index'] === index && a['size'] === checkpoint.body.size, 'the answer names the index and size asked', { answer: { index: a['index'], size: a['size'] } })
      const proof = hashes(a['proof'], 'proof/inclusion')
      const ok = verifyInclusion(leafHash(receivedEntry(claims)), index, checkpoint.body.size, proof, checkpoint.body.root)
      check(ok, 'the proof leads from the entry rebuilt from the receipt\'s claims (§20.3) to the checkpoint\'s root (RFC 9162 §2.1.3.2)', { index, size: checkpoint.body.size })
    } },
  { id: 'C-20.5-02', section: '§20.5', title: 'proof/inclusions answers each pair\'s proof/inclusion, in the order asked', answer: '200, the same proofs (SHOULD; 404 skips)',
    run: async (k) => {
      const { claims } = await deliver(k, k.targetProfiles()[0] ?? skip('the target lists no profile the kit can seal'))
      const { checkpoint, index } = logOf(claims)
      const pairs = [[index, checkpoint.body.size], [0, 1], [index, checkpoint.body.size]] as const
      const a = await get(k, `proof/inclusions?index=${pairs.map((p) => p[0]).join(',')}&size=${pairs.map((p) => p[1]).join(',')}`)
      if (a.status === 404) skip('the target does not serve proof/inclusions (a SHOULD: senders ask one by one)')
      const proofs = json(a, 'proof/inclusions')['proofs']
      check(Array.isArray(proofs) && proofs.length === pairs.length, `"proofs" is a list of ${pairs.length}`, { proofs })
      for (const [i, [index, size]] of pairs.entries()) {
        const one = json(await get(k, `proof/inclusion?index=${index}&size=${size}`), 'proof/inclusion')
        const item = (proofs as Array<Record<string, unknown>>)[i]!
        check(item['index'] === index && item['size'] === size, `item ${i + 1} names the pair asked`, { item: { index: item['index'], size: item['size'] }, asked: { index, size } })
        check(JSON.stringify(hashes(item['proof'], 'proof/inclusions')) === JSON.stringify(hashes(one['proof'], 'proof/inclusion')), `item ${i + 1} is the proof/inclusion answer`)
      }
    } },
  { id: 'C-20.5-04', section: '§20.5', title: 'the proof sent with a receipt (Saraban-Log-Proof) is the proof/inclusion answer of the receipt\'s entry', answer: '201 with the header, the proof verifies (SHOULD; no header skips)',
    run: async (k) => {
      const { answer, claims } = await deliver(k, k.targetProfiles()[0] ?? skip('the target lists no profile the kit can seal'), { fresh: true })
      const value = answer.headers[LOG_PROOF_HEADER]
      if (value === undefined) skip('the target sends no Saraban-Log-Proof header (a SHOULD: senders ask the proof later)')
      check(typeof value === 'string', 'the header is sent once', { value })
      const { checkpoint, index } = logOf(claims)
      const r = checkLogProofHeader(value as string, { index, size: checkpoint.body.size, root: checkpoint.body.root, leafHash: leafHash(receivedEntry(claims)) })
      check('proof' in r, `the header is the receipt's proof: ${'error' in r ? r.error : ''} (§20.5)`, { value: String(value).slice(0, 300) })
    } },
  { id: 'C-20.5-03', section: '§20.5', title: 'an inclusion proof in a tree larger than the log is refused', answer: '400 ERR_LOG_RANGE',
    run: async (k) => { expectProblem(await get(k, `proof/inclusion?index=0&size=${2 ** 40}`), 400, 'ERR_LOG_RANGE') } },
  { id: 'C-20.6-01', section: '§20.6', title: 'the target\'s current checkpoint is consistent with the one an earlier receipt carried', answer: '200, the proof verifies',
    run: async (k) => {
      const profile = k.targetProfiles()[0] ?? skip('the target lists no profile the kit can seal')
      const first = logOf((await deliver(k, profile)).claims).checkpoint
      await deliver(k, profile, { fresh: true }) // the log grows
      const a = await get(k, 'checkpoint')
      expectStatus(a, 200, 'checkpoint')
      let now: VerifiedCheckpoint
      try {
        now = verifyCheckpoint(a.body.toString('latin1'))
      } catch (e) {
        throw new CaseFailure(`the current checkpoint does not verify (§20.4): ${(e as Error).message}`)
      }
      check(now.agency === k.target, 'the checkpoint is of the target\'s log', { origin: now.body.origin })
      check(now.body.size >= first.body.size, 'the log did not shrink (§20.6)', { before: first.body.size, now: now.body.size })
      const c = json(await get(k, `proof/consistency?from=${first.body.size}&to=${now.body.size}`), 'proof/consistency')
      const proof = hashes(c['proof'], 'proof/consistency')
      check(verifyConsistency(first.body.size, now.body.size, first.body.root, now.body.root, proof), 'the consistency proof verifies (RFC 9162 §2.1.4.2)', { from: first.body.size, to: now.body.size })
    } },
]
