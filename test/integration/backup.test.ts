// Issue 17 item 3: `saraban-node backup` of a running node under load, `restore` into another data
// directory, the restored node starts and delivers; a backup with one byte changed anywhere is refused
// and nothing is written; an encrypted backup opens with `openssl cms -decrypt` and restores with the
// recipient's key only; the node's own schedule keeps N. Real nodes, the real CLI (spawned), real files.
import t from 'tap'
import { execFile, execFileSync } from 'node:child_process'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { loadConfig } from '../../src/config/index.js'
import { createContext, type AppContext } from '../../src/context.js'
import { createLogger } from '../../src/log.js'
import { EXIT } from '../../src/cli/exit-codes.js'
import { restoreBackup } from '../../src/services/backup/read.js'
import { BackupError } from '../../src/services/backup/errors.js'
import { decodeHeader, BLOCK } from '../../src/services/backup/tar.js'
import { backupInputFrom } from '../../src/services/backup/from-config.js'
import { writeBackup } from '../../src/services/backup/write.js'
import { scheduledName } from '../../src/services/backup/schedule.js'
import { snapshotDatabase } from '../../src/storage/snapshot.js'
import { call, testNet, thaiLetter, waitFor, waitForRecipient, type TestNode } from '../helpers/nodes.js'

t.setTimeout(600_000)
const MAIN = join(import.meta.dirname, '../../src/main.ts')

const cli = (args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, LOG_LEVEL: 'silent' } }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }))
  })

const net = await testNet(['moi', 'mof'])
t.teardown(() => net.stop())
const moi = net.nodes.moi!
const mof = net.nodes.mof!
await mof.start()
await moi.start()
const moiDir = join(net.dir, 'moi')
const anchors = [new X509Certificate(readFileSync(join(net.dir, 'root.crt.pem')))]

/** A config beside moi's node.json (so its relative key paths hold) with other members. */
function moiConfig(name: string, edit: (c: Record<string, any>) => void): string {
  const c = JSON.parse(readFileSync(moi.configFile, 'utf8')) as Record<string, any>
  edit(c)
  const file = join(moiDir, name)
  writeFileSync(file, JSON.stringify(c, null, 2))
  return file
}

async function startFrom(configFile: string, apiKey: string): Promise<{ node: TestNode; ctx: AppContext }> {
  const ctx = await createContext(loadConfig({ file: configFile, env: {}, packageRoot: process.cwd() }), { log: createLogger('silent') })
  const { apiUrl } = await ctx.listen()
  const node: TestNode = { id: 'moi', apiKey, configFile, federationPort: 0, apiUrl, start: async () => {}, stop: () => ctx.close() }
  return { node, ctx }
}

const plainBackup = join(net.dir, 'plain.backup')

t.test('backup under load: what was committed before it began is there after a restore, and the restored node delivers', async (t) => {
  for (let i = 0; i < 3; i++) t.equal((await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: `ก่อนสำรอง ${i}` }) })).status, 202)
  const committed: Array<{ id: string; before: boolean }> = []
  let begun = false
  let stop = false
  // Letters keep being sent (and delivered, received and receipted by mof) while the backup runs.
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      const r = await call(moi, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: `ระหว่างสำรอง ${i}` }) })
      if (r.status === 202) committed.push({ id: r.body.id, before: !begun })
    }
  })()
  await waitFor('letters under load', () => committed.length >= 5 || undefined)
  begun = true
  const r = await cli(['backup', '--config', moi.configFile, '--out', plainBackup])
  stop = true
  await load
  t.equal(r.status, EXIT.OK, r.stderr)
  t.match(r.stdout, /NOT encrypted/)
  const listed = execFileSync('tar', ['tf', plainBackup], { encoding: 'utf8' }).trim().split('\n')
  t.same(listed.slice(0, 2), ['manifest.jws', 'data/saraban.sqlite'], 'a ustar archive `tar` lists: the signed manifest first')
  t.ok(listed.includes('config/node.json') && listed.includes('pki/tls/cert.pem'), 'config and certificates carried')
  t.notOk(listed.some((n) => n.endsWith('key.pem')), 'no private key in a backup that is not encrypted')

  const before = committed.filter((c) => c.before).map((c) => c.id)
  t.ok(before.length >= 5, `${before.length} letters committed before the backup began, ${committed.length - before.length} during it`)

  // The original node goes away; its backup comes back on another data directory.
  await moi.stop()
  const restoredConfig = moiConfig('restored.json', (c) => (c.dataDir = './data-restored'))
  const nonEmpty = await cli(['restore', '--in', plainBackup, '--data-dir', join(moiDir, 'data')])
  t.equal(nonEmpty.status, EXIT.USAGE, 'the running node’s own data directory is not empty')
  t.match(nonEmpty.stderr, /restore only into an empty or new data directory/)
  const restored = await cli(['restore', '--in', plainBackup, '--config', restoredConfig])
  t.equal(restored.status, EXIT.OK, restored.stderr)
  t.match(restored.stdout, /restored the backup of moi/)
  const copy = new Database(join(moiDir, 'data-restored', 'saraban.sqlite'), { readonly: true })
  t.equal(copy.pragma('integrity_check', { simple: true }), 'ok', 'the copy taken under load is a sound database')
  copy.close()

  const { node, ctx } = await startFrom(restoredConfig, moi.apiKey)
  t.teardown(() => ctx.close())
  for (const id of before) {
    const got = await call(node, 'GET', `/api/v1/letters/${id}`)
    if (got.status !== 200) t.fail(`letter ${id} committed before the backup is missing after the restore`)
  }
  t.pass(`all ${before.length} letters committed before the backup are in the restored node`)
  const sent = await call(node, 'POST', '/api/v1/letters', { letter: thaiLetter(['mof'], { subject: 'หลังกู้คืน' }) })
  t.equal(sent.status, 202)
  await waitForRecipient(node, sent.body.id, 'delivered', 30_000)
  t.pass('the restored node delivers a new letter')
  await ctx.close()
})

