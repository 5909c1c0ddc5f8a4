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
//   npm run bench -- --engine postgresql [--letters 1500] [--rounds 2]: issue 19 §7, letters/s and CPU per letter of the
//   same two nodes (one process each) on SQLite and on PostgreSQL (a private cluster on this machine, one
//   database per node), alternating; several processes per node on PostgreSQL are not measured yet.
//   BENCH_CPU_PROF=DIR writes a V8 CPU profile of each node process to DIR.
//   BENCH_CONFIG='{"storage":{"synchronous":"NORMAL"}}' merges into both nodes' node.json (experiments).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { writeNetFiles, freePort } from '../helpers/nodes.js'
import { samplePdf } from '../../src/cli/sample-pdf.js'
import { cryptoCeiling } from './crypto-ceiling.js'
import { circularCase } from './circular.js'
import { startNodes } from './node-process.js'
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

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
const mb = (kb: number) => (kb / 1024).toFixed(0) + ' MB'
/** CPU seconds (user + system) a process has used: /proc/PID/stat fields 14 and 15, in clock ticks (100/s on Linux). */
const cpuSeconds = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

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
  if (values.case !== 'circular') await lettersCase()
  if (values.case !== 'letters') {
    await circularCase({ recipients: Number(values.recipients), nodes: Number(values.nodes), pdfKb: Number(values['pdf-kb']), paths: values.paths!.split(','), evidence: values.evidence !== 'no' })
  }
}

