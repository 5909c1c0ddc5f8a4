// What every case shares: the target, the kit's keys, a mutual-TLS client that presents any of the
// kit's identities (PROTOCOL.md §3.1), and sealing in every profile with one thing changed.
import { randomUUID, createHash, type X509Certificate } from 'node:crypto'
import { request as httpsRequest } from 'node:https'
import { Client } from 'undici'
import { defaultProfiles, type EnvelopeProfile, type LetterObject, type SignerIdentity } from '../crypto/profiles.js'
import { sealsMany } from '../crypto/profiles.js'
import { certFromBase64Der } from '../pki/cert.js'
import type { KeyPair, KitCredentials } from './credentials.js'
import { craftJoseV1, type CraftInput } from './craft.js'

export const MESSAGES_PATH = '/federation/v1/messages'

/** An answer as the kit saw it. */
export interface Answer {
  readonly status: number
  readonly contentType: string
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: Buffer
}

/** A TLS client identity, or none at all. */
export type Identity = Pick<KeyPair, 'keyPem' | 'chainPem'> | 'none'

export interface PostOptions {
  readonly body: Buffer
  readonly contentType: string
  readonly identity?: Identity
  /** the three routing headers of PROTOCOL.md §4.1 (any subset: a case may send two) */
  readonly routing?: Partial<Record<'messageId' | 'from' | 'to', string>>
  readonly headers?: Record<string, string>
  readonly method?: string
  readonly path?: string
}

/** One envelope ready to post, and what a receipt over it must say (PROTOCOL.md §6.3 step 2). */
export interface Sealed {
  readonly profile: EnvelopeProfile
  readonly body: Buffer
  readonly messageId: string
  readonly from: string
  readonly to: string
  readonly sha256: string
  /** for a letter sealed for many: where the shared bytes lie in body (PROTOCOL.md §17.8) */
  readonly shared?: { offset: number; length: number }
}

export interface SealOptions {
  readonly messageId?: string
  readonly from?: string
  /** the routing (and signed) recipient; default the target */
  readonly to?: string
  /** encrypt for this certificate instead of the recipient's */
  readonly encryptFor?: X509Certificate
  readonly signer?: SignerIdentity
  readonly letter?: Record<string, unknown>
  readonly notice?: Record<string, unknown>
  readonly attachments?: Buffer[]
  /** PROTOCOL.md §17.2: sign a v2 payload once for the target and `alsoTo` (profiles with sealMany) */
  readonly alsoTo?: string
  /** with alsoTo: the letter id (`lid`) of the v2 payload; default a new one */
  readonly letterId?: string
}

export class Session {
  readonly profiles = defaultProfiles()
  readonly origin: string
  /** With --listen: the kit's receiving side (listen.ts), and how long a case waits for the target's letter. */
  listener: Pick<import('./listen.js').Listener, 'delivered' | 'answerNextWith' | 'attempts' | 'hasOrdinary' | 'dropPending'> | undefined
  listenWaitMs = 120_000
  /** With --target-api: the target's REST API (target-api.ts), for the bad-receipt cases. */
  targetApi: import('./target-api.js').TargetApi | undefined
  /** A line for the operator while a case waits (the CLI writes it to stderr; TAP stays on stdout). */
  note: (line: string) => void = () => undefined

  /** Whether the target announced `Saraban-Shared-Content: 1` (PROTOCOL.md §17.8) in an answer so far. */
  sharedAnnounced = false

  constructor(readonly creds: KitCredentials, readonly target: string, targetUrl: string) {
    this.origin = new URL(targetUrl).origin
  }

  get me() {
    return this.creds.me
  }

  /** The target's profiles (its directory entry) that this kit can seal, in its order. */
  targetProfiles(): string[] {
    return (this.creds.directory.agency(this.target)?.profiles ?? []).filter((p) => this.profiles.has(p))
  }

  signerOf(keys: Pick<KeyPair, 'key' | 'chain'>, agency = this.me.agency): SignerIdentity {
    return { agency, key: keys.key, chain: keys.chain }
  }

  encryptionCertOf(agency: string): X509Certificate {
    const cert = this.creds.directory.encryptionCertFor(agency)
    if (cert !== undefined) return cert
    const any = this.creds.directory.agency(agency)?.certificates.encryption[0]
    if (any === undefined) throw new Error(`the directory lists no encryption certificate for "${agency}"`)
    return certFromBase64Der(any)
  }

  /** Another agency than the kit's and the target's, for a second addressee (PROTOCOL.md §17.2). */
  otherAgency(): string | undefined {
    return this.creds.second?.agency ?? this.creds.directory.all().find((a) => a.id !== this.target && a.id !== this.me.agency && a.status === 'active')?.id
  }