t.test('a backup with one byte changed is refused, wherever the byte is, and nothing is written', async (t) => {
  const bytes = readFileSync(plainBackup)
  const manifestSize = decodeHeader(bytes.subarray(0, BLOCK))!.size
  const jws = bytes.subarray(BLOCK, BLOCK + manifestSize).toString('latin1')
  const dbHeader = BLOCK + Math.ceil(manifestSize / BLOCK) * BLOCK
  const db = decodeHeader(bytes.subarray(dbHeader, dbHeader + BLOCK))!
  t.equal(db.name, 'data/saraban.sqlite')
  const positions: Record<string, number> = {
    'the manifest header': 10,
    'the manifest (JWS protected header)': BLOCK + 5,
    'the manifest (its payload)': BLOCK + jws.indexOf('.') + 40,
    'the signature': BLOCK + jws.lastIndexOf('.') + 10,
    'the last character of the signature': BLOCK + manifestSize - 1,
    'the padding after the manifest': BLOCK + manifestSize + 1,
    'a member header (its checksum)': dbHeader + 150,
    'the database content': dbHeader + BLOCK + 4096 + 100,
    'the trailer': bytes.length - 3,
  }
  for (const [where, at] of Object.entries(positions)) {
    const copy = Buffer.from(bytes)
    copy[at] = copy[at]! ^ 0x01
    const file = join(net.dir, 'changed.backup')
    writeFileSync(file, copy)
    const dataDir = join(net.dir, 'changed-data')
    const err = await restoreBackup({ file, dataDir, anchors }).then(() => undefined, (e: unknown) => e)
    t.ok(err instanceof BackupError && err.kind === 'damaged', `refused: one byte changed in ${where}`)
    t.notOk(existsSync(dataDir), `nothing written (${where})`)
  }
  const appended = join(net.dir, 'appended.backup')
  writeFileSync(appended, Buffer.concat([bytes, Buffer.alloc(1)]))
  const r = await cli(['restore', '--in', appended, '--data-dir', join(net.dir, 'appended-data')])
  t.equal(r.status, EXIT.FAILED)
  t.match(r.stderr, /this backup was changed or damaged; use another backup/, 'the CLI says what to do in one sentence')
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace')
})

