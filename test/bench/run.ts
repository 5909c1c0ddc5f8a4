// npm run bench: end-to-end letters/s between two real nodes (separate processes, real mTLS,
// real SQLite with fsync) beside the crypto-only ceiling for the same letter, measured in the
// same run so that only the ratio is compared (machine speed drifts between runs); the letters case
// runs without the transparency log (transparencyLog.enabled false) and with it, and reports the ratio.
// The two alternate (without, with, with, without, …: --log-rounds pairs) after a warm-up run that is not
// counted: measured here, whichever ran second came out about 3 % faster (the bench client's JIT, the
// machine's caches), which one fixed order would credit to one side.
//   npm run bench -- [--case all|letters|circular] [--letters 10000] [--concurrency 64] [--from moi] [--to mof] [--log-rounds 2]
//   The circular case (one letter to 500 agencies on 4 hosting nodes) is in circular.ts.
//   npm run bench -- --case crash [--letters 400] [--kills 12] [--seed 1] [--concurrency 4] [--processes 1]: issue 13 §3,
//   SIGKILL of sender and receiver during the run (test/helpers/crash-run.ts); exits 1 on any violation.
//   --both: letters go both ways (as many mof → moi); --engine postgresql: each node on its own database of a
//   private cluster, restarted once mid-run (issue 19 §6).
//   --processes 3: each node is three processes on one data directory behind a TCP balancer (issue 19 item 2).
//   npm run bench -- --case async-sqlite [--letters 4000] [--concurrency 64] [--rounds 2] [--batch 64]: issue 19 item 1, what
//     SQLite pays when a store's statements are awaited one by one inside the group commit (async-sqlite.ts).
//   npm run bench -- --case pg-drivers [--letters 2000] [--concurrency 16] [--rounds 2] [--agencies 1] [--reads 5000] [--envelope-kb 110] [--drivers pg,postgres.js[,pg-named]]:
//   issue 19, pg against postgres.js on the node's hot path (store a letter, claim due, read by key) against a
//   private PostgreSQL (pg-drivers.ts); exits 1 when PostgreSQL is missing or a claim was lost or doubled.
//   npm run bench -- --engine postgresql [--letters 1500] [--rounds 2] [--processes 1,2,3]: issue 19 §7, letters/s and CPU
//   per letter of the same two nodes on SQLite (one process each) and on PostgreSQL (a private cluster on this
//   machine, one database per node) with each node run as 1, 2 and 3 processes sharing its database behind a
//   TCP round-robin balancer on its federation port (node-group.ts); the configurations alternate in order.
//   npm run bench -- --case group-commit [--letters 1500] [--rounds 2]: issue 16 item 1, the letters case with and without
//   the group commit (storage.maxBatch 64 and 1), alternating, and the ratio (group-commit.ts).
//   BENCH_CPU_PROF=DIR writes a V8 CPU profile of each node process to DIR.
//   BENCH_CONFIG='{"storage":{"synchronous":"NORMAL"}}' merges into both nodes' node.json (experiments).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { writeNetFiles, freePort } from '../helpers/nodes.js'
import { benchLetter } from './letter-payload.js'
import { cpuSeconds, statusKb } from './proc.js'
import { groupCommitCase } from './group-commit.js'
import { cryptoCeiling } from './crypto-ceiling.js'
import { circularCase } from './circular.js'
import { startGroups, type NodeGroup } from './node-group.js'
import type { DatabaseActivity } from './pg-server.js'
import { crashCase } from './crash.js'
import { pgDriversCase } from './pg-drivers.js'
import { asyncSqliteCase } from './async-sqlite.js'

