// `saraban-node classified seal` (classified-design.md §6, PROTOCOL.md §19): on the officer's machine,
// build the classified letter, sign it (one officer, or two for SECRET / TOP_SECRET), encrypt it to
// every officer of the receiving agencies and of the sending agency, sign a `release` statement over
// the exact inner bytes, and submit it. The node gets only the inner envelope and the cover fields.
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { SarabanError } from '../../errors.js'
import { verifyInnerSigned } from '../../classified/inner/open.js'
import { encryptInner, signInner } from '../../classified/inner/seal.js'
import type { ClassifiedLetter, ClassifiedLevel } from '../../classified/inner/types.js'
import { checkLevel, checkLevelAllowed } from '../../classified/levels.js'
import { encryptionCerts, officerBySigningCert, sealRecipients } from '../../classified/officers.js'
import { makeStatement } from '../../classified/statement.js'
import { check, schemaIds } from '../../schema/index.js'
import { CliError, parse } from '../args.js'
import { API_HELP, API_OPTIONS, apiOf, EXIT_HELP, whoAmI } from './common.js'
import { KEY_HELP, KEY_OPTIONS, openOfficerKeys } from './key-spec.js'
import { officerTrust, TRUST_HELP, TRUST_OPTIONS } from './trust.js'

const LEVELS: readonly ClassifiedLevel[] = ['CONFIDENTIAL', 'SECRET', 'TOP_SECRET']
const MEDIA: Record<string, string> = { '.pdf': 'application/pdf', '.txt': 'text/plain; charset=utf-8', '.json': 'application/json', '.xml': 'application/xml', '.png': 'image/png', '.jpg': 'image/jpeg' }

export const SEAL_HELP = `Usage: saraban-node classified seal --api URL --from AGENCY --to AGENCY --addressee AGENCY:OFFICER[:POSITION]
         --level CONFIDENTIAL|SECRET|TOP_SECRET --copy K/N --letter letter.json [--attach FILE ...] <officer key>
         [--cosign-key-file F [--cosign-cert-file F] [--cosign-passphrase-file F]] [--out inner.p7m] [--no-submit]
       saraban-node classified seal ... --sign-only --out signed.p7s      (then: classified cosign, elsewhere)
       saraban-node classified seal ... --signed signed.p7s               (encrypt and submit a cosigned letter)

Seals a classified letter on this machine: the node never sees its content or its level.
  --letter F             the letter object (PROTOCOL.md §5.5) as JSON; its attachments manifest is made
                         from the --attach files, its secrecy set to --level
  --addressee A:O[:P]    an addressee by officer id and/or position (repeatable); for TOP_SECRET every
                         addressee must name an officer
  --control-number N     use a control number reserved before (default: reserve one from the node)
  --urgency U            NORMAL | URGENT | VERY_URGENT | MOST_URGENT, shown on the outer cover
  --cosign-key-file F    the second officer's key (SECRET and TOP_SECRET need two distinct officers)
  --out F                also write the inner envelope (or, with --sign-only, the signed letter)
  --no-submit            do not submit (needs --control-number and --out)
${API_HELP}
${TRUST_HELP}
${KEY_HELP}
${EXIT_HELP}
`

