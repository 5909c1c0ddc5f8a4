// POST /api/v1/letters as multipart/form-data (RFC 7578; issue 5 §7): attachments travel as raw
// bytes, never as base64. The parts:
//   letter       the LetterDraft as JSON (a field, or a file part with Content-Type application/json)
//   attachment   one file per part, in attachment order; filename and media type from the part headers
//                (Content-Disposition filename / filename*, Content-Type)
//   attachments  optional JSON array [{filename?, mediaType?}], one per attachment part, overriding those
// The result is the JSON API's body with each content replaced by a sentinel and the file beside it,
// the SendRequest.decoded form the send service takes (services/send.ts). Issue 16 item 2: each file
// part is written to a private file as it arrives and hashed meanwhile (services/uploads/spool.ts), 1
// MiB in memory at a time, never the whole file; the letter is sealed from the files. The caller
// removes the files with dispose() once it answered; a refused or broken form removes its own here.
import { createHash, randomBytes } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { Multipart, MultipartFile } from '@fastify/multipart'
import { SarabanError } from '../errors.js'
import { compileForFastify, schemaIds } from '../schema/index.js'
import { tooLarge, UploadBudget, type UploadLimits } from '../services/upload-limits.js'
import { removeSpooled, type SpooledFile, type SpoolWriter, type UploadSpool } from '../services/uploads/spool.js'

/** The letter JSON part: at most the size of a signed letter (crypto/jose/v1-payload.ts MAX_SIGNED_LETTER_BYTES). */
export const MAX_LETTER_PART_BYTES = 8 * 1024 * 1024
const PART_NAMES = ['letter', 'attachment', 'attachments'] as const

/** The largest form worth reading: the files (spooled to disk, so maxApiBodyBytes, the bound of a JSON
 *  body held whole, does not apply; issue 16 item 2), the letter and attachments parts, and room for
 *  each part's boundary and headers. Never below maxApiBodyBytes, the bound before. */
export function multipartBodyBound(limits: UploadLimits): number {
  const around = 2 * MAX_LETTER_PART_BYTES + (limits.maxAttachments + PART_NAMES.length) * 64 * 1024
  return Math.max(limits.maxApiBodyBytes, limits.maxAttachmentsTotalBytes + around)
}

export interface MultipartLetter {
  readonly body: { letter: unknown; attachments?: Array<{ filename: string; mediaType: string; content: string }> }
  readonly decoded: { readonly sentinel: string; readonly bytes: ReadonlyMap<number, Buffer>; readonly files: ReadonlyMap<number, SpooledFile> }
  /** Digest for Idempotency-Key comparison: of the letter, file names, media types and file bytes, not of
   *  the boundary (a client retrying with a new boundary sends the same request). */
  readonly requestSha256: string
  /** Removes the spooled files; never throws. Call once the request is answered, whatever the outcome. */
  dispose(): Promise<void>
}

interface ReceivedFile { filename: string; mediaType: string; file: SpooledFile }

const invalid = (field: string, detail: string) => new SarabanError('ERR_REQUEST_INVALID', detail, { field })

/** Busboy/@fastify/multipart errors onto our codes; anything else is passed on as it is. */
function mapped(err: unknown): unknown {
  if (err instanceof SarabanError) return err
  const code = (err as { code?: string } | null)?.code
  switch (code) {
    case 'FST_INVALID_JSON_FIELD_ERROR': return invalid('/letter', 'A part sent as application/json is not valid JSON.')
    case 'FST_PARTS_LIMIT': case 'FST_FILES_LIMIT': return tooLarge('/attachments', 'The form has more parts than a letter may carry (limits.maxAttachments).')
    case 'FST_FIELDS_LIMIT': return tooLarge('/body', `The form has more than ${PART_NAMES.length} non-file parts (${PART_NAMES.join(', ')}).`)
    case 'FST_REQ_FILE_TOO_LARGE': return tooLarge('/attachments', 'An attachment is larger than limits.maxAttachmentBytes.')
    case 'FST_PROTO_VIOLATION': return invalid('/body', 'A part name is not allowed.')
    default: return invalid('/body', `The body is not valid multipart/form-data: ${(err as Error)?.message ?? String(err)}.`)
  }
}

/** One file part, spooled to a private file while hashed; `writers` gets it first, so that a failure removes it. */
async function spoolFile(part: MultipartFile, i: number, budget: UploadBudget, spool: UploadSpool, writers: SpoolWriter[]): Promise<SpooledFile> {
  const name = JSON.stringify(part.filename)
  budget.file(i, name)
  const w = await spool.create()
  writers.push(w)
  let size = 0
  for await (const chunk of part.file as AsyncIterable<Buffer>) {
    size += chunk.length
    budget.grow(i, name, size, chunk.length)
    await w.write(chunk)
  }
  if (part.file.truncated) throw tooLarge(`/attachments/${i}`, `${name} is larger than limits.maxAttachmentBytes.`)
  return w.finish()
}

async function readJsonFile(part: MultipartFile, field: string): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of part.file as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_LETTER_PART_BYTES) throw tooLarge(field, `The ${field.slice(1)} part is larger than ${MAX_LETTER_PART_BYTES} bytes.`)
    chunks.push(chunk)
  }
  return parseJson(Buffer.concat(chunks).toString('utf8'), field)
}

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw invalid(field, `The ${field.slice(1)} part is not valid JSON.`)
  }
}

