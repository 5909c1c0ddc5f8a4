// Register books as a use case (issue 5 §3, README "Registers"): receive a letter into a receive
// book, give outgoing letter numbers from a send book, record sent letters, cancel a number, list.
// Every writer is SYNCHRONOUS and must run inside db.write() — the caller's, so that the register
// entry and the change it belongs to (an inbox registration, a stored letter) commit together or not
// at all. db.write() runs BEGIN IMMEDIATE, which serialises "highest + 1" across concurrent requests
// and across processes sharing the database file; the (agency, book, year, number) primary key is
// the backstop. Nothing but a committed entry advances a series, so a failed request leaves no gap.
import { SarabanError } from '../errors.js'
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

/** An API request's Idempotency-Key and the SHA-256 of its body: a replay gets the first answer. */
export interface Idempotency {
  readonly key: string
  readonly requestSha256: string
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
}

export interface RecordSentResult extends RegisterNumber {
  /** linked: an entry created by assignOutgoing() now points at the letter; created: a new entry;
   *  existing: the letter was recorded before (idempotent). */
  readonly how: 'linked' | 'created' | 'existing'
}

const ms = (at: Date | number): number => (typeof at === 'number' ? at : at.getTime())

export class Registers {
  readonly #d: RegistersDeps
  readonly #books: ReadonlyMap<string, RegisterBook>

  constructor(deps: RegistersDeps) {
    this.#d = deps
    this.#books = new Map([...BUILT_IN_BOOKS, ...(deps.books ?? [])].map((b) => [b.id, b]))
  }

  get store(): RegisterStore {
    return this.#d.store
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
      letterId: input.letterId, idempotencyKey: input.idempotency?.key, requestSha256: input.idempotency?.requestSha256,
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
      ...input.entry, idempotencyKey: input.idempotency?.key, requestSha256: input.idempotency?.requestSha256,
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
    if (letter.number !== undefined) {
      const open = store.openByLetterNumber(agency, letter.number).find((e) => this.#books.get(e.book)?.direction === 'send')
      if (open && store.linkLetter(open, open.number, letterId, facts)) return { book: open.book, year: open.year, number: open.number, how: 'linked' }
    }
    const bookId = input.book ?? (letter.number !== undefined && /\/\s*ว\s*[0-9๐-๙]+\s*$/.test(letter.number) ? 'circular' : 'send')
    const r = this.#insert(this.book(bookId, 'send'), agency, input.at, undefined, { ...facts, letterId })
    return { ...r, how: 'created' }
  }

  /** Cancels a number (inside db.write()): the entry stays, marked cancelled; the number is never given again. */
  cancel(series: RegisterSeries, number: number, at: Date | number, reason: string): RegisterEntry {
    this.book(series.book)
    const e = this.#d.store.get(series, number)
    if (!e) throw new SarabanError('ERR_NOT_FOUND', `Register ${series.book} ${series.year + 543} of ${series.agency} has no number ${number}.`, { field: '/path/number' })
    if (!this.#d.store.cancel(series, number, ms(at), reason)) {
      throw new SarabanError('ERR_REGISTER_ENTRY_CANCELLED', `Number ${number} of ${series.book} ${series.year + 543} is already cancelled.`, { field: '/path/number' })
    }
    return this.#d.store.get(series, number)!
  }

  /** The entry an earlier request with this Idempotency-Key took; the same key for another book or
   *  body is ERR_IDEMPOTENCY_CONFLICT. */
  #replay(agency: string, book: RegisterBook, idem: Idempotency | undefined): RegisterEntry | undefined {
    if (idem === undefined) return undefined
    const e = this.#d.store.byIdempotencyKey(agency, idem.key)
    if (e === undefined) return undefined
    if (e.book !== book.id || e.requestSha256 !== idem.requestSha256) {
      throw new SarabanError('ERR_IDEMPOTENCY_CONFLICT', `Idempotency-Key "${idem.key}" already took number ${e.number} of ${e.book} ${e.year + 543} with another request.`, { field: 'Idempotency-Key' })
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
    entry: RegisterFacts & { messageId?: string; letterId?: string; idempotencyKey?: string | undefined; requestSha256?: string | undefined }): RegisterNumber {
    const year = registerYear(at)
    const number = this.#nextNumber({ agency, book: book.id, year }, supplied)
    this.#d.store.insert({ ...entry, agency, book: book.id, year, number, recordedAt: ms(at) })
    return { book: book.id, year, number }
  }
}
