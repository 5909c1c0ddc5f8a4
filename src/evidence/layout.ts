// Reading an evidence archive byte for byte (PROTOCOL.md §8.4). The manifest comes first; once it
// is read, the position of every other header, content and padding block is known from the sizes it
// lists, so each damaged byte is blamed on the part it belongs to: its header, content or padding,
// or the end of the archive. Nothing here is cryptographic; signatures are checked later.
import { createHash } from 'node:crypto'
import { BLOCK, isZero, padding, parseHeader, tarHeader } from './tar.js'
import { decodeManifest, MANIFEST_PATH, type Manifest } from './manifest.js'

export interface Finding {
  readonly part: string
  readonly ok: boolean
  readonly detail: string
}

export interface Layout {
  readonly manifest?: Manifest
  /** Content of every part found in the archive (damaged ones included), by path. */
  readonly contents: ReadonlyMap<string, Buffer>
  /** Paths whose header, content or padding is not exactly what the manifest says. */
  readonly damaged: ReadonlySet<string>
  readonly findings: readonly Finding[]
}

export function readLayout(archive: Buffer): Layout {
  const findings: Finding[] = []
  const contents = new Map<string, Buffer>()
  const damaged = new Set<string>()
  const bad = (part: string, detail: string) => { findings.push({ part, ok: false, detail }); damaged.add(part) }

  if (archive.length < 3 * BLOCK || archive.length % BLOCK !== 0) {
    bad('archive', `not an evidence archive: ${archive.length} bytes is not a whole number of 512-byte tar blocks`)
    return { contents, damaged, findings }
  }
  // The manifest's size: from its header when the header is intact, else up to the first NUL
  // (canonical JSON holds none), so that a damaged header still lets everything else be checked.
  const h0 = parseHeader(archive.subarray(0, BLOCK))
  let size = h0.checksumOk && h0.path === MANIFEST_PATH ? h0.size : undefined
  if (size === undefined || BLOCK + size > archive.length) {
    const nul = archive.indexOf(0, BLOCK)
    size = (nul === -1 ? archive.length : nul) - BLOCK
  }
  const manifestBytes = archive.subarray(BLOCK, BLOCK + size)
  contents.set(MANIFEST_PATH, manifestBytes)
  const decoded = decodeManifest(manifestBytes)
  if (!decoded.ok) {
    bad(MANIFEST_PATH, `the manifest is not usable: ${decoded.reason}`)
    return { contents, damaged, findings }
  }
  const manifest = decoded.manifest
  const mtime = Math.floor(Date.parse(manifest.generatedAt) / 1000)
  const entries = [{ path: MANIFEST_PATH, size, sha256: undefined as string | undefined }, ...manifest.parts]
  const seen = new Set<string>()
  let off = 0
  for (const e of entries) {
    if (seen.has(e.path)) { bad(e.path, 'listed twice in the manifest'); continue }
    seen.add(e.path)
    let expected: Buffer
    try {
      expected = tarHeader({ path: e.path, size: e.size, mtime })
    } catch (err) {
      bad(e.path, `the manifest lists it in a way no archive can hold: ${(err as Error).message}`)
      return { manifest, contents, damaged, findings }
    }
    const end = off + BLOCK + e.size + padding(e.size)
    if (end > archive.length) {
      bad(e.path, `missing: the archive ends at byte ${archive.length}, before this part's ${e.size} bytes at ${off + BLOCK}`)
      return { manifest, contents, damaged, findings }
    }
    const header = archive.subarray(off, off + BLOCK)
    if (!header.equals(expected)) {
      const got = parseHeader(header)
      bad(e.path, `tar header at byte ${off} is not the one for this part (${got.checksumOk ? 'fields differ' : 'checksum does not match'}; name read: ${JSON.stringify(got.path)})`)
    }
    const content = archive.subarray(off + BLOCK, off + BLOCK + e.size)
    contents.set(e.path, content)
    if (e.sha256 !== undefined && createHash('sha256').update(content).digest('hex') !== e.sha256) {
      bad(e.path, `content (${e.size} bytes at byte ${off + BLOCK}) does not match its SHA-256 in the manifest`)
    }
    if (!isZero(archive.subarray(off + BLOCK + e.size, end))) bad(e.path, `tar padding after the content (bytes ${off + BLOCK + e.size}–${end - 1}) is not all NUL`)
    off = end
  }
  const tail = archive.subarray(off)
  if (tail.length !== 2 * BLOCK || !isZero(tail)) {
    bad('end of archive', `after the last part there must be exactly two NUL blocks (1024 bytes); found ${tail.length} bytes${isZero(tail) ? '' : ', not all NUL'}`)
  }
  if (findings.length === 0) findings.push({ part: 'archive', ok: true, detail: `ustar archive of ${entries.length} files, each exactly as the manifest lists it` })
  return { manifest, contents, damaged, findings }
}
