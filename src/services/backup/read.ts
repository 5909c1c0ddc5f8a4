// Restoring a backup (issue 17 item 3, README "Backups"): RESTORE_STEPS below, a table of checks in
// this order, all before anything is put into the data directory:
//   1. the data directory (and --config-dir) is empty or does not exist;
//   2. encrypted: the key opens the content key (envelope.ts); the GCM tag is checked at the end;
//   3. the first member is manifest.jws, its signature verifies with its x5c certificate, and with
//      trust anchors (restore --config) that certificate chains to them;
//   4. the manifest's schema level is one this software knows;
//   5. every further member is, in order, the manifest's next file with its size and SHA-256; every
//      header is exactly the one the writer makes (tar.ts), the padding and the trailer are zero, and
//      nothing follows the trailer.
// Members are unpacked into a private staging folder beside the data directory while they are
// checked; only when every check passed are they moved into place. Any failure removes the staging folder.
import { createHash, type KeyObject, type X509Certificate } from 'node:crypto'
import { mkdir, mkdtemp, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { SCHEMA_VERSION } from '../../storage/migrations/index.js'
import { TrustAnchors } from '../../pki/validate.js'
import { BackupError } from './errors.js'
import { HEAD_BYTES, MAC_TLV_BYTES, openEnvelope } from './envelope.js'
import { MANIFEST_MEMBER, MAX_MANIFEST_BYTES, openManifest, type Manifest } from './manifest.js'
import { BLOCK, decodeHeader, isZero, padding, TRAILER } from './tar.js'
import { DATABASE_FILE } from './write.js'

const CHUNK = 1024 * 1024

export interface RestoreInput {
  readonly file: string
  readonly dataDir: string
  /** Where config/ and pki/ members go; absent: they are checked but not written. */
  readonly configDir?: string
  /** The recipient's private key, for an encrypted backup. */
  readonly key?: KeyObject
  /** The federation's trust anchors: the manifest's signer must chain to them (role tls). */
  readonly anchors?: readonly X509Certificate[]
}

export interface RestoreResult {
  readonly manifest: Manifest
  readonly signer: X509Certificate
  readonly written: { readonly data: number; readonly config: number }
}

/** Reads exact byte counts from a stream of chunks (the file, or what the decipher gives). */
class Bytes {
  #buf: Buffer = Buffer.alloc(0)
  readonly #it: AsyncIterator<Buffer>
  constructor(source: AsyncIterable<Buffer>) {
    this.#it = source[Symbol.asyncIterator]()
  }

  async #fill(n: number): Promise<boolean> {
    while (this.#buf.length < n) {
      const next = await this.#it.next()
      if (next.done) return false
      this.#buf = this.#buf.length === 0 ? next.value : Buffer.concat([this.#buf, next.value])
    }
    return true
  }

  async exact(n: number): Promise<Buffer> {
    if (!(await this.#fill(n))) throw new BackupError('damaged', 'the archive ends too early')
    const out = this.#buf.subarray(0, n)
    this.#buf = this.#buf.subarray(n)
    return out
  }

  /** `n` bytes in chunks of at most CHUNK. */
  async *stream(n: number): AsyncGenerator<Buffer> {
    while (n > 0) {
      if (this.#buf.length === 0 && !(await this.#fill(1))) throw new BackupError('damaged', 'the archive ends too early')
      const take = Math.min(n, this.#buf.length, CHUNK)
      const out = this.#buf.subarray(0, take)
      this.#buf = this.#buf.subarray(take)
      n -= take
      yield out
    }
  }

  async atEnd(): Promise<boolean> {
    return this.#buf.length === 0 && !(await this.#fill(1))
  }
}

async function* fileChunks(fh: FileHandle, from: number, length: number): AsyncGenerator<Buffer> {
  let at = from
  const end = from + length
  while (at < end) {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, end - at))
    const { bytesRead } = await fh.read(buf, 0, buf.length, at)
    if (bytesRead === 0) throw new BackupError('damaged', 'the file is shorter than it says')
    at += bytesRead
    yield buf.subarray(0, bytesRead)
  }
}

async function* deciphered(fh: FileHandle, layout: ReturnType<typeof openEnvelope>): AsyncGenerator<Buffer> {
  for await (const c of fileChunks(fh, layout.contentStart, layout.contentLength)) yield layout.decipher.update(c)
  try {
    yield layout.decipher.final()
  } catch {
    throw new BackupError('damaged', 'the encrypted content or its mac was changed')
  }
}

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw e
  }
}