export async function sealRun(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    ...API_OPTIONS, ...KEY_OPTIONS, ...TRUST_OPTIONS,
    from: { type: 'string' }, to: { type: 'string', multiple: true }, addressee: { type: 'string', multiple: true },
    level: { type: 'string' }, copy: { type: 'string' }, letter: { type: 'string' }, attach: { type: 'string', multiple: true },
    'control-number': { type: 'string' }, urgency: { type: 'string' }, 'deliver-by': { type: 'string' },
    'cosign-key-file': { type: 'string' }, 'cosign-cert-file': { type: 'string' }, 'cosign-passphrase-file': { type: 'string' },
    out: { type: 'string' }, 'no-submit': { type: 'boolean' }, 'sign-only': { type: 'boolean' }, signed: { type: 'string' },
  })
  const submit = !v['no-submit'] && !v['sign-only']
  const trust = officerTrust(v.anchors)
  const api = submit || v['control-number'] === undefined ? apiOf(v) : undefined
  const keys = await openOfficerKeys(v, { signing: true })
  const cosignKeys = v['cosign-key-file'] === undefined ? undefined : await openOfficerKeys({
    'key-file': [v['cosign-key-file']], ...(v['cosign-cert-file'] ? { 'cert-file': [v['cosign-cert-file']] } : {}),
    'passphrase-file': v['cosign-passphrase-file'] ?? v['passphrase-file'],
  }, { signing: true })
  try {
    let signed: Buffer
    let letter: ClassifiedLetter
    if (v.signed !== undefined) {
      signed = readOrFail(v.signed)
      letter = verifyInnerSigned(signed).letter
    } else {
      letter = await buildLetter(v, api)
      const signers = [keys.signing!, ...(cosignKeys ? [cosignKeys.signing!] : [])].map((k) => ({ handle: k.handle, chain: [k.certificate, ...k.chain] }))
      signed = signInner(letter, (v.attach ?? []).map(readOrFail), signers)
    }
    if (v['sign-only']) {
      if (!v.out) throw new CliError('--sign-only needs --out signed.p7s.')
      writeFileSync(v.out, signed, { mode: 0o600 })
      process.stdout.write(`${v.out}\n`)
      return 0
    }
    const client = api ?? apiOf(v)
    const dir = await client.officers([...new Set([letter.from, ...letter.to])])
    checkLevelAllowed(letter.level, letter.from, letter.to, dir.policy)
    const opened = verifyInnerSigned(signed)
    checkLevel(letter, opened.signers.map((s) => officerBySigningCert(s.certificate, dir.agencies)), dir.policy)
    const recipients = encryptionCerts(dir.agencies, sealRecipients(letter))
    await trust(recipients, 'encryption')
    for (const t of letter.to) {
      if (!dir.agencies.some((a) => a.agency === t && a.officers.length > 0)) throw new SarabanError('ERR_UNKNOWN_AGENCY', `${t} lists no classified-information officers in the directory, so nobody there could open the letter.`, { field: 'to' })
    }
    const { inner, innerSha256 } = encryptInner(signed, recipients)
    if (v.out) writeFileSync(v.out, inner, { mode: 0o600 })
    const releasers = [keys.signing!, ...(cosignKeys ? [cosignKeys.signing!] : [])]
    const releases = releasers.map((k) => {
      const me = whoAmI(k.certificate, dir.agencies)
      return makeStatement({ v: 1, type: 'release', agency: me.agency, officer: me.officer, at: new Date().toISOString(), controlNumber: letter.controlNumber, innerSha256 }, { handle: k.handle, chain: [k.certificate, ...k.chain] })
    })
    if (!submit) {
      process.stdout.write(`${JSON.stringify({ controlNumber: letter.controlNumber, innerSha256 })}\n`)
      return 0
    }
    const answer = await client.submit({
      from: letter.from, to: letter.to, controlNumber: letter.controlNumber,
      addressees: letter.addressees.map((a) => ({ agency: a.agency, ...(a.officer ? { officer: a.officer } : {}), position: a.position })),
      ...(v.urgency ? { urgency: v.urgency } : {}), ...(v['deliver-by'] ? { deliverBy: v['deliver-by'] } : {}),
      inner: inner.toString('base64'), releases: releases.map((r) => r.toString('base64')),
    })
    process.stdout.write(`${JSON.stringify(answer)}\n`)
    return 0
  } finally {
    keys.close()
    cosignKeys?.close()
  }
}

function readOrFail(file: string): Buffer {
  try {
    return readFileSync(file)
  } catch {
    throw new CliError(`${file}: cannot be read; check the path.`)
  }
}

async function buildLetter(v: Record<string, unknown>, api: ReturnType<typeof apiOf> | undefined): Promise<ClassifiedLetter> {
  const from = v['from'] as string | undefined
  const to = (v['to'] as string[] | undefined) ?? []
  const level = v['level'] as ClassifiedLevel
  if (!from) throw new CliError('--from AGENCY is required.')
  if (to.length === 0) throw new CliError('--to AGENCY is required.')
  if (!LEVELS.includes(level)) throw new CliError('--level must be CONFIDENTIAL, SECRET or TOP_SECRET.')
  const copy = /^(\d{1,4})\/(\d{1,4})$/.exec((v['copy'] as string | undefined) ?? '1/1')
  if (!copy) throw new CliError('--copy must be K/N, e.g. 1/3.')
  if (!v['letter']) throw new CliError('--letter letter.json is required.')
  let body: Record<string, unknown>
  try {
    body = JSON.parse(readOrFail(v['letter'] as string).toString('utf8')) as Record<string, unknown>
  } catch (e) {
    if (e instanceof CliError) throw e
    throw new CliError(`${String(v['letter'])}: not JSON.`)
  }
  const files = (v['attach'] as string[] | undefined) ?? []
  const attachments = files.map((f, i) => {
    const b = readOrFail(f)
    return { id: `att-${i + 1}`, filename: basename(f), mediaType: MEDIA[extname(f).toLowerCase()] ?? 'application/octet-stream', size: b.length, sha256: createHash('sha256').update(b).digest('hex') }
  })
  const addressees = ((v['addressee'] as string[] | undefined) ?? []).map((s) => {
    const [agency, officer, ...pos] = s.split(':')
    return { agency: agency!, ...(officer ? { officer } : {}), position: pos.join(':') || 'นายทะเบียนข้อมูลข่าวสารลับ' }
  })
  if (addressees.length === 0) throw new CliError('--addressee AGENCY:OFFICER[:POSITION] is required.')
  const controlNumber = (v['control-number'] as string | undefined) ?? (await api!.reserveControlNumber(from)).controlNumber
  const letter: ClassifiedLetter = {
    v: 1, controlNumber, from, to, level, copy: { number: Number(copy[1]), of: Number(copy[2]) }, addressees,
    letter: { ...body, secrecy: level, attachments },
  }
  const checked = check<ClassifiedLetter>(schemaIds.classifiedLetter, letter)
  if (!checked.ok) throw new SarabanError('ERR_CLASSIFIED_MALFORMED', `The classified letter is not valid: ${checked.errors[0]?.field} ${checked.errors[0]?.message}`, { errors: checked.errors })
  return letter
}
