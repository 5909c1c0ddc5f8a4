// The demo's classified step (issue 12, PROTOCOL.md §19): moi's registrar and deputy seal a SECRET
// letter to mof's registrar, the nodes carry it sealed, mof's registrar opens it on "their machine"
// and the signed opening acknowledgement comes back; the access record is printed.
// The officers here use the `openssl cms` CLI, to show that a plain OpenSSL makes and opens what the
// nodes carry (PROTOCOL.md §19.2, §19.4); `saraban-node classified seal|open` makes the same bytes
// (test/integration/classified-cli.test.ts drives it against real nodes).
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Config } from '../config/index.js'

/** The officers' API key the demo adds to each dev node (scope classified, PROTOCOL.md §19.5). */
export const officerKey = (agency: string): string => `dev-officer-${agency}-key`

export function withOfficerKey(config: Config, agency: string): Pick<Config, 'api'> {
  const sha256 = createHash('sha256').update(officerKey(agency)).digest('hex')
  return { api: { ...config.api, keys: [...config.api.keys, { name: 'officer-workstation', sha256, agencies: [agency], scopes: ['classified'] }] } }
}

type Api = (base: string, key: string, path: string, init?: RequestInit) => Promise<any> // eslint-disable-line @typescript-eslint/no-explicit-any

