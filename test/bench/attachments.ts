// Peak RSS of a 100 MB attachment through the API (issue 5 §7): upload as multipart/form-data
// (raw bytes) beside the same file as JSON base64, delivery to a second node, and the streamed
// download on the receiving node. Two real nodes in separate processes (dist/, `npm run build`),
// real mTLS, real SQLite; a fresh pair per upload kind so each starts from the same baseline, and
// the receiver restarted before the download so that the download's peak is its own.
// Prints numbers; asserts only that the bytes arrive intact (never a time or a size).
//   npx tsx test/bench/attachments.ts [--mb 100] [--profile jose-v1|jose-v2|cms-v1] [--only multipart|json] [--storage '{"checkpoint":"worker"}'] [--curl] [--evidence] [--engine sqlite|postgresql]
// --engine postgresql (issue 19 item 3): each node keeps its records in a database of its own on a private
// cluster on this machine (test/helpers/postgres.ts); the server's processes are not counted in the peaks.
// --curl: the multipart upload is sent by curl, a process of its own (as a real client would be),
// rather than by fetch() in this process, which also samples RSS and whose FormData encoding costs time.
import { createHash, randomBytes } from 'node:crypto'
import { execFile } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, writeNetFiles } from '../helpers/nodes.js'
import { startNode } from './node-process.js'
import { cpuSeconds, statusKb } from './proc.js'

const { values } = parseArgs({ options: { mb: { type: 'string', default: '100' }, profile: { type: 'string', default: 'jose-v1' }, only: { type: 'string' }, storage: { type: 'string' }, curl: { type: 'boolean', default: false }, evidence: { type: 'boolean', default: false }, engine: { type: 'string', default: 'sqlite' } } })
const SIZE = Number(values.mb) * 1024 * 1024
const PROFILE = values.profile!
// Past the default limits (--mb over 100), each node's limits are raised to fit the file: the attachment
// itself, its base64 in a JSON body, and a jose-v1 envelope of it (4/3 plus room for the headers).
const DEFAULT_LIMIT = 100 * 1024 * 1024
const LIMITS = SIZE > DEFAULT_LIMIT
  ? { maxAttachmentBytes: SIZE, maxAttachmentsTotalBytes: SIZE, maxApiBodyBytes: Math.ceil((SIZE * 4) / 3) + 16 * 1024 * 1024, maxEnvelopeBytes: Math.ceil((SIZE * 4) / 3) + 16 * 1024 * 1024 }
  : undefined