const { values } = parseArgs({
  options: {
    letters: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    from: { type: 'string', default: 'moi' },
    to: { type: 'string', default: 'mof' },
    'ceiling-rounds': { type: 'string', default: '300' },
    case: { type: 'string', default: 'all' },
    kills: { type: 'string', default: '12' },
    seed: { type: 'string', default: '1' },
    recipients: { type: 'string', default: '500' },
    nodes: { type: 'string', default: '4' },
    'pdf-kb': { type: 'string', default: '1024' },
    'log-rounds': { type: 'string', default: '2' },
    paths: { type: 'string', default: 'shared,per-recipient' },
    rounds: { type: 'string', default: '2' },
    agencies: { type: 'string', default: '1' },
    reads: { type: 'string', default: '5000' },
    'envelope-kb': { type: 'string', default: '110' },
    drivers: { type: 'string', default: 'pg,postgres.js' },
    processes: { type: 'string', default: '1' },
    evidence: { type: 'string', default: 'yes' },
    batch: { type: 'string', default: '64' },
    engine: { type: 'string', default: 'sqlite' },
    both: { type: 'boolean', default: false },
  },
})
const N = Number(values.letters)
/** How long the end-to-end run waits without a single letter delivered or failed before it gives up. */
const STALL_MS = 60_000
const CONCURRENCY = Number(values.concurrency)
const FROM = values.from!
const TO = values.to!

const rssKb = (pid: number) => statusKb(pid, 'VmRSS')
const mb = (kb: number) => (kb / 1024).toFixed(0) + ' MB'

/** Bytes a process has caused to be written to storage (/proc/PID/io write_bytes: WAL, checkpoints,
 *  blobs): a cost of the log that the machine's load does not change (issue 14 §6). */
const writtenBytes = (pid: number) => Number(/write_bytes:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0)

async function main() {
  if (values.case === 'crash') {
    const concurrency = process.argv.includes('--concurrency') ? CONCURRENCY : 4
    const letters = process.argv.includes('--letters') ? N : 400
    process.exitCode = await crashCase({ letters, kills: Number(values.kills), seed: Number(values.seed), concurrency, processes: Number(values.processes), engine: values.engine === 'postgresql' ? 'postgresql' : 'sqlite', both: values.both === true })
    return
  }
  if (values.case === 'pg-drivers') {
    const concurrency = process.argv.includes('--concurrency') ? CONCURRENCY : 16
    const letters = process.argv.includes('--letters') ? N : 2000
    process.exitCode = await pgDriversCase({ letters, concurrency, rounds: Number(values.rounds), agencies: Number(values.agencies), reads: Number(values.reads), envelopeKb: Number(values['envelope-kb']), drivers: values.drivers!.split(',') })
    return
  }
  if (values.case === 'async-sqlite') {
    const letters = process.argv.includes('--letters') ? N : 4000
    process.exitCode = await asyncSqliteCase({ letters, concurrency: CONCURRENCY, rounds: Number(values.rounds), batch: Number(values.batch) })
    return
  }
  if (values.engine === 'postgresql') return enginesCase()
  if (values.case === 'group-commit') {
    const { payload } = benchLetter(TO)
    const letters = process.argv.includes('--letters') ? N : 1500
    return groupCommitCase({ rounds: Number(values.rounds), letters, run: (label, extra, n) => endToEnd(payload, label, extra, n) })
  }
  if (values.case !== 'circular') await lettersCase()
  if (values.case !== 'letters') {
    await circularCase({ recipients: Number(values.recipients), nodes: Number(values.nodes), pdfKb: Number(values['pdf-kb']), paths: values.paths!.split(','), evidence: values.evidence !== 'no' })
  }
}

