// One process at a time for the periodic jobs that must not run in several processes of one node
// (issue 19 item 2, PROTOCOL.md implementation note "In-process state under several processes", "One
// process only"): the periodic checkpoint signer, peer audits, backups. Each such job has a lease of
// its name (migration 041, storage/process-leases.ts). This process asks for it when the job starts,
// renews it every third of its length while it holds it, and asks again when the holder's lease ends
// while it does not; the job asks leads() before each run and skips the run when another process
// leads. A process that dies stops renewing: another takes over when its lease runs out. One that
// stops gives its leases up, and the next to ask takes them at once. With one process (the only
// deployment before issue 19) that process always leads: nothing else holds the lease, and it asks
// at start, so its first run is not delayed (leads() waits for that first answer).
import type { Clock } from '../../clock.js'
import type { Logger } from '../../log.js'
import type { LeaseAttempt, ProcessLeaseStore } from '../../storage/process-leases.js'
import { DEFAULT_LEASE_MS } from '../../storage/outbox.js'

/** How long a lease holds unless renewed: another process takes a dead leader's jobs about this long
 *  after its last renewal (the outbox's claims' default). */
export const DEFAULT_LEADER_LEASE_MS = DEFAULT_LEASE_MS

/** What a job asks before each run. */
export interface LeaderGate {
  /** True when this process holds the job's lease now (asking for it first if it does not think so). */
  leads(): Promise<boolean>
}

export interface LeadershipDeps {
  readonly store: ProcessLeaseStore
  /** This process's name among the node's processes: the outbox's owner (storage/owner.ts ownerFor). */
  readonly owner: string
  readonly clock: Clock
  readonly log: Logger
  readonly leaseMs?: number
}

/** The lease of one named job, asked for and renewed by a timer of its own. */
class JobLease implements LeaderGate {
  readonly #d: LeadershipDeps & { readonly leaseMs: number }
  readonly #name: string
  /** The end of the lease this process holds (as it last wrote it); undefined: it does not hold it. */
  #until: number | undefined
  #asking: Promise<boolean> | undefined
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  /** Asks for the lease at once, unless `stopped` (a job started after its leadership closed). */
  constructor(d: LeadershipDeps & { readonly leaseMs: number }, name: string, stopped = false) {
    this.#d = d
    this.#name = name
    this.#stopped = stopped
    if (!stopped) void this.#ask()
  }

  /** As this process knows it without asking: it held the lease and it has not run out since. */
  get leading(): boolean {
    return this.#until !== undefined && this.#d.clock.now() < this.#until
  }

  leads(): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false)
    if (this.leading) return Promise.resolve(true)
    return this.#ask()
  }

  /** One attempt (take, take over, or renew); then the next one is armed. Never rejects. */
  #ask(): Promise<boolean> {
    if (this.#asking) return this.#asking
    const d = this.#d
    const now = d.clock.now()
    const asking: Promise<boolean> = d.store.tryAcquire(this.#name, d.owner, now, d.leaseMs).then(
      (a) => this.#learn(a, now),
      (err: unknown) => {
        // The database did not answer (busy, closing): the lease this process held stays its own until
        // it runs out; leading says so by the clock. Asked again at the next beat.
        if (!this.#stopped) d.log.warn({ err, event: 'leader.lease-failed', job: this.#name }, 'could not renew or take a job\'s lease; will try again')
        this.#arm(d.clock.now() + Math.floor(d.leaseMs / 3))
        return this.leading
      },
    ).finally(() => { if (this.#asking === asking) this.#asking = undefined })
    this.#asking = asking
    return asking
  }

  #learn(a: LeaseAttempt, now: number): boolean {
    const d = this.#d
    const was = this.#until !== undefined
    if (a.held) {
      this.#until = now + d.leaseMs
      if (!was) d.log.info({ event: 'leader.acquired', job: this.#name, owner: d.owner }, 'this process runs the job')
      this.#arm(now + Math.max(1, Math.floor(d.leaseMs / 3)))
    } else {
      this.#until = undefined
      if (was) d.log.warn({ event: 'leader.lost', job: this.#name, holder: a.holder.owner }, 'another process took the job over (this one did not renew its lease in time)')
      // The holder's lease cannot end before a.holder.until; ask right after it does.
      this.#arm(Math.min(a.holder.until + 1, now + d.leaseMs))
    }
    if (this.#stopped) return false
    return a.held
  }

  #arm(at: number): void {
    if (this.#stopped) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#ask()
    }, Math.max(1, at - this.#d.clock.now()))
    this.#timer.unref()
  }

  /** No more asking; the lease is given up if held (the next process to ask takes it at once). */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#asking
    this.#until = undefined
    await this.#d.store.release(this.#name, this.#d.owner).catch((err: unknown) => {
      this.#d.log.warn({ err, event: 'leader.release-failed', job: this.#name }, 'could not give up a job\'s lease; another process takes it when it runs out')
    })
  }
}

/** The job leases of this process, by job name. */
export class Leadership {
  readonly #d: LeadershipDeps & { readonly leaseMs: number }
  readonly #jobs = new Map<string, JobLease>()
  #closed = false

  constructor(d: LeadershipDeps) {
    const leaseMs = d.leaseMs ?? DEFAULT_LEADER_LEASE_MS
    if (!Number.isInteger(leaseMs) || leaseMs < 3) throw new RangeError('leadership: leaseMs must be an integer ≥ 3')
    this.#d = { ...d, leaseMs }
  }

  get owner(): string {
    return this.#d.owner
  }

  /** The gate of job `name`: its lease is asked for now (once per name), and kept while this process leads. */
  job(name: string): LeaderGate & { readonly leading: boolean } {
    // After close(): a gate that never leads, and asks for nothing.
    if (this.#closed) return new JobLease(this.#d, name, true)
    let j = this.#jobs.get(name)
    if (!j) this.#jobs.set(name, (j = new JobLease(this.#d, name)))
    return j
  }

  /** Stops asking and gives up every lease held (after the jobs stopped: close order, wire/leadership.ts). */
  async close(): Promise<void> {
    this.#closed = true
    const jobs = [...this.#jobs.values()]
    this.#jobs.clear()
    await Promise.all(jobs.map((j) => j.stop()))
  }
}