const status = statusKb
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`
/** CPU time the process has used (user + system, ms): on this shared 2-core machine, steadier than wall time. */
const cpuMs = (pid: number) => Math.round(cpuSeconds(pid) * 1000)

/** Samples VmRSS (and RssAnon) of the processes every 10 ms while fn runs; returns fn's value and each peak (kB). */
async function peaks<T>(pids: number[], fn: () => Promise<T>): Promise<{ value: T; peak: number[]; anon: number[]; before: number[]; cpu: number[] }> {
  const cpu0 = pids.map(cpuMs)
  const before = pids.map((p) => status(p, 'VmRSS'))
  const peak = [...before]
  const anon = pids.map((p) => status(p, 'RssAnon'))
  const sample = () => pids.forEach((p, i) => {
    peak[i] = Math.max(peak[i]!, status(p, 'VmRSS'))
    anon[i] = Math.max(anon[i]!, status(p, 'RssAnon'))
  })
  const timer = setInterval(sample, 10)
  try {
    const value = await fn()
    sample()
    return { value, peak, anon, before, cpu: pids.map((p, i) => cpuMs(p) - cpu0[i]!) }
  } finally {
    clearInterval(timer)
  }
}

const letter = {
  kind: 'EXTERNAL', date: '2026-11-25', subject: 'แผนที่ภาพถ่ายทางอากาศ (ไฟล์ขนาดใหญ่)',
  salutation: 'เรียน ปลัดกระทรวงการคลัง', recipients: [{ agency: 'mof' }], body: 'ส่งแผนที่มาเพื่อโปรดทราบ', closing: 'ขอแสดงความนับถือ',
  signer: { name: 'นายสมชาย ใจดี', position: 'ปลัดกระทรวงมหาดไทย' },
}

/** `databases`: each node's PostgreSQL URL (storage.engine postgresql), as run.ts's endToEnd writes them. */
async function run(kind: 'multipart' | 'json', file: Buffer, digest: string, databases?: () => Record<'moi' | 'mof', string>): Promise<void> {
  const extra: Record<string, unknown> = { ...(values.storage ? { storage: JSON.parse(values.storage) as object } : {}), ...(LIMITS ? { limits: LIMITS } : {}) }
  const net = await writeNetFiles(['moi', 'mof'], { profiles: [PROFILE], logLevel: 'warn', delivery: { requestTimeoutMs: 900_000 }, extra })
  for (const [agency, url] of Object.entries(databases?.() ?? {})) {
    const f = net.agencies[agency]!.configFile
    const config = JSON.parse(readFileSync(f, 'utf8')) as { storage?: Record<string, unknown> }
    writeFileSync(f, JSON.stringify({ ...config, storage: { ...config.storage, engine: 'postgresql', postgresql: { url } } }))
  }
  const ports = { moi: await freePort(), mof: await freePort() }
  const sender = await startNode(net.agencies.moi!.configFile, ports.moi)
  let receiver = await startNode(net.agencies.mof!.configFile, ports.mof)
  const api = (agency: 'moi' | 'mof', path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${ports[agency]}${path}`, { ...init, headers: { authorization: `Bearer ${net.agencies[agency]!.apiKey}`, ...init.headers } })
  try {
    await new Promise((r) => setTimeout(r, 500)) // let start-up allocations settle
    const body = kind === 'multipart'
      ? (() => {
          const f = new FormData()
          f.append('letter', new Blob([JSON.stringify(letter)], { type: 'application/json' }))
          f.append('attachment', new File([file], 'orthophoto.tif', { type: 'image/tiff' }))
          return f
        })()
      : JSON.stringify({ letter, attachments: [{ filename: 'orthophoto.tif', mediaType: 'image/tiff', content: file.toString('base64') }] })
    const headers: Record<string, string> = kind === 'json' ? { 'content-type': 'application/json' } : {}
    if (values.curl && kind === 'multipart') {
      writeFileSync(join(net.dir, 'letter.json'), JSON.stringify(letter))
      writeFileSync(join(net.dir, 'orthophoto.tif'), file)
    }
    const byCurl = () => new Promise<{ id: string }>((resolve, reject) => {
      execFile('curl', ['-sS', '-w', '\n%{http_code}', '-H', `authorization: Bearer ${net.agencies.moi!.apiKey}`,
        '-F', `letter=@${join(net.dir, 'letter.json')};type=application/json`, '-F', `attachment=@${join(net.dir, 'orthophoto.tif')};type=image/tiff`,
        `http://127.0.0.1:${ports.moi}/api/v1/letters`], (err, out) => {
        const [text, code] = [out.slice(0, out.lastIndexOf('\n')), out.slice(out.lastIndexOf('\n') + 1)]
        if (err || code !== '202') reject(err ?? new Error(`upload: ${code} ${text}`))
        else resolve(JSON.parse(text) as { id: string })
      })
    })
    let t0 = Date.now()
    const up = await peaks([sender.pid!], async () => {
      if (values.curl && kind === 'multipart') return byCurl()
      const res = await api('moi', '/api/v1/letters', { method: 'POST', body, headers })
      if (res.status !== 202) throw new Error(`upload: ${res.status} ${await res.text()}`)
      return (await res.json()) as { id: string }
    })
    const upMs = Date.now() - t0
    const hwmAfterUpload = mb(status(sender.pid!, 'VmHWM')) // the high-water mark between samples, too
    t0 = Date.now()
    const del = await peaks([sender.pid!, receiver.pid!], async () => {
      for (;;) {
        const s = (await (await api('moi', `/api/v1/letters/${up.value.id}`)).json()) as { recipients: Array<{ status: string }> }
        if (s.recipients.every((r) => r.status === 'delivered')) return
        if (Date.now() - t0 > 1_800_000) throw new Error('not delivered in 30 minutes')
        await new Promise((r) => setTimeout(r, 50))
      }
    })
    const delMs = Date.now() - t0
    // --evidence: the letter's evidence bundle (§8) streamed from the sender, its peak RSS its own.
    if (values.evidence) {
      const t1 = Date.now()
      const ev = await peaks([sender.pid!], async () => {
        const res = await api('moi', `/api/v1/letters/${up.value.id}/evidence`)
        if (res.status !== 200) throw new Error(`evidence: ${res.status} ${await res.text()}`)
        let n = 0
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) n += chunk.length
        return n
      })
      console.log(`| evidence bundle (${(ev.value / 1024 / 1024).toFixed(0)} MB) | sender | ${mb(ev.before[0]!)} | ${mb(ev.peak[0]!)} | ${mb(ev.anon[0]!)} | ${Date.now() - t1} ms | ${ev.cpu[0]} ms |`)
    }
    // Both high-water marks now: read after the download, the sender's also held what it did while idle.
    const delivered = mb(status(sender.pid!, 'VmHWM'))
    const received = mb(status(receiver.pid!, 'VmHWM'))
    // The download on a freshly started receiver, so that its peak is the download's own.
    receiver.kill()
    await new Promise((r) => receiver.once('exit', r))
    receiver = await startNode(net.agencies.mof!.configFile, ports.mof)
    await new Promise((r) => setTimeout(r, 500))
    const inbox = (await (await api('mof', '/api/v1/inbox?limit=1')).json()) as { items: Array<{ id: string }> }
    const id = inbox.items[0]!.id
    const msg = (await (await api('mof', `/api/v1/inbox/${id}`)).json()) as { attachments: Array<{ id: string }> }
    t0 = Date.now()
    const down = await peaks([receiver.pid!], async () => {
      const res = await api('mof', `/api/v1/inbox/${id}/attachments/${msg.attachments[0]!.id}`)
      const hash = createHash('sha256')
      let n = 0
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) (hash.update(chunk), (n += chunk.length))
      if (n !== file.length || hash.digest('hex') !== digest) throw new Error('download: the bytes differ')
      return Number(res.headers.get('content-length'))
    })
    const downMs = Date.now() - t0
    const rows: Array<[string, string, string, string, string, string, string]> = [
      [`upload (${kind})`, 'sender', mb(up.before[0]!), mb(up.peak[0]!), mb(up.anon[0]!), `${upMs} ms`, `${up.cpu[0]} ms`],
      ['sealed → delivered', 'sender', mb(del.before[0]!), mb(del.peak[0]!), mb(del.anon[0]!), `${delMs} ms`, `${del.cpu[0]} ms`],
      ['sealed → delivered', 'receiver', mb(del.before[1]!), mb(del.peak[1]!), mb(del.anon[1]!), '', `${del.cpu[1]} ms`],
      ['download (stream), restarted receiver', 'receiver', mb(down.before[0]!), mb(down.peak[0]!), mb(down.anon[0]!), `${downMs} ms`, `${down.cpu[0]} ms`],
    ]
    for (const r of rows) console.log(`| ${r.join(' | ')} |`)
    const rate = (ms: number) => `${(SIZE / 1024 / 1024 / (ms / 1000)).toFixed(1)} MB/s`
    console.log(`|   MB/s (${kind}, ${values.engine}) | upload ${rate(upMs)}, sealed → delivered ${rate(delMs)}, download ${rate(downMs)} | | | | | |`)
    console.log(`|   VmHWM | sender ${hwmAfterUpload} at the 202, ${delivered} when delivered, ${mb(status(sender.pid!, 'VmHWM'))} at the end; receiver ${received} (receive), ${mb(status(receiver.pid!, 'VmHWM'))} (restarted, download) | | | | | |`)
  } finally {
    // Stopped before their folder goes: a node still closing writes into it (a 1 GB run left ~1 GB behind).
    const exited = [sender, receiver].map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r))))
    sender.kill()
    receiver.kill()
    await Promise.all(exited)
    rmSync(net.dir, { recursive: true, force: true })
  }
}

