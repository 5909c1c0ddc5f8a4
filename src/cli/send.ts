// `saraban-node send`: a small client of the local REST API, for operators and scripts.
import { basename, extname } from 'node:path'
import { parse, readInputFile, CliError } from './args.js'
import { EXIT } from './exit-codes.js'
import { networkFailure } from './errno.js'
import { bangkokDate } from '../domain/thai.js'
import type { Command } from './commands.js'

const MEDIA_TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.txt': 'text/plain', // the API takes media types without parameters (schemas: attachment mediaType)
  '.xml': 'application/xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.doc': 'application/msword',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.odt': 'application/vnd.oasis.opendocument.text',
}

export const sendCommand: Command = {
  summary: 'send a letter through a node\'s REST API; prints the new letter id',
  help: `Usage: saraban-node send --api URL --key KEY --to AGENCY --subject TEXT [options]

Options:
  --api URL              the node's REST API (e.g. http://127.0.0.1:8080)
  --key KEY              API key (or SARABAN_API_KEY)
  --to AGENCY            recipient agency id (repeat for several)
  --subject TEXT         เรื่อง
  --attach FILE          attach a file (repeatable)
  --urgency U            NORMAL | URGENT | VERY_URGENT | MOST_URGENT (default NORMAL)
  --secrecy S            UNCLASSIFIED | CONFIDENTIAL | SECRET | TOP_SECRET (default UNCLASSIFIED)
  --from AGENCY          sending agency (needed when the key acts for several)
  --body TEXT            ข้อความ
  --salutation TEXT      คำขึ้นต้น (default "เรียน")
  --signer-name TEXT     ลงชื่อ (default "ผู้ส่ง")
  --signer-position TEXT ตำแหน่ง (default "เจ้าหน้าที่สารบรรณ")
  --number TEXT          ที่ (letter number)
  --letter FILE          a JSON letter draft; the flags above override its fields
  --idempotency-key K    Idempotency-Key header (safe retries)
  --json                 print the API's JSON answer instead of the id
`,
  async run(argv) {
    const { values } = parse(argv, {
      api: { type: 'string' }, key: { type: 'string' }, to: { type: 'string', multiple: true }, subject: { type: 'string' },
      attach: { type: 'string', multiple: true }, urgency: { type: 'string' }, secrecy: { type: 'string' }, from: { type: 'string' },
      body: { type: 'string' }, salutation: { type: 'string' }, 'signer-name': { type: 'string' }, 'signer-position': { type: 'string' },
      number: { type: 'string' }, letter: { type: 'string' }, 'idempotency-key': { type: 'string' }, json: { type: 'boolean' },
    })
    const key = values.key ?? process.env.SARABAN_API_KEY
    if (!values.api) throw new CliError('--api URL is required')
    if (!key) throw new CliError('--key KEY (or SARABAN_API_KEY) is required')
    const api = apiUrl(values.api)
    const base = values.letter ? letterDraft(values.letter) : {}
    const to = values.to ?? []
    if (to.length === 0 && !base.recipients) throw new CliError('--to AGENCY is required')
    if (!values.subject && !base.subject) throw new CliError('--subject TEXT is required')
    const letter = {
      kind: 'EXTERNAL',
      date: bangkokDate(new Date()),
      salutation: 'เรียน',
      signer: { name: values['signer-name'] ?? 'ผู้ส่ง', position: values['signer-position'] ?? 'เจ้าหน้าที่สารบรรณ' },
      ...base,
      ...(values.subject ? { subject: values.subject } : {}),
      ...(to.length ? { recipients: to.map((agency) => ({ agency })) } : {}),
      ...(values.urgency ? { urgency: values.urgency } : {}),
      ...(values.secrecy ? { secrecy: values.secrecy } : {}),
      ...(values.body ? { body: values.body } : {}),
      ...(values.salutation ? { salutation: values.salutation } : {}),
      ...(values.number ? { number: values.number } : {}),
      ...(values.from ? { sender: { ...(base.sender as object | undefined), agency: values.from } } : {}),
    }
    const attachments = (values.attach ?? []).map((file) => ({
      filename: basename(file),
      mediaType: MEDIA_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      content: readInputFile(file, '--attach').toString('base64'),
    }))
    const url = new URL('/api/v1/letters', api)
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        ...(values['idempotency-key'] ? { 'idempotency-key': values['idempotency-key'] } : {}),
      },
      body: JSON.stringify({ letter, attachments }),
    }).catch((err: unknown) => {
      const why = networkFailure(err)
      if (why === undefined) throw err
      throw new CliError(`the node's API at ${api.origin} cannot be reached (${why}): check that the node runs and that --api names its api.host and api.port.`, EXIT.UNAVAILABLE)
    })
    const answer = (await res.json().catch(() => {
      throw new CliError(`${api.origin} answered HTTP ${res.status} without a JSON body: is --api the node's REST API (api.port), not another service?`, EXIT.FAILED)
    })) as { id?: string; code?: string; detail?: string; errors?: Array<{ field: string; message: string }> }
    if (values.json) process.stdout.write(JSON.stringify(answer, null, 2) + '\n')
    if (!res.ok) {
      if (!values.json) {
        process.stderr.write(`saraban-node: the node refused the letter: ${answer.code ?? res.status}: ${answer.detail ?? ''}\n`)
        for (const e of answer.errors ?? []) process.stderr.write(`  ${e.field}: ${e.message}\n`)
      }
      return 1
    }
    if (!values.json) process.stdout.write(`${answer.id}\n`)
    return 0
  },
}

/** --api: an http(s) URL with its scheme; "127.0.0.1:8080" alone is refused with the fix. */
function apiUrl(given: string): URL {
  let url: URL | undefined
  try {
    url = new URL(given)
  } catch { /* below */ }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new CliError(`--api ${given} is not an http(s) URL: write it with its scheme, e.g. --api http://${given.replace(/^[a-z]+:\/\//i, '')}`)
  }
  return url
}

/** --letter FILE: a JSON object (a letter draft). */
function letterDraft(file: string): Record<string, unknown> {
  let draft: unknown
  try {
    draft = JSON.parse(readInputFile(file, '--letter').toString('utf8'))
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError(`${file} (--letter) is not valid JSON: ${(err as Error).message}; fix the file.`)
  }
  if (draft === null || typeof draft !== 'object' || Array.isArray(draft)) throw new CliError(`${file} (--letter) must hold a JSON object (a letter draft).`)
  return draft as Record<string, unknown>
}
