// The one table of stable error codes. PROTOCOL.md §9 lists the same strings.
// Codes never change meaning once published; add new ones instead.

export interface ErrorSpec {
  readonly status: number
  readonly title: string
}

export const ERRORS = {
  // Local API and request validation
  ERR_REQUEST_INVALID: { status: 400, title: 'The request is not valid' },
  ERR_LETTER_INVALID: { status: 422, title: 'The letter does not match the letter schema' },
  ERR_UNAUTHORIZED: { status: 401, title: 'A valid API key is required (Authorization: Bearer <key>)' },
  ERR_FORBIDDEN: { status: 403, title: 'This API key may not do that' },
  ERR_NOT_FOUND: { status: 404, title: 'No such resource' },
  ERR_IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'This Idempotency-Key was already used for a request that means something else: use a new key for a new request' },
  ERR_IDEMPOTENCY_IN_FLIGHT: { status: 409, title: 'A request with this Idempotency-Key is still being processed: retry later with the same key' },
  ERR_PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is larger than this node accepts' },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported Content-Type' },
  // Answers of the HTTP layer on both listeners (issue 13 §2; src/http/problem.ts)
  ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'This resource does not answer that method (see the Allow header)' },
  ERR_REQUEST_TIMEOUT: { status: 408, title: 'The request did not arrive in time; the connection is closed' },
  ERR_URI_TOO_LONG: { status: 414, title: 'The request URL is longer than this node accepts' },
  ERR_HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are larger than this node accepts' },
  ERR_UNKNOWN_AGENCY: { status: 422, title: 'The agency is not in the federation directory' },
  ERR_SENDER_NOT_HOSTED: { status: 422, title: 'This node does not host the sending agency' },
  ERR_RECIPIENT_CERT_INVALID: { status: 422, title: "The recipient's encryption certificate in the directory is not valid" },
  ERR_NO_COMMON_PROFILE: { status: 422, title: 'The recipient accepts no envelope profile this node can produce' },

  // Federation transport (PROTOCOL.md §3, §4)
  ERR_TLS_CLIENT_CERT_REQUIRED: { status: 401, title: 'A TLS client certificate is required' },
  ERR_TLS_CLIENT_CERT_UNTRUSTED: { status: 401, title: 'The TLS client certificate does not chain to the federation root' },
  ERR_PEER_NOT_IN_DIRECTORY: { status: 403, title: 'The TLS client certificate belongs to no agency in the directory' },
  ERR_ENVELOPE_MALFORMED: { status: 400, title: 'The envelope is not a well-formed envelope of a supported profile' },
  ERR_PROFILE_UNSUPPORTED: { status: 415, title: 'The envelope profile or algorithm is not supported' },
  ERR_RECIPIENT_NOT_HOSTED: { status: 421, title: 'The envelope is addressed to an agency this node does not host' },
  ERR_AGENCY_SUSPENDED: { status: 403, title: 'The agency is suspended in the federation directory' },
  ERR_SENDER_MISMATCH: { status: 403, title: 'The TLS peer is not the agency the envelope names as sender' },
  ERR_DECRYPT_FAILED: { status: 400, title: 'The envelope could not be decrypted' },
  ERR_SIGNATURE_INVALID: { status: 400, title: 'The signature is not valid' },
  ERR_SIGNER_UNTRUSTED: { status: 403, title: 'The signer certificate is not trusted for this agency' },
  ERR_ATTACHMENT_DIGEST_MISMATCH: { status: 400, title: 'An attachment does not match its digest in the signed manifest' },
  ERR_ENVELOPE_HEADER_MISMATCH: { status: 400, title: 'The envelope header names a different message id, sender or recipient than the signed letter' },
  ERR_MESSAGE_ID_CONFLICT: { status: 409, title: 'This message id was already received with different bytes' },
  // PROTOCOL.md §5.4: the signed sentAt lies outside the receiver's window; check the sender's clock, or seal the letter anew.
  ERR_SENT_AT_OUT_OF_RANGE: { status: 422, title: "The signed sentAt is later than the receiver's clock allows, older than it accepts, or outside the signer certificate's validity; check the sender's clock, or seal the letter anew" },
  // PROTOCOL.md §17.8: the sender named shared content this node does not hold for it; send the whole envelope.
  // PROTOCOL.md §4.4: as many large envelopes are in flight (from this peer, or in all) as the receiver allows; retry later.
  ERR_BUSY: { status: 503, title: 'This node is receiving as many large envelopes (from this peer, or in all) as it allows at once; retry after the Retry-After delay' },
  ERR_SHARED_CONTENT_UNKNOWN: { status: 412, title: 'The shared content the request refers to is not held here for this peer; send the whole envelope' },

  // Sender-side delivery outcomes (recorded as a recipient's failure reason)
  ERR_RECEIPT_INVALID: { status: 502, title: 'The peer answered with a receipt that does not verify' },
  ERR_PEER_UNREACHABLE: { status: 502, title: 'The peer node could not be reached' },
  ERR_PEER_REFUSED: { status: 502, title: 'The peer node refused the envelope' },

  // Configuration and evidence
  ERR_CONFIG_INVALID: { status: 500, title: 'The configuration is not valid' },
  ERR_INTERNAL: { status: 500, title: 'Internal error' },

  // Federation directory (PROTOCOL.md §1.4; src/pki/directory.ts)
  ERR_DIRECTORY_INVALID: { status: 500, title: 'The federation directory does not verify' },
  ERR_DIRECTORY_EXPIRED: { status: 503, title: 'The federation directory is past its nextUpdate time' },

  // CMS profile (PROTOCOL.md §12)

  // Time-stamps (PROTOCOL.md §13)
  ERR_TIMESTAMP_INVALID: { status: 422, title: 'The time-stamp token does not verify' },
  ERR_TSA_UNTRUSTED: { status: 422, title: 'The time-stamp token is not signed by a trusted time-stamping authority' },
  ERR_TSA_UNAVAILABLE: { status: 503, title: 'The time-stamping authority could not be reached' },
  ERR_TSA_REFUSED: { status: 502, title: 'The time-stamping authority refused the request' },

  // Evidence bundle (PROTOCOL.md §8)

  // Directory distribution and freshness (PROTOCOL.md §14)
  ERR_DIRECTORY_ROLLBACK: { status: 500, title: 'The federation directory has a lower serial than the one this node holds, or reuses its serial' },
  ERR_DIRECTORY_STALE: { status: 503, title: 'The federation directory is past its nextUpdate plus the grace period: new letters are refused until a fresh one arrives' },
  ERR_TRUST_DOCUMENT_UNAVAILABLE: { status: 503, title: 'A signed trust document (the federation directory, a CRL) could not be fetched' },

  // Revocation (PROTOCOL.md §15)
  ERR_CERT_REVOKED: { status: 403, title: 'A certificate in the path is revoked by its CA' },
  ERR_CERT_EXPIRED: { status: 403, title: 'A certificate in the path is expired or not yet valid' },
  ERR_REVOCATION_UNKNOWN: { status: 503, title: 'No current revocation list covers a certificate in the path (hard fail)' },
  ERR_CRL_INVALID: { status: 500, title: 'A CRL does not verify, is not current, is older than the one held, or uses features this node does not implement' },
  // A node's own revoked signing key (issue 17 item 4; PROTOCOL.md §15.2): nothing is signed with it until a new certificate is in use.
  ERR_SIGNING_CERT_REVOKED: { status: 503, title: "This node's signing certificate for the agency is revoked: nothing is signed with it; load the renewed certificate (saraban-node renew) and have the directory list it, then send again" },
  ERR_RECEIVER_CERT_REVOKED: { status: 503, title: "The receiving agency's signing certificate is revoked: it takes no letters and signs no receipts until its new certificate is in use; retry later" },

  // Hosting nodes (PROTOCOL.md §16)

  // Registers: receive/send/circular books and their numbering (issue 5 §3; README "Registers"; src/services/registers.ts)
  ERR_REGISTER_BOOK_UNKNOWN: { status: 404, title: 'No such register book (receive, send, circular, or one configured in registers.books)' },
  ERR_REGISTER_WRONG_DIRECTION: { status: 422, title: 'This register book does not hold that kind of entry (a received letter goes in a receive book, an outgoing number comes from a send book)' },
  ERR_REGISTER_NUMBER_TAKEN: { status: 409, title: 'The register number is already used in this register (numbers are never reused)' },
  ERR_REGISTER_NUMBER_NOT_NEXT: { status: 409, title: 'The register number would leave a gap: a supplied number must be the next number of the register' },
  ERR_REGISTER_NO_OWNER_CODE: { status: 422, title: 'The agency has no owner code (ownerCode in its configuration), so no letter number can be formed' },
  ERR_REGISTER_ENTRY_CANCELLED: { status: 409, title: 'The register entry is already cancelled' },
  ERR_REGISTER_ENTRY_ACKNOWLEDGED: { status: 409, title: 'A receive number already acknowledged to the sender in a signed acceptance cannot be cancelled: it stays; note a correction in remarks and ask the sender to dispute the number (§18.4)' },
  ERR_NUMBER_IN_USE: { status: 409, title: 'This letter number (ที่) is already used by another letter in the same register year: leave number out to get the next one' },
  ERR_STATISTICS_PERIOD_INVALID: { status: 422, title: 'The statistics period is not valid: give from and to as Buddhist-era months (YYYY-MM, e.g. 2569-01), from not after to, at most 120 months' },

  // Notifications: event stream and webhooks (issue 5 §6, README "Notifications")
  ERR_TOO_MANY_STREAMS: { status: 503, title: 'This node serves as many event streams as it is configured for; retry later' },
  ERR_TOO_MANY_AGENCY_STREAMS: { status: 429, title: 'This agency has as many event streams open as the node allows one agency; close one, or retry later' },

  // Local API: attachment downloads (issue 5 §7, README "Downloads stream")
  ERR_RANGE_NOT_SATISFIABLE: { status: 416, title: 'The requested byte range lies outside the attachment' },
  // Letters to many recipients (PROTOCOL.md §17; seal)
  ERR_LETTER_DUPLICATE: { status: 409, title: 'This recipient already received this letter (same sender and letter id) under another message id' },
  // Notices: registration, acknowledgement, rejection, withdrawal (PROTOCOL.md §18; services/notices)
  // One code for a letter registered once already, from the notice acts and the registers service alike.
  ERR_ALREADY_REGISTERED: { status: 409, title: 'The letter is already registered (GET it for its receive number); a letter is registered once' },
  ERR_ALREADY_REJECTED: { status: 409, title: 'The letter was already rejected' },
  ERR_LETTER_WITHDRAWN: { status: 409, title: 'The sender withdrew the letter; it can no longer be registered or rejected' },
  ERR_WITHDRAW_ACCEPTED: { status: 409, title: 'The recipient already accepted (registered) the letter; an accepted letter cannot be withdrawn' },
  ERR_ALREADY_WITHDRAWN: { status: 409, title: 'The letter was already withdrawn from this recipient' },
  ERR_NOT_DELIVERED: { status: 409, title: 'The delivery to this recipient failed: it never had the letter, so there is nothing to withdraw there' },
  ERR_NOTHING_TO_WITHDRAW: { status: 409, title: 'No recipient of this letter can be withdrawn from: each one failed, rejected it or was withdrawn already (GET the letter to see each state); nothing was changed' },
  ERR_WITHDRAW_IN_FLIGHT: { status: 409, title: 'A delivery attempt to this recipient is in flight and may deliver the letter; ask again in a moment (delivered: a withdrawal notice goes out; not delivered: the delivery is cancelled)' },
  ERR_DELIVERY_CANCELLED: { status: 409, title: 'The sender withdrew the letter before it was delivered; its delivery was cancelled and it was never sent' },
  ERR_NOT_FAILED: { status: 409, title: 'Only a recipient whose delivery failed can be sent again; this one is queued, in flight or delivered' },
  ERR_NOT_QUEUED: { status: 409, title: 'Only a queued delivery can be cancelled; this one is in flight, delivered or failed: reload the letter and look at its state' },
  ERR_NOTICE_INVALID: { status: 422, title: 'The notice does not match the notice schema' },
  ERR_NOTICE_UNKNOWN_MESSAGE: { status: 422, title: 'The notice refers to no message exchanged between these agencies with these bytes' },
  ERR_NOTICE_CONFLICT: { status: 409, title: 'A notice of this kind was already received for that message' },
  // Classified letters, the officer's side (PROTOCOL.md §19, issue 12): met by the officer CLI and by
  // a node verifying officer statements.
  ERR_OFFICER_KEY_FILE: { status: 400, title: 'The officer key file cannot be opened (path, passphrase or format)' },
  ERR_CLASSIFIED_MALFORMED: { status: 400, title: 'The inner envelope or its content bundle is not well formed' },
  ERR_CLASSIFIED_NOT_FOR_YOU: { status: 403, title: 'The inner envelope cannot be opened with this officer key' },
  ERR_CLASSIFIED_SIGNERS: { status: 422, title: 'The inner envelope does not carry the signatures its secrecy level requires' },
  ERR_CLASSIFIED_LEVEL_REFUSED: { status: 422, title: 'This secrecy level may not travel electronically between these agencies' },
  ERR_CLASSIFIED_MISMATCH: { status: 422, title: 'The inner envelope does not match the outer cover (control number, agencies or digest)' },
  // Classified letters (PROTOCOL.md §19; services/classified)
  ERR_CLASSIFIED_PLAINTEXT: { status: 422, title: 'A CONFIDENTIAL or SECRET letter may not be sent in plaintext: seal it to officers and submit it to POST /api/v1/classified' },
  ERR_TOP_SECRET_NOT_ELECTRONIC: { status: 422, title: 'A TOP_SECRET letter does not travel electronically: dispatch it by hand and record it with POST /api/v1/classified/by-hand' },
  ERR_CLASSIFIED_INVALID: { status: 422, title: 'The classified submission or cover is not valid' },
  ERR_OFFICER_UNKNOWN: { status: 422, title: 'No such classified-information officer of that agency in the federation directory' },
  ERR_OFFICER_UNTRUSTED: { status: 403, title: "The officer's certificate does not validate or is not that officer's in the directory" },
  ERR_STATEMENT_INVALID: { status: 422, title: 'The officer statement does not verify or does not match the item' },
  ERR_CLASSIFIED_DESTROYED: { status: 410, title: 'The inner envelope was destroyed; only its register entry and access record remain' },
  // Transparency log (PROTOCOL.md §20)
  ERR_CHECKPOINT_INVALID: { status: 400, title: 'The log checkpoint does not verify, or is not signed for the agency whose log it names' },
  ERR_LOG_RANGE: { status: 400, title: 'The log has no such index, size or range (ask within the size of its latest checkpoint)' },
} as const satisfies Record<string, ErrorSpec>

export type ErrorCode = keyof typeof ERRORS

/** One problem in a multi-problem error: `field` is a JSON Pointer into the input. */
export interface FieldProblem {
  readonly field: string
  readonly message: string
}

export class SarabanError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly detail: string | undefined
  readonly field: string | undefined
  readonly errors: readonly FieldProblem[] | undefined

  constructor(
    code: ErrorCode,
    detail?: string,
    opts: { field?: string; errors?: readonly FieldProblem[]; cause?: unknown } = {},
  ) {
    super(detail ?? ERRORS[code].title, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'SarabanError'
    this.code = code
    this.status = ERRORS[code].status
    this.detail = detail
    this.field = opts.field ?? opts.errors?.[0]?.field
    this.errors = opts.errors
  }
}

export function isSarabanError(e: unknown): e is SarabanError {
  return e instanceof SarabanError
}

/** Result of a multi-cause check (house style §3): no exceptions for expected failures. */
export type Check<T = void> = { ok: true; value: T } | { ok: false; code: ErrorCode; reason: string }