t.test('an encrypted backup: openssl cms -decrypt opens it; restore needs the recipient key and refuses another', async (t) => {
  const op = join(net.dir, 'operator')
  mkdirSync(op)
  for (const name of ['backup', 'other']) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(op, `${name}.key.pem`), '-out', join(op, `${name}.crt.pem`), '-subj', `/CN=${name} operator`, '-days', '2'], { stdio: 'ignore' })
  }
  const config = moiConfig('encrypted.json', (c) => (c.backup = { recipient: '../operator/backup.crt.pem' }))
  const out = join(net.dir, 'encrypted.backup')
  const r = await cli(['backup', '--config', config, '--out', out])
  t.equal(r.status, EXIT.OK, r.stderr)
  t.match(r.stdout, /encrypted to backup.recipient, private keys included/)

  const tarFile = join(net.dir, 'decrypted.tar')
  execFileSync('openssl', ['cms', '-decrypt', '-inform', 'DER', '-in', out, '-recip', join(op, 'backup.crt.pem'), '-inkey', join(op, 'backup.key.pem'), '-out', tarFile])
  const listed = execFileSync('tar', ['tf', tarFile], { encoding: 'utf8' })
  t.match(listed, /^manifest\.jws\ndata\/saraban\.sqlite\n/, 'OpenSSL decrypts it to the archive')
  t.match(listed, /pki\/tls\/key\.pem/, 'with the private keys')

  const noKey = await cli(['restore', '--in', out, '--data-dir', join(net.dir, 'enc-nokey')])
  t.equal(noKey.status, EXIT.USAGE)
  t.match(noKey.stderr, /this backup is encrypted: give the private key/)
  const wrong = await cli(['restore', '--in', out, '--data-dir', join(net.dir, 'enc-wrong'), '--key', join(op, 'other.key.pem')])
  t.equal(wrong.status, EXIT.FAILED)
  t.match(wrong.stderr, /encrypted to another key/)
  t.notOk(existsSync(join(net.dir, 'enc-wrong')), 'nothing written with the wrong key')

  const changed = Buffer.from(readFileSync(out))
  changed[changed.length - 200] = changed[changed.length - 200]! ^ 0x01
  writeFileSync(join(net.dir, 'enc-changed.backup'), changed)
  const err = await restoreBackup({ file: join(net.dir, 'enc-changed.backup'), dataDir: join(net.dir, 'enc-changed'), key: createPrivateKey(readFileSync(join(op, 'backup.key.pem'))) }).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof BackupError && err.kind === 'damaged', 'a changed ciphertext byte is refused')
  t.notOk(existsSync(join(net.dir, 'enc-changed')), 'nothing written')

  const ok = await cli(['restore', '--in', out, '--data-dir', join(net.dir, 'enc-data'), '--config-dir', join(net.dir, 'enc-config'), '--key', join(op, 'backup.key.pem'), '--config', config])
  t.equal(ok.status, EXIT.OK, ok.stderr)
  t.ok(existsSync(join(net.dir, 'enc-data', 'saraban.sqlite')), 'the database restored')
  t.equal(readFileSync(join(net.dir, 'enc-config', 'pki', 'tls', 'key.pem'), 'utf8'), readFileSync(join(moiDir, 'tls.key.pem'), 'utf8'), 'and the TLS key')
})

t.test('the schedule: the node makes backups itself and keeps the newest N', async (t) => {
  const dir = join(net.dir, 'scheduled')
  const config = moiConfig('scheduled.json', (c) => ((c.dataDir = './data-scheduled'), (c.backup = { schedule: { every: 1, directory: '../scheduled', keep: 2 } })))
  const { ctx } = await startFrom(config, moi.apiKey)
  t.teardown(() => ctx.close())
  const names = () => (existsSync(dir) ? readdirSync(dir).filter((n) => /^saraban-.*\.backup$/.test(n)).sort() : [])
  const seen = new Set<string>()
  await waitFor('four scheduled backups', () => (names().forEach((n) => seen.add(n)), seen.size >= 4 || undefined), 60_000)
  await ctx.close()
  const kept = names()
  t.equal(kept.length, 2, 'two kept')
  t.same(kept, [...seen, ...kept].filter((n, i, a) => a.indexOf(n) === i).sort().slice(-2), 'the newest two')
  const restored = await restoreBackup({ file: join(dir, kept[1]!), dataDir: join(net.dir, 'from-schedule'), anchors })
  t.equal(restored.manifest.agencies[0], 'moi', 'a scheduled backup restores')

  // every: 1d, and the newest backup in the directory is two days old: one is due now, not a day after this start.
  const daily = join(net.dir, 'daily')
  mkdirSync(daily)
  const old = scheduledName(Date.now() - 2 * 86_400_000)
  writeFileSync(join(daily, old), 'an old backup')
  const dailyConfig = moiConfig('daily.json', (c) => ((c.dataDir = './data-scheduled'), (c.backup = { schedule: { every: '1d', directory: '../daily', keep: 1 } })))
  const second = await startFrom(dailyConfig, moi.apiKey)
  t.teardown(() => second.ctx.close())
  await waitFor('the overdue backup', () => (readdirSync(daily).some((n) => n !== old && n.endsWith('.backup')) && !existsSync(join(daily, old))) || undefined, 60_000)
  t.pass('an overdue backup is made at start, and keep: 1 deletes the old one')
  await second.ctx.close()
})

