// The node's own backups (issue 17 item 3, config backup.schedule, README "Backups"): every `everyMs`
// one backup into `directory`, named by its UTC time so that names sort by age; once it is complete,
// all but the newest `keep` scheduled backups are deleted. A failure is logged and the next run is
// tried at the next interval; close() waits for a backup in progress.
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../../log.js'
import type { Clock } from '../../clock.js'

const NAME = /^saraban-\d{8}T\d{9}Z\.backup$/

export function scheduledName(ms: number): string {
  return `saraban-${new Date(ms).toISOString().replace(/[-:.]/g, '')}.backup`
}

export interface ScheduleOptions {
  readonly everyMs: number
  readonly directory: string
  readonly keep: number
  readonly clock: Clock
  readonly log: Logger
  /** Writes one backup to `out`. */
  make(out: string): Promise<void>
}

export class BackupSchedule {
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #closed = false

  constructor(readonly opts: ScheduleOptions) {}

  start(): void {
    if (this.#closed || this.#timer) return
    this.#timer = setInterval(() => void this.runOnce(), this.opts.everyMs)
    this.#timer.unref()
  }

  /** One backup and the retention; overlapping runs are skipped. */
  runOnce(): Promise<void> {
    if (this.#running || this.#closed) return this.#running ?? Promise.resolve()
    this.#running = this.#run().finally(() => (this.#running = undefined))
    return this.#running
  }

  async #run(): Promise<void> {
    const { directory, keep, log } = this.opts
    const out = join(directory, scheduledName(this.opts.clock.now()))
    try {
      await mkdir(directory, { recursive: true, mode: 0o700 })
      await this.opts.make(out)
      const names = (await readdir(directory)).filter((n) => NAME.test(n)).sort()
      const old = names.slice(0, Math.max(0, names.length - keep))
      for (const n of old) await rm(join(directory, n), { force: true })
      log.info({ event: 'backup.done', file: out, deleted: old.length }, 'scheduled backup written')
    } catch (err) {
      log.error({ event: 'backup.failed', file: out, reason: (err as Error).message }, 'the scheduled backup failed; check backup.schedule.directory (free space, permissions) and the log above')
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#timer) clearInterval(this.#timer)
    await this.#running
  }
}
