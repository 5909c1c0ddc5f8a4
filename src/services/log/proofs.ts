// The proofs a node serves of its own logs (PROTOCOL.md §20.5), to peers over the federation
// listener and to its saraban systems over the REST API: the latest checkpoint, inclusion and
// consistency proofs (RFC 9162 §2.1.3, §2.1.4) and bounded pages of entry bytes. Sizes and indices
// are checked against the committed head: a proof is only ever about a tree this node holds.
import { SarabanError } from '../../errors.js'
import { consistencyProof, inclusionProof } from '../../tlog/tree.js'
import type { LocalLog } from './local-log.js'
import type { CheckpointSigner } from './checkpoint-signer.js'

/** Most entries one page answers. */
export const MAX_ENTRIES_PAGE = 256
/** Most inclusion proofs one `proof/inclusions` request asks (PROTOCOL.md §20.5). */
export const MAX_INCLUSIONS = 64

export interface InclusionAnswer { size: number; index: number; proof: string[] }
export interface InclusionsAnswer { proofs: InclusionAnswer[] }
export interface ConsistencyAnswer { size: number; from: number; proof: string[] }
export interface EntriesAnswer { start: number; entries: string[] }

export interface LogProofs {
  /** The latest checkpoint (signed now if the log grew since the last one); undefined while the log is empty. */
  checkpoint(agency: string): string | undefined
  inclusion(agency: string, index: number, size: number): InclusionAnswer
  /** Several inclusion proofs, each as inclusion() answers it, in the order asked; any pair out of range refuses them all. */
  inclusions(agency: string, pairs: readonly { index: number; size: number }[]): InclusionsAnswer
  consistency(agency: string, from: number, to: number): ConsistencyAnswer
  entries(agency: string, start: number, end: number): EntriesAnswer
}

function range(detail: string, field: string): SarabanError {
  return new SarabanError('ERR_LOG_RANGE', detail, { field })
}

export function logProofs(deps: { log: LocalLog; signer: CheckpointSigner }): LogProofs {
  const size = (agency: string): number => deps.log.head(agency).size
  const b64 = (proof: Buffer[]): string[] => proof.map((h) => h.toString('base64'))
  const checkPair = (agency: string, head: number, index: number, treeSize: number, nth = '') => {
    if (treeSize < 1 || treeSize > head) throw range(`The log of ${agency} has ${head} entries; ask for ${nth}a size from 1 to ${head}.`, 'size')
    if (index < 0 || index >= treeSize) throw range(`Entry ${index} is not in a tree of ${treeSize} entries; ask for ${nth}an index below the size.`, 'index')
  }
  const prove = (agency: string, index: number, treeSize: number): InclusionAnswer => {
    const r = deps.log.proofReaders?.(agency) ?? { leaves: deps.log.leafHashes(agency), subtrees: deps.log.subtrees(agency) }
    return { size: treeSize, index, proof: b64(inclusionProof(index, treeSize, r.leaves, r.subtrees)) }
  }
  return {
    checkpoint: (agency) => deps.signer.current(agency),
    inclusion(agency, index, treeSize) {
      const r = deps.log.sizedProofReaders?.(agency)
      if (r === undefined) {
        checkPair(agency, size(agency), index, treeSize)
        return prove(agency, index, treeSize)
      }
      checkPair(agency, r.size, index, treeSize)
      return { size: treeSize, index, proof: b64(inclusionProof(index, treeSize, r.leaves, r.subtrees)) }
    },
    inclusions(agency, pairs) {
      const head = size(agency)
      pairs.forEach((p, i) => checkPair(agency, head, p.index, p.size, `pair ${i + 1}: `))
      return { proofs: pairs.map((p) => prove(agency, p.index, p.size)) }
    },
    consistency(agency, from, to) {
      const head = size(agency)
      if (to < 1 || to > head) throw range(`The log of ${agency} has ${head} entries; ask for a "to" size from 1 to ${head}.`, 'to')
      if (from < 1 || from > to) throw range(`Ask for a "from" size from 1 to ${to}.`, 'from')
      return { size: to, from, proof: b64(consistencyProof(from, to, deps.log.leafHashes(agency), deps.log.subtrees(agency))) }
    },
    entries(agency, start, end) {
      const head = size(agency)
      if (start < 0 || start >= head) throw range(`The log of ${agency} has ${head} entries; ask for a start from 0 to ${head - 1}.`, 'start')
      if (end <= start || end > head) throw range(`Ask for an end after start and at most ${head}.`, 'end')
      const last = Math.min(end, start + MAX_ENTRIES_PAGE)
      return { start, entries: deps.log.entries(agency, start, last).map((e) => e.toString('base64')) }
    },
  }
}

/** A non-negative integer query parameter (both listeners parse the same way). */
export function intParam(q: Record<string, unknown>, name: string): number {
  const v = q[name]
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,14})$/.test(v)) {
    throw new SarabanError('ERR_REQUEST_INVALID', `Give "${name}" as a non-negative decimal integer.`, { field: name })
  }
  return Number(v)
}

/** `index` and `size` of `proof/inclusions` (PROTOCOL.md §20.5): two comma-separated lists of the same
 *  length, 1 to MAX_INCLUSIONS decimals each; the i-th index is asked in the tree of the i-th size. */
export function pairsParam(q: Record<string, unknown>): { index: number; size: number }[] {
  const list = (name: string): number[] => {
    const v = q[name]
    if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,14})(,(0|[1-9][0-9]{0,14}))*$/.test(v)) {
      throw new SarabanError('ERR_REQUEST_INVALID', `Give "${name}" as a comma-separated list of non-negative decimal integers.`, { field: name })
    }
    return v.split(',').map(Number)
  }
  const index = list('index')
  const size = list('size')
  if (index.length > MAX_INCLUSIONS) throw new SarabanError('ERR_REQUEST_INVALID', `Ask at most ${MAX_INCLUSIONS} proofs in one request.`, { field: 'index' })
  if (size.length !== index.length) throw new SarabanError('ERR_REQUEST_INVALID', `Give one size per index (${index.length} indices, ${size.length} sizes).`, { field: 'size' })
  return index.map((i, n) => ({ index: i, size: size[n]! }))
}

/** The answers of GET …/log/{agency}/… on both listeners (PROTOCOL.md §20.5), by the path's last segment. */
export function answerLogRequest(proofs: LogProofs, agency: string, what: string, q: Record<string, unknown>): unknown {
  switch (what) {
    case 'checkpoint': {
      const checkpoint = proofs.checkpoint(agency)
      if (checkpoint === undefined) throw new SarabanError('ERR_NOT_FOUND', `The log of ${agency} is empty: no checkpoint is signed yet.`, { field: '/path/agency' })
      return checkpoint
    }
    case 'inclusion': return proofs.inclusion(agency, intParam(q, 'index'), intParam(q, 'size'))
    case 'inclusions': return proofs.inclusions(agency, pairsParam(q))
    case 'consistency': return proofs.consistency(agency, intParam(q, 'from'), intParam(q, 'to'))
    case 'entries': return proofs.entries(agency, intParam(q, 'start'), intParam(q, 'end'))
    default: throw new SarabanError('ERR_NOT_FOUND', `No such log resource "${what}".`)
  }
}