async function assertEmpty(dir: string, option: string): Promise<void> {
  if (!(await isEmptyDir(dir))) throw new BackupError('not-empty', `${dir} (${option}) holds files`)
}

async function readMember(bytes: Bytes, expect: { name: string; maxSize?: number; size?: number }): Promise<number> {
  const h = await bytes.exact(BLOCK)
  const entry = decodeHeader(h)
  if (entry === undefined) throw new BackupError('damaged', isZero(h) ? `${expect.name} is missing` : 'a member header is not well-formed')
  if (entry.name !== expect.name) throw new BackupError('damaged', `found ${JSON.stringify(entry.name)} where ${expect.name} belongs`)
  if (expect.size !== undefined && entry.size !== expect.size) throw new BackupError('damaged', `${expect.name} has another size than the manifest says`)
  if (expect.maxSize !== undefined && entry.size > expect.maxSize) throw new BackupError('unsupported', `${expect.name} is too large`)
  return entry.size
}

async function readPadding(bytes: Bytes, size: number): Promise<void> {
  const pad = padding(size).length
  if (pad > 0 && !isZero(await bytes.exact(pad))) throw new BackupError('damaged', 'the padding after a member is not zero')
}

interface RestoreState {
  readonly input: RestoreInput
  readonly dataDir: string
  readonly configDir: string | undefined
  readonly fh: FileHandle
  bytes?: Bytes
  manifest?: Manifest
  chain?: X509Certificate[]
  staging?: string
  written?: { data: number; config: number }
}

type Step = (s: RestoreState) => Promise<void> | void

const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new Error(`restore: ${what} missing (steps out of order)`)
  return v
}

