// The receipt vectors' log (PROTOCOL.md §6.2, §20.5): a 3-entry tree of the receiving agency whose
// entries are {"v":1}, {"v":1,"n":2} and the message.received entry rebuilt from the receipt's claims,
// at index 2, with its checkpoint signed by that agency; the same in both receipt families.
import { signCheckpoint } from '../../src/services/log/checkpoints.js'
import { receivedEntry } from '../../src/services/log/received-entry.js'
import type { SignerIdentity } from '../../src/crypto/types.js'
import { leafHash } from '../../src/tlog/hash.js'
import { foldLeaves } from '../../src/tlog/tree.js'

export const LOG_FILLER = [Buffer.from('{"v":1}'), Buffer.from('{"v":1,"n":2}')]

export function withLog<C extends Parameters<typeof receivedEntry>[0]>(c: C, signer: SignerIdentity): C & { log: { checkpoint: string; index: number } } {
  const entries = [...LOG_FILLER, receivedEntry(c)]
  const checkpoint = signCheckpoint({ size: 3, root: foldLeaves(entries.map((e) => leafHash(e))), time: '2026-11-25T03:04:06.500Z' }, signer)
  return { ...c, log: { checkpoint, index: 2 } }
}
