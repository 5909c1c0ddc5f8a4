// npm run bench -- --case circular: one circular (หนังสือเวียน, issue 5 §4) with a 1 MB PDF from one
// agency to 500 agencies hosted on 4 multi-agency nodes (125 each), every node its own process on
// loopback with real mTLS and SQLite (fsync). Reports the time to the API's answer (sealing and
// storing), the time to all-delivered, and the sender's peak resident memory (VmHWM), per envelope
// profile preference: a profile with sealMany shares the encrypted content (PROTOCOL.md §17), a
// profile without it seals per recipient (the previous path), side by side. Then the time and the
// sender's peak RSS while it streams the circular's evidence bundle (counted, not kept).
//   npm run bench -- --case circular [--recipients 500] [--nodes 4] [--pdf-kb 1024] [--paths shared,per-recipient] [--evidence no]
//   --evidence no stops once all are delivered (the receivers' CPU is measured by then; the evidence
//   bundle of a large circular takes longer than its delivery).
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Pool } from 'undici'
import { hostingNet, apiKeyOf, type NodeSpec } from '../helpers/hosting.js'
import { freePort, thaiLetter } from '../helpers/nodes.js'
import { samplePdf } from '../../src/cli/sample-pdf.js'
import { startNodes } from './node-process.js'
import { cpuSeconds, statusKb } from './proc.js'

export interface CircularOptions {
  readonly recipients: number
  readonly nodes: number
  readonly pdfBytes: number
  /** Directory profiles of every agency, in preference order. */
  readonly profiles: readonly string[]
  readonly label: string
  /** false: stop once all are delivered, without streaming the evidence bundle. */
  readonly evidence?: boolean
}

const kb = (pid: number, field: 'VmRSS' | 'VmHWM') => statusKb(pid, field)
const mb = (k: number) => `${(k / 1024).toFixed(0)} MB`