/** The checks of a restore in the order they run (the header says why this order). */
export const RESTORE_STEPS: ReadonlyArray<readonly [name: string, step: Step]> = [
  ['targets are empty', async (s) => {
    await assertEmpty(s.dataDir, '--data-dir')
    if (s.configDir !== undefined) await assertEmpty(s.configDir, '--config-dir')
  }],
  ['container (plain, or encrypted and the key opens it)', async (s) => {
    const size = (await s.fh.stat()).size
    const first = Buffer.alloc(Math.min(HEAD_BYTES, size))
    await s.fh.read(first, 0, first.length, 0)
    if (first[0] === 0x30) {
      if (s.input.key === undefined) throw new BackupError('needs-key', 'it is a CMS AuthEnvelopedData')
      const mac = Buffer.alloc(MAC_TLV_BYTES)
      if (size >= MAC_TLV_BYTES) await s.fh.read(mac, 0, MAC_TLV_BYTES, size - MAC_TLV_BYTES)
      s.bytes = new Bytes(deciphered(s.fh, openEnvelope(first, mac, size, s.input.key)))
    } else if (first.length >= BLOCK && first.subarray(257, 263).equals(Buffer.from('ustar\0', 'latin1'))) {
      s.bytes = new Bytes(fileChunks(s.fh, 0, size))
    } else {
      throw new BackupError('unsupported', 'it is neither a ustar archive nor a CMS envelope')
    }
  }],
  ['manifest signature', async (s) => {
    const bytes = need(s.bytes, 'bytes')
    const jwsSize = await readMember(bytes, { name: MANIFEST_MEMBER, maxSize: MAX_MANIFEST_BYTES })
    const jws = Buffer.from(await bytes.exact(jwsSize))
    await readPadding(bytes, jwsSize)
    const { manifest, chain } = openManifest(jws)
    if (!manifest.files.some((f) => f.path === `data/${DATABASE_FILE}`)) throw new BackupError('damaged', 'the manifest lists no database')
    s.manifest = manifest
    s.chain = chain
  }],
  ['signer chains to the anchors (restore --config)', async (s) => {
    if (s.input.anchors === undefined) return
    const chain = need(s.chain, 'chain')
    const result = await new TrustAnchors([...s.input.anchors]).validate(chain, { at: new Date(need(s.manifest, 'manifest').createdAt), role: 'tls' })
    if (!result.ok) throw new BackupError('untrusted', `signed by ${chain[0]!.subject.replace(/\n/g, ', ')}: ${result.reason}`)
  }],
  ['schema level known', (s) => {
    const v = need(s.manifest, 'manifest').schemaVersion
    if (v > SCHEMA_VERSION) throw new BackupError('newer-schema', `schema ${v}, this software knows up to ${SCHEMA_VERSION}`)
  }],
  ['every member: name, size, SHA-256, framing (into staging)', async (s) => {
    const bytes = need(s.bytes, 'bytes')
    await mkdir(dirname(s.dataDir), { recursive: true })
    const staging = (s.staging = await mkdtemp(join(dirname(s.dataDir), '.saraban-restore-')))
    for (const f of need(s.manifest, 'manifest').files) {
      await readMember(bytes, { name: f.path, size: f.size })
      const target = join(staging, f.path)
      await mkdir(dirname(target), { recursive: true, mode: 0o700 })
      const out = await open(target, 'wx', 0o600)
      const hash = createHash('sha256')
      try {
        for await (const c of bytes.stream(f.size)) (hash.update(c), await out.write(c))
        await out.sync()
      } finally {
        await out.close()
      }
      if (hash.digest('hex') !== f.sha256) throw new BackupError('damaged', `the SHA-256 of ${f.path} is not the manifest's`)
      await readPadding(bytes, f.size)
    }
  }],
  ['trailer, then the end (and the GCM tag)', async (s) => {
    const bytes = need(s.bytes, 'bytes')
    if (!isZero(await bytes.exact(TRAILER.length)) || !(await bytes.atEnd())) throw new BackupError('damaged', 'the archive does not end with exactly its trailer')
  }],
  ['move into place', async (s) => {
    // Every check passed; the folders may have been filled meanwhile: checked again.
    const staging = need(s.staging, 'staging')
    await assertEmpty(s.dataDir, '--data-dir')
    await mkdir(s.dataDir, { recursive: true, mode: 0o700 })
    const written = (s.written = { data: 0, config: 0 })
    for (const e of await readdir(join(staging, 'data'))) (await rename(join(staging, 'data', e), join(s.dataDir, e)), written.data++)
    if (s.configDir === undefined) return
    await assertEmpty(s.configDir, '--config-dir')
    await mkdir(s.configDir, { recursive: true, mode: 0o700 })
    for (const top of ['config', 'pki']) {
      const from = join(staging, top)
      if (!(await isEmptyDir(from))) (await rename(from, join(s.configDir, top)), written.config++)
    }
  }],
]

/** Checks the backup and puts it into `dataDir` (and `configDir`): RESTORE_STEPS in order. */
export async function restoreBackup(input: RestoreInput): Promise<RestoreResult> {
  const dataDir = resolve(input.dataDir)
  const configDir = input.configDir === undefined ? undefined : resolve(input.configDir)
  const s: RestoreState = { input, dataDir, configDir, fh: await open(input.file, 'r') }
  try {
    for (const [, step] of RESTORE_STEPS) await step(s)
    return { manifest: need(s.manifest, 'manifest'), signer: need(s.chain, 'chain')[0]!, written: need(s.written, 'written') }
  } finally {
    await s.fh.close()
    if (s.staging !== undefined) await rm(s.staging, { recursive: true, force: true })
  }
}
