// `saraban-node retry`: an operator sends failed recipients of a letter again, through the node's
// REST API (POST /api/v1/letters/{id}/retry; PROTOCOL.md §7.2 "Requeue").
import { readFileSync } from 'node:fs'
import { parse, CliError } from './args.js'
import type { Command } from './commands.js'

export const retryCommand: Command = {
  summary: 'send the failed recipients of a letter again (same message, same bytes)',
  help: `Usage: saraban-node retry --api URL (--key-file FILE | --key KEY) LETTER_ID [--recipient AGENCY ...]

Queues the letter's failed recipients again with the same message id and envelope bytes; the
give-up horizon (delivery.giveUpAfter) starts afresh. Without --recipient: every failed recipient.
A named recipient that is not failed (queued, in flight, delivered, or cancelled by a withdrawal)
is refused, and then nothing is requeued.

Options:
  --api URL              the node's REST API (e.g. http://127.0.0.1:8080)
  --key-file FILE        a file holding the API key (or --key KEY, or SARABAN_API_KEY)
  --recipient AGENCY     a recipient to send again (repeatable)
  --json                 print the API's JSON answer (the letter's status)
`,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      api: { type: 'string' }, key: { type: 'string' }, 'key-file': { type: 'string' }, recipient: { type: 'string', multiple: true }, json: { type: 'boolean' },
    }, true)
    if (!values.api) throw new CliError('--api URL is required')
    if (positionals.length !== 1) throw new CliError('give exactly one letter id')
    const key = values['key-file'] !== undefined ? readKey(values['key-file']) : values.key ?? process.env.SARABAN_API_KEY
    if (!key) throw new CliError('--key-file FILE (or --key KEY, or SARABAN_API_KEY) is required')
    const id = positionals[0]!
    const res = await fetch(new URL(`/api/v1/letters/${encodeURIComponent(id)}/retry`, values.api), {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(values.recipient ? { recipients: values.recipient } : {}),
    })
    const answer = (await res.json()) as { code?: string; detail?: string; recipients?: Array<{ agency: string; status: string }> }
    if (values.json) process.stdout.write(JSON.stringify(answer, null, 2) + '\n')
    if (!res.ok) {
      if (!values.json) process.stderr.write(`saraban-node: the node did not requeue letter ${id}: ${answer.code ?? res.status}: ${answer.detail ?? ''}\n`)
      return 1
    }
    if (!values.json) for (const r of answer.recipients ?? []) process.stdout.write(`${r.agency}\t${r.status}\n`)
    return 0
  },
}

/** The API key from a file (trimmed); a CliError naming the file when it cannot be read. */
export function readKey(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch (err) {
    throw new CliError(`cannot read the API key file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
}