export async function circularBench(o: CircularOptions) {
  const per = Math.ceil(o.recipients / o.nodes)
  const ids = Array.from({ length: o.recipients }, (_, i) => `r${String(i + 1).padStart(4, '0')}`)
  const specs: NodeSpec[] = [
    { id: 'hq-node', mode: 'agency', agencies: ['hq'] },
    ...Array.from({ length: o.nodes }, (_, n) => ({ id: `host-${n + 1}`, mode: 'node' as const, agencies: ids.slice(n * per, (n + 1) * per) })),
  ]
  const t0 = performance.now()
  const net = await hostingNet(specs, { profiles: o.profiles, logLevel: 'warn', delivery: { initialBackoffMs: 200, maxBackoffMs: 2000, maxAttempts: 40 } })
  const procs: ChildProcess[] = []
  try {
    const ports = await Promise.all(specs.map(() => freePort()))
    // Recipients' nodes first, the sender last, all in parallel.
    procs.push(...(await startNodes(specs.map((s, i) => ({ configFile: join(net.nodes[s.id]!.dir, 'node.json'), apiPort: ports[i]! })))))
    const sender = procs[0]!
    console.log(`  [${o.label}] ${o.recipients} agencies on ${o.nodes} nodes + sender node: federation made and ${specs.length} processes started in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

    const pdf = samplePdf('circular', ['saraban-node circular benchmark'], o.pdfBytes)
    const body = JSON.stringify({
      letter: { ...thaiLetter(ids), number: 'มท 0201.2/ว 1590', urgency: 'VERY_URGENT', sender: { agency: 'hq' } },
      attachments: [{ filename: 'circular.pdf', mediaType: 'application/pdf', content: pdf.toString('base64') }],
    })
    const api = new Pool(`http://127.0.0.1:${ports[0]}`, { connections: 2 })
    const headers = { authorization: `Bearer ${apiKeyOf('hq')}`, 'content-type': 'application/json' }
    const rssBefore = kb(sender.pid!, 'VmRSS')
    const cpu0 = procs.map((p) => cpuSeconds(p.pid!))
    let peak = rssBefore
    const sample = () => { peak = Math.max(peak, kb(sender.pid!, 'VmRSS')) }
    const sampler = setInterval(sample, 20)
    try {
      const s0 = performance.now()
      const res = await api.request({ method: 'POST', path: '/api/v1/letters', headers, body, headersTimeout: 600_000, bodyTimeout: 600_000 })
      const answer = (await res.body.json()) as { id?: string; detail?: string }
      if (res.statusCode !== 202) throw new Error(`POST /api/v1/letters → ${res.statusCode} ${JSON.stringify(answer).slice(0, 500)}`)
      const accepted = performance.now() - s0
      let done = { delivered: 0, failed: 0 }
      while (done.delivered + done.failed < o.recipients) {
        await new Promise((r) => setTimeout(r, 50))
        const h = await api.request({ method: 'GET', path: '/healthz', headers: { authorization: headers.authorization } })
        done = ((await h.body.json()) as { outbox: { delivered: number; failed: number } }).outbox
        if (performance.now() - s0 > 600_000) throw new Error(`not delivered after 10 minutes: ${JSON.stringify(done)}`)
      }
      const total = performance.now() - s0
      const cpu = procs.map((p, i) => cpuSeconds(p.pid!) - cpu0[i]!)
      sample()
      const hwm = kb(sender.pid!, 'VmHWM')
      const receivers = procs.slice(1).map((p) => kb(p.pid!, 'VmHWM'))
      // Printed now: the evidence bundle below takes longer than the delivery for a large circular.
      console.log(`  [${o.label}] 202 after ${(accepted / 1000).toFixed(2)} s; ${done.delivered} delivered, ${done.failed} failed after ${(total / 1000).toFixed(2)} s; sender peak RSS ${mb(Math.max(peak, hwm))}, largest receiver peak ${mb(Math.max(...receivers))}`)
      console.log(`  [${o.label}] CPU seconds until all delivered: sender ${cpu[0]!.toFixed(1)}, receivers ${cpu.slice(1).reduce((a, b) => a + b, 0).toFixed(1)} in all (largest ${Math.max(...cpu.slice(1)).toFixed(1)}); load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
      if (o.evidence === false) {
        return { label: o.label, profile: '-', delivered: done.delivered, failed: done.failed, acceptedMs: accepted, allDeliveredMs: total, senderCpuS: cpu[0]!, receiversCpuS: cpu.slice(1).reduce((a, b) => a + b, 0), senderRssBeforeKb: rssBefore, senderPeakKb: Math.max(peak, hwm), receiverPeakKb: Math.max(...receivers), evidenceBytes: 0, evidenceMs: 0, evidenceRssBeforeKb: 0, evidencePeakKb: 0 }
      }
      const got = await api.request({ method: 'GET', path: `/api/v1/letters/${answer.id}`, headers: { authorization: headers.authorization } })
      const stored = (await got.body.json()) as { recipients: Array<{ profile: string }> }
      // The evidence bundle of the whole circular, streamed (PROTOCOL.md §8): counted, not kept.
      const evRss = kb(sender.pid!, 'VmRSS')
      let evPeak = evRss
      const evSampler = setInterval(() => { evPeak = Math.max(evPeak, kb(sender.pid!, 'VmRSS')) }, 20)
      const e0 = performance.now()
      let evidenceBytes = 0
      try {
        const ev = await api.request({ method: 'GET', path: `/api/v1/letters/${answer.id}/evidence`, headers: { authorization: headers.authorization }, headersTimeout: 600_000, bodyTimeout: 600_000 })
        if (ev.statusCode !== 200) throw new Error(`GET evidence → ${ev.statusCode}`)
        for await (const c of ev.body) evidenceBytes += (c as Buffer).length
      } finally {
        clearInterval(evSampler)
      }
      const evidenceMs = performance.now() - e0
      const result = {
        label: o.label, profile: stored.recipients[0]?.profile ?? '?', delivered: done.delivered, failed: done.failed,
        acceptedMs: accepted, allDeliveredMs: total, senderCpuS: cpu[0]!, receiversCpuS: cpu.slice(1).reduce((a, b) => a + b, 0), senderRssBeforeKb: rssBefore, senderPeakKb: Math.max(peak, hwm), receiverPeakKb: Math.max(...receivers),
        evidenceBytes, evidenceMs, evidenceRssBeforeKb: evRss, evidencePeakKb: evPeak,
      }
      console.log(`  [${o.label}] profile ${result.profile}: 202 after ${(accepted / 1000).toFixed(2)} s; ${done.delivered} delivered, ${done.failed} failed after ${(total / 1000).toFixed(2)} s`)
      console.log(`  [${o.label}] sender RSS ${mb(rssBefore)} before, peak ${mb(result.senderPeakKb)}; largest receiver peak ${mb(result.receiverPeakKb)}`)
      console.log(`  [${o.label}] evidence bundle: ${mb(evidenceBytes / 1024)} streamed in ${(evidenceMs / 1000).toFixed(1)} s; sender RSS ${mb(evRss)} before, peak ${mb(evPeak)} while streaming`)
      return result
    } finally {
      clearInterval(sampler)
      await api.close()
    }
  } finally {
    for (const p of procs) p.kill('SIGTERM')
    await Promise.all(procs.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))))
    await net.stop()
  }
}

/** Both paths, side by side: shared content (a profile with sealMany) and per recipient (jose-v1). */
export async function circularCase(args: { recipients: number; nodes: number; pdfKb: number; paths: readonly string[]; evidence?: boolean }) {
  console.log(`\ncircular — one letter with a ${args.pdfKb} KB PDF to ${args.recipients} agencies on ${args.nodes} hosting nodes (target, issue 16 item 3: 7,850 on 8 nodes all delivered ≤ 60 s)`)
  const rows = []
  const PATHS: Record<string, readonly string[]> = { shared: ['jose-v2', 'cms-v1'], 'per-recipient': ['jose-v1'] }
  for (const path of args.paths) {
    const profiles = PATHS[path]
    if (!profiles) throw new Error(`unknown path ${path} (shared, per-recipient)`)
    rows.push(await circularBench({ recipients: args.recipients, nodes: args.nodes, pdfBytes: args.pdfKb * 1024, profiles, label: path, evidence: args.evidence !== false }))
  }
  console.log('\n  path            profile   202 (s)   all delivered (s)   sender peak RSS   evidence (s)   peak RSS while streaming it')
  for (const r of rows) {
    console.log(`  ${r.label.padEnd(15)} ${r.profile.padEnd(9)} ${(r.acceptedMs / 1000).toFixed(2).padStart(7)}   ${(r.allDeliveredMs / 1000).toFixed(2).padStart(17)}   ${mb(r.senderPeakKb).padStart(15)}   ${(r.evidenceMs / 1000).toFixed(1).padStart(12)}   ${mb(r.evidencePeakKb).padStart(27)}`)
  }
  return rows
}
