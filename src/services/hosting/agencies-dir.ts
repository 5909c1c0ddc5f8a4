// Adds, replaces and removes hosted agencies without a restart (PROTOCOL.md §16.3): hosting.agenciesDir
// holds one *.json file per agency (schemas/config/hosted-agency.json). A rescan runs every
// rescanSeconds, shortly after the folder changes (fs.watch, where the platform has it) and on
// demand (SIGHUP, tests). A file that fails to load is reported and leaves the agency as it was:
// a half-copied key never takes an agency down, and a broken new file adds nothing.
import { readdirSync, watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../../log.js'
import type { HostedAgencies } from './agencies.js'
import { agencyFileVersion, loadAgencyFile } from './agency-file.js'

export interface AgenciesDirOptions {
  readonly dir: string
  readonly hosted: HostedAgencies
  readonly log: Logger
  readonly env: NodeJS.ProcessEnv
  readonly rescanSeconds: number
  /** Agencies of the node's own config file: a folder file may not replace them. */
  readonly staticIds: ReadonlySet<string>
  /** API key digests of the node's config file (as they are now: SIGHUP reloads them): an agency file may not reuse them. */
  readonly staticKeyHashes: { has(sha256: string): boolean }
  /** After a rescan that added, changed or removed agencies (API keys and webhook endpoints with them):
   *  open event streams and the webhook worker catch up (context.ts). Its failures are logged. */
  readonly onChange?: (report: RescanReport) => void
}

export interface RescanReport {
  readonly added: string[]
  readonly changed: string[]
  readonly removed: string[]
  readonly failed: Array<{ file: string; reason: string }>
}

export class AgenciesDir {
  readonly #o: AgenciesDirOptions
  readonly #files = new Map<string, { id: string; version: string }>() // file name → what it loaded
  #timer: NodeJS.Timeout | undefined
  #watcher: FSWatcher | undefined
  #debounce: NodeJS.Timeout | undefined

  constructor(opts: AgenciesDirOptions) {
    this.#o = opts
  }

  /** Brings the hosted set in line with the folder. Synchronous, so two rescans never interleave. */
  rescan(): RescanReport {
    const { dir, hosted, log, env, staticIds, staticKeyHashes } = this.#o
    const report: RescanReport = { added: [], changed: [], removed: [], failed: [] }
    let names: string[]
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()
    } catch (err) {
      report.failed.push({ file: dir, reason: (err as Error).message })
      log.error({ event: 'hosting.rescan-failed', dir, reason: (err as Error).message }, 'cannot read the hosted agencies folder; hosted agencies left as they were')
      return report
    }
    const present = new Set(names)
    for (const [name, was] of this.#files) {
      if (present.has(name)) continue
      this.#files.delete(name)
      hosted.remove(was.id)
      report.removed.push(was.id)
    }
    const claimed = new Map([...this.#files].map(([n, w]) => [w.id, n]))
    for (const name of names) {
      const file = join(dir, name)
      const was = this.#files.get(name)
      try {
        if (was && agencyFileVersion(file) === was.version) continue
        const { agency, version } = loadAgencyFile(file, env)
        if (staticIds.has(agency.id)) throw new Error(`agency ${agency.id} is configured in the node's config file`)
        const owner = claimed.get(agency.id)
        if (owner !== undefined && owner !== name) throw new Error(`agency ${agency.id} is already hosted from ${owner}`)
        const reused = agency.apiKeys.find((k) => staticKeyHashes.has(k.sha256))
        if (reused) throw new Error(`API key "${reused.name}" is a key of the node's config file`)
        hosted.put(agency) // throws on an API key of another agency, changing nothing
        if (was && was.id !== agency.id) {
          hosted.remove(was.id)
          claimed.delete(was.id)
          report.removed.push(was.id)
        }
        this.#files.set(name, { id: agency.id, version })
        claimed.set(agency.id, name)
        ;(was?.id === agency.id ? report.changed : report.added).push(agency.id)
      } catch (err) {
        report.failed.push({ file, reason: (err as Error).message })
      }
    }
    for (const f of report.failed) log.error({ event: 'hosting.agency-file-invalid', file: f.file, reason: f.reason }, 'a hosted agency file was not loaded; that agency is left as it was')
    if (report.added.length + report.changed.length + report.removed.length > 0) {
      log.info({ event: 'hosting.agencies-changed', added: report.added, changed: report.changed, removed: report.removed, hosted: hosted.ids().length }, 'hosted agencies changed')
      try {
        this.#o.onChange?.(report)
      } catch (err) {
        log.error({ err, event: 'hosting.on-change-failed' }, 'could not apply the hosted agencies change to streams and webhooks')
      }
    }
    return report
  }

  /** Rescans now and then periodically and on folder changes. */
  start(): RescanReport {
    const report = this.rescan()
    this.#timer = setInterval(() => this.rescan(), this.#o.rescanSeconds * 1000)
    this.#timer.unref()
    try {
      this.#watcher = watch(this.#o.dir, () => {
        // Editors and copies write in several steps: let them settle before reading.
        clearTimeout(this.#debounce)
        this.#debounce = setTimeout(() => this.rescan(), 250)
        this.#debounce.unref()
      })
      this.#watcher.unref() // never what keeps a failed start alive
      this.#watcher.on('error', () => this.#watcher?.close())
    } catch {
      // No fs.watch here (some network file systems): the timer alone rescans.
    }
    return report
  }

  close(): void {
    clearInterval(this.#timer)
    clearTimeout(this.#debounce)
    this.#watcher?.close()
  }
}
