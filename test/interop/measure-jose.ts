// Timing of jose-v1 seal + open against raw AES-256-GCM (encrypt + decrypt) on the same bytes.
// Not a test. Runs are interleaved so that a busy machine slows every column alike; medians.
//   npx tsx test/interop/measure-jose.ts [--jose-lib] [--100mb]
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { CompactEncrypt, compactDecrypt } from 'jose'
import { openV1, sealV1 } from '../../src/crypto/jose/v1-profile.js'
import { testFederation } from '../helpers/federation.js'
import { sealInput } from '../vectors/fixtures.js'

const fed = await testFederation()
const SIZES: Array<[string, number, number]> = [['0 B', 0, 60], ['100 KB', 100_000, 60], ['10 MB', 10_000_000, 15]]
if (process.argv.includes('--100mb')) SIZES.push(['100 MB', 100_000_000, 5])

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const ms = (x: number): string => `${x.toFixed(2).padStart(8)} ms`

/** Cipher throughput alone: 48 KiB slices, outputs dropped (no large allocation). */
function rawGcmSliced(data: Buffer): void {
  const key = randomBytes(32)
  const iv = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', key, iv)
  for (let i = 0; i < data.length; i += 49152) c.update(data.subarray(i, i + 49152))
  c.final()
  const d = createDecipheriv('aes-256-gcm', key, iv)
  d.setAuthTag(c.getAuthTag())
  for (let i = 0; i < data.length; i += 49152) d.update(data.subarray(i, i + 49152))
  try { d.final() } catch { /* the tag is over other bytes: only the time matters */ }
}

/** One-shot encrypt then decrypt, as an application would call it (allocates both outputs). */
function rawGcm(data: Buffer): void {
  const key = randomBytes(32)
  const iv = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', key, iv)
  const ct = c.update(data)
  c.final()
  const d = createDecipheriv('aes-256-gcm', key, iv)
  d.setAuthTag(c.getAuthTag())
  d.update(ct)
  d.final()
}

for (const [label, size, runs] of SIZES) {
  const data = randomBytes(size)
  const cases = (['mof', 'moi'] as const).map((to) => ({
    alg: to === 'mof' ? 'ECDH-ES+A256KW (RS256 signer)' : 'RSA-OAEP-256 (ES256 signer)',
    input: sealInput(fed, to === 'mof' ? 'moi' : 'mof', to, [data]),
    key: fed.agencies[to]!.encryption.key,
    seal: [] as number[],
    open: [] as number[],
  }))
  const raw: number[] = []
  const sliced: number[] = []
  for (let r = -1; r < runs; r++) { // r = -1: warm-up, not recorded
    let t0 = performance.now()
    rawGcm(data)
    if (r >= 0) raw.push(performance.now() - t0)
    t0 = performance.now()
    rawGcmSliced(data)
    if (r >= 0) sliced.push(performance.now() - t0)
    for (const c of cases) {
      t0 = performance.now()
      const { envelope } = sealV1(c.input)
      const t1 = performance.now()
      openV1(envelope, c.key)
      if (r >= 0) c.seal.push(t1 - t0), c.open.push(performance.now() - t1)
    }
  }
  const base = median(raw)
  const floor = median(sliced)
  console.log(`${label}: raw AES-256-GCM encrypt+decrypt: one-shot ${ms(base)}, sliced (cipher only) ${ms(floor)}`)
  for (const c of cases) {
    const total = median(c.seal) + median(c.open)
    console.log(`  ${c.alg.padEnd(30)} seal ${ms(median(c.seal))}  open ${ms(median(c.open))}  sum ${ms(total)}` +
      `  = ${(total / base).toFixed(2)}x one-shot, ${(total / floor).toFixed(2)}x sliced`)
  }
  if (process.argv.includes('--jose-lib') && size <= 10_000_000) {
    const pub = fed.agencies['mof']!.encryption.cert.publicKey
    const t0 = performance.now()
    const jwe = await new CompactEncrypt(data).setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' }).encrypt(pub)
    const t1 = performance.now()
    await compactDecrypt(jwe, fed.agencies['mof']!.encryption.key)
    console.log(`  panva/jose JWE alone (no JWS, no digests)  encrypt ${ms(t1 - t0)}  decrypt ${ms(performance.now() - t1)}`)
  }
}
console.log(`node ${process.version} ${process.arch}`)
