// Register books as a use case (issue 5 §3, README "Registers"): receive a letter into a receive
// book, give outgoing letter numbers from a send book, record sent letters, cancel a number, list.
// Every writer is SYNCHRONOUS and must run inside db.write() — the caller's, so that the register
// entry and the change it belongs to (an inbox registration, a stored letter) commit together or not
// at all. db.write() runs BEGIN IMMEDIATE, which serialises "highest + 1" across concurrent requests
// and across processes sharing the database file; the (agency, book, year, number) primary key is
// the backstop. Nothing but a committed entry advances a series, so a failed request leaves no gap.
import { SarabanError } from '../errors.js'
import { sameRequest } from './idempotency/fingerprint.js'
import {
  BUILT_IN_BOOKS,
  checkSuppliedNumber,
  factsOfLetter,
  letterNumberOf,
  registerYear,
  type LetterForRegister,
  type RegisterBook,
  type RegisterDirection,
  type RegisterFacts,
} from '../domain/registers.js'
import type { RegisterEntry, RegisterSeries, RegisterStore } from '../storage/registers.js'
export type { RegisterEntry, RegisterSeries }

export interface RegistersDeps {
  readonly store: RegisterStore
  /** Books beyond the built-in ones (node.json registers.books). */
  readonly books?: readonly RegisterBook[]
  /** The agency's letter owner code (node.json agencies[].ownerCode / hosted-agency file), if any. */
  readonly ownerCode: (agency: string) => string | undefined
  /** Agency id → the name people read (directory nameTh); default: the id. */
  readonly agencyName?: (agency: string) => string
}

/** A register number: `year` is the CE calendar year in Asia/Bangkok (the API shows it + 543). */
export interface RegisterNumber {
  readonly book: string
  readonly year: number
  readonly number: number
}

export interface ReceiveInput {
  readonly agency: string
  /** The inbox message being registered. One message is registered at most once per agency. */
  readonly messageId: string
  /** When it is registered: decides the year. */
  readonly at: Date | number
  /** A number the saraban system supplies: must be the next number of the book (no gap, no reuse). */
  readonly number?: number | undefined
  /** A receive-direction book; default 'receive'. */
  readonly book?: string | undefined
  readonly entry: RegisterFacts
}

export interface ReceiveResult extends RegisterNumber {
  /** False when the message was already registered: the earlier entry is returned (idempotent). */
  readonly created: boolean
  readonly recordedAt: number
}

export interface OutgoingInput {
  readonly agency: string
  /** A send-direction book: 'send', 'circular' or a configured one. */
  readonly book: string
  readonly at: Date | number
  readonly letterId?: string | undefined
  /** A number the saraban system supplies (must be the next one); default: the next one. */
  readonly number?: number | undefined
  /** letterNumber is ignored: the node forms it from the owner code. */
  readonly entry: RegisterFacts
  readonly idempotency?: Idempotency | undefined
}

/** An API request's Idempotency-Key, what its body means (services/idempotency/fingerprint.ts) and the
 *  SHA-256 of its bytes (rows written before migration 028 compare that): a replay gets the first answer. */
export interface Idempotency {
  readonly key: string
  readonly fingerprint: string
  readonly requestSha256?: string | undefined
}

export interface OutgoingNumber extends RegisterNumber {
  /** ที่: `<owner code>/<n>` or `<owner code>/ว <n>`. */
  readonly letterNumber: string
  /** True when an Idempotency-Key replay returned the number taken before. */
  readonly replayed?: boolean
}

export interface PaperEntryInput {
  readonly agency: string
  readonly book: string
  readonly at: Date | number
  readonly number?: number | undefined
  readonly entry: RegisterFacts
  readonly idempotency?: Idempotency | undefined
}

export interface RecordSentInput {
  readonly agency: string
  readonly letterId: string
  readonly at: Date | number
  readonly letter: LetterForRegister
  /** The send book for a letter whose number no entry carries yet; default 'circular' when the
   *  number has the ว series mark ('…/ว 12'), else 'send'. */
  readonly book?: string | undefined
  /** The register number the node formed the letter's ที่ from (nextOutgoing()): the entry takes exactly
   *  this number, or ERR_REGISTER_NUMBER_TAKEN when another request took it meanwhile. */
  readonly number?: number | undefined
  /** False for a letter that took no effect: every addressee rejected it, or it was withdrawn from (or
   *  cancelled for) every one. Its ที่ may be sent again (e-CMS "withdraw to resend"). Default: true. */
  readonly stands?: ((letterId: string) => boolean) | undefined
}

