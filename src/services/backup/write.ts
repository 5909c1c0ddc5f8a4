// Making a backup (issue 17 item 3, README "Backups"): a consistent copy of the database through
// SQLite's online backup API (taken by the caller: the node's own connection, or `saraban-node
// backup` opening the running node's file), the data directory's other files, the config file and
// the certificates, and the private key files only when the backup is encrypted. Layout: a ustar
// archive (tar.ts) whose first member is the signed manifest (manifest.ts); encrypted, the archive
// is the content of a CMS AuthEnvelopedData (envelope.ts). Files are streamed in chunks: nothing
// holds a whole database in memory. The output appears under its name only once it is complete.
import { createHash, type KeyObject, type X509Certificate } from 'node:crypto'
import { mkdtemp, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { streamAuthEnveloped } from '../../crypto/cms/auth-enveloped.js'
import { FORMAT, MANIFEST_MEMBER, signManifest, type BackupFile, type FileKind, type Manifest } from './manifest.js'
import { archiveSize, encodeHeader, padding, TRAILER } from './tar.js'

const CHUNK = 1024 * 1024
export const DATABASE_FILE = 'saraban.sqlite'

/** A file to carry besides the database: its member name, where it is, what it is. */
export interface ExtraFile {
  readonly path: string
  readonly file: string
  readonly kind: FileKind
}

export interface BackupInput {
  readonly dataDir: string
  /** Copies a consistent snapshot of the database into `file` (SQLite's online backup API). */
  snapshot(file: string): Promise<void>
  /** The config file, certificates and (used only when encrypted) private key files. */
  readonly files: readonly ExtraFile[]
  readonly agencies: readonly string[]
  readonly keysNotIncluded: readonly string[]
  readonly signer: { key: KeyObject; chain: readonly X509Certificate[] }
  /** Encrypt to this certificate (config backup.recipient); absent: a plain archive without private keys. */
  readonly recipient?: X509Certificate
  /** Folders inside the data directory not to copy (the schedule's directory). */
  readonly skip?: readonly string[]
  readonly now: Date
}

export interface BackupResult {
  readonly manifest: Manifest
  readonly bytes: number
}

async function sha256Of(file: string): Promise<{ size: number; sha256: string }> {
  const fh = await open(file, 'r')
  try {
    const hash = createHash('sha256')
    const buf = Buffer.allocUnsafe(CHUNK)
    let size = 0
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null)
      if (bytesRead === 0) break
      hash.update(buf.subarray(0, bytesRead))
      size += bytesRead
    }
    return { size, sha256: hash.digest('hex') }
  } finally {
    await fh.close()
  }
}

/** The data directory's files beside the database (e.g. trust/ last-good copies), sorted. SQLite's
 *  own -wal/-shm/-journal files are never copied: the snapshot holds what they held. */
async function dataFiles(dataDir: string, skip: readonly string[]): Promise<ExtraFile[]> {
  const out: ExtraFile[] = []
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, e.name)
      if (e.name.startsWith('.saraban-') || skip.some((s) => full === s || full.startsWith(s + sep))) continue
      if (e.isDirectory()) await walk(full)
      else if (e.isFile() && !(dir === dataDir && e.name.startsWith(DATABASE_FILE))) {
        out.push({ path: `data/${relative(dataDir, full).split(sep).join('/')}`, file: full, kind: 'data' })
      }
    }
  }
  await walk(dataDir)
  return out
}

/** SQLite's user_version (the migration level): a big-endian 32-bit integer at byte 60 of the header. */
async function userVersion(file: string): Promise<number> {
  const fh = await open(file, 'r')
  try {
    const b = Buffer.alloc(4)
    await fh.read(b, 0, 4, 60)
    return b.readUInt32BE(0)
  } finally {
    await fh.close()
  }
}

/** Writes the backup to `out` (0600); returns its manifest. */
export async function writeBackup(input: BackupInput, out: string): Promise<BackupResult> {
  out = resolve(out)
  const work = await mkdtemp(join(dirname(out), '.saraban-backup-')) // mkdtemp makes it 0700
  const partial = join(work, `${basename(out)}.partial`)
  try {
    const db = join(work, DATABASE_FILE)
    await input.snapshot(db)
    const encrypted = input.recipient !== undefined
    const sources: ExtraFile[] = [
      { path: `data/${DATABASE_FILE}`, file: db, kind: 'database' },
      ...(await dataFiles(input.dataDir, input.skip ?? [])),
      ...input.files.filter((f) => encrypted || f.kind !== 'private-key'),
    ]
    const files: BackupFile[] = []
    for (const s of sources) {
      const { size, sha256 } = await sha256Of(s.file)
      files.push({ path: s.path, size, sha256, kind: s.kind, ...(s.kind === 'config' || s.kind === 'certificate' || s.kind === 'private-key' ? { origin: s.file } : {}) })
    }
    const manifest: Manifest = {
      format: FORMAT,
      createdAt: input.now.toISOString(),
      schemaVersion: await userVersion(db),
      agencies: [...input.agencies],
      encrypted,
      keysIncluded: encrypted && files.some((f) => f.kind === 'private-key'),
      keysNotIncluded: [...input.keysNotIncluded],
      files,
    }
    const jws = signManifest(manifest, input.signer)
    const mtime = Math.floor(input.now.getTime() / 1000)
    const total = archiveSize([jws.length, ...files.map((f) => f.size)])
    const fh = await open(partial, 'wx', 0o600)
    let bytes = 0
    try {
      const seal = input.recipient ? streamAuthEnveloped(input.recipient, total) : undefined
      const put = async (b: Buffer): Promise<void> => {
        const w = seal ? seal.update(b) : b
        if (w.length > 0) await fh.write(w)
        bytes += w.length
      }
      if (seal) (await fh.write(seal.prefix), (bytes += seal.prefix.length))
      await put(encodeHeader({ name: MANIFEST_MEMBER, size: jws.length, mtime }))
      await put(jws)
      await put(padding(jws.length))
      for (let i = 0; i < files.length; i++) {
        const f = files[i]!
        await put(encodeHeader({ name: f.path, size: f.size, mtime }))
        await copyChecked(sources[i]!.file, f, put)
        await put(padding(f.size))
      }
      await put(TRAILER)
      if (seal) {
        const tail = seal.tail()
        await fh.write(tail)
        bytes += tail.length
      }
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(partial, out)
    return { manifest, bytes }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** Streams a file into the archive; it must still be the file that was hashed (a config edited in between would make a backup that never restores). */
async function copyChecked(file: string, f: BackupFile, put: (b: Buffer) => Promise<void>): Promise<void> {
  const fh: FileHandle = await open(file, 'r')
  try {
    const hash = createHash('sha256')
    let size = 0
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK) // a fresh buffer: put() may still hold the last one
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null)
      if (bytesRead === 0) break
      const part = buf.subarray(0, Math.min(bytesRead, f.size - size))
      hash.update(part)
      size += part.length
      await put(part)
      if (size === f.size) break
    }
    if (size !== f.size || hash.digest('hex') !== f.sha256) throw new Error(`${file} changed while the backup was made; make the backup again`)
  } finally {
    await fh.close()
  }
}
