// `--listen`: the kit as the receiving side, at its agency's endpoint in the directory, so that what a
// target does as a sender can be observed (PROTOCOL.md §3.1, §4.2 from the other side, §7.2). The
// first attempt of each message is answered 503 ERR_BUSY with Retry-After (§4.4), so that the retry
// shows whether the target resends the same bytes (§7.2); the retry is opened, checked and answered
// with a receipt signed by the kit's agency (§6.2).
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket, PeerCertificate, DetailedPeerCertificate } from 'node:tls'
import { X509Certificate } from 'node:crypto'
import { fingerprint } from '../pki/cert.js'
import { check as checkSchema } from '../schema/index.js'
import { schemaIds } from '../schema/ids.js'
import { isSarabanError } from '../errors.js'
import type { EnvelopeHeader, EnvelopeProfile, Opened, ReceiptClaims, Routing } from '../crypto/profiles.js'
import { MESSAGES_PATH, sha256Hex, type Session } from './session.js'
import type { BadReceipt } from './bad-receipts.js'

export interface Attempt {
  readonly at: Date
  readonly tlsVersion: string | null
  /** the client certificate chain as the TLS stack saw it, leaf first */
  readonly peerChain: X509Certificate[]
  readonly contentType: string
  readonly routing: Partial<Routing>
  readonly sha256: string
  readonly body: Buffer
}

/** A message the target delivered: its attempts, and what the kit found on the last one. */
export interface Delivery {
  readonly attempts: Attempt[]
  header?: EnvelopeHeader
  opened?: Opened
  /** the kit's receiver checks that failed (empty: all passed) */
  problems: string[]
  answered?: number
  /** a bad-receipt case's letter (bad-receipts.ts): its first attempt got that receipt, later ones a good one */
  plan?: BadReceipt
}

interface Pending {
  readonly plan: BadReceipt
  resolve(d: Delivery): void
}

function peerChainOf(socket: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = []
  let c: DetailedPeerCertificate | PeerCertificate | undefined = socket.getPeerCertificate(true)
  const seen = new Set<string>()
  while (c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256)
    out.push(new X509Certificate(c.raw))
    c = (c as DetailedPeerCertificate).issuerCertificate
  }
  return out
}

function problem(res: ServerResponse, status: number, code: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...extra })
  res.end(JSON.stringify({ type: `urn:saraban:problem:${code}`, title: code, status, code }))
}

export class Listener {
  readonly deliveries = new Map<string, Delivery>()
  #server: Server | undefined
  #waiters: Array<() => void> = []
  #plans: Pending[] = []

  constructor(readonly k: Session) {}