export interface RecordSentResult extends RegisterNumber {
  /** linked: an entry created by assignOutgoing() now points at the letter; created: a new entry;
   *  existing: the letter was recorded before (idempotent). */
  readonly how: 'linked' | 'created' | 'existing'
}

const ms = (at: Date | number): number => (typeof at === 'number' ? at : at.getTime())

const idempotencyColumns = (idem: Idempotency | undefined) =>
  idem === undefined ? {} : { idempotencyKey: idem.key, requestSha256: idem.requestSha256, requestFingerprint: idem.fingerprint }

export class Registers {
  readonly #d: RegistersDeps
  readonly #books: ReadonlyMap<string, RegisterBook>
  /** Per agency: the letter being numbered by the node (numbering()), so that two do not seal the same ที่. */
  readonly #numbering = new Map<string, Promise<unknown>>()

  constructor(deps: RegistersDeps) {
    this.#d = deps
    this.#books = new Map([...BUILT_IN_BOOKS, ...(deps.books ?? [])].map((b) => [b.id, b]))
  }

  get store(): RegisterStore {
    return this.#d.store
  }

  /** One series' entries in number order, read a page at a time as they are consumed (CSV, PDF). */
  entries(s: RegisterSeries): Generator<RegisterEntry> {
    return this.#d.store.iterate(s)
  }

  /** One page of a series' entries, after number `after` (the API's cursor). */
  page(s: RegisterSeries, after: number, limit: number): RegisterEntry[] {
    return this.#d.store.list(s, { after, limit })
  }

  /** How many entries a series has. */
  count(s: RegisterSeries): number {
    return this.#d.store.count(s)
  }

  /** One entry of a series, by its number. */
  entry(s: RegisterSeries, number: number): RegisterEntry | undefined {
    return this.#d.store.get(s, number)
  }

  books(): RegisterBook[] {
    return [...this.#books.values()]
  }

  /** The book with this id, or ERR_REGISTER_BOOK_UNKNOWN. */
  book(id: string, direction?: RegisterDirection): RegisterBook {
    const b = this.#books.get(id)
    if (!b) throw new SarabanError('ERR_REGISTER_BOOK_UNKNOWN', `There is no register book "${id}" (books: ${[...this.#books.keys()].join(', ')}).`, { field: 'book' })
    if (direction !== undefined && b.direction !== direction) {
      throw new SarabanError('ERR_REGISTER_WRONG_DIRECTION', `Register book "${id}" is a ${b.direction} book, not a ${direction} book.`, { field: 'book' })
    }
    return b
  }

  /** The agency's letter owner code, if it has one (without one the node forms no ที่). */
  ownerCode(agency: string): string | undefined {
    return this.#d.ownerCode(agency)
  }

  /** The ที่ the node gives a letter sent without one (README "Registers"): the next number of the send
   *  book, `<owner code>/<n>`; undefined when the agency has no owner code. Only reads: the letter's own
   *  transaction enters it (recordSent({ number })), which refuses it if it was taken meanwhile. */
  nextOutgoing(agency: string, at: Date | number, bookId = 'send'): OutgoingNumber | undefined {
    const ownerCode = this.#d.ownerCode(agency)
    if (ownerCode === undefined) return undefined
    const book = this.book(bookId, 'send')
    const year = registerYear(at)
    const number = this.#d.store.highest({ agency, book: book.id, year }) + 1
    return { book: book.id, year, number, letterNumber: letterNumberOf(ownerCode, book, number) }
  }

  /** Runs `fn` (seal and store a letter the node numbers) after the agency's previous one ended: sealing
   *  is slow and outside the transaction, and two letters sealed at once would carry the same ที่. */
  async numbering<T>(agency: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.#numbering.get(agency) ?? Promise.resolve()).then(fn, fn)
    const tail = run.catch(() => undefined)
    this.#numbering.set(agency, tail)
    try {
      return await run
    } finally {
      if (this.#numbering.get(agency) === tail) this.#numbering.delete(agency)
    }
  }

  agencyName(agency: string): string {
    return this.#d.agencyName?.(agency) ?? agency
  }

  /** The register columns of a letter (ที่, ลงวันที่, จาก, ถึง, เรื่อง) with agency names from the
   *  directory, e.g. for receive({ entry: { ...registers.factsOf(letter, m.senderAgency), action } }). */
  factsOf(letter: LetterForRegister, fromAgency: string): RegisterFacts {
    return factsOfLetter(letter, fromAgency, (a) => this.agencyName(a))
  }

  /** Registers a received message (inside db.write()). Registering the same message again returns
   *  the first entry (created: false), unless it names another number or book: ERR_ALREADY_REGISTERED (PROTOCOL.md §18.4). */
  receive(input: ReceiveInput): ReceiveResult {
    const book = this.book(input.book ?? 'receive', 'receive')
    const seen = this.#d.store.byMessage(input.agency, input.messageId)
    if (seen) {
      if ((input.book !== undefined && input.book !== seen.book) || (input.number !== undefined && input.number !== seen.number)) {
        throw new SarabanError('ERR_ALREADY_REGISTERED', `Message ${input.messageId} is already registered as number ${seen.number} of ${seen.book} ${seen.year + 543}; a letter is registered once.`, { field: input.number !== undefined ? '/number' : '/book' })
      }
      return { book: seen.book, year: seen.year, number: seen.number, created: false, recordedAt: seen.recordedAt }
    }
    const r = this.#insert(book, input.agency, input.at, input.number, { ...input.entry, messageId: input.messageId })
    return { ...r, created: true, recordedAt: ms(input.at) }
  }

  /** Gives the next outgoing letter number of a send book (inside db.write()). */
  assignOutgoing(input: OutgoingInput): OutgoingNumber {
    const book = this.book(input.book, 'send')
    const ownerCode = this.#d.ownerCode(input.agency)
    if (ownerCode === undefined) {
      throw new SarabanError('ERR_REGISTER_NO_OWNER_CODE', `Agency ${input.agency} has no ownerCode in its configuration.`, { field: 'agency' })
    }
    const prior = this.#replay(input.agency, book, input.idempotency)
    if (prior) return { book: prior.book, year: prior.year, number: prior.number, letterNumber: prior.letterNumber ?? '', replayed: true }
    const year = registerYear(input.at)
    const number = this.#nextNumber({ agency: input.agency, book: book.id, year }, input.number)
    const letterNumber = letterNumberOf(ownerCode, book, number)
    this.#d.store.insert({
      ...input.entry, agency: input.agency, book: book.id, year, number, recordedAt: ms(input.at), letterNumber,
      letterId: input.letterId, ...idempotencyColumns(input.idempotency),
    })
    return { book: book.id, year, number, letterNumber }
  }

