// Issue 16 item 2 (sending half): a letter with a large attachment sent as multipart/form-data is
// never held whole on the sending node, in any envelope profile: the upload is spooled to a file and
// the envelope sealed from it into chunk rows. Proved without timing or RSS sampling: a child process
// (test/helpers/bounded-send-child.ts) counts the largest Buffer it allocates from the first byte of
// the upload to the 202. Before the change it was the whole request (the multipart arena, sized by
// Content-Length) and then the whole envelope; now it is a 1 MiB block (spool, file reads, chunk rows).
import t from 'tap'
import { execFile } from 'node:child_process'
import { join } from 'node:path'

const MB = 24
const CHILD = join(import.meta.dirname, '../helpers/bounded-send-child.ts')

function child(profile: string): Promise<{ status: number; largest: number; where: string; manifestSha256: string; sentSha256: string; body?: string }> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', CHILD, profile, String(MB)], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, LOG_LEVEL: 'silent' } }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop()!))))
}

for (const profile of ['jose-v1', 'jose-v2', 'cms-v1']) {
  t.test(`${profile}: a ${MB} MB multipart letter is stored without a Buffer over 2 MiB`, async (t) => {
    const r = await child(profile)
    t.equal(r.status, 202, r.body ?? '')
    t.equal(r.manifestSha256, r.sentSha256, 'the signed manifest has the SHA-256 of the bytes sent')
    t.ok(r.largest <= 2 * 1024 * 1024, `largest Buffer ${r.largest} bytes (${r.where})`)
  })
}