  letter(to: string[] = [this.target], extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      kind: 'EXTERNAL',
      number: 'ทดสอบ 0001/1',
      date: new Date().toISOString().slice(0, 10),
      subject: 'ทดสอบความสอดคล้องกับโพรโทคอล (conformance kit)',
      salutation: 'เรียน ผู้รับ',
      sender: { agency: this.me.agency, name: 'ชุดทดสอบความสอดคล้อง' },
      recipients: to.map((agency) => ({ agency })),
      body: 'หนังสือทดสอบจากชุดทดสอบความสอดคล้อง ไม่ต้องดำเนินการ',
      closing: 'ขอแสดงความนับถือ',
      signer: { name: 'ชุดทดสอบ', position: 'ผู้ทดสอบ' },
      attachments: [],
      ...extra,
    }
  }

  async seal(profileId: string, o: SealOptions = {}): Promise<Sealed> {
    const profile = this.profiles.get(profileId)
    const messageId = o.messageId ?? randomUUID()
    const from = o.from ?? this.me.agency
    const to = o.to ?? this.target
    const signer = o.signer ?? this.signerOf(this.me.signing, from)
    const sentAt = new Date().toISOString()
    if (o.alsoTo !== undefined) {
      if (!sealsMany(profile)) throw new Error(`${profileId} does not seal for many`)
      const letter = (o.letter ?? this.letter([to, o.alsoTo])) as LetterObject
      const many = await profile.sealMany({
        letterId: o.letterId ?? randomUUID(), from, sentAt, letter, attachments: o.attachments ?? [], signer,
        recipients: [{ messageId, to, cert: o.encryptFor ?? this.encryptionCertOf(to) }, { messageId: randomUUID(), to: o.alsoTo, cert: this.encryptionCertOf(o.alsoTo) }],
      })
      const part = many.parts[0]!
      const body = Buffer.concat([part.head, many.shared, part.tail])
      return { profile, body, messageId, from, to, sha256: part.envelopeSha256, shared: { offset: part.head.length, length: many.shared.length } }
    }
    const s = await profile.seal({
      messageId, from, to, sentAt, signer,
      letter: (o.notice ? {} : (o.letter ?? this.letter([to]))) as LetterObject,
      attachments: o.attachments ?? [],
      recipientCert: o.encryptFor ?? this.encryptionCertOf(to),
      ...(o.notice ? { notice: o.notice } : {}),
    })
    return { profile, body: s.envelope, messageId, from, to, sha256: s.envelopeSha256 }
  }

  /** A jose-v1 envelope with one piece inside the encryption wrong (craft.ts). */
  craft(o: Omit<CraftInput, 'from' | 'to' | 'signer' | 'recipientCert' | 'letter'> & { to?: string }): Sealed {
    const to = o.to ?? this.target
    const { body, messageId } = craftJoseV1({
      from: this.me.agency, to: this.target, signer: this.signerOf(this.me.signing), recipientCert: this.encryptionCertOf(this.target),
      letter: this.letter([to]), ...o,
    })
    return { profile: this.profiles.get('jose-v1'), body, messageId, from: this.me.agency, to: this.target, sha256: sha256Hex(body) }
  }

  /** The routing headers of an envelope (PROTOCOL.md §4.1), which the kit always sends. */
  routingOf(s: Pick<Sealed, 'messageId' | 'from' | 'to'>) {
    return { messageId: s.messageId, from: s.from, to: s.to }
  }

  /** POSTs a sealed envelope with its routing headers, as the kit's agency. */
  async send(s: Sealed, over: Partial<PostOptions> = {}): Promise<Answer> {
    return this.post({ body: s.body, contentType: s.profile.mediaType, routing: this.routingOf(s), ...over })
  }

  async post(o: PostOptions): Promise<Answer> {
    const id = o.identity ?? this.me.tls
    const client = new Client(this.origin, {
      connect: { ca: this.creds.rootPem, rejectUnauthorized: true, ...(id === 'none' ? {} : { key: id.keyPem, cert: id.chainPem }) },
    })
    const r = o.routing ?? {}
    const headers: Record<string, string> = {
      ...(o.method === 'GET' ? {} : { 'content-type': o.contentType }),
      ...(r.messageId !== undefined ? { 'saraban-message-id': r.messageId } : {}),
      ...(r.from !== undefined ? { 'saraban-from': r.from } : {}),
      ...(r.to !== undefined ? { 'saraban-to': r.to } : {}),
      ...o.headers,
    }
    try {
      const res = await client.request({ method: (o.method ?? 'POST') as 'POST', path: o.path ?? MESSAGES_PATH, headers, ...(o.method === 'GET' ? {} : { body: o.body }) })
      const chunks: Buffer[] = []
      for await (const c of res.body) chunks.push(c as Buffer)
      if (res.headers['saraban-shared-content'] === '1') this.sharedAnnounced = true
      return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), headers: res.headers, body: Buffer.concat(chunks) }
    } finally {
      await client.close().catch(() => undefined)
    }
  }

  /**
   * A request that declares a body far larger than any receiver's limit and sends none of it
   * (PROTOCOL.md §4.4: refused before the body is read). The answer must come without the body.
   */
  async postDeclaredLength(contentType: string, length: number, timeoutMs = 15_000): Promise<Answer> {
    const url = new URL(MESSAGES_PATH, this.origin)
    return new Promise((resolve, reject) => {
      const req = httpsRequest({
        host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
        ca: this.creds.rootPem, key: this.me.tls.keyPem, cert: this.me.tls.chainPem, rejectUnauthorized: true,
        headers: { 'content-type': contentType, 'content-length': String(length) },
        timeout: timeoutMs,
      }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), headers: res.headers, body: Buffer.concat(chunks) })
          req.destroy()
        })
        res.on('error', reject)
      })
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms to a request whose body was never sent`)))
      req.on('error', reject)
      req.flushHeaders()
    })
  }
}

export const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