export async function classifiedDemo(o: { root: string; say: (s: string) => void; api: Api; until: <T>(what: string, get: () => Promise<T | undefined>) => Promise<T>; moi: string; mof: string }): Promise<void> {
  const { say, api } = o
  const work = mkdtempSync(join(tmpdir(), 'saraban-officer-'))
  try {
    const off = (agency: string, id: string) => {
      const d = join(o.root, 'certs-dev', agency, 'officers', id)
      return { d, pass: `file:${join(d, 'passphrase')}` }
    }
    const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const sign = (who: { d: string; pass: string }, input: string, out: string) =>
      openssl(['cms', '-sign', '-binary', '-nodetach', '-in', input, '-signer', join(who.d, 'signing.cert.pem'), '-inkey', join(who.d, 'signing.key.pem'), '-passin', who.pass, '-outform', 'DER', '-out', out])
    const statement = (who: { d: string; pass: string }, json: object): string => {
      const f = join(work, `stmt-${Math.random().toString(36).slice(2)}.json`)
      writeFileSync(f, JSON.stringify({ v: 1, at: new Date().toISOString(), ...json }))
      sign(who, f, f + '.der')
      return readFileSync(f + '.der').toString('base64')
    }
    const reg = off('moi', 'registrar'), dep = off('moi', 'deputy'), mofReg = off('mof', 'registrar')

    const { controlNumber } = await api(o.moi, officerKey('moi'), '/api/v1/classified/control-numbers', { method: 'POST', body: JSON.stringify({ agency: 'moi' }) })
    const letter = {
      v: 1, controlNumber, from: 'moi', to: ['mof'], level: 'SECRET', copy: { number: 1, of: 2 },
      addressees: [{ agency: 'mof', officer: 'registrar', position: 'ปลัดกระทรวงการคลัง' }],
      letter: { subject: 'แผนรักษาความปลอดภัยการประชุมระดับสูง', body: 'รายละเอียดตามสิ่งที่ส่งมาด้วย', secrecy: 'SECRET' },
    }
    writeFileSync(join(work, 'content.bin'), Buffer.concat([Buffer.from(JSON.stringify(letter)), Buffer.from([0x0a]), Buffer.from('สิ่งที่ส่งมาด้วย (ลับมาก)\n')]))
    // SECRET: two officers sign (the second with -resign), then AES-256-GCM to the officers (§19.2).
    sign(reg, join(work, 'content.bin'), join(work, 'signed1.der'))
    openssl(['cms', '-resign', '-binary', '-nodetach', '-inform', 'DER', '-in', join(work, 'signed1.der'), '-signer', join(dep.d, 'signing.cert.pem'), '-inkey', join(dep.d, 'signing.key.pem'), '-passin', dep.pass, '-outform', 'DER', '-out', join(work, 'signed.der')])
    const oaep = ['-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256']
    openssl(['cms', '-encrypt', '-binary', '-aes-256-gcm', '-in', join(work, 'signed.der'), '-outform', 'DER', '-out', join(work, 'inner.p7m'),
      '-recip', join(mofReg.d, 'encryption.cert.pem'), ...oaep, '-recip', join(reg.d, 'encryption.cert.pem'), ...oaep])
    const inner = readFileSync(join(work, 'inner.p7m'))
    const innerSha256 = createHash('sha256').update(inner).digest('hex')
    const releases = [statement(reg, { type: 'release', agency: 'moi', officer: 'registrar', controlNumber, innerSha256 }), statement(dep, { type: 'release', agency: 'moi', officer: 'deputy', controlNumber, innerSha256 })]
    say(`⑪ classified (PROTOCOL.md §19): moi’s registrar and deputy sealed a SECRET letter with openssl cms (${inner.length} bytes, control number ${controlNumber}); the node never sees the plaintext or the level`)
    const sent = await api(o.moi, officerKey('moi'), '/api/v1/classified', { method: 'POST', body: JSON.stringify({ from: 'moi', to: ['mof'], controlNumber, addressees: [{ agency: 'mof', officer: 'registrar' }], urgency: 'URGENT', inner: inner.toString('base64'), releases }) })
    if (!sent.id) throw new Error(`classified submission refused: ${JSON.stringify(sent)}`)
    const item = await o.until('the classified item at mof', async () => (await api(o.mof, officerKey('mof'), '/api/v1/classified?direction=in')).items?.find((i: { controlNumber: string }) => i.controlNumber === controlNumber))
    say(`   mof registered it in its classified register as no. ${item.register.number}/${item.register.year}, sealed (outer cover only: ${JSON.stringify(item.messages[0].addressee)}, ${item.urgency})`)
    const hidden = await fetch(new URL(`/api/v1/classified/${item.id}`, o.mof), { headers: { authorization: 'Bearer dev-mof-key' } })
    say(`   the saraban system’s key (no classified scope) gets ${hidden.status} for it`)
    const bytes: Buffer = await api(o.mof, officerKey('mof'), `/api/v1/classified/${item.id}/inner`)
    writeFileSync(join(work, 'got.p7m'), bytes)
    openssl(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', join(work, 'got.p7m'), '-recip', join(mofReg.d, 'encryption.cert.pem'), '-inkey', join(mofReg.d, 'encryption.key.pem'), '-passin', mofReg.pass, '-out', join(work, 'opened.der')])
    const chain = join(work, 'trust.pem')
    writeFileSync(chain, readFileSync(join(o.root, 'certs-dev', 'root.crt.pem'), 'utf8') + readFileSync(join(o.root, 'certs-dev', 'ca', 'issuing-ca.crt.pem'), 'utf8'))
    const content = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(work, 'opened.der'), '-CAfile', chain])
    const opened = JSON.parse(content.subarray(0, content.indexOf(0x0a)).toString('utf8'))
    say(`   mof’s registrar opened it with openssl (two officer signatures verified): ${opened.level} “${opened.letter.subject}”, copy ${opened.copy.number}/${opened.copy.of}`)
    const ack = statement(mofReg, { type: 'opened', agency: 'mof', officer: 'registrar', controlNumber, innerSha256, copy: opened.copy, messageId: item.messages[0].messageId })
    await api(o.mof, officerKey('mof'), `/api/v1/classified/${item.id}/acknowledgements`, { method: 'POST', body: JSON.stringify({ statement: ack }) })
    const back = await o.until('the opening acknowledgement at moi', async () => (await api(o.moi, officerKey('moi'), `/api/v1/classified/${sent.id}`)).opened?.[0])
    say(`   the signed opening acknowledgement came back to moi: ${back.agency}:${back.officer}, copy ${back.copy.number}/${back.copy.of}, at ${back.at}`)
    const access = await api(o.moi, officerKey('moi'), `/api/v1/classified/${sent.id}/access`)
    say('   moi’s access record of the item (canonical JSON entries, each with its SHA-256):')
    for (const e of access.entries) {
      say(`     #${e.seq} ${e.at} ${e.event} ${e.outcome} rule=${e.rule}${e.officer ? ` officer=${e.officer.agency}:${e.officer.officer}` : ''}${e.secondApprover ? ` second=${e.secondApprover.officer}` : ''}${e.apiKey ? ` key=${e.apiKey}` : ''}`)
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