async function jsonOf(part: Multipart, field: string): Promise<unknown> {
  if (part.type === 'file') return readJsonFile(part, field)
  if (part.valueTruncated) throw tooLarge(field, `The ${field.slice(1)} part is larger than ${MAX_LETTER_PART_BYTES} bytes.`)
  return typeof part.value === 'string' ? parseJson(part.value, field) : part.value // application/json: parsed by the plugin
}

/** Reads the whole form. Throws SarabanError (400/413/422) naming the part; the caller answers. */
export async function readMultipartLetter(request: FastifyRequest, limits: UploadLimits, spool: UploadSpool): Promise<MultipartLetter> {
  const digest = request.headers['idempotency-key'] !== undefined
  const declared = Number(request.headers['content-length'] ?? NaN)
  const bound = multipartBodyBound(limits)
  if (declared > bound) {
    abandon(request)
    throw tooLarge('/body', `The request body is ${declared} bytes; this node accepts at most ${bound} in a form (limits.maxAttachmentsTotalBytes and the parts around the files).`)
  }
  const budget = new UploadBudget(limits)
  const writers: SpoolWriter[] = []
  let letter: unknown
  let meta: unknown
  const files: ReceivedFile[] = []
  try {
    const parts = request.parts({
      limits: {
        fieldNameSize: 64,
        fieldSize: MAX_LETTER_PART_BYTES,
        fields: PART_NAMES.length,
        fileSize: limits.maxAttachmentBytes + 1, // one more, so that our own count names the part first
        files: limits.maxAttachments + 2, // + a letter sent as a file, + one to name in the refusal
        parts: limits.maxAttachments + 2 + PART_NAMES.length,
        headerPairs: 32,
      },
    })
    for await (const part of parts) {
      const name = part.fieldname
      if (name === 'letter') {
        if (letter !== undefined) throw invalid('/letter', 'The form has two letter parts.')
        letter = await jsonOf(part, '/letter')
      } else if (name === 'attachments') {
        if (meta !== undefined) throw invalid('/attachments', 'The form has two attachments parts.')
        meta = await jsonOf(part, '/attachments')
      } else if (name === 'attachment' && part.type === 'file') {
        const file = await spoolFile(part, files.length, budget, spool, writers)
        files.push({ filename: part.filename, mediaType: part.mimetype, file })
      } else if (name === 'attachment') {
        throw invalid(`/attachments/${files.length}`, 'An attachment part must be a file: its Content-Disposition needs a filename.')
      } else {
        if (part.type === 'file') part.file.resume()
        throw invalid(`/${name}`, `Unknown part "${name}"; the parts are ${PART_NAMES.join(', ')}.`)
      }
    }
  } catch (err) {
    abandon(request)
    await Promise.all(writers.map((w) => w.discard()))
    throw mapped(err)
  }
  try {
    return assemble(letter, meta, files, digest)
  } catch (err) {
    await Promise.all(writers.map((w) => w.discard()))
    throw err
  }
}

/** Stop parsing after a refusal; the rest of the body is read and dropped, so that the client, still
 *  sending, gets to read the 413 instead of a connection reset. */
function abandon(request: FastifyRequest): void {
  request.raw.unpipe()
  request.raw.resume()
}

const validateCreate = () => compileForFastify({ $ref: schemaIds.apiLetterCreate }, 'body')

function assemble(letter: unknown, meta: unknown, files: ReceivedFile[], digest: boolean): MultipartLetter {
  if (letter === undefined) throw invalid('/letter', 'The form has no letter part (the letter as JSON).')
  if (meta !== undefined && (!Array.isArray(meta) || meta.length !== files.length || !meta.every((m) => m !== null && typeof m === 'object' && !Array.isArray(m)))) {
    throw invalid('/attachments', `The attachments part must be a JSON array of ${files.length} objects {filename?, mediaType?}, one per attachment part.`)
  }
  const described = (meta ?? []) as Array<{ filename?: unknown; mediaType?: unknown }>
  const attachments = files.map((f, i) => ({
    filename: described[i]?.filename ?? f.filename,
    mediaType: described[i]?.mediaType ?? f.mediaType,
    content: '',
  }))
  const body = { letter, ...(files.length > 0 ? { attachments } : {}) }
  // The JSON API's schema and rules, with the same codes (ERR_LETTER_INVALID inside /letter).
  const checked = validateCreate()(body)
  if ('error' in checked) throw checked.error
  const sentinel = `\u0000multipart:${randomBytes(12).toString('hex')}`
  for (const a of attachments) a.content = sentinel
  const canonical = JSON.stringify({ letter, attachments: attachments.map((a, i) => ({ filename: a.filename, mediaType: a.mediaType, sha256: files[i]!.file.sha256 })) })
  return {
    body: body as MultipartLetter['body'],
    decoded: { sentinel, bytes: new Map(), files: new Map(files.map((f, i) => [i, f.file])) },
    requestSha256: digest ? createHash('sha256').update('multipart/form-data\n').update(canonical).digest('hex') : '',
    dispose: () => removeSpooled(files.map((f) => f.file)),
  }
}
