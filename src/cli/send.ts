// `saraban-node send`: a small client of the local REST API, for operators and scripts.
import { readFileSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { parse, CliError } from './args.js'
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
    const base = (values.letter ? JSON.parse(readFileSync(values.letter, 'utf8')) : {}) as Record<string, unknown>
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
      content: readFileSync(file).toString('base64'),
    }))
    const res = await fetch(new URL('/api/v1/letters', values.api), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        ...(values['idempotency-key'] ? { 'idempotency-key': values['idempotency-key'] } : {}),
      },
      body: JSON.stringify({ letter, attachments }),
    })
    const answer = (await res.json()) as { id?: string; code?: string; detail?: string; errors?: Array<{ field: string; message: string }> }
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
