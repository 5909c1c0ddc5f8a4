// Tests of the sender's fetch of recipients' inclusion proofs (PROTOCOL.md §20.7): a node that sends
// Saraban-Log-Proof leaves nothing to fetch (the proof is kept with the receipt, migration 039), so
// these turn a delivered message back into one whose proof came without it: the kept proof is
// dropped and the fetch is queued, as the delivery does for a receipt from a node before §20.5.
import type { AppContext } from '../../src/context.js'
import { queueReceivedProof } from '../../src/services/evidence/received-proofs.js'
import { storedReceiptClaims } from '../../src/services/log/receipt-claims.js'

/** Queues the fetch of each message's proof and forgets the one kept with its receipt. `now`: when the
 *  receipt was stored (the fetch is due GATHER_MS later); by default long ago, so it is due at once. */
export async function queueAsIfNoHeader(ctx: AppContext, messageIds: readonly string[], now = 0): Promise<void> {
  const sqlite = ctx.db.sqlite
  const receipt = sqlite.prepare<[string], string>('SELECT receipt FROM outbox_messages WHERE message_id = ?').pluck()
  await ctx.db.write(() => {
    for (const mid of messageIds) {
      sqlite.prepare('UPDATE outbox_messages SET received_proof = NULL WHERE message_id = ?').run(mid)
      if (!queueReceivedProof(ctx.logEvidence.store, mid, storedReceiptClaims(receipt.get(mid)!), now)) throw new Error(`${mid}: its receipt carries no log`)
    }
  })
}
