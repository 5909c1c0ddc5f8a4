// Sealing one letter for many recipients (PROTOCOL.md §17): sealMany (sign once, encrypt once, a key
// per recipient) against one seal() per recipient, for each profile. Not a test: prints time and the
// process's peak RSS. Each (profile, mode) runs in its own child process so that peaks do not mix.
// The per-recipient mode keeps every envelope, as a sender that stores them before sending must.
//   npx tsx test/interop/measure-seal-many.ts [--recipients 500] [--mb 1]
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { randomUUID } from 'node:crypto'
import { cmsV1 } from '../../src/crypto/cms/v1-profile.js'
import { joseV1 } from '../../src/crypto/jose/v1-profile.js'
import { joseV2 } from '../../src/crypto/jose/v2-profile.js'
import type { EnvelopeProfile, SealManyInput, SealsMany } from '../../src/crypto/profiles.js'
import { testFederation } from '../helpers/federation.js'
import { bytesOf, sealManyInput } from '../vectors/fixtures.js'

const PROFILES: Record<string, EnvelopeProfile & Partial<SealsMany>> = { 'jose-v1': joseV1, 'cms-v1': cmsV1, 'jose-v2': joseV2 }
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? Number(process.argv[i + 1]) : dflt
}
const N = arg('--recipients', 500)
const MB = arg('--mb', 1)

/** N recipients named r0001…, alternately RSA (moi's certificate) and EC P-256 (mof's). */
async function input(): Promise<SealManyInput> {
  const fed = await testFederation()
  const names = Array.from({ length: N }, (_, i) => `r${String(i + 1).padStart(4, '0')}`)
  const base = sealManyInput(fed, 'dga', ['mof', 'moi'], [bytesOf(MB * 1_000_000, 5)])
  return {
    ...base,
    letter: { ...base.letter, recipients: names.map((agency) => ({ agency })) } as SealManyInput['letter'],
    recipients: names.map((to, i) => ({ messageId: randomUUID(), to, cert: fed.agencies[i % 2 === 0 ? 'moi' : 'mof']!.encryption.cert })),
  }
}

async function child(profileId: string, mode: 'many' | 'each'): Promise<void> {
  const profile = PROFILES[profileId]!
  const inp = await input()
  const before = process.memoryUsage().rss
  const t0 = performance.now()
  let bytes = 0
  if (mode === 'many') {
    if (profile.sealMany === undefined) throw new Error(`${profileId} has no sealMany`)
    const s = await profile.sealMany(inp)
    bytes = s.shared.length + s.parts.reduce((n, p) => n + p.head.length + p.tail.length, 0)
  } else {
    const kept: Buffer[] = []
    for (const r of inp.recipients) {
      const s = await profile.seal({ messageId: r.messageId, from: inp.from, to: r.to, sentAt: inp.sentAt, letter: inp.letter, attachments: inp.attachments, signer: inp.signer, recipientCert: r.cert })
      kept.push(s.envelope)
      bytes += s.envelope.length
    }
  }
  const ms = performance.now() - t0
  const peak = process.resourceUsage().maxRSS * 1024
  console.log(JSON.stringify({ profileId, mode, ms, bytes, rssBefore: before, peakRss: peak }))
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, process.argv[4] as 'many' | 'each')
} else {
  const self = fileURLToPath(import.meta.url)
  const mb = (b: number): string => `${(b / 1e6).toFixed(0).padStart(6)} MB`
  console.log(`one letter, ${MB} MB attachment, ${N} recipients (RSA-2048 and EC P-256 alternately), signer dga (EC)`)
  console.log('profile  mode                          time       stored bytes   peak RSS')
  for (const [profileId, mode] of [['cms-v1', 'many'], ['cms-v1', 'each'], ['jose-v2', 'many'], ['jose-v2', 'each'], ['jose-v1', 'each']] as const) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', profileId, mode, '--recipients', String(N), '--mb', String(MB)], { encoding: 'utf8', maxBuffer: 1e6 })
    const r = JSON.parse(out.trim().split('\n').pop()!) as { ms: number; bytes: number; peakRss: number }
    const label = mode === 'many' ? 'sealMany (sign+encrypt once)' : `${N} × seal()`
    console.log(`${profileId.padEnd(8)} ${label.padEnd(28)} ${(r.ms / 1000).toFixed(2).padStart(7)} s ${mb(r.bytes)}  ${mb(r.peakRss)}`)
  }
}
