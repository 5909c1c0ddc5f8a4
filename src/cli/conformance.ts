// `saraban-node conformance`: the conformance kit (issue 15; PROTOCOL.md Annex A). It plays a peer
// agency against any node over real mutual TLS and prints TAP; --make-federation writes a throwaway
// federation to configure an implementation under test against.
import { resolve } from 'node:path'
import { loadCredentials } from '../conformance/credentials.js'
import { makeFederation } from '../conformance/federation.js'
import { Session } from '../conformance/session.js'
import { runConformance } from '../conformance/run.js'
import { CASES } from '../conformance/cases.js'
import { Listener } from '../conformance/listen.js'
import { CliError, parse } from './args.js'
import { EXIT } from './exit-codes.js'
import type { Command } from './commands.js'

const HELP = `Usage: saraban-node conformance --target URL --agency ID --credentials DIR [--directory FILE]
                                 [--only IDS] [--skip IDS] [--listen HOST:PORT [--wait SECONDS] [--target-api URL]]
       saraban-node conformance --make-federation DIR --target URL [--agency ID] [--profiles LIST] [--kit-url URL]
                                 [--kit-profiles LIST] [--key-type ec|rsa] [--hosting-node]
       saraban-node conformance --list

Plays a peer agency against the node at URL (its federation endpoint) over mutual TLS: sends letters
and notices in every envelope profile the target lists in the directory, valid and broken on purpose,
and checks each answer against PROTOCOL.md (each case cites its §; Annex A lists them). Prints TAP
version 14 and a summary line; exit 0 when every case that ran passed, 1 otherwise.

Options:
  --target URL            the target's federation URL (https://host:port)
  --agency ID             the target agency (its directory entry names its profiles and keys)
  --credentials DIR       the kit's credentials: kit.json, root.crt.pem, {tls,signing,encryption}.{key,chain}.pem,
                          and optionally second/ (a second agency) and extra/ (certificates for negative cases);
                          --make-federation writes one (DIR/kit)
  --directory FILE        the signed directory (default DIR/directory.jws of the credentials)
  --only IDS, --skip IDS  comma-separated case ids (C-7.1-01), id prefixes (C-4.2) or sections (§7.1)
  --list                  list the cases and exit
  --listen HOST:PORT      also receive: listen there (the kit agency's endpoint in the directory) for a letter
                          the target sends to the kit's agency; the first attempt is answered 503 ERR_BUSY,
                          the retry with a receipt. Send the letter from the target's saraban system
                          (with --target-api the kit has the target send it).
  --wait SECONDS          with --listen: how long those cases wait for the letter (default 120)
  --target-api URL        with --listen: the target's REST API (README "REST API"), with the key in
                          SARABAN_CONFORMANCE_API_KEY: the kit sends the letters of the bad-receipt cases
                          (C-7.2-02…) itself and reads whether the target failed the recipient (§7.2);
                          without it those cases wait for letters sent by hand, and the "failed at once"
                          ones are skipped
  --make-federation DIR   write a throwaway federation to DIR (CA, signed directory, CRLs, the target's
                          keys and node.json, the kit's credentials) for the target at --target, and exit
  --profiles LIST         with --make-federation: the target's profiles, most preferred first
                          (default jose-v1,cms-v1,jose-v2)
  --kit-url URL           with --make-federation: the kit agency's endpoint (default https://127.0.0.1:18999)
  --kit-profiles LIST     with --make-federation: the profiles the kit's agency accepts, most preferred first
                          (default jose-v1,cms-v1,jose-v2); the target seals its letters to the kit in the
                          first it supports, so this chooses the profile of the --listen cases' receipts
  --key-type ec|rsa       with --make-federation: the target's key type (default ec)
  --hosting-node          with --make-federation: the target is a hosting node (PROTOCOL.md §16) listed under
                          "nodes" with the TLS certificate, hosting the target agency and ID-2
TEST ONLY: --make-federation writes private keys in clear.
`

const list = (s: string | undefined) => (s ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '')