t.test('a backup re-signed by a key outside the federation is refused with --config; EC P-256 recipients work with OpenSSL too', async (t) => {
  const op = join(net.dir, 'operator-ec')
  mkdirSync(op)
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(op, 'key.pem'), '-out', join(op, 'crt.pem'), '-subj', '/CN=ec operator', '-days', '2'], { stdio: 'ignore' })
  const config = loadConfig({ file: moiConfig('ec.json', (c) => (c.backup = { recipient: '../operator-ec/crt.pem' })), env: {}, packageRoot: process.cwd() })
  const dbFile = join(config.dataDir, 'saraban.sqlite')
  const key = createPrivateKey(readFileSync(join(op, 'key.pem')))
  const input = backupInputFrom(config, (dest) => snapshotDatabase(dbFile, dest), new Date())

  const ec = join(net.dir, 'ec.backup')
  await writeBackup(input, ec)
  const tarFile = join(net.dir, 'ec.tar')
  execFileSync('openssl', ['cms', '-decrypt', '-inform', 'DER', '-in', ec, '-recip', join(op, 'crt.pem'), '-inkey', join(op, 'key.pem'), '-out', tarFile])
  t.match(execFileSync('tar', ['tf', tarFile], { encoding: 'utf8' }), /^manifest\.jws\ndata\/saraban\.sqlite\n/, 'OpenSSL opens an ECDH (kari) backup')
  t.equal((await restoreBackup({ file: ec, dataDir: join(net.dir, 'ec-data'), key, anchors })).manifest.encrypted, true, 'and restore does')

  // Anyone can make a well-formed, self-consistent backup with a key of their own: only the signer's chain tells.
  const forged = join(net.dir, 'forged.backup')
  const { recipient: _, ...plain } = input
  await writeBackup({ ...plain, signer: { key, chain: [new X509Certificate(readFileSync(join(op, 'crt.pem')))] } }, forged)
  const err = await restoreBackup({ file: forged, dataDir: join(net.dir, 'forged-data'), anchors }).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof BackupError && err.kind === 'untrusted', 'refused: its signer does not chain to the federation anchors')
  t.notOk(existsSync(join(net.dir, 'forged-data')), 'nothing written')
  const r = await cli(['restore', '--in', forged, '--data-dir', join(net.dir, 'forged-cli'), '--config', moi.configFile])
  t.equal(r.status, EXIT.FAILED)
  t.match(r.stderr, /was not signed by a node of the federation named by --config/)

  // A backup from a newer version (a schema level this software does not know) is not restored.
  const newer = join(net.dir, 'newer.backup')
  await writeBackup({ ...plain, snapshot: async (dest) => { const d = new Database(dest); d.pragma('user_version = 9999'); d.close() } }, newer)
  const nerr = await restoreBackup({ file: newer, dataDir: join(net.dir, 'newer-data'), anchors }).then(() => undefined, (e: unknown) => e)
  t.ok(nerr instanceof BackupError && nerr.kind === 'newer-schema', 'refused: made by a newer saraban-node')
  t.notOk(existsSync(join(net.dir, 'newer-data')), 'nothing written')
})

t.test('backup: an existing --out and a config without a database are refused in one sentence', async (t) => {
  const exists = await cli(['backup', '--config', moi.configFile, '--out', plainBackup])
  t.equal(exists.status, EXIT.USAGE)
  t.match(exists.stderr, /exists already: give a new file name with --out/)
  const empty = await cli(['backup', '--config', moiConfig('nodb.json', (c) => (c.dataDir = './data-none')), '--out', join(net.dir, 'none.backup')])
  t.equal(empty.status, EXIT.CONFIG)
  t.match(empty.stderr, /there is no database at .*data-none/)
  t.notOk(existsSync(join(net.dir, 'none.backup')), 'no file written')
  const badRecipient = await cli(['backup', '--config', moiConfig('bad-recipient.json', (c) => (c.backup = { recipient: 'tls.key.pem' })), '--out', join(net.dir, 'bad.backup')])
  t.equal(badRecipient.status, EXIT.CONFIG)
  t.match(badRecipient.stderr, /backup\.recipient .*tls\.key\.pem holds no PEM certificate: give the PEM certificate of the operator's backup key/)
  t.notOk(existsSync(join(net.dir, 'bad.backup')), 'no file written')
})