  async start(host: string, port: number): Promise<void> {
    const me = this.k.me
    const server = createServer({
      key: me.tls.keyPem, cert: me.tls.chainPem, ca: this.k.creds.rootPem,
      requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2',
    }, (req, res) => void this.#handle(req, res).catch(() => problem(res, 500, 'ERR_INTERNAL')))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve())
    })
    this.#server = server
  }

  async close(): Promise<void> {
    const s = this.#server
    this.#server = undefined
    if (s) await new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()) })
  }

  /** The first message the target delivered (answered with a receipt), within `timeoutMs`. */
  async delivered(timeoutMs: number): Promise<Delivery> {
    const d = await this.#until(timeoutMs, () => [...this.deliveries.values()].find((x) => x.answered !== undefined && x.plan === undefined))
    if (d) return d
    throw new Error(`no letter from "${this.k.target}" to "${this.k.me.agency}" arrived within ${Math.round(timeoutMs / 1000)} s: send one from the target's saraban system`)
  }

  /** Whether a letter not taken by a bad-receipt case has arrived (answered or not). */
  hasOrdinary(): boolean {
    return [...this.deliveries.values()].some((d) => d.plan === undefined)
  }

  /** The next new message of the target, answered first with `plan`'s bad receipt (bad-receipts.ts);
   *  undefined when none came within `timeoutMs` (and the plan is dropped: a later letter is not
   *  taken for it). */
  async answerNextWith(plan: BadReceipt, timeoutMs: number): Promise<Delivery | undefined> {
    let got: Delivery | undefined
    const pending: Pending = { plan, resolve: (d) => { got = d } }
    this.#plans.push(pending)
    await this.#until(timeoutMs, () => got)
    this.#plans = this.#plans.filter((p) => p !== pending)
    return got
  }

  /** Drops every plan still waiting for a letter (a case that failed before its letter came). */
  dropPending(): void {
    this.#plans = []
  }

  /** Waits until `d` has `n` attempts; false when it has fewer after `timeoutMs`. */
  async attempts(d: Delivery, n: number, timeoutMs: number): Promise<boolean> {
    return (await this.#until(timeoutMs, () => (d.attempts.length >= n ? true : undefined))) === true
  }

  async #until<T>(timeoutMs: number, probe: () => T | undefined): Promise<T | undefined> {
    const end = Date.now() + timeoutMs
    for (;;) {
      const v = probe()
      if (v !== undefined) return v
      const left = end - Date.now()
      if (left <= 0) return undefined
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 1000))
        this.#waiters.push(() => { clearTimeout(t); r() })
      })
    }
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket as TLSSocket
    const url = (req.url ?? '/').split('?', 1)[0]
    if (req.method === 'GET' && url === '/federation/v1/health') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"status":"ok"}')
      return
    }
    if (url !== MESSAGES_PATH) return problem(res, 404, 'ERR_NOT_FOUND')
    if (req.method !== 'POST') return problem(res, 405, 'ERR_METHOD_NOT_ALLOWED', { allow: 'POST' })
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks)
    const h = (n: string) => (typeof req.headers[n] === 'string' ? (req.headers[n] as string) : undefined)
    const routing: Partial<Routing> = {
      ...(h('saraban-message-id') ? { messageId: h('saraban-message-id')! } : {}),
      ...(h('saraban-from') ? { from: h('saraban-from')! } : {}),
      ...(h('saraban-to') ? { to: h('saraban-to')! } : {}),
    }
    const attempt: Attempt = { at: new Date(), tlsVersion: socket.getProtocol(), peerChain: peerChainOf(socket), contentType: h('content-type') ?? '', routing, sha256: sha256Hex(body), body }
    const answer = await this.#check(attempt)
    if (answer.retry) {
      res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '1', connection: 'close' })
      res.end(JSON.stringify({ type: 'urn:saraban:problem:ERR_BUSY', title: 'busy (conformance kit: retry)', status: 503, code: 'ERR_BUSY' }))
      return
    }
    if (answer.receipt) {
      res.writeHead(201, { 'content-type': answer.mediaType! })
      res.end(answer.receipt)
    } else problem(res, answer.status ?? 400, answer.code ?? 'ERR_ENVELOPE_MALFORMED')
    for (const w of this.#waiters.splice(0)) w()
  }

  async #check(a: Attempt): Promise<{ retry?: true; receipt?: Buffer; mediaType?: string; status?: number; code?: string }> {
    const k = this.k
    let profile
    let header: EnvelopeHeader
    try {
      profile = k.profiles.forEnvelope(a.contentType, a.body)
      const full = a.routing.messageId !== undefined && a.routing.from !== undefined && a.routing.to !== undefined
      header = profile.peek(a.body, full ? (a.routing as Routing) : undefined)
    } catch (e) {
      return isSarabanError(e) ? { status: e.status, code: e.code } : { status: 400, code: 'ERR_ENVELOPE_MALFORMED' }
    }
    let d = this.deliveries.get(header.messageId)
    if (d === undefined) {
      const pending = this.#plans.shift()
      d = { attempts: [a], problems: [], ...(pending ? { plan: pending.plan, header } : {}) }
      this.deliveries.set(header.messageId, d)
      if (pending === undefined) return { retry: true } // PROTOCOL.md §7.2: the retry must carry these same bytes
      const bad = await this.#badReceipt(pending.plan, profile, header, a)
      d.answered = 201
      pending.resolve(d)
      return { receipt: bad.body, mediaType: bad.mediaType }
    }
    d.attempts.push(a)
    d.header = header
    const problems: string[] = []
    if (header.to !== k.me.agency) problems.push(`srb_to is "${header.to}", not "${k.me.agency}"`)
    if (header.from !== k.target) problems.push(`srb_from is "${header.from}", not the target "${k.target}"`)
    let opened: Opened
    try {
      opened = await profile.open(a.body, k.me.encryption.key)
    } catch (e) {
      const code = isSarabanError(e) ? e.code : 'ERR_DECRYPT_FAILED'
      d.problems = [...problems, `the envelope does not open: ${code}`]
      d.answered = 400
      return { status: 400, code }
    }
    d.opened = opened
    const p = opened.payload
    if (p.from !== header.from) problems.push('the signed from is not srb_from (§4.2 check 11)')
    if (p.v === 1 && (p.mid !== header.messageId || p.to !== header.to)) problems.push('the signed mid/to are not the routing ones (§4.2 check 11)')
    const leaf = opened.signerChain[0]
    const chain = leaf ? await k.creds.anchors.validate(opened.signerChain, { at: new Date(), role: 'signing' }) : { ok: false as const, reason: 'no signer certificate' }
    if (!chain.ok) problems.push(`the signer chain does not validate for the signing role: ${chain.reason}`)
    if (leaf && !k.creds.directory.isSigningCertOf(k.target, fingerprint(leaf))) problems.push(`the signer is not a signing certificate of "${k.target}" in the directory`)
    if (p.letter !== undefined) {
      const s = checkSchema(schemaIds.letter, p.letter)
      if (!s.ok) problems.push(`the letter does not validate against the letter schema: ${s.errors[0]?.field} ${s.errors[0]?.message}`)
    }
    d.problems = problems
    const receipt = await profile.signReceipt(goodClaims(profile, header, a), k.signerOf(k.me.signing))
    d.answered = 201
    return { receipt, mediaType: profile.receiptMediaType }
  }

  /** The plan's bad receipt for the first attempt of a letter (bad-receipts.ts). */
  async #badReceipt(plan: BadReceipt, profile: EnvelopeProfile, header: EnvelopeHeader, a: Attempt): Promise<{ body: Buffer; mediaType: string }> {
    const k = this.k
    let sentAt = a.at.toISOString()
    try {
      const opened = await profile.open(a.body, k.me.encryption.key)
      if (typeof opened.payload.sentAt === 'string') sentAt = opened.payload.sentAt
    } catch {
      // a letter that does not open is C-4.2-16's finding; the receipt is still bad in the planned way
    }
    const second = k.creds.second
    return plan.make({
      profile, claims: goodClaims(profile, header, a), sentAt, me: k.signerOf(k.me.signing),
      second: second ? k.signerOf(second.signing, second.agency) : undefined,
    })
  }
}

/** The claims of a good receipt for an attempt (PROTOCOL.md §6.2; the kit keeps no log: a pre-log receipt, §11). */
function goodClaims(profile: EnvelopeProfile, header: EnvelopeHeader, a: Attempt): ReceiptClaims {
  return { v: 1, mid: header.messageId, from: header.from, to: header.to, receivedAt: new Date().toISOString(), envelopeSha256: a.sha256, profile: profile.id }
}

/** Whether the TLS client certificate is listed for the target (or a hosting node listing it, §16.2). */
export function peerSpeaksFor(k: Session, a: Attempt): boolean {
  const leaf = a.peerChain[0]
  if (!leaf) return false
  return k.creds.directory.tlsIdentity(fingerprint(leaf))?.agencies.has(k.target) === true
}
