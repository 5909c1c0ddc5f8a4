// `saraban-node classified open` (classified-design.md §2 "Opening", §6; PROTOCOL.md §19): fetch the
// inner envelope through the REST API (the node records the download), check it is the one the cover
// names, decrypt and verify it here, apply the level rules, write letter.json and the attachments
// (safe names, 0600, in a 0700 folder), and send back the signed `opened` acknowledgement.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openInner } from '../../classified/inner/open.js'
import { makeStatement } from '../../classified/statement.js'
import { CliError, parse } from '../args.js'
import { API_HELP, API_OPTIONS, apiOf, checkOpened, EXIT_HELP, whoAmI } from './common.js'
import { KEY_HELP, KEY_OPTIONS, openOfficerKeys } from './key-spec.js'
import { safeFileNames } from './safe-names.js'
import { officerTrust, TRUST_HELP, TRUST_OPTIONS } from './trust.js'

export const OPEN_HELP = `Usage: saraban-node classified open --api URL --id ITEM --out DIR <officer key> [--no-ack]

Fetches the inner envelope of a received classified letter, checks it against the node's cover
(control number, agencies, SHA-256), decrypts it with your officer-encryption key, verifies every
signature against the directory's officers of the sending agency and the level rules (SECRET and
TOP_SECRET: two distinct officers), writes DIR/letter.json and the attachments, and sends the
signed opening acknowledgement (ใบรับรองเอกสารลับ) with your officer-signing key.
  --id ITEM              the classified item id (from GET /api/v1/classified?direction=in)
  --out DIR              a folder for the letter (created 0700; existing files are not overwritten)
  --no-ack               do not send the acknowledgement (then no signing key is needed)
${API_HELP}
${TRUST_HELP}
${KEY_HELP}
${EXIT_HELP}
`

export async function openRun(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, { ...API_OPTIONS, ...KEY_OPTIONS, ...TRUST_OPTIONS, id: { type: 'string' }, out: { type: 'string' }, 'no-ack': { type: 'boolean' } })
  if (!v.id) throw new CliError('--id ITEM is required.')
  if (!v.out) throw new CliError('--out DIR is required.')
  const api = apiOf(v)
  const trust = officerTrust(v.anchors)
  const keys = await openOfficerKeys(v, { encryption: true, signing: !v['no-ack'] })
  try {
    const item = await api.item(v.id)
    const inner = await api.inner(v.id)
    const opened = openInner(inner, keys.encryption!, item.innerSha256)
    const dir = await api.officers([...new Set([opened.letter.from, ...opened.letter.to])])
    checkOpened(opened, item, dir.agencies.filter((a) => a.agency === opened.letter.from), dir.policy)
    await trust(opened.signers.map((s) => s.certificate), 'signing', opened.certificates)
    const names = safeFileNames((opened.letter.letter.attachments ?? []).map((a) => a.filename))
    try {
      mkdirSync(v.out, { recursive: true, mode: 0o700 })
      writeFileSync(join(v.out, 'letter.json'), JSON.stringify(opened.letter, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
      opened.attachments.forEach((a, i) => writeFileSync(join(v.out!, names[i]!), a, { mode: 0o600, flag: 'wx' }))
    } catch (e) {
      throw new CliError(`${v.out}: the letter cannot be written there (${(e as NodeJS.ErrnoException).code ?? 'error'}); give an empty folder with --out.`)
    }
    process.stdout.write(`${JSON.stringify({ controlNumber: opened.letter.controlNumber, level: opened.letter.level, copy: opened.letter.copy, files: ['letter.json', ...names] })}\n`)
    if (!v['no-ack']) {
      const me = whoAmI(keys.signing!.certificate, dir.agencies)
      const statement = makeStatement({
        v: 1, type: 'opened', agency: me.agency, officer: me.officer, at: new Date().toISOString(),
        controlNumber: opened.letter.controlNumber, innerSha256: item.innerSha256, copy: opened.letter.copy,
        ...(item.messageId ? { messageId: item.messageId } : {}),
      }, { handle: keys.signing!.handle, chain: [keys.signing!.certificate, ...keys.signing!.chain] })
      await api.acknowledge(v.id, statement)
    }
    return 0
  } finally {
    keys.close()
  }
}
