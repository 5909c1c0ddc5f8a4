// `saraban-node classified forward` (issue 12 §5, classified-design.md §5): an officer re-seals a
// received classified letter to another officer of the same agency: the original SignedData (with the
// sending officers' signatures) inside a new AuthEnvelopedData for that officer and the forwarding
// officer, and a signed `forwarded` statement naming both inner digests.
import { openInner } from '../../classified/inner/open.js'
import { encryptInner } from '../../classified/inner/seal.js'
import { encryptionCerts } from '../../classified/officers.js'
import { makeStatement } from '../../classified/statement.js'
import { SarabanError } from '../../errors.js'
import { CliError, parse } from '../args.js'
import { API_HELP, API_OPTIONS, apiOf, checkOpened, EXIT_HELP, whoAmI } from './common.js'
import { KEY_HELP, KEY_OPTIONS, openOfficerKeys } from './key-spec.js'
import { officerTrust, TRUST_HELP, TRUST_OPTIONS } from './trust.js'

export const FORWARD_HELP = `Usage: saraban-node classified forward --api URL --id ITEM --to-officer OFFICER <officer key>

Opens the item with your key (verifying it as \`open\` does) and re-seals it, original signatures
kept, to OFFICER of your agency; the node records the forwarding and gives the new item an id.
${API_HELP}
${TRUST_HELP}
${KEY_HELP}
${EXIT_HELP}
`

export async function forwardRun(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, { ...API_OPTIONS, ...KEY_OPTIONS, ...TRUST_OPTIONS, id: { type: 'string' }, 'to-officer': { type: 'string' } })
  if (!v.id || !v['to-officer']) throw new CliError('--id ITEM and --to-officer OFFICER are required.')
  const api = apiOf(v)
  const trust = officerTrust(v.anchors)
  const keys = await openOfficerKeys(v, { encryption: true, signing: true })
  try {
    const item = await api.item(v.id)
    const opened = openInner(await api.inner(v.id), keys.encryption!, item.innerSha256)
    const dir = await api.officers([...new Set([opened.letter.from, ...opened.letter.to])])
    checkOpened(opened, item, dir.agencies.filter((a) => a.agency === opened.letter.from), dir.policy)
    await trust(opened.signers.map((s) => s.certificate), 'signing', opened.certificates)
    const me = whoAmI(keys.signing!.certificate, dir.agencies)
    const mine = dir.agencies.filter((a) => a.agency === me.agency)
    if (!mine.some((a) => a.officers.some((o) => o.id === v['to-officer']))) {
      throw new SarabanError('ERR_UNKNOWN_AGENCY', `${v['to-officer']} is not an officer of ${me.agency} in the directory.`, { field: 'toOfficer' })
    }
    const recipients = encryptionCerts(mine, (_a, o) => o.id === v['to-officer'] || o.id === me.officer)
    await trust(recipients, 'encryption')
    const { inner, innerSha256 } = encryptInner(opened.signed, recipients)
    const statement = makeStatement({
      v: 1, type: 'forwarded', agency: me.agency, officer: me.officer, at: new Date().toISOString(),
      controlNumber: opened.letter.controlNumber, innerSha256: item.innerSha256, toOfficer: v['to-officer'], newInnerSha256: innerSha256,
    }, { handle: keys.signing!.handle, chain: [keys.signing!.certificate, ...keys.signing!.chain] })
    process.stdout.write(`${JSON.stringify(await api.forward(v.id, inner, statement, v['to-officer']))}\n`)
    return 0
  } finally {
    keys.close()
  }
}