  /** An entry for a letter that did not pass through the node (a paper letter), in any book (inside
   *  db.write()): keeps the node's books complete when the saraban system registers everything here. */
  recordEntry(input: PaperEntryInput): RegisterNumber & { replayed?: boolean } {
    const book = this.book(input.book)
    const prior = this.#replay(input.agency, book, input.idempotency)
    if (prior) return { book: prior.book, year: prior.year, number: prior.number, replayed: true }
    return this.#insert(book, input.agency, input.at, input.number, {
      ...input.entry, ...idempotencyColumns(input.idempotency),
    })
  }

  /** The sender's send register gets an entry for a sent letter (inside the db.write() that stores
   *  the letter). A letter whose ที่ is a number assignOutgoing() gave and no letter took yet is linked
   *  to that entry; otherwise a new entry is numbered in the send (or circular) book. */
  recordSent(input: RecordSentInput): RecordSentResult {
    const { agency, letterId, letter } = input
    const store = this.#d.store
    const before = store.byLetter(agency, letterId)[0]
    if (before) return { book: before.book, year: before.year, number: before.number, how: 'existing' }
    const facts = this.factsOf(letter, agency)
    if (input.number !== undefined) {
      const r = this.#insert(this.book(input.book ?? 'send', 'send'), agency, input.at, input.number, { ...facts, letterId })
      return { ...r, how: 'created' }
    }
    if (letter.number !== undefined) {
      const open = store.openByLetterNumber(agency, letter.number).find((e) => this.#books.get(e.book)?.direction === 'send')
      if (open && store.linkLetter(open, open.number, letterId, facts)) return { book: open.book, year: open.year, number: open.number, how: 'linked' }
      this.checkLetterNumber(agency, letter.number, input.at, input.stands)
    }
    const bookId = input.book ?? (letter.number !== undefined && /\/\s*ว\s*[0-9๐-๙]+\s*$/.test(letter.number) ? 'circular' : 'send')
    const r = this.#insert(this.book(bookId, 'send'), agency, input.at, undefined, { ...facts, letterId })
    return { ...r, how: 'created' }
  }

  /** Issue 20 §11: a ที่ is used once per register year. Refuses (ERR_NUMBER_IN_USE, naming the earlier
   *  letter) a ที่ that a send-book entry of this year carries, unless that entry is still waiting for
   *  its letter (the number was reserved with POST …/numbers: recordSent links it) or its letter took
   *  no effect (`stands` false: rejected, withdrawn or cancelled everywhere, so it may be sent again).
   *  A cancelled number stays used. Read-only: call it before sealing, and recordSent calls it again. */
  checkLetterNumber(agency: string, letterNumber: string, at: Date | number, stands: (letterId: string) => boolean = () => true): void {
    const year = registerYear(at)
    const used = this.#d.store.byLetterNumber(agency, letterNumber, year).find((e) =>
      this.#books.get(e.book)?.direction === 'send'
      && !(e.status === 'active' && e.letterId === null)
      && !(e.status === 'active' && e.letterId !== null && !stands(e.letterId)))
    if (used === undefined) return
    const what = used.letterId !== null ? `letter ${used.letterId}` : 'a number that was cancelled'
    throw new SarabanError('ERR_NUMBER_IN_USE', `ที่ "${letterNumber}" is already used in register ${used.book} ${year + 543} (number ${used.number}) by ${what}; leave number out to get the next ที่ (or take one with POST /api/v1/registers/${used.book}/numbers), or withdraw the earlier letter from every recipient before sending it again under this ที่.`, { field: '/letter/number' })
  }

  /** Cancels a number (inside db.write()): the entry stays, marked cancelled; the number is never given again. */
  cancel(series: RegisterSeries, number: number, at: Date | number, reason: string, acknowledged: (messageId: string) => boolean = () => false): RegisterEntry {
    this.book(series.book)
    const e = this.#d.store.get(series, number)
    if (!e) throw new SarabanError('ERR_NOT_FOUND', `Register ${series.book} ${series.year + 543} of ${series.agency} has no number ${number}.`, { field: '/path/number' })
    // Issue 20 §13, PROTOCOL.md §18.2: the sender holds a signed acceptance naming this number.
    if (e.status === 'active' && e.messageId !== null && acknowledged(e.messageId)) {
      throw new SarabanError('ERR_REGISTER_ENTRY_ACKNOWLEDGED', `Number ${number} of ${series.book} ${series.year + 543} was sent to the sender in a signed acceptance of message ${e.messageId}, so it stays in the register: note a correction in remarks and ask the sender to dispute the number (POST /api/v1/letters/{id}/dispute on their node, PROTOCOL.md §18.4).`, { field: '/path/number' })
    }
    if (!this.#d.store.cancel(series, number, ms(at), reason)) {
      throw new SarabanError('ERR_REGISTER_ENTRY_CANCELLED', `Number ${number} of ${series.book} ${series.year + 543} is already cancelled.`, { field: '/path/number' })
    }
    return this.#d.store.get(series, number)!
  }

  /** The entry an earlier request with this Idempotency-Key took; the same key for another book or a
   *  body that means something else is ERR_IDEMPOTENCY_KEY_REUSED (README "Idempotency-Key"). */
  #replay(agency: string, book: RegisterBook, idem: Idempotency | undefined): RegisterEntry | undefined {
    if (idem === undefined) return undefined
    const e = this.#d.store.byIdempotencyKey(agency, idem.key)
    if (e === undefined) return undefined
    if (e.book !== book.id || !sameRequest(e, idem.fingerprint, idem.requestSha256)) {
      throw new SarabanError('ERR_IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${idem.key}" already took number ${e.number} of ${e.book} ${e.year + 543} with a request that means something else; use a new key for a new number.`, { field: 'Idempotency-Key' })
    }
    return e
  }

  #nextNumber(series: RegisterSeries, supplied: number | undefined): number {
    const highest = this.#d.store.highest(series)
    if (supplied === undefined) return highest + 1
    const c = checkSuppliedNumber(supplied, highest)
    if (!c.ok) throw new SarabanError(c.code, `Register ${series.book} ${series.year + 543}: ${c.reason}.`, { field: 'number' })
    return supplied
  }

  #insert(book: RegisterBook, agency: string, at: Date | number, supplied: number | undefined,
    entry: RegisterFacts & { messageId?: string; letterId?: string; idempotencyKey?: string | undefined; requestSha256?: string | undefined; requestFingerprint?: string | undefined }): RegisterNumber {
    const year = registerYear(at)
    const number = this.#nextNumber({ agency, book: book.id, year }, supplied)
    this.#d.store.insert({ ...entry, agency, book: book.id, year, number, recordedAt: ms(at) })
    return { book: book.id, year, number }
  }
}
