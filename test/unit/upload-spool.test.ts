// services/uploads/spool.ts (issue 16 item 2): spooled files are private, hashed while written, and
// removed on discard; at start a process empties its own spool folder and leaves another process's.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { UploadSpool } from '../../src/services/uploads/spool.js'

const root = () => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'))
  return join(dir, 'uploads')
}

t.test('a spooled file: its bytes, size and SHA-256, mode 0600 in a 0700 folder', async (t) => {
  const spool = new UploadSpool(root(), 'host:8443')
  const w = await spool.create()
  const parts = [randomBytes(10), randomBytes(1024 * 1024 + 3), randomBytes(70_000)]
  for (const p of parts) await w.write(p)
  const f = await w.finish()
  const all = Buffer.concat(parts)
  t.equal(f.size, all.length)
  t.equal(f.sha256, createHash('sha256').update(all).digest('hex'))
  t.ok(readFileSync(f.path).equals(all))
  if (process.platform !== 'win32') {
    t.equal(statSync(f.path).mode & 0o777, 0o600)
    t.equal(statSync(spool.dir).mode & 0o777, 0o700)
  }
})

t.test('discard removes the file; at start a process empties its own folder only', async (t) => {
  const r = root()
  const mine = new UploadSpool(r, 'host:8443')
  const other = new UploadSpool(r, 'host:9443')
  const dropped = await mine.create()
  await dropped.write(randomBytes(100))
  await dropped.discard()
  t.notOk(existsSync(dropped.path), 'discarded')
  const left = await mine.create()
  await left.write(randomBytes(100))
  await left.finish()
  const others = await other.create()
  await others.write(randomBytes(100))
  const again = new UploadSpool(r, 'host:8443') // the same process after a restart
  t.equal(again.sweep(), 1)
  t.same(readdirSync(again.dir), [])
  t.ok(existsSync(others.path), "another process's upload in progress is left alone")
  await others.discard()
})
