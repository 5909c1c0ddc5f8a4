// The node's own backups (issue 17 item 3, config backup.schedule, README "Backups"): every `everyMs`
// (counted from the newest backup in the directory, so across restarts) one backup into `directory`,
// named by its UTC time so that names sort by age; once it is complete, all but the newest `keep`
// scheduled backups are deleted. A failure is logged and tried again at the next interval; close()
// waits for a backup in progress. With a `leader` gate (issue 19 item 2, PROTOCOL.md implementation
// note "One process only"), a process that does not lead makes no backup when one is due: it looks
// again when the next is due after the newest in the directory (the leader's, when they share it), and
// at least every FOLLOWER_LOOK_MS, so that it makes them once it leads (the leader died or stopped).
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../../log.js'
import type { Clock } from '../../clock.js'
import type { LeaderGate } from '../leadership/index.js'

const NAME = /^saraban-\d{8}T\d{9}Z\.backup$/
const MAX_TIMER_MS = 2 ** 31 - 1
/** How often a process that does not lead looks again, at most (a lease is 120 s by default). */
export const FOLLOWER_LOOK_MS = 60_000

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
  /** Issue 19 item 2: asked when a backup is due; without it this process always makes them. */
  readonly leader?: LeaderGate
}

export class BackupSchedule {
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #closed = false

  constructor(readonly opts: ScheduleOptions) {}

  /** The first run is due `everyMs` after the newest backup already in the directory (none: now),
   *  so that a node restarted more often than `every` still makes its backups. */
  start(): void {
    if (this.#closed || this.#timer) return
    void this.#newest().then((newest) => this.#arm(newest === undefined ? this.opts.clock.now() : newest + this.opts.everyMs))
  }

  /** setTimeout holds at most 2^31-1 ms (24.8 days); a longer wait is re-armed until it is due. */
  #arm(due: number): void {
    if (this.#closed) return
    const wait = Math.max(1000, Math.min(due - this.opts.clock.now(), MAX_TIMER_MS))
    this.#timer = setTimeout(() => {
      if (this.opts.clock.now() < due - 1000) return this.#arm(due)
      void this.#leads().then(async (leads) => {
        if (leads) {
          await this.runOnce()
          return this.#arm(this.opts.clock.now() + this.opts.everyMs)
        }
        const newest = await this.#newest()
        this.#arm(Math.max(newest === undefined ? 0 : newest + this.opts.everyMs, this.opts.clock.now() + Math.min(FOLLOWER_LOOK_MS, this.opts.everyMs)))
      })
    }, wait)
    this.#timer.unref()
  }

  /** Never rejects: a gate that fails counts as not leading (looked at again as a follower). */
  #leads(): Promise<boolean> {
    return this.opts.leader === undefined ? Promise.resolve(true) : this.opts.leader.leads().catch(() => false)
  }

  async #newest(): Promise<number | undefined> {
    const names = (await readdir(this.opts.directory).catch(() => [] as string[])).filter((n) => NAME.test(n)).sort()
    const last = names.at(-1)
    if (last === undefined) return undefined
    const m = /^saraban-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(last)!
    return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!)
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
    if (this.#timer) clearTimeout(this.#timer)
    await this.#running
  }
}