async function lettersCase() {
  // The letter: ~2 KB of Thai metadata and a 100 KB PDF.
  const pdf = samplePdf('bench', ['saraban-node benchmark letter'], 100 * 1024)
  const body = 'ด้วยกระทรวงมหาดไทยขอแจ้งแนวทางการปฏิบัติงานสารบรรณอิเล็กทรอนิกส์ให้ทราบและถือปฏิบัติ '.repeat(8)
  const letter = {
    kind: 'EXTERNAL', date: '2026-11-25', subject: 'การทดสอบประสิทธิภาพการรับส่งหนังสือราชการ',
    salutation: 'เรียน ปลัดกระทรวงการคลัง', recipients: [{ agency: TO }], body, closing: 'ขอแสดงความนับถือ',
    signer: { name: 'นายสมชาย ใจดี', position: 'ปลัดกระทรวงมหาดไทย' },
  }
  const payload = JSON.stringify({ letter, attachments: [{ filename: 'letter.pdf', mediaType: 'application/pdf', content: pdf.toString('base64') }] })
  const metaBytes = Buffer.byteLength(JSON.stringify(letter))

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

/** Issue 19 §7: the letters case's end-to-end run on SQLite and on PostgreSQL, one process per node,
 *  alternating rounds (SQLite first, then PostgreSQL first), with the log. */
async function enginesCase() {
  const { postgresMissing, startCluster } = await import('../helpers/postgres.js')
  const missing = postgresMissing()
  if (missing !== undefined) throw new Error(missing)
  const pdf = samplePdf('bench', ['saraban-node benchmark letter'], 100 * 1024)
  const letter = {
    kind: 'EXTERNAL', date: '2026-11-25', subject: 'การทดสอบประสิทธิภาพการรับส่งหนังสือราชการ', salutation: 'เรียน ปลัดกระทรวงการคลัง',
    recipients: [{ agency: TO }], body: 'ด้วยกระทรวงมหาดไทยขอแจ้ง '.repeat(40), closing: 'ขอแสดงความนับถือ', signer: { name: 'นายสมชาย ใจดี', position: 'ปลัดกระทรวงมหาดไทย' },
  }
  const payload = JSON.stringify({ letter, attachments: [{ filename: 'letter.pdf', mediaType: 'application/pdf', content: pdf.toString('base64') }] })
  const cluster = startCluster()
  try {
    console.log(`saraban-node bench — engines: ${N} letters ${FROM} → ${TO} (100 KB PDF), one process per node; PostgreSQL ${cluster.url().replace(/\?.*/, '')} on this machine`)
    const runs: Record<'sqlite' | 'postgresql', Array<{ rate: number; cpu: number[] }>> = { sqlite: [], postgresql: [] }
    let n = 0
    const run = async (engine: 'sqlite' | 'postgresql') => {
      const perNode = engine === 'sqlite' ? undefined : { [FROM]: cluster.createDatabase(`bench_${FROM}_${++n}`), [TO]: cluster.createDatabase(`bench_${TO}_${n}`) }
      runs[engine].push(await endToEnd(payload, `${engine} (${runs[engine].length + 1})`, {}, N, perNode))
    }
    const rounds = Math.max(1, Number(values.rounds))
    for (let i = 0; i < rounds; i++) for (const e of i % 2 === 0 ? ['sqlite', 'postgresql'] as const : ['postgresql', 'sqlite'] as const) await run(e)
    const mean = (rs: Array<{ rate: number; cpu: number[] }>) => ({ rate: rs.reduce((a, r) => a + r.rate, 0) / rs.length, cpu: rs.reduce((a, r) => a + r.cpu[0]! + r.cpu[1]!, 0) / rs.length })
    const sq = mean(runs.sqlite), pg = mean(runs.postgresql)
    console.log(`\nletters/s: SQLite ${runs.sqlite.map((r) => r.rate.toFixed(0)).join(', ')}; PostgreSQL ${runs.postgresql.map((r) => r.rate.toFixed(0)).join(', ')}`)
    console.log(`PostgreSQL / SQLite: ${((pg.rate / sq.rate) * 100).toFixed(0)} % of the letters/s; node CPU per letter (sender + receiver) ${pg.cpu.toFixed(2)} ms against ${sq.cpu.toFixed(2)} ms`)
  } finally {
    cluster.stop()
  }
}

/** One end-to-end run between two fresh node processes; `extra` merges into both nodes' node.json;
 *  `postgresql`: each node's database URL (storage.engine postgresql). */
async function endToEnd(payload: string, label: string, extra: Record<string, unknown>, letters = N, postgresql?: Record<string, string>): Promise<{ rate: number; cpu: number[] }> {
  const N = letters
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
  const nodes = await startNodes([FROM, TO].map((a) => ({ configFile: files.agencies[a]!.configFile, apiPort: apiPorts[a]! })))
  const sender = nodes[0]!
  const receiver = nodes[1]!
  const api = new Pool(`http://127.0.0.1:${apiPorts[FROM]}`, { connections: CONCURRENCY })
  const headers = { authorization: `Bearer ${files.agencies[FROM]!.apiKey}`, 'content-type': 'application/json' }
  const health = async () => {
    const r = await api.request({ method: 'GET', path: '/healthz', headers: { authorization: headers.authorization } })
    return ((await r.body.json()) as { outbox: { delivered: number; failed: number } }).outbox
  }
  const samples: Array<[number, number, number]> = [[0, rssKb(sender.pid!), rssKb(receiver.pid!)]]
  const cpu0 = [cpuSeconds(sender.pid!), cpuSeconds(receiver.pid!), process.cpuUsage()] as const
  const written0 = [writtenBytes(sender.pid!), writtenBytes(receiver.pid!)]
  try {
    let submitted = 0
    let refused = 0
    const t0 = performance.now()
    const submitter = async () => {
      while (submitted < N) {
        submitted++
        const r = await api.request({ method: 'POST', path: '/api/v1/letters', headers, body: payload })
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
        samples.push([done.delivered, rssKb(sender.pid!), rssKb(receiver.pid!)])
        nextSample += N / 10
      }
      if (refused > 0) throw new Error(`${refused} letters refused by the API`)
    }
    await submitting
    const seconds = (performance.now() - t0) / 1000
    const rate = done.delivered / seconds
    // CPU per letter of each process: what a loaded machine does not blur (letters/s does).
    const cpu = [cpuSeconds(sender.pid!) - cpu0[0], cpuSeconds(receiver.pid!) - cpu0[1], (() => { const u = process.cpuUsage(cpu0[2]); return (u.user + u.system) / 1e6 })()]
    const perLetter = cpu.map((c) => (c * 1000) / N)
    console.log(`end to end: ${done.delivered} delivered, ${done.failed} failed in ${seconds.toFixed(1)} s → ${rate.toFixed(0)} letters/s`)
    console.log(`CPU per letter: sender ${perLetter[0]!.toFixed(2)} ms, receiver ${perLetter[1]!.toFixed(2)} ms, bench client ${perLetter[2]!.toFixed(2)} ms`)
    const kbPerLetter = [sender, receiver].map((c, i) => (writtenBytes(c.pid!) - written0[i]!) / 1024 / N)
    console.log(`written to storage per letter: sender ${kbPerLetter[0]!.toFixed(0)} KB, receiver ${kbPerLetter[1]!.toFixed(0)} KB`)
    console.log('\nresident memory (delivered: sender, receiver):')
    for (const [n, s, r] of samples) console.log(`  ${String(n).padStart(6)}: ${mb(s).padStart(7)} ${mb(r).padStart(7)}`)
    const mid = samples[Math.floor(samples.length / 2)]!, last = samples[samples.length - 1]!
    console.log(`  growth over the second half: sender ${mb(last[1] - mid[1])}, receiver ${mb(last[2] - mid[2])}`)
    return { rate, cpu: perLetter }
  } finally {
    await api.close()
    sender.kill('SIGTERM')
    receiver.kill('SIGTERM')
    await Promise.all([sender, receiver].map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))))
    // Commits per letter (storage/db.ts writes its counts at close): the cost that load does not blur.
    for (const [who, c] of [['sender', sender], ['receiver', receiver]] as const) {
      const f = join(statsDir, `${c.pid}.json`)
      if (existsSync(f)) {
        const st = JSON.parse(readFileSync(f, 'utf8')) as { commits: number; writes: number }
        console.log(`  ${who}: ${st.commits} commits (${(st.commits / N).toFixed(3)} per letter), ${st.writes} writes`)
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
