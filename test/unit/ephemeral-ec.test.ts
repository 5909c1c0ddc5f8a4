// crypto/ephemeral-ec.ts: the ephemeral ECDH agreement that replaced generateKeyPairSync + export to
// JWK, a pair that deadlocks Node.js 20 now and then (a garbage collection destroys the key generation
// job while the export holds the key's mutex). Z agrees with the recipient's side on both curves, the
// coordinates have the curve's length, and a child process with a tiny young generation (a collection
// every few allocations) wraps 30,000 content keys with ECDH-ES and finishes. The old wrap hung there
// in 2 of 4 runs of 20,000 (and in a plain loop of keygen + export within about 10,000 keys): a guard
// that catches the deadlock more often than not, not every time, since it needs a collection to fall
// inside the export.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto'
import { agreeEphemeral } from '../../src/crypto/ephemeral-ec.js'
import { ecdhSecretWithPoint } from '../../src/crypto/keys/private-key.js'

const SRC = new URL('../../src/', import.meta.url).href
const REPO = new URL('../..', import.meta.url)

t.test('Z is the recipient\'s Z for the published ephemeral point, on P-256 and P-384', async (t) => {
  for (const [crv, namedCurve, n] of [['P-256', 'prime256v1', 32], ['P-384', 'secp384r1', 48]] as const) {
    const recipient = generateKeyPairSync('ec', { namedCurve })
    for (let i = 0; i < 50; i++) {
      const e = agreeEphemeral(crv, recipient.publicKey)
      if (e.x.length !== n || e.y.length !== n) t.fail(`${crv}: coordinates of ${e.x.length} and ${e.y.length} bytes`)
      const epk = createPublicKey({ key: { kty: 'EC', crv, x: e.x.toString('base64url'), y: e.y.toString('base64url') }, format: 'jwk' })
      if (!diffieHellman({ privateKey: recipient.privateKey, publicKey: epk }).equals(e.z)) t.fail(`${crv}: Z differs`)
    }
    t.pass(`${crv}: 50 agreements, each Z equal on both sides, coordinates of ${n} bytes`)
  }
  const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  t.throws(() => agreeEphemeral('P-384', other.publicKey), 'a recipient on another curve is refused')
})

t.test('the recipient\'s side from the peer\'s point: Z as diffieHellman() gives it; a point off the curve is refused', async (t) => {
  for (const [crv, namedCurve] of [['P-256', 'prime256v1'], ['P-384', 'secp384r1']] as const) {
    const own = generateKeyPairSync('ec', { namedCurve })
    for (let i = 0; i < 20; i++) {
      const e = agreeEphemeral(crv, own.publicKey)
      const point = Buffer.concat([Buffer.from([4]), e.x, e.y])
      if (!ecdhSecretWithPoint(own.privateKey, { crv, point }).equals(e.z)) t.fail(`${crv}: Z differs`)
    }
    t.pass(`${crv}: 20 agreements, Z equal`)
    const e = agreeEphemeral(crv, own.publicKey)
    const off = Buffer.concat([Buffer.from([4]), e.x, e.y])
    off[off.length - 1]! ^= 1
    t.throws(() => ecdhSecretWithPoint(own.privateKey, { crv, point: off }), `${crv}: a point off the curve is refused`)
    t.throws(() => ecdhSecretWithPoint(own.privateKey, { crv, point: Buffer.concat([Buffer.from([4]), Buffer.alloc(e.x.length * 2)]) }), `${crv}: (0, 0) is refused`)
  }
})

t.test('30,000 ECDH-ES key wraps under constant garbage collection finish (no deadlock)', async (t) => {
  const code = `
    import { generateKeyPairSync } from 'node:crypto'
    import { wrapEcdhEs } from '${SRC}crypto/jose/ecdh-es.ts'
    const r = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey
    const cek = Buffer.alloc(32, 7)
    for (let i = 0; i < 30000; i++) wrapEcdhEs(cek, r)
    process.stdout.write('done')`
  const child = spawn(process.execPath, ['--max-semi-space-size=1', '--import', 'tsx', '--input-type=module', '-e', code], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  // A hung child never exits; the bound is far above the few seconds the wraps take.
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
  const exit = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
  clearTimeout(timer)
  t.equal(out, 'done', 'all wraps done')
  t.equal(exit, 0)
})