export const conformanceCommand: Command = {
  summary: 'run the conformance kit against a node, or make a throwaway federation for one',
  help: HELP,
  async run(argv) {
    const { values } = parse(argv, {
      target: { type: 'string' }, agency: { type: 'string' }, credentials: { type: 'string' }, directory: { type: 'string' },
      only: { type: 'string' }, skip: { type: 'string' }, list: { type: 'boolean' },
      'make-federation': { type: 'string' }, profiles: { type: 'string' }, 'kit-url': { type: 'string' },
      'kit-profiles': { type: 'string' }, 'key-type': { type: 'string' }, 'hosting-node': { type: 'boolean' },
      listen: { type: 'string' }, wait: { type: 'string' }, 'target-api': { type: 'string' },
    })
    if (values.list) {
      for (const c of CASES) process.stdout.write(`${c.id}\t${c.section}\t${c.profiles === undefined ? 'once' : c.profiles === 'all' ? 'per profile' : c.profiles.join(',')}\t${c.title}\n`)
      return EXIT.OK
    }
    if (values.target === undefined) throw new CliError('--target URL (the federation URL of the node under test) is required (see --help)')
    if (values['make-federation'] !== undefined) {
      const out = resolve(values['make-federation'])
      const profiles = list(values.profiles)
      const kitProfiles = list(values['kit-profiles'])
      const keyType = values['key-type']
      if (keyType !== undefined && keyType !== 'ec' && keyType !== 'rsa') throw new CliError(`--key-type ${keyType}: give ec or rsa`)
      const made = await makeFederation(out, {
        targetUrl: values.target, ...(values.agency ? { targetAgency: values.agency } : {}), ...(profiles.length > 0 ? { profiles } : {}),
        ...(values['kit-url'] ? { kitUrl: values['kit-url'] } : {}), ...(kitProfiles.length > 0 ? { kitProfiles } : {}),
        ...(keyType !== undefined ? { targetKeyType: keyType } : {}), ...(values['hosting-node'] ? { hostingNode: true } : {}),
      })
      process.stdout.write(`wrote a throwaway federation to ${out} (TEST ONLY): target "${made.targetAgency}" (${made.targetConfig}), kit credentials ${made.credentials}; see ${out}/README.md\n`)
      return EXIT.OK
    }
    if (values.agency === undefined) throw new CliError('--agency ID (the target agency) is required (see --help)')
    if (values.credentials === undefined) throw new CliError('--credentials DIR is required (see --help)')
    let creds
    try {
      creds = await loadCredentials(resolve(values.credentials), values.directory ? resolve(values.directory) : undefined)
    } catch (e) {
      throw new CliError((e as Error).message, EXIT.CONFIG)
    }
    if (creds.directory.agency(values.agency) === undefined) throw new CliError(`--agency ${values.agency}: the directory has no such agency`)
    const session = new Session(creds, values.agency, values.target)
    if (values['target-api'] !== undefined) {
      const key = process.env['SARABAN_CONFORMANCE_API_KEY']
      if (!key) throw new CliError('--target-api needs the API key in SARABAN_CONFORMANCE_API_KEY (an API key of the target agency)')
      session.targetApi = { url: values['target-api'], key }
    }
    let listener: Listener | undefined
    if (values.listen !== undefined) {
      const m = /^(.+):(\d+)$/.exec(values.listen)
      if (!m) throw new CliError(`--listen ${values.listen}: give HOST:PORT (e.g. 127.0.0.1:18999)`)
      const wait = values.wait === undefined ? 120 : Number(values.wait)
      if (!Number.isInteger(wait) || wait < 1) throw new CliError(`--wait ${values.wait}: a whole number of seconds`)
      listener = new Listener(session)
      await listener.start(m[1]!.replace(/^\[|\]$/g, ''), Number(m[2]))
      session.listener = listener
      session.listenWaitMs = wait * 1000
      session.note = (line) => process.stderr.write(line + '\n')
      process.stderr.write(`listening at ${values.listen}: send a letter from "${values.agency}" to "${creds.me.agency}" (waiting up to ${wait} s when a case needs it)\n`)
    }
    try {
      const summary = await runConformance(session, { only: list(values.only), skip: list(values.skip), write: (l) => process.stdout.write(l + '\n') })
      return summary.fail === 0 ? EXIT.OK : EXIT.FAILED
    } finally {
      await listener?.close()
    }
  },
}