async function lettersCase() {
  const { letter, pdf, payload, metaBytes } = benchLetter(TO)

  console.log(`saraban-node bench — ${N} letters ${FROM} → ${TO}: ${metaBytes} B metadata + ${pdf.length} B PDF; API concurrency ${CONCURRENCY}`)
  console.log('measuring the crypto-only ceiling (sign, encrypt, decrypt, verify, receipt sign + verify), one core…')
  const ceiling = await cryptoCeiling({ from: FROM, to: TO, letter, pdf, rounds: Number(values['ceiling-rounds']) })
  console.log(`  crypto only: ${ceiling.perSecond.toFixed(0)} letters/s (${(1000 / ceiling.perSecond).toFixed(2)} ms per letter)`)
  for (const [k, v] of Object.entries(ceiling.breakdownMs)) console.log(`    ${k.padEnd(22)} ${v.toFixed(3)} ms`)

  // The transparency log's cost (issue 14 §6): the same run without it (transparencyLog.enabled false, bench only),
  // side by side in this process, so that only the ratio is compared.
  const benchConfig = process.env.BENCH_CONFIG ? JSON.parse(process.env.BENCH_CONFIG) as Record<string, unknown> : {}
  const rounds = Math.max(1, Number(values['log-rounds']))
  const runs: Record<'with' | 'without', Array<{ rate: number; cpu: number[] }>> = { with: [], without: [] }
  const run = async (which: 'with' | 'without') => runs[which].push(await endToEnd(payload, `${which} the transparency log (${runs[which].length + 1} of ${rounds})`,
    which === 'with' ? benchConfig : { ...benchConfig, transparencyLog: { enabled: false } }))
  if (rounds > 1) await endToEnd(payload, 'warm-up (not counted)', benchConfig, Math.ceil(N / 5))
  const pairs: ReadonlyArray<readonly ['with' | 'without', 'with' | 'without']> = [['without', 'with'], ['with', 'without']]
  for (let i = 0; i < rounds; i++) for (const which of pairs[i % 2]!) await run(which)
  const mean = (rs: Array<{ rate: number; cpu: number[] }>) => ({
    rate: rs.reduce((a, r) => a + r.rate, 0) / rs.length,
    cpu: [0, 1, 2].map((k) => rs.reduce((a, r) => a + r.cpu[k]!, 0) / rs.length),
  })
  const withLog = mean(runs.with)
  const withoutLog = mean(runs.without)
  console.log(`
runs (letters/s): with the log ${runs.with.map((r) => r.rate.toFixed(0)).join(', ')}; without ${runs.without.map((r) => r.rate.toFixed(0)).join(', ')}`)
  console.log(`end to end: ${withLog.rate.toFixed(0)} letters/s with the log, ${withoutLog.rate.toFixed(0)} without (means of ${rounds} run${rounds > 1 ? 's' : ''} each)`)
  console.log(`ratio end-to-end / crypto-only ceiling (with the log): ${((withLog.rate / ceiling.perSecond) * 100).toFixed(0)} %  (targets: ≥ 400 letters/s, ≥ 70 %)`)
  console.log(`ratio with / without the log: ${((withLog.rate / withoutLog.rate) * 100).toFixed(0)} %  (target: ≥ 90 %, issue 14 §6)`)
  const cpuSum = (r: { cpu: number[] }) => r.cpu[0]! + r.cpu[1]!
  console.log(`CPU per letter, sender + receiver: ${cpuSum(withLog).toFixed(2)} ms with the log, ${cpuSum(withoutLog).toFixed(2)} ms without (ratio without / with: ${((cpuSum(withoutLog) / cpuSum(withLog)) * 100).toFixed(0)} %; the sender alone: ${((withoutLog.cpu[0]! / withLog.cpu[0]!) * 100).toFixed(0)} %)`)
}

/** Issue 19 §7: the letters case's end-to-end run on SQLite (one process per node) and on PostgreSQL with
 *  each node run as 1, 2, 3… processes (--processes), with the log; the configurations alternate in order
 *  (forwards, then backwards) so that none always runs first. */