async function main() {
  const file = randomBytes(SIZE)
  const digest = createHash('sha256').update(file).digest('hex')
  console.log(`# ${values.mb} MB attachment, profile ${PROFILE}, node ${process.version}, storage ${values.engine}, RSS sampled every 10 ms`)
  let cluster: import('../helpers/postgres.js').TestCluster | undefined
  let databases: (() => Record<'moi' | 'mof', string>) | undefined
  if (values.engine === 'postgresql') {
    const { postgresMissing, startCluster } = await import('../helpers/postgres.js')
    const missing = postgresMissing()
    if (missing !== undefined) throw new Error(missing)
    cluster = startCluster()
    let n = 0
    databases = () => ((n++), { moi: cluster!.createDatabase(`att_moi_${n}`), mof: cluster!.createDatabase(`att_mof_${n}`) })
  } else if (values.engine !== 'sqlite') throw new Error(`--engine ${values.engine}: sqlite or postgresql`)
  try {
    console.log('| phase | process | RSS before | peak RSS | peak RssAnon | time (not asserted) | CPU time |')
    console.log('|---|---|---|---|---|---|---|')
    if (values.only !== 'json') await run('multipart', file, digest, databases)
    if (values.only !== 'multipart') await run('json', file, digest, databases)
  } finally {
    cluster?.stop()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
