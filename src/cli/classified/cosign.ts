// `saraban-node classified cosign` (classified-design.md §6): the second officer of a SECRET or
// TOP_SECRET letter, on another machine, verifies the signed letter and adds a SignerInfo (two-person
// release, issue 12 §6), as `openssl cms -resign` does. Nothing is sent to a node.
import { readFileSync, writeFileSync } from 'node:fs'
import { verifyInnerSigned } from '../../classified/inner/open.js'
import { cosignInner } from '../../classified/inner/seal.js'
import { CliError, parse } from '../args.js'
import { EXIT_HELP } from './common.js'
import { KEY_HELP, KEY_OPTIONS, openOfficerKeys } from './key-spec.js'

export const COSIGN_HELP = `Usage: saraban-node classified cosign --in signed.p7s --out signed2.p7s <officer key>

Verifies a signed classified letter (from \`classified seal --sign-only\`), shows what it is, and adds
your signature; then \`classified seal --signed signed2.p7s\` encrypts and submits it.
${KEY_HELP}
${EXIT_HELP}
`

export async function cosignRun(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, { ...KEY_OPTIONS, in: { type: 'string' }, out: { type: 'string' } })
  if (!v.in || !v.out) throw new CliError('--in signed.p7s and --out F are required.')
  let signed: Buffer
  try {
    signed = readFileSync(v.in)
  } catch {
    throw new CliError(`${v.in}: cannot be read; check the path.`)
  }
  const before = verifyInnerSigned(signed)
  const keys = await openOfficerKeys(v, { signing: true })
  try {
    const k = keys.signing!
    if (before.signers.some((s) => s.certificate.raw.equals(k.certificate.raw))) throw new CliError('you have already signed this letter; the second signature must be another officer\'s.')
    const out = cosignInner(signed, { handle: k.handle, chain: [k.certificate, ...k.chain] })
    writeFileSync(v.out, out, { mode: 0o600 })
    const l = before.letter
    process.stdout.write(`${JSON.stringify({ controlNumber: l.controlNumber, level: l.level, from: l.from, to: l.to, signers: before.signers.length + 1 })}\n`)
    return 0
  } finally {
    keys.close()
  }
}
