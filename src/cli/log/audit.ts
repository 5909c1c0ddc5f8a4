// `saraban-node log audit`: asks the running node (POST /api/v1/log/audit) to audit its peers' logs now
// (PROTOCOL.md §20.6), as its background task does every transparencyLog.auditSeconds.
import { readKey } from '../retry.js'
import { CliError, parse } from '../args.js'

export const AUDIT_HELP = `Usage: saraban-node log audit --api URL (--key-file FILE | --key KEY) [--json]

Asks the node to audit now the logs of the peers whose checkpoints it holds (from receipts, envelopes
and earlier audits): each peer's current checkpoint is fetched over the federation listener, and a
consistency proof from every older checkpoint held to it is asked and checked (RFC 9162 §2.1.4). A log
that went backwards (truncated, or restored from an older backup), a fork, or a proof that fails is
recorded with the two checkpoints the peer signed, raises event log.inconsistent and turns /healthz
degraded. GET /api/v1/log/peers lists the checkpoints held and the proofs kept.

Options:
  --api URL        the node's REST API (e.g. http://127.0.0.1:8080)
  --key-file FILE  a file holding the API key (or --key KEY, or SARABAN_API_KEY)
  --json           print the API's JSON answer
Exit status: 0 every peer log is consistent; 1 a peer log contradicts a checkpoint it signed;
2 usage error; 3 the node, or some peer, could not be asked (see the lines printed).
`

interface Audit { agency: string; outcome: 'consistent' | 'inconsistent' | 'unreachable'; size?: number; checked?: number; kind?: string; code?: string; detail?: string }

export async function auditRun(argv: string[]): Promise<number> {
  const { values } = parse(argv, { api: { type: 'string' }, key: { type: 'string' }, 'key-file': { type: 'string' }, json: { type: 'boolean' } })
  if (!values.api) throw new CliError('--api URL is required (the node\'s REST API, e.g. http://127.0.0.1:8080).')
  const key = values['key-file'] !== undefined ? readKey(values['key-file']) : values.key ?? process.env.SARABAN_API_KEY
  if (!key) throw new CliError('--key-file FILE (or --key KEY, or SARABAN_API_KEY) is required.')
  let res: Response
  try {
    res = await fetch(new URL('/api/v1/log/audit', values.api), { method: 'POST', headers: { authorization: `Bearer ${key}` } })
  } catch (err) {
    process.stderr.write(`saraban-node: cannot reach the node's API at ${values.api}: ${(err as Error).message}; is the node running and --api right?\n`)
    return 3
  }
  const answer = (await res.json()) as { audits?: Audit[]; code?: string; detail?: string }
  if (values.json) process.stdout.write(JSON.stringify(answer, null, 2) + '\n')
  if (!res.ok) {
    if (!values.json) process.stderr.write(`saraban-node: the node did not audit: ${answer.code ?? res.status}: ${answer.detail ?? ''}\n`)
    return 3
  }
  const audits = answer.audits ?? []
  if (!values.json) {
    if (audits.length === 0) process.stdout.write('no peer checkpoints held yet: nothing to audit\n')
    for (const a of audits) {
      process.stdout.write(a.outcome === 'consistent' ? `✓ ${a.agency}: consistent up to size ${a.size} (${a.checked} older checkpoint(s) proved)\n`
        : a.outcome === 'inconsistent' ? `✗ ${a.agency}: ${a.kind}: ${a.detail}\n`
          : `? ${a.agency}: not audited (${a.code}): ${a.detail}\n`)
    }
  }
  return audits.some((a) => a.outcome === 'inconsistent') ? 1 : audits.some((a) => a.outcome === 'unreachable') ? 3 : 0
}
