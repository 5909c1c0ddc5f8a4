// One process at a time for a periodic job (issue 19 item 2, services/leadership/): the leadership of
// two node processes (two connections, two owners) on one real SQLite file. One leads; its renewals
// keep it; one that stops hands over at once; one that dies (a child process, SIGKILLed) is taken over
// once its lease ran out, not before. And a gated job (the backup schedule) runs in the leader only.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Db } from '../../src/storage/index.js'
import { ProcessLeaseStore } from '../../src/storage/process-leases.js'
import { Leadership } from '../../src/services/leadership/index.js'
import { BackupSchedule } from '../../src/services/backup/schedule.js'
import { createLogger } from '../../src/log.js'

const REPO = new URL('../..', import.meta.url)
const SRC = new URL('../../src/', import.meta.url).href
const clock = { now: () => Date.now() }
const log = createLogger('silent')

type Teardown = { teardown(fn: () => void | Promise<void>): void }

function dbFile(t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-leadership-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'saraban.sqlite')
}

/** A process of the node: its own connection and owner; closed (leases given up, then the database) at teardown. */
function proc(t: Teardown, file: string, owner: string, leaseMs: number): { db: Db; leadership: Leadership } {
  const db = Db.open(file)
  const leadership = new Leadership({ store: new ProcessLeaseStore(db), owner, clock, log, leaseMs })
  t.teardown(async () => {
    await leadership.close()
    await db.close()
  })
  return { db, leadership }
}

const row = (db: Db, name: string) => db.sqlite.prepare<[string], { owner: string; until: number; acquiredAt: number }>(
  'SELECT owner, lease_until AS until, acquired_at AS acquiredAt FROM process_leases WHERE name = ?').get(name)

async function until(what: string, fn: () => boolean, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; !fn(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) throw new Error(`timed out: ${what}`)
}

t.test('one leads; its renewals keep it; the other does not lead meanwhile', async (t) => {
  const LEASE = 900
  const file = dbFile(t)
  const a = proc(t, file, 'host-a:8443', LEASE)
  const b = proc(t, file, 'host-b:8443', LEASE)
  const ja = a.leadership.job('backup')
  t.equal(await ja.leads(), true, 'the first to ask leads (with one process: always, from its first run)')
  const jb = b.leadership.job('backup')
  t.equal(await jb.leads(), false, 'the other does not')
  const first = row(a.db, 'backup')!
  let bLed = false
  const watch = setInterval(() => { if (jb.leading) bLed = true }, 10)
  t.teardown(() => clearInterval(watch))
  await until('two renewals', () => row(a.db, 'backup')!.until >= first.until + (2 * LEASE) / 3)
  t.equal(await ja.leads(), true, 'renewed past its first lease, it still leads')
  t.equal(await jb.leads(), false)
  t.equal(bLed, false, 'the other never led meanwhile')
  t.match(row(a.db, 'backup'), { owner: 'host-a:8443', acquiredAt: first.acquiredAt }, 'one hold without a break')
  t.equal(await b.leadership.job('peer-audit').leads(), true, 'another job\'s lease is a lease of its own')
})

t.test('a process that stops hands its leases over at once', async (t) => {
  const LEASE = 60_000 // far longer than the test: only the release can hand over
  const file = dbFile(t)
  const a = proc(t, file, 'host-a:8443', LEASE)
  const b = proc(t, file, 'host-b:8443', LEASE)
  t.equal(await a.leadership.job('checkpoint-signer').leads(), true)
  const jb = b.leadership.job('checkpoint-signer')
  t.equal(await jb.leads(), false)
  const held = row(b.db, 'checkpoint-signer')!
  await a.leadership.close()
  t.equal(await a.leadership.job('checkpoint-signer').leads(), false, 'a closed leadership asks for no lease again')
  t.equal(await jb.leads(), true, 'the other leads at its next run')
  t.ok(Date.now() < held.until, 'long before the released lease would have run out')
  t.match(row(b.db, 'checkpoint-signer'), { owner: 'host-b:8443' })
})

/** The child: a process of the node that leads a job and says so; kept alive until killed. */
const CHILD = (lease: number) => `
import { Db } from '${SRC}storage/index.ts'
import { ProcessLeaseStore } from '${SRC}storage/process-leases.ts'
import { Leadership } from '${SRC}services/leadership/index.ts'
import { createLogger } from '${SRC}log.ts'
const db = Db.open(process.env.DB_FILE)
const leadership = new Leadership({ store: new ProcessLeaseStore(db), owner: 'host-a:8443', clock: { now: Date.now }, log: createLogger('silent'), leaseMs: ${lease} })
if (await leadership.job('backup').leads()) process.stdout.write('leads\\n')
setInterval(() => {}, 1 << 30) // a node's listeners keep it running; the lease's timer does not
`

t.test('a leader that dies is taken over once its lease ran out, not before', async (t) => {
  const LEASE = 1_500
  const file = dbFile(t)
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD(LEASE)], {
    cwd: REPO, env: { ...process.env, DB_FILE: file }, stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<void>((r) => child.on('exit', () => r()))
  t.teardown(async () => {
    child.kill('SIGKILL')
    await exited
  })
  let leads = false
  child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('leads')) leads = true })
  await until('the child leads', () => leads)

  const b = proc(t, file, 'host-b:8443', LEASE)
  const jb = b.leadership.job('backup')
  t.equal(await jb.leads(), false, 'the child leads, this process does not')
  const first = row(b.db, 'backup')!
  t.equal(first.owner, 'host-a:8443')
  await until('the child renews twice', () => row(b.db, 'backup')!.until >= first.until + (2 * LEASE) / 3)
  t.equal(await jb.leads(), false, 'a living leader that renews keeps the job')

  child.kill('SIGKILL')
  await exited
  const last = row(b.db, 'backup')!
  t.equal(last.owner, 'host-a:8443', 'the dead process\'s lease is still there')
  // No one asks this process anything: its own timer asks again when the dead leader's lease ends.
  await until('this process takes the job over', () => jb.leading)
  const taken = row(b.db, 'backup')!
  t.equal(taken.owner, 'host-b:8443')
  t.ok(taken.acquiredAt > last.until, 'after the dead leader\'s lease ran out, not before')
})

t.test('a gated job (the backup schedule) runs in the leader only, and in the other once it leads', async (t) => {
  const LEASE = 60_000
  const file = dbFile(t)
  const made = { a: 0, b: 0 }
  const schedule = (name: 'a' | 'b', leadership: Leadership) => {
    const directory = mkdtempSync(join(tmpdir(), `saraban-leadership-backups-${name}-`))
    t.teardown(() => rmSync(directory, { recursive: true, force: true }))
    const s = new BackupSchedule({
      everyMs: 1_000, keep: 2, directory, clock, log, leader: leadership.job('backup'),
      make: async (out) => { made[name]++; rmSync(out, { force: true }) },
    })
    t.teardown(() => s.close())
    s.start()
    return s
  }
  const a = proc(t, file, 'host-a:8443', LEASE)
  const b = proc(t, file, 'host-b:8443', LEASE)
  const sa = schedule('a', a.leadership)
  schedule('b', b.leadership)
  await until('the leader makes two backups', () => made.a >= 2)
  t.equal(made.b, 0, 'the other process made none')
  await sa.close()
  await a.leadership.close()
  const byA = made.a
  await until('the other makes them once it leads', () => made.b >= 1)
  t.equal(made.a, byA, 'the stopped leader made no more')
})
