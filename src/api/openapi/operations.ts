// One row per operation of the local REST API (issue 20 §2): what the route schemas cannot say.
// The route schemas (src/api/routes/, schemas/api/) give parameters, bodies and JSON answers; this
// table gives the operationId, tag, summary, each answer's own description, binary media types,
// the headers that matter, and the error codes beyond those every operation shares (index.ts derives
// 401, 400, 404, 413, 415 and 500 from the operation's shape). A route missing here, or a row with no
// route, fails test/api-client/coverage.test.ts.
import type { ErrorCode } from '../../errors.js'
import type { RequestHeader, ResponseHeader } from './components.js'

export type Tag = 'letters' | 'inbox' | 'registers' | 'events' | 'node' | 'classified' | 'log' | 'statistics'

export const TAGS: Readonly<Record<Tag, string>> = {
  letters: 'Letters this node sends for its agencies: send, follow, withdraw, dispute, retry, evidence.',
  inbox: 'Letters received for the agencies of the API key: read, download attachments, register (ลงรับ) or reject.',
  registers: 'Register books (ทะเบียนหนังสือรับ/ส่ง): numbers, entries, CSV and PDF exports; years are Buddhist-era.',
  events: 'What happened, as a server-sent event stream or pages, and webhook deliveries.',
  node: 'This node, the federation directory it trusts, its peers and health.',
  classified: 'Classified letters (PROTOCOL.md §19): sealed by officers, carried under an outer cover.',
  log: "Each agency's transparency log (PROTOCOL.md §20): checkpoints, proofs, peer audit.",
  statistics: 'Counts and durations of an agency\'s correspondence per month and peer agency, for the oversight bodies; never contents.',
}

export interface Answer {
  /** This answer's own sentence (no two answers share one). */
  readonly description: string
  /** Media types of a body the route schema does not describe: binary files, or text. */
  readonly media?: readonly string[]
  /** A JSON body no schema file describes yet: documented as an object. */
  readonly object?: true
  readonly headers?: readonly ResponseHeader[]
}

export interface Operation {
  readonly operationId: string
  readonly tag: Tag
  readonly summary: string
  readonly description?: string
  /** Success (and partial-content) answers by status. */
  readonly answers: Readonly<Record<number, Answer>>
  /** Error codes this operation returns beyond the shared ones (see the file comment). */
  readonly errors: readonly ErrorCode[]
  readonly requestHeaders?: readonly RequestHeader[]
  /** Request body example (JSON), in Thai where the field is Thai text. */
  readonly example?: unknown
  /** 'none': no API key is asked; 'optional': a key adds detail. */
  readonly auth?: 'none' | 'optional'
}

const PDF = 'application/pdf'
const CSV = 'text/csv'
const TAR = 'application/x-tar'

/** The letter of the examples: an invitation from มหาดไทย to การคลัง. */
export const EXAMPLE_LETTER = {
  kind: 'EXTERNAL',
  number: 'มท 0201.2/1590',
  date: '2026-11-25',
  subject: 'ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์',
  salutation: 'เรียน ปลัดกระทรวงการคลัง',
  recipients: [{ agency: 'mof' }],
  body: 'ด้วยกระทรวงมหาดไทยจะจัดประชุมคณะทำงาน จึงขอเรียนเชิญท่านหรือผู้แทนเข้าร่วมประชุม',
  closing: 'ขอแสดงความนับถือ',
  signer: { name: 'นายสมชาย ใจดี', position: 'ปลัดกระทรวงมหาดไทย' },
}