async function enginesCase() {
  const { postgresMissing, startCluster } = await import('../helpers/postgres.js')
  const { postmasterPid, serverCpuSeconds, sampleLockWaits } = await import('./pg-server.js')
  const missing = postgresMissing()
  if (missing !== undefined) throw new Error(missing)
  const processes = (process.argv.some((a) => a === '--processes' || a.startsWith('--processes=')) ? values.processes! : '1,2,3').split(',').map(Number)
  if (processes.some((p) => !Number.isInteger(p) || p < 1)) throw new Error(`--processes ${values.processes}: a list of counts ≥ 1, e.g. 1,2,3`)
  const { payload } = benchLetter(TO)
  const cluster = startCluster()
  try {
    const postmaster = postmasterPid(cluster.url())
    console.log(`saraban-node bench — engines: ${N} letters ${FROM} → ${TO} (100 KB PDF), API concurrency ${CONCURRENCY}; SQLite with 1 process per node, PostgreSQL with ${processes.join(', ')} processes per node (${cluster.url().replace(/\?.*/, '')} on this machine, postmaster ${postmaster})`)
    const configs = [{ name: 'SQLite-1', engine: 'sqlite' as const, processes: 1 }, ...processes.map((p) => ({ name: `PostgreSQL-${p}`, engine: 'postgresql' as const, processes: p }))]
    const runs = new Map(configs.map((c) => [c.name, [] as Run[]]))
    let n = 0
    const run = async (c: typeof configs[number]) => {
      const label = `${c.name} (${runs.get(c.name)!.length + 1})`
      if (c.engine === 'sqlite') return void runs.get(c.name)!.push(await endToEnd(payload, label, {}, N))
      const names = { [FROM]: `bench_${FROM}_${++n}`, [TO]: `bench_${TO}_${n}` }
      const perNode = Object.fromEntries(Object.entries(names).map(([a, db]) => [a, cluster.createDatabase(db)]))
      const server = { cpuSeconds: () => serverCpuSeconds(postmaster), lockWaits: () => sampleLockWaits(cluster.url(), Object.values(names)), names }
      runs.get(c.name)!.push(await endToEnd(payload, label, {}, N, perNode, { processes: c.processes, server }))
    }
    const rounds = Math.max(1, Number(values.rounds))
    for (let i = 0; i < rounds; i++) for (const c of i % 2 === 0 ? configs : [...configs].reverse()) await run(c)
    const mean = (rs: Run[], f: (r: Run) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length
    const base = mean(runs.get('SQLite-1')!, (r) => r.rate)
    const baseCpu = mean(runs.get('SQLite-1')!, (r) => r.cpu[0]! + r.cpu[1]!)
    console.log(`\nletters/s per run: ${configs.map((c) => `${c.name} ${runs.get(c.name)!.map((r) => r.rate.toFixed(0)).join(', ')}`).join('; ')}`)
    console.log('| configuration | letters/s | vs SQLite-1 | node CPU per letter (both nodes, all processes) | vs SQLite-1 | PostgreSQL server CPU per letter | node + server CPU per letter | write-lock waiters (sender, receiver; mean) | PostgreSQL transactions per letter (sender, receiver) |')
    console.log('|---|---|---|---|---|---|---|---|---|')
    const summary: string[] = []
    for (const c of configs) {
      const rs = runs.get(c.name)!
      const rate = mean(rs, (r) => r.rate), cpu = mean(rs, (r) => r.cpu[0]! + r.cpu[1]!)
      const server = c.engine === 'postgresql' ? mean(rs, (r) => r.serverCpu ?? 0) : 0
      const waits = c.engine === 'postgresql' ? `${mean(rs, (r) => r.lockWaiters?.[0] ?? 0).toFixed(2)}, ${mean(rs, (r) => r.lockWaiters?.[1] ?? 0).toFixed(2)}` : '—'
      const xacts = c.engine === 'postgresql' ? `${mean(rs, (r) => r.commits?.[0] ?? 0).toFixed(1)}, ${mean(rs, (r) => r.commits?.[1] ?? 0).toFixed(1)}` : '—'
      console.log(`| ${c.name} | ${rate.toFixed(0)} | ${((rate / base) * 100).toFixed(0)} % | ${cpu.toFixed(2)} ms | ${((cpu / baseCpu) * 100).toFixed(0)} % | ${c.engine === 'postgresql' ? `${server.toFixed(2)} ms` : '—'} | ${(cpu + server).toFixed(2)} ms | ${waits} | ${xacts} |`)
      summary.push(`${c.name} ${rate.toFixed(0)}/s (${((rate / base) * 100).toFixed(0)} %)`)
    }
    console.log(`summary (letters/s, ratio to SQLite-1, means of ${rounds} round${rounds > 1 ? 's' : ''}): ${summary.join(' · ')}`)
  } finally {
    cluster.stop()
  }
}

interface Run {
  readonly rate: number
  /** CPU ms per letter: the sender's processes, the receiver's processes, the bench client */
  readonly cpu: number[]
  /** the PostgreSQL server's CPU ms per letter (all its processes) */
  readonly serverCpu?: number
  /** mean number of the sender's and the receiver's connections waiting for the node's write lock */
  readonly lockWaiters?: [number, number]
  /** PostgreSQL transactions (explicit or one statement each) per letter: sender's database, receiver's */
  readonly commits?: [number, number]
}

/** What endToEnd reads of a PostgreSQL server: its CPU seconds, and samples of the waits for each node's write lock. */
interface ServerProbe {
  cpuSeconds(): number
  lockWaits(): Promise<{ stop(): Promise<Record<string, DatabaseActivity>> }>
  /** each node's database name */
  readonly names: Record<string, string>
}

/** One end-to-end run between two fresh nodes; `extra` merges into both nodes' node.json;
 *  `postgresql`: each node's database URL (storage.engine postgresql); `processes`: node processes per
 *  node sharing its database (node-group.ts), the client's POSTs spread over their API ports in turn;
 *  `server`: the PostgreSQL server's CPU and lock waits are read too. */
async function endToEnd(payload: string, label: string, extra: Record<string, unknown>, letters = N, postgresql?: Record<string, string>,
  opts: { processes?: number; server?: ServerProbe } = {}): Promise<Run> {
  const N = letters
  const P = Math.max(1, opts.processes ?? 1)
  console.log(`
— ${label}`)
  const apiPorts = { [FROM]: await freePort(), [TO]: await freePort() }
  const files = await writeNetFiles([FROM, TO], { apiPorts, delivery: { initialBackoffMs: 200, maxBackoffMs: 2000, ...(process.env.BENCH_DELIVERY ? JSON.parse(process.env.BENCH_DELIVERY) : {}) }, logLevel: 'warn', extra })
  for (const [agency, url] of Object.entries(postgresql ?? {})) {
    const file = files.agencies[agency]!.configFile
    const config = JSON.parse(readFileSync(file, 'utf8')) as { storage?: Record<string, unknown> }
    writeFileSync(file, JSON.stringify({ ...config, storage: { ...config.storage, engine: 'postgresql', postgresql: { url } } }))
  }
  const statsDir = mkdtempSync(join(tmpdir(), 'saraban-bench-stats-'))
  process.env['SARABAN_DB_STATS_DIR'] = statsDir
  const [sender, receiver] = await startGroups([FROM, TO].map((a) => ({ configFile: files.agencies[a]!.configFile, federationPort: files.agencies[a]!.federationPort, apiPort: apiPorts[a]! })), P) as [NodeGroup, NodeGroup]
  const pids = (g: NodeGroup) => g.children.map((c) => c.pid!)
  const sum = (g: NodeGroup, f: (pid: number) => number) => pids(g).reduce((a, p) => a + f(p), 0)
  // One connection pool per process of the sender; the POSTs take them in turn (a client behind a balancer).
  const apis = sender.apiPorts.map((port) => new Pool(`http://127.0.0.1:${port}`, { connections: Math.ceil(CONCURRENCY / P) }))
  let turn = 0
  const headers = { authorization: `Bearer ${files.agencies[FROM]!.apiKey}`, 'content-type': 'application/json' }
  // The outbox counts of /healthz are read from the node's database, which its processes share: one process's answer is the node's.
  const health = async () => {
    const r = await apis[0]!.request({ method: 'GET', path: '/healthz', headers: { authorization: headers.authorization } })
    return ((await r.body.json()) as { outbox: { delivered: number; failed: number } }).outbox
  }
  const samples: Array<[number, number, number]> = [[0, sum(sender, rssKb), sum(receiver, rssKb)]]
  const cpu0 = [sum(sender, cpuSeconds), sum(receiver, cpuSeconds), process.cpuUsage()] as const
  const server0 = opts.server?.cpuSeconds()
  const waits = await opts.server?.lockWaits()
  const written0 = [sum(sender, writtenBytes), sum(receiver, writtenBytes)]
  try {
    let submitted = 0
    let refused = 0
    const t0 = performance.now()
    const submitter = async () => {
      while (submitted < N) {
        submitted++
        const r = await apis[turn++ % apis.length]!.request({ method: 'POST', path: '/api/v1/letters', headers, body: payload })
        await r.body.dump()
        if (r.statusCode !== 202) refused++
      }
    }
    const submitting = Promise.all(Array.from({ length: CONCURRENCY }, submitter))
    let done = { delivered: 0, failed: 0 }
    let nextSample = N / 10
    let progressAt = performance.now()
    while (done.delivered + done.failed < N) {
      await new Promise((r) => setTimeout(r, 100))
      const before = done.delivered + done.failed
      done = await health()
      // A build whose deliveries stall (a node refusing every receipt, say) would otherwise wait forever.
      if (done.delivered + done.failed > before) progressAt = performance.now()
      else if (performance.now() - progressAt > STALL_MS) {
        throw new Error(`no letter was delivered or failed for ${STALL_MS / 1000} s (${done.delivered} delivered, ${done.failed} failed of ${N}): the nodes are stuck; run the same build with \`npm start\` to see their warnings`)
      }
      if (done.delivered >= nextSample) {
        samples.push([done.delivered, sum(sender, rssKb), sum(receiver, rssKb)])
        nextSample += N / 10
      }
      if (refused > 0) throw new Error(`${refused} letters refused by the API`)
    }
    await submitting
    const seconds = (performance.now() - t0) / 1000
    const rate = done.delivered / seconds
    // CPU per letter of each node (all its processes): what a loaded machine does not blur (letters/s does).
    const cpu = [sum(sender, cpuSeconds) - cpu0[0], sum(receiver, cpuSeconds) - cpu0[1], (() => { const u = process.cpuUsage(cpu0[2]); return (u.user + u.system) / 1e6 })()]
    const perLetter = cpu.map((c) => (c * 1000) / N)
    const serverCpu = server0 === undefined ? undefined : ((opts.server!.cpuSeconds() - server0) * 1000) / N
    const waited = await waits?.stop()
    const lockWaiters = waited === undefined ? undefined : [FROM, TO].map((a) => waited[opts.server!.names[a]!]?.waiting ?? 0) as [number, number]
    const commits = waited === undefined ? undefined : [FROM, TO].map((a) => (waited[opts.server!.names[a]!]?.commits ?? 0) / N) as [number, number]
    const each = P > 1 ? ` (${P} processes each)` : ''
    console.log(`end to end: ${done.delivered} delivered, ${done.failed} failed in ${seconds.toFixed(1)} s → ${rate.toFixed(0)} letters/s`)
    console.log(`CPU per letter: sender ${perLetter[0]!.toFixed(2)} ms, receiver ${perLetter[1]!.toFixed(2)} ms${each}, bench client ${perLetter[2]!.toFixed(2)} ms${serverCpu === undefined ? '' : `, PostgreSQL server ${serverCpu.toFixed(2)} ms`}`)
    if (lockWaiters) console.log(`connections waiting for the node's write lock (mean of ${Object.values(waited!)[0]?.samples ?? 0} samples): sender ${lockWaiters[0].toFixed(2)}, receiver ${lockWaiters[1].toFixed(2)} of ${P}`)
    if (commits) console.log(`PostgreSQL transactions per letter (xact_commit; a statement outside a transaction counts as one): sender ${commits[0].toFixed(1)}, receiver ${commits[1].toFixed(1)}`)
    const kbPerLetter = [sender, receiver].map((g, i) => (sum(g, writtenBytes) - written0[i]!) / 1024 / N)
    console.log(`written to storage per letter: sender ${kbPerLetter[0]!.toFixed(0)} KB, receiver ${kbPerLetter[1]!.toFixed(0)} KB${postgresql ? ' (by the node processes; the server writes the database)' : ''}`)
    console.log(`\nresident memory (delivered: sender, receiver${P > 1 ? `, each summed over its ${P} processes` : ''}):`)
    for (const [n, s, r] of samples) console.log(`  ${String(n).padStart(6)}: ${mb(s).padStart(7)} ${mb(r).padStart(7)}`)
    const mid = samples[Math.floor(samples.length / 2)]!, last = samples[samples.length - 1]!
    console.log(`  growth over the second half: sender ${mb(last[1] - mid[1])}, receiver ${mb(last[2] - mid[2])}`)
    return { rate, cpu: perLetter, ...(serverCpu === undefined ? {} : { serverCpu }), ...(lockWaiters ? { lockWaiters } : {}), ...(commits ? { commits } : {}) }
  } finally {
    await waits?.stop()
    await Promise.all(apis.map((a) => a.close()))
    await Promise.all([sender.stop(), receiver.stop()])
    // Commits per letter (storage/db.ts writes its counts at close): the cost that load does not blur.
    for (const [who, g] of [['sender', sender], ['receiver', receiver]] as const) {
      for (const c of g.children) {
        const f = join(statsDir, `${c.pid}.json`)
        if (existsSync(f)) {
          const st = JSON.parse(readFileSync(f, 'utf8')) as { commits: number; writes: number }
          console.log(`  ${who}: ${st.commits} commits (${(st.commits / N).toFixed(3)} per letter), ${st.writes} writes`)
        }
      }
    }
    rmSync(files.dir, { recursive: true, force: true })
    rmSync(statsDir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
