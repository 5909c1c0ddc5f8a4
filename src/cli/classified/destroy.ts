// `saraban-node classified destroy` (issue 12 §5): a signed `destroyed` statement naming the authority
// and the committee, optionally a second officer's (two-person action); the node crypto-shreds the
// inner envelope and keeps the register entry and access record marked destroyed.
import { makeStatement } from '../../classified/statement.js'
import { CliError, parse } from '../args.js'
import { API_HELP, API_OPTIONS, apiOf, EXIT_HELP, whoAmI } from './common.js'
import { KEY_HELP, KEY_OPTIONS, openOfficerKeys } from './key-spec.js'

export const DESTROY_HELP = `Usage: saraban-node classified destroy --api URL --id ITEM --authority TEXT --committee NAME [...] <officer key>
         [--second-key-file F [--second-cert-file F] [--second-passphrase-file F]]

  --authority TEXT       the order that authorises destruction (e.g. "คำสั่ง … ที่ 12/2569")
  --committee NAME       a member of the destruction committee (repeatable)
${API_HELP}
${KEY_HELP}
${EXIT_HELP}
`

export async function destroyRun(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    ...API_OPTIONS, ...KEY_OPTIONS, id: { type: 'string' }, authority: { type: 'string' }, committee: { type: 'string', multiple: true },
    'second-key-file': { type: 'string' }, 'second-cert-file': { type: 'string' }, 'second-passphrase-file': { type: 'string' },
  })
  if (!v.id || !v.authority || !(v.committee?.length)) throw new CliError('--id ITEM, --authority TEXT and --committee NAME are required.')
  const api = apiOf(v)
  const item = await api.item(v.id)
  const dir = await api.officers([...new Set([item.from, ...(Array.isArray(item.to) ? item.to : [item.to])])])
  const sign = async (values: Parameters<typeof openOfficerKeys>[0]): Promise<Buffer> => {
    const keys = await openOfficerKeys(values, { signing: true })
    try {
      const k = keys.signing!
      const me = whoAmI(k.certificate, dir.agencies)
      return makeStatement({
        v: 1, type: 'destroyed', agency: me.agency, officer: me.officer, at: new Date().toISOString(), controlNumber: item.controlNumber,
        innerSha256: item.innerSha256, authority: v.authority!, committee: v.committee!,
      }, { handle: k.handle, chain: [k.certificate, ...k.chain] })
    } finally {
      keys.close()
    }
  }
  const first = await sign(v)
  const second = v['second-key-file'] === undefined ? undefined : await sign({
    'key-file': [v['second-key-file']], ...(v['second-cert-file'] ? { 'cert-file': [v['second-cert-file']] } : {}),
    'passphrase-file': v['second-passphrase-file'] ?? v['passphrase-file'],
  })
  process.stdout.write(`${JSON.stringify(await api.destroy(v.id, first, second))}\n`)
  return 0
}
