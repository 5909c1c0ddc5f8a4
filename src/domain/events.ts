// Events a saraban system is told about (issue 5 §6): the SSE stream GET /api/v1/events and
// webhooks carry the same rows. The types are a closed table; each names what happened to whom.
export const EVENT_TYPES = [
  'letter.received', // inbox: a letter arrived for the agency (stage one, PROTOCOL.md §6.1)
  'letter.delivered', // sender: a recipient's receipt was verified
  'letter.failed', // sender: a recipient failed for good (PROTOCOL.md §7.2)
  'letter.accepted', // sender: a recipient registered the letter, with its receive number
  'letter.rejected', // sender: a recipient rejected it, with a reason
  'letter.withdrawn', // inbox: the sender withdrew a letter
  'letter.disputed', // inbox: the sender disputes the receive number of our acceptance (PROTOCOL.md §18.4)
  'letter.cancelled', // sender: a withdrawal cancelled a recipient's queued delivery (PROTOCOL.md §18.4)
  'letter.requeued', // sender: an operator sent a failed recipient again (PROTOCOL.md §7.2)
  'letter.deadline-at-risk', // sender: deliverBy is near and a recipient is not delivered yet
  'letter.deadline-missed', // sender: deliverBy passed before a recipient was delivered
  'notice.failed', // either side: an acknowledgement or withdrawal could not be delivered
  'log.inconsistent', // witness: a peer's log contradicts a checkpoint it signed (PROTOCOL.md §20.6)
  'certificate.expiring', // a certificate the node uses nears its notAfter (expiry.certificateDays; issue 17 item 4)
  'certificate.revoked', // a certificate of the node's is revoked by its CA (issue 17 item 4)
  'trust.expiring', // the directory or a CRL nears its nextUpdate with no fresher copy (expiry.trustDocumentHours)
] as const

export type EventType = (typeof EVENT_TYPES)[number]

export interface EventInput {
  /** The agency whose saraban systems see the event (API keys scoped to it). */
  readonly agency: string
  readonly type: EventType
  /** Sender side: the letter id of the API. */
  readonly letterId?: string
  /** The federation message id (inbox side: the inbox id of the API). */
  readonly messageId?: string
  /** Small JSON facts (recipient, receive number, reason code …); never letter contents. */
  readonly data?: Readonly<Record<string, unknown>>
}

/** Records an event in the caller's db.write() transaction, so that it exists if and only if the
 *  change it reports does; listeners (SSE, webhooks) are woken after the commit. */
export interface EventSink {
  emit(event: EventInput): void
}
