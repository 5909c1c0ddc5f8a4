// The bad-receipt cases (bad-receipts.ts), one per row: the kit, as the receiving peer (--listen),
// answers the first attempt of a letter from the target with that receipt and observes from outside
// that the target does not take the letter as delivered, as PROTOCOL.md §7.2 "Receipts that fail"
// says: a retried row is observed on the wire (the target sends the same bytes again; the kit then
// answers with a good receipt); a `failed` row shows only in the target's own records, read through
// its REST API (--target-api; without it the row is skipped).
import { BAD_RECEIPTS, type BadReceipt } from './bad-receipts.js'
import { CaseFailure, check, skip } from './expect.js'
import { recipientState, sendLetterVia, type RecipientState } from './target-api.js'
import type { Session } from './session.js'
import type { ConformanceCase } from './cases.js'

const FINAL = new Set(['failed', 'delivered', 'cancelled'])

async function finalState(k: Session, letterId: string): Promise<RecipientState | undefined> {
  const end = Date.now() + k.listenWaitMs
  let last: RecipientState | undefined
  while (Date.now() < end) {
    last = await recipientState(k.targetApi!, letterId, k.me.agency)
    if (last !== undefined && FINAL.has(last.status)) return last
    await new Promise((r) => setTimeout(r, 200))
  }
  return last
}

async function runBadReceipt(k: Session, id: string, row: BadReceipt): Promise<void> {
  const listener = k.listener ?? skip('needs --listen (the kit receives a letter from the target and answers it with this receipt)')
  if (row.needsSecond && k.creds.second === undefined) skip('no second agency in the credentials (second/ and "second" in kit.json)')
  if (row.outcome === 'failed' && k.targetApi === undefined) {
    skip('needs --target-api: a sender that fails the recipient at once (§7.2) stops sending, which only its own records show')
  }
  const waiting = listener.answerNextWith(row, k.listenWaitMs)
  let letterId: string | undefined
  if (k.targetApi !== undefined) {
    try {
      letterId = await sendLetterVia(k.targetApi, k.me.agency, `conformance kit ${id}: ${row.title}`)
    } catch (e) {
      listener.dropPending() // else the next case's letter would get this row's receipt
      throw e
    }
  } else k.note(`${id}: send a letter from "${k.target}" to "${k.me.agency}" now (it will be answered with ${row.title})`)
  const d = await waiting
  if (d === undefined) throw new CaseFailure(`no new letter from "${k.target}" to "${k.me.agency}" arrived within ${Math.round(k.listenWaitMs / 1000)} s`)
  const seen = { profile: d.header?.profile, messageId: d.header?.messageId }
  if (row.outcome === 'retried') {
    const again = await listener.attempts(d, 2, k.listenWaitMs)
    check(again, `the target tries again after ${row.title} (${row.step}; §7.2: retried), rather than taking the letter as delivered or failing it`, seen)
    check(d.attempts[1]!.sha256 === d.attempts[0]!.sha256, 'the retry carries the same bytes (§7.2)', { ...seen, sha256: d.attempts.map((a) => a.sha256).join(', ') })
    return
  }
  const state = await finalState(k, letterId!)
  if (state?.messageId !== undefined) check(state.messageId === d.header?.messageId, 'the letter the kit answered is the one it sent through the API', { ...seen, api: state.messageId })
  check(state?.status === 'failed' && state.code === 'ERR_RECEIPT_INVALID',
    `the target fails the recipient at once with ERR_RECEIPT_INVALID after ${row.title} (${row.step}; §7.2), and does not record it as delivered`,
    { ...seen, status: state?.status ?? '(none)', code: state?.code ?? '(none)', detail: state?.detail ?? '' })
  check(d.attempts.length === 1, 'the target does not retry a receipt that fails for what is in it (§7.1: the same receipt would come back)', { ...seen, attempts: d.attempts.length })
}

/** The case of one row (exported so that a test can run the machinery with a row of its own). */
export function receiptCase(id: string, row: BadReceipt): ConformanceCase {
  return {
    id, section: '§7.2',
    title: `the target, answered with ${row.title} (${row.step}), ${row.outcome === 'failed' ? 'fails the recipient at once' : 'retries the same bytes'}`,
    answer: row.outcome === 'failed' ? 'observed (--listen, --target-api): failed ERR_RECEIPT_INVALID, no retry' : 'observed (--listen): a retry, the same bytes',
    run: (k) => runBadReceipt(k, id, row),
  }
}

/** One case per bad receipt: C-7.2-02 onwards (C-7.2-01 is the retry after 503). */
export const RECEIPT_CASES: readonly ConformanceCase[] = BAD_RECEIPTS.map((row, i) => receiptCase(`C-7.2-${String(i + 2).padStart(2, '0')}`, row))
