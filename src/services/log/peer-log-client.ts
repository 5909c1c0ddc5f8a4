// A peer's log over the federation listener (PROTOCOL.md §20.5), for the audit: the same mutual TLS
// and directory pinning as deliveries.
import { SarabanError, ERRORS, type ErrorCode } from '../../errors.js'
import { problemOf, type PeerClient } from '../../federation/peer-client.js'
import type { Directory } from '../../pki/directory.js'
import { endpointOf } from '../delivery/attempt.js'
import type { PeerLog } from './audit.js'

const PROOF_ITEMS = 64
const B64_HASH = /^[A-Za-z0-9+/]{43}=$/

export function peerLog(peers: PeerClient, directory: () => Directory): PeerLog {
  const get = async (agency: string, rest: string): Promise<Buffer> => {
    const endpoint = endpointOf(directory(), agency)
    if (endpoint === undefined) throw new SarabanError('ERR_UNKNOWN_AGENCY', `"${agency}" has no endpoint in the directory.`)
    let res
    try {
      res = await peers.get(endpoint, `federation/v1/log/${encodeURIComponent(agency)}/${rest}`)
    } catch (e) {
      throw new SarabanError('ERR_PEER_UNREACHABLE', `The node of ${agency} could not be reached: ${(e as Error).message}`)
    }
    if (res.status !== 200) {
      const p = problemOf(res)
      const code = p?.code !== undefined && p.code in ERRORS ? (p.code as ErrorCode) : 'ERR_PEER_REFUSED'
      throw new SarabanError(code, `The node of ${agency} answered ${res.status}${p?.detail ? `: ${p.detail}` : ''}`.slice(0, 600))
    }
    return res.body
  }
  return {
    checkpoint: async (agency) => (await get(agency, 'checkpoint')).toString('latin1'),
    consistency: async (agency, from, to) => proofOf(agency, 'consistency', await get(agency, `proof/consistency?from=${from}&to=${to}`)),
    inclusion: async (agency, index, size) => proofOf(agency, 'inclusion', await get(agency, `proof/inclusion?index=${index}&size=${size}`)),
    inclusions: async (agency, pairs) => {
      const body = await get(agency, `proof/inclusions?index=${pairs.map((p) => p.index).join(',')}&size=${pairs.map((p) => p.size).join(',')}`)
      return proofsOf(agency, body, pairs)
    },
  }
}

/** The `proofs` of a `proof/inclusions` answer: one per pair asked, in that order, each naming its pair. */
function proofsOf(agency: string, body: Buffer, pairs: readonly { index: number; size: number }[]): Buffer[][] {
  const refuse = (why: string) => new SarabanError('ERR_PEER_REFUSED', `The node of ${agency} answered inclusion proofs that ${why}.`)
  const proofs = jsonOf(body, () => refuse('are not JSON')).proofs
  if (!Array.isArray(proofs) || proofs.length !== pairs.length) throw refuse(`are not a list of ${pairs.length}`)
  return proofs.map((p: unknown, i) => {
    const a = p as { index?: unknown; size?: unknown; proof?: unknown }
    if (a === null || typeof a !== 'object' || a.index !== pairs[i]!.index || a.size !== pairs[i]!.size) throw refuse(`are not in the order asked (item ${i + 1})`)
    return hashesOf(agency, 'inclusion', a.proof)
  })
}

/** The `proof` of a proof answer (PROTOCOL.md §20.5): a bounded list of base64 SHA-256 hashes. */
function proofOf(agency: string, what: string, body: Buffer): Buffer[] {
  const parsed = jsonOf(body, () => new SarabanError('ERR_PEER_REFUSED', `The node of ${agency} answered a ${what} proof that is not JSON.`))
  return hashesOf(agency, what, parsed.proof)
}

/** The answer's members, or `notJson()` thrown. */
function jsonOf(body: Buffer, notJson: () => Error): { proof?: unknown; proofs?: unknown } {
  try {
    return (JSON.parse(body.toString('utf8')) ?? {}) as { proof?: unknown; proofs?: unknown }
  } catch {
    throw notJson()
  }
}

function hashesOf(agency: string, what: string, proof: unknown): Buffer[] {
  if (!Array.isArray(proof) || proof.length > PROOF_ITEMS || !proof.every((h) => typeof h === 'string' && B64_HASH.test(h))) {
    throw new SarabanError('ERR_PEER_REFUSED', `The node of ${agency} answered a ${what} proof that is not a list of base64 SHA-256 hashes.`)
  }
  return proof.map((h: string) => Buffer.from(h, 'base64'))
}