export const OPERATIONS: Readonly<Record<string, Operation>> = {
  // --- letters
  'POST /api/v1/letters': {
    operationId: 'sendLetter', tag: 'letters', summary: 'Send a letter',
    description: 'Seals one envelope per recipient and queues them for delivery; answers 202 once they are stored. The body is JSON (attachments in base64) or multipart/form-data (the `letter` part as JSON, files as raw bytes).',
    answers: {
      202: { description: 'Accepted: the envelopes are stored and queued; follow the letter at Location or by events. A replay of an earlier request with the same Idempotency-Key and the same meaning answers the same status with Idempotent-Replayed: true; nothing is sent again.', headers: ['Location', 'Idempotent-Replayed'] },
    },
    errors: ['ERR_LETTER_INVALID', 'ERR_UNKNOWN_AGENCY', 'ERR_SENDER_NOT_HOSTED', 'ERR_FORBIDDEN', 'ERR_AGENCY_SUSPENDED', 'ERR_RECIPIENT_CERT_INVALID', 'ERR_NO_COMMON_PROFILE', 'ERR_IDEMPOTENCY_KEY_REUSED', 'ERR_IDEMPOTENCY_IN_FLIGHT', 'ERR_NUMBER_IN_USE', 'ERR_CLASSIFIED_PLAINTEXT', 'ERR_TOP_SECRET_NOT_ELECTRONIC', 'ERR_DIRECTORY_STALE', 'ERR_SIGNING_CERT_REVOKED'],
    requestHeaders: ['Idempotency-Key'],
    example: { letter: EXAMPLE_LETTER, attachments: [{ filename: 'กำหนดการประชุม.pdf', mediaType: 'application/pdf', content: 'JVBERi0xLjQK' }] },
  },
  'GET /api/v1/letters/{id}': {
    operationId: 'getLetter', tag: 'letters', summary: 'A sent letter and the delivery state of each recipient',
    answers: { 200: { description: 'The letter, each recipient\'s delivery and the notices exchanged about it.' } },
    errors: [],
  },
  'GET /api/v1/letters/{id}/evidence': {
    operationId: 'getLetterEvidence', tag: 'letters', summary: 'The evidence archive of a sent letter (ustar, PROTOCOL.md §8)',
    description: 'Envelopes, content keys, signed letters, attachments, receipts, certificate chains, time-stamp tokens, and the directory and CRLs in force; check it offline with `saraban-node verify-evidence`.',
    answers: { 200: { description: 'The archive, streamed with its Content-Length.', media: [TAR], headers: ['Content-Disposition'] } },
    errors: [],
  },
  'GET /api/v1/outbox': {
    operationId: 'listOutbox', tag: 'letters', summary: 'Letters sent by the agencies of this API key, newest first',
    answers: { 200: { description: 'One page of sent letters; `nextCursor` asks for the next.' } },
    errors: ['ERR_FORBIDDEN'],
  },
  'POST /api/v1/letters/{id}/withdraw': {
    operationId: 'withdrawLetter', tag: 'letters', summary: 'Withdraw a sent letter from recipients that have not accepted it',
    description: 'PROTOCOL.md §18.4: a signed withdrawal goes to each recipient that has the letter; one whose message is still queued is cancelled instead (never sent, no notice).',
    answers: { 202: { description: 'The withdrawal notices are queued (or the queued deliveries cancelled): the letter with each recipient\'s new state.' } },
    errors: ['ERR_WITHDRAW_ACCEPTED', 'ERR_ALREADY_WITHDRAWN', 'ERR_NOT_DELIVERED', 'ERR_NOTHING_TO_WITHDRAW', 'ERR_WITHDRAW_IN_FLIGHT', 'ERR_ALREADY_REJECTED', 'ERR_NOTICE_INVALID', 'ERR_UNKNOWN_AGENCY'],
    example: { reason: 'ส่งหนังสือผิดฉบับ ขอถอนเพื่อส่งฉบับที่ถูกต้อง' },
  },
  'POST /api/v1/letters/{id}/dispute': {
    operationId: 'disputeLetter', tag: 'letters', summary: 'Dispute the receive number a recipient\'s acceptance gave',
    description: 'PROTOCOL.md §18.4 (e-CMS InvalidAcceptIDNotifier): a signed dispute goes to that recipient, once per recipient, only after it accepted.',
    answers: { 202: { description: 'The dispute notice is queued: the letter with the recipient\'s disputed state.' } },
    errors: ['ERR_NOTICE_INVALID', 'ERR_ALREADY_REJECTED', 'ERR_ALREADY_WITHDRAWN', 'ERR_NOTICE_CONFLICT', 'ERR_UNKNOWN_AGENCY'],
    example: { recipient: 'mof', reason: 'เลขรับซ้ำกับหนังสือฉบับอื่นในทะเบียน' },
  },
  'POST /api/v1/letters/{id}/retry': {
    operationId: 'retryLetter', tag: 'letters', summary: 'Send failed recipients of a letter again (same message id, same envelope bytes)',
    answers: { 202: { description: 'The failed recipients are queued again: the letter with their new state.' } },
    errors: ['ERR_NOT_FAILED', 'ERR_DELIVERY_CANCELLED'],
    example: { recipients: ['mof'] },
  },
  // --- inbox
  'GET /api/v1/inbox': {
    operationId: 'listInbox', tag: 'inbox', summary: 'Letters received for the agencies of this API key, newest first',
    answers: { 200: { description: 'One page of received letters; `nextCursor` asks for the next.' } },
    errors: ['ERR_FORBIDDEN'],
  },
  'GET /api/v1/inbox/{id}': {
    operationId: 'getReceivedLetter', tag: 'inbox', summary: 'A received letter, its attachments, signer and verification',
    answers: { 200: { description: 'The received letter as signed, with what was verified and the notices about it.' } },
    errors: [],
  },
  'GET /api/v1/inbox/{id}/attachments/{attachmentId}': {
    operationId: 'getAttachment', tag: 'inbox', summary: 'The bytes of one attachment, exactly as signed',
    description: 'Streamed, decrypted slice by slice; the signature and SHA-256 are checked on every read of the whole file. A range (206) is served from the same bytes but cannot be digest-checked on its own: check Repr-Digest once you hold the whole file.',
    answers: {
      200: { description: 'The whole file, in the media type it was sent with.', media: ['*/*'], headers: ['ETag', 'Repr-Digest', 'Accept-Ranges', 'Content-Disposition'] },
      206: { description: 'The byte range asked for.', media: ['*/*'], headers: ['Content-Range', 'ETag', 'Repr-Digest', 'Accept-Ranges', 'Content-Disposition'] },
    },
    errors: ['ERR_RANGE_NOT_SATISFIABLE'],
    requestHeaders: ['Range', 'If-Range'],
  },
  'POST /api/v1/inbox/{id}/register': {
    operationId: 'registerLetter', tag: 'inbox', summary: 'Register (ลงรับ) a received letter; the signed acceptance goes to the sender',
    description: 'Second acknowledgement stage (PROTOCOL.md §18): the next receive number of the book, or a supplied one. A letter is registered once.',
    answers: { 200: { description: 'The received letter with its registration (receive number, book, date).' } },
    errors: ['ERR_ALREADY_REGISTERED', 'ERR_ALREADY_REJECTED', 'ERR_LETTER_WITHDRAWN', 'ERR_REGISTER_BOOK_UNKNOWN', 'ERR_REGISTER_WRONG_DIRECTION', 'ERR_REGISTER_NUMBER_TAKEN', 'ERR_REGISTER_NUMBER_NOT_NEXT'],
    example: { action: 'เสนอผู้อำนวยการกองเพื่อพิจารณา', remarks: 'ด่วน ต้องตอบภายในสัปดาห์นี้' },
  },
  'POST /api/v1/inbox/{id}/reject': {
    operationId: 'rejectLetter', tag: 'inbox', summary: 'Reject a received letter with a reason code; the signed rejection goes to the sender',
    answers: { 200: { description: 'The received letter, now rejected.' } },
    errors: ['ERR_ALREADY_REGISTERED', 'ERR_ALREADY_REJECTED', 'ERR_LETTER_WITHDRAWN'],
    example: { reasonCode: 'misaddressed', reason: 'หนังสือนี้มิใช่อำนาจหน้าที่ของหน่วยงาน โปรดส่งกรมบัญชีกลาง' },
  },
  // --- node
  'GET /api/v1/directory/agencies/{id}': {
    operationId: 'getDirectoryAgency', tag: 'node', summary: 'One agency of the directory, with its certificates and classified-information officers',
    answers: { 200: { description: 'The agency as the signed directory lists it.' } },
    errors: [],
  },
  'GET /api/v1/directory': {
    operationId: 'getDirectory', tag: 'node', summary: 'The federation directory this node trusts now',
    answers: { 200: { description: 'Every agency of the directory, its serial and validity.' } },
    errors: [],
  },
  'GET /api/v1/node': {
    operationId: 'getNode', tag: 'node', summary: 'This node: hosted agencies, version, profiles',
    answers: { 200: { description: 'What this node is and hosts.' } },
    errors: [],
  },
  'GET /healthz': {
    operationId: 'getHealth', tag: 'node', summary: 'Liveness; with an API key, the queue state and checks',
    answers: {
      200: { description: 'The node works (`ok`) or works with a warning (`degraded`).' },
      503: { description: 'The node cannot do its work (`failing`): see the checks.' },
    },
    errors: [],
    auth: 'optional',
  },
  'GET /api/v1/statistics': {
    operationId: 'getStatistics', tag: 'statistics', summary: 'Letters per month and peer agency: counts, times to delivery and registration, rejections, failures',
    description: 'Months are Buddhist-era YYYY-MM in Asia/Bangkok (`?from=2569-01&to=2569-12`). Counts by kind, urgency and secrecy level, median and 95th-percentile times (nearest rank), rejections by reasonCode and failures by error code; never a subject, a number or an id. `?format=csv` answers the same report as CSV (UTF-8 with BOM) in long form: month, agency, peer, direction, measure, category, value.',
    answers: { 200: { description: 'The report (JSON), or the report as CSV with format=csv.', media: [CSV], headers: ['Content-Disposition'] } },
    errors: ['ERR_FORBIDDEN', 'ERR_STATISTICS_PERIOD_INVALID'],
  },
  'GET /metrics': {
    operationId: 'getMetrics', tag: 'node', summary: 'Prometheus metrics of this node (text format 0.0.4)',
    description: 'Traffic per peer agency and profile, delivery latency, queues, refusals, trust freshness, certificates\' time to expiry and process metrics (README "Metrics"). Any API key of the node may read it; the addresses config `metrics.openTo` lists need none.',
    answers: { 200: { description: 'The metrics in the Prometheus text exposition format.', media: ['text/plain'] } },
    errors: [],
  },
  'GET /api/v1/peers': {
    operationId: 'listPeers', tag: 'node', summary: 'Delivery state per peer: up, down or probing, and what waits for it',
    answers: { 200: { description: 'Each peer node\'s circuit and queue.' } },
    errors: [],
  },
  'GET /api/v1/openapi.json': {
    operationId: 'getOpenApi', tag: 'node', summary: 'This description (OpenAPI 3.1)',
    answers: { 200: { description: 'The OpenAPI description of this API, the one the TypeScript client is generated from.', object: true } },
    errors: [],
    auth: 'none',
  },
  // --- registers
  'GET /api/v1/registers': {
    operationId: 'listRegisters', tag: 'registers', summary: 'The register books of this node',
    answers: { 200: { description: 'Every register book and its direction.' } },
    errors: [],
  },
  'GET /api/v1/registers/{book}': {
    operationId: 'getRegister', tag: 'registers', summary: 'One agency\'s register for a Buddhist-era year, in number order',
    description: 'JSON by default; `Accept: text/csv` answers the CSV export and `Accept: application/pdf` the PDF export.',
    answers: { 200: { description: 'The register entries (JSON), or the register as CSV or PDF as Accept asks.', media: [CSV, PDF], headers: ['Content-Disposition'] } },
    errors: ['ERR_REGISTER_BOOK_UNKNOWN', 'ERR_FORBIDDEN'],
  },
  'GET /api/v1/registers/{book}/export.csv': {
    operationId: 'exportRegisterCsv', tag: 'registers', summary: 'The register as CSV (UTF-8 with BOM, RFC 4180), Buddhist-era dates',
    answers: { 200: { description: 'The CSV file.', media: [CSV], headers: ['Content-Disposition'] } },
    errors: ['ERR_REGISTER_BOOK_UNKNOWN', 'ERR_FORBIDDEN'],
  },
  'GET /api/v1/registers/{book}/export.pdf': {
    operationId: 'exportRegisterPdf', tag: 'registers', summary: 'The register as a printable PDF (A4 landscape, Thai digits, Buddhist-era dates)',
    answers: { 200: { description: 'The PDF file.', media: [PDF], headers: ['Content-Disposition'] } },
    errors: ['ERR_REGISTER_BOOK_UNKNOWN', 'ERR_FORBIDDEN'],
  },
  'POST /api/v1/registers/{book}/numbers': {
    operationId: 'takeRegisterNumber', tag: 'registers', summary: 'Take the next number of a register book',
    description: 'Send books: the next outgoing letter number (<ownerCode>/<n>, <ownerCode>/ว <n> for circulars). Receive books: registers a letter that did not come through the node.',
    answers: {
      201: { description: 'The number taken and its register entry; a replay of an earlier request with the same Idempotency-Key answers the number taken then, with Idempotent-Replayed: true.', headers: ['Location', 'Idempotent-Replayed'] },
    },
    errors: ['ERR_REGISTER_BOOK_UNKNOWN', 'ERR_FORBIDDEN', 'ERR_REGISTER_NO_OWNER_CODE', 'ERR_REGISTER_WRONG_DIRECTION', 'ERR_REGISTER_NUMBER_TAKEN', 'ERR_REGISTER_NUMBER_NOT_NEXT', 'ERR_IDEMPOTENCY_KEY_REUSED', 'ERR_IDEMPOTENCY_IN_FLIGHT'],
    requestHeaders: ['Idempotency-Key'],
    example: { agency: 'moi', to: 'ปลัดกระทรวงการคลัง', subject: 'ขอเชิญประชุมคณะทำงานพัฒนาระบบสารบรรณอิเล็กทรอนิกส์' },
  },
  'POST /api/v1/registers/{book}/entries/{year}/{number}/cancel': {
    operationId: 'cancelRegisterEntry', tag: 'registers', summary: 'Cancel a register number: the entry stays, marked cancelled; the number is never given again',
    answers: { 200: { description: 'The entry, marked cancelled with the reason.' } },
    errors: ['ERR_REGISTER_BOOK_UNKNOWN', 'ERR_FORBIDDEN', 'ERR_REGISTER_ENTRY_CANCELLED', 'ERR_REGISTER_ENTRY_ACKNOWLEDGED'],
    example: { agency: 'moi', reason: 'ออกเลขผิด หนังสือไม่ได้ส่ง' },
  },
  // --- events
  'GET /api/v1/events': {
    operationId: 'streamEvents', tag: 'events', summary: 'Events of the agencies of this API key: a server-sent event stream, resumable with Last-Event-ID',
    description: 'text/event-stream (default): replays the events after Last-Event-ID (or `?after=`), then stays open; `id:` is the event id, `event:` its type, `data:` the event JSON (schema Event). With `Accept: application/json`: one page of events after `?after=`.',
    answers: { 200: { description: 'The stream (text/event-stream) or one page of events (application/json).' } },
    errors: ['ERR_FORBIDDEN', 'ERR_TOO_MANY_STREAMS', 'ERR_TOO_MANY_AGENCY_STREAMS'],
    requestHeaders: ['Last-Event-ID'],
  },
  'GET /api/v1/webhooks/deliveries': {
    operationId: 'listWebhookDeliveries', tag: 'events', summary: 'Webhook endpoints of the agencies of this API key, and each delivery',
    answers: { 200: { description: 'Endpoints and deliveries: attempts, last answer, next attempt.' } },
    errors: ['ERR_FORBIDDEN'],
  },
  // --- classified (PROTOCOL.md §19)
  'POST /api/v1/classified/control-numbers': {
    operationId: 'reserveControlNumber', tag: 'classified', summary: 'Reserve the control number an inner envelope will carry',
    answers: { 201: { description: 'The control number reserved.', object: true } },
    errors: ['ERR_FORBIDDEN'],
  },
  'POST /api/v1/classified': {
    operationId: 'submitClassified', tag: 'classified', summary: 'Submit an inner envelope sealed by officers; the node seals the outer envelopes and delivers them',
    answers: { 202: { description: 'The outer envelopes are queued.', object: true } },
    errors: ['ERR_FORBIDDEN', 'ERR_CLASSIFIED_INVALID', 'ERR_UNKNOWN_AGENCY', 'ERR_SENDER_NOT_HOSTED', 'ERR_AGENCY_SUSPENDED', 'ERR_OFFICER_UNKNOWN', 'ERR_OFFICER_UNTRUSTED', 'ERR_STATEMENT_INVALID', 'ERR_SIGNATURE_INVALID', 'ERR_RECIPIENT_CERT_INVALID', 'ERR_NO_COMMON_PROFILE'],
  },
  'POST /api/v1/classified/by-hand': {
    operationId: 'dispatchByHand', tag: 'classified', summary: 'Record a TOP_SECRET item dispatched by hand: metadata only',
    answers: { 202: { description: 'The item is recorded in both classified registers.', object: true } },
    errors: ['ERR_FORBIDDEN', 'ERR_CLASSIFIED_INVALID', 'ERR_UNKNOWN_AGENCY', 'ERR_SENDER_NOT_HOSTED'],
  },
  'GET /api/v1/classified': {
    operationId: 'listClassified', tag: 'classified', summary: 'The classified register: items sent and received, visible fields only',
    answers: { 200: { description: 'One page of the classified register.', object: true } },
    errors: ['ERR_FORBIDDEN'],
  },
  'GET /api/v1/classified/inspection-report': {
    operationId: 'getInspectionReport', tag: 'classified', summary: 'The registrar\'s inspection report from the access record',
    answers: { 200: { description: 'The report, as CSV, PDF or JSON (`format`).', media: [CSV, PDF, 'application/json'] } },
    errors: ['ERR_FORBIDDEN'],
  },
  'GET /api/v1/classified/{id}': {
    operationId: 'getClassified', tag: 'classified', summary: 'One classified item: cover, register entry, delivery, officers\' statements',
    answers: { 200: { description: 'The item as far as its cover shows it.', object: true } },
    errors: ['ERR_FORBIDDEN'],
  },
  'GET /api/v1/classified/{id}/inner': {
    operationId: 'getClassifiedInner', tag: 'classified', summary: 'The inner envelope, for the officer to open on their own machine; each download is recorded',
    answers: { 200: { description: 'The inner envelope (CMS).', media: ['application/cms'], headers: ['Content-Disposition'] } },
    errors: ['ERR_FORBIDDEN', 'ERR_CLASSIFIED_DESTROYED'],
  },
  'GET /api/v1/classified/{id}/access': {
    operationId: 'getClassifiedAccess', tag: 'classified', summary: 'The access record of the item (PROTOCOL.md §19.7)',
    answers: { 200: { description: 'Every access to the item, in order.', object: true } },
    errors: ['ERR_FORBIDDEN'],
  },
  'GET /api/v1/classified/{id}/evidence': {
    operationId: 'getClassifiedEvidence', tag: 'classified', summary: 'Evidence of the item, without any key that opens the inner envelope',
    answers: { 200: { description: 'Receipts, the signed cover, officers\' statements and the access record.', object: true } },
    errors: ['ERR_FORBIDDEN'],
  },
  'POST /api/v1/classified/{id}/acknowledgements': {
    operationId: 'acknowledgeClassified', tag: 'classified', summary: 'The officer\'s signed opening acknowledgement; the notice goes to the sender',
    answers: { 202: { description: 'The acknowledgement notice is queued.', object: true } },
    errors: ['ERR_FORBIDDEN', 'ERR_STATEMENT_INVALID', 'ERR_OFFICER_UNTRUSTED', 'ERR_NOTICE_INVALID'],
  },
  'POST /api/v1/classified/{id}/forward': {
    operationId: 'forwardClassified', tag: 'classified', summary: 'Forward to another officer of the same agency',
    answers: { 201: { description: 'The new inner envelope is recorded for the other officer.', object: true } },
    errors: ['ERR_FORBIDDEN', 'ERR_STATEMENT_INVALID', 'ERR_OFFICER_UNKNOWN', 'ERR_OFFICER_UNTRUSTED', 'ERR_CLASSIFIED_DESTROYED'],
  },
  'POST /api/v1/classified/{id}/destroy': {
    operationId: 'destroyClassified', tag: 'classified', summary: 'Destroy the inner envelope under a signed destruction record',
    answers: { 200: { description: 'The item, destroyed: its register entry and access record remain.', object: true } },
    errors: ['ERR_FORBIDDEN', 'ERR_STATEMENT_INVALID', 'ERR_OFFICER_UNTRUSTED', 'ERR_CLASSIFIED_DESTROYED'],
  },
  // --- log (PROTOCOL.md §20)
  'GET /api/v1/log/{agency}/checkpoint': {
    operationId: 'getLogCheckpoint', tag: 'log', summary: 'The latest checkpoint of the agency\'s log (a compact JWS)',
    answers: { 200: { description: 'The signed checkpoint.', media: ['application/jose'] } },
    errors: ['ERR_FORBIDDEN'],
  },
  'GET /api/v1/log/{agency}/proof/inclusion': {
    operationId: 'getLogInclusionProof', tag: 'log', summary: 'An inclusion proof of one leaf in the agency\'s log',
    answers: { 200: { description: 'The audit path of the leaf.' } },
    errors: ['ERR_FORBIDDEN', 'ERR_LOG_RANGE'],
  },
  'GET /api/v1/log/{agency}/proof/consistency': {
    operationId: 'getLogConsistencyProof', tag: 'log', summary: 'A consistency proof between two sizes of the agency\'s log',
    answers: { 200: { description: 'The consistency path between the two sizes.' } },
    errors: ['ERR_FORBIDDEN', 'ERR_LOG_RANGE'],
  },
  'GET /api/v1/log/{agency}/entries': {
    operationId: 'getLogEntries', tag: 'log', summary: 'A range of leaves of the agency\'s log',
    answers: { 200: { description: 'The leaves asked for.' } },
    errors: ['ERR_FORBIDDEN', 'ERR_LOG_RANGE'],
  },
  'GET /api/v1/log/peers': {
    operationId: 'listLogPeers', tag: 'log', summary: 'The peers\' log checkpoints this node holds, and the misbehaviour proofs it keeps',
    answers: { 200: { description: 'Each peer\'s latest checkpoint and any proof of misbehaviour.' } },
    errors: [],
  },
  'POST /api/v1/log/audit': {
    operationId: 'auditLogs', tag: 'log', summary: 'Audit the peers\' logs now, as the background audit does',
    answers: { 200: { description: 'What the audit found, per peer.' } },
    errors: [],
  },
}
