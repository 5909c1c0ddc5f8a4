// The node's federation directory (PROTOCOL.md §1.4, §14): a SignedDocumentSource of verified
// directories, the anti-rollback rule by serial, history for evidence, and the freshness gate that
// refuses new letters once the directory is past nextUpdate + grace (ERR_DIRECTORY_STALE).
import { join } from 'node:path'
import { SarabanError } from '../../errors.js'
import type { Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { TrustAnchors } from '../../pki/validate.js'
import { Directory, checkDirectoryFresh, checkSignedDirectory, compareToHeld, type VerifiedDirectory } from '../../pki/directory.js'
import type { TrustHistoryStore } from '../../storage/trust-history.js'
import type { Db } from '../../storage/db.js'
import { documentFetcher, type FetchSettings } from './fetch-document.js'
import { SignedDocumentSource, type Freshness, type SourceSettings, type SourceStatus } from './signed-source.js'

export interface LoadedDirectory {
  readonly verified: VerifiedDirectory
  readonly directory: Directory
}

export interface DirectorySourceOptions {
  /** File path or https:// URL of the signed directory. */
  readonly location: string
  readonly dataDir: string
  readonly anchors: TrustAnchors
  readonly settings: SourceSettings
  readonly fetch: FetchSettings
  readonly clock: Clock
  readonly log: Logger
  /** When given, every accepted directory is recorded (directoryAt for evidence) and is a fallback for the last good file. */
  readonly history?: { readonly db: Db; readonly store: TrustHistoryStore }
}

/** Where the last good directory is kept, under the node's data directory. */
export function lastGoodDirectoryFile(dataDir: string): string {
  return join(dataDir, 'trust', 'directory.jws')
}

export class DirectorySource {
  readonly #source: SignedDocumentSource<LoadedDirectory>
  readonly #clock: Clock

  private constructor(source: SignedDocumentSource<LoadedDirectory>, clock: Clock) {
    this.#source = source
    this.#clock = clock
  }

  static async open(o: DirectorySourceOptions): Promise<DirectorySource> {
    const verify = async (bytes: Buffer, at: Date): Promise<LoadedDirectory> => {
      const verified = await checkSignedDirectory(bytes.toString('utf8'), o.anchors, at)
      // Lookups refuse what the schema cannot see (a TLS certificate listed for two agencies, an
      // unparsable encryption certificate or intermediate): ERR_DIRECTORY_INVALID.
      return { verified, directory: new Directory(verified.doc) }
    }
    const source = await SignedDocumentSource.open<LoadedDirectory>({
      name: 'directory',
      lastGoodFile: lastGoodDirectoryFile(o.dataDir),
      verify,
      checkFresh: (d, at) => checkDirectoryFresh(d.verified.doc, at),
      compare: (held, candidate) => compareToHeld(held.verified, candidate.verified),
      nextUpdate: (d) => new Date(d.verified.doc.nextUpdate),
      serial: (d) => String(d.verified.doc.serial),
      ...(o.history ? {
        fallback: () => o.history!.store.latestDirectories(3).map((jws) => Buffer.from(jws, 'utf8')),
        // The highest serial any process of the node took into use (PROTOCOL.md §14.3; issue 19 item 2).
        newestTaken: () => o.history!.store.latestDirectories(1).map((jws) => Buffer.from(jws, 'utf8'))[0],
      } : {}),
    }, documentFetcher(o.location, o.fetch), o.settings, { clock: o.clock, log: o.log })
    const ds = new DirectorySource(source, o.clock)
    if (o.history) {
      const { db, store } = o.history
      const record = (d: LoadedDirectory) =>
        db.write(() => store.recordDirectory(d.verified.doc, d.verified.jws, d.verified.payloadSha256, o.clock.now()))
          .catch((err: unknown) => o.log.error({ event: 'trust.history-failed', err }, 'cannot record the directory in history'))
      await record(source.current())
      source.onUpdate((d) => void record(d))
    }
    return ds
  }

  /** The directory in use (the last good one). */
  directory(): Directory {
    return this.#source.current().directory
  }

  /** The signed directory in use, exactly as the operator signed it. */
  jws(): string {
    return this.#source.current().verified.jws
  }

  freshness(): Freshness {
    return this.#source.freshness(this.#clock.now())
  }

  /** New letters may be sealed and delivered (PROTOCOL.md §14.4). */
  usable(): boolean {
    return this.freshness() !== 'stale'
  }

  /** Throws ERR_DIRECTORY_STALE (503) when the directory is past nextUpdate + grace. */
  requireUsable(): void {
    if (this.usable()) return
    const s = this.#source.status()
    const why = s.lastError ? ` The last refresh failed: ${s.lastError.reason}.` : ''
    throw new SarabanError('ERR_DIRECTORY_STALE',
      `The federation directory (serial ${s.serial}) expired at ${s.nextUpdate} and its grace period ended at ${s.staleAt}; new letters are refused until a fresh directory arrives. Queued letters are kept.${why}`)
  }

  status(): SourceStatus {
    return this.#source.status()
  }

  refresh() {
    return this.#source.refresh()
  }

  onUpdate(fn: (directory: Directory) => void): void {
    this.#source.onUpdate((d) => fn(d.directory))
  }

  start(): void {
    this.#source.start()
  }

  close(): Promise<void> {
    return this.#source.close()
  }
}
