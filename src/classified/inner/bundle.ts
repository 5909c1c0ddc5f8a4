// The content bundle a classified inner envelope signs (PROTOCOL.md §19, classified-design.md §2), like
// §5.3: the UTF-8 JSON of the classified letter, one 0x0A, then each attachment raw in manifest order.
// The JSON is written compact (JSON.stringify escapes every newline inside strings), so the first 0x0A
// ends it; the manifest's sizes cut the rest, and its SHA-256 digests are checked here.
import { createHash } from 'node:crypto'
import { SarabanError } from '../../errors.js'
import { check, schemaIds } from '../../schema/index.js'
import type { ClassifiedLetter } from './types.js'

const NL = Buffer.from([0x0a])

/** The bundle bytes as parts (the caller hashes or encrypts them without one big copy). */
export function encodeBundle(letter: ClassifiedLetter, attachments: readonly Buffer[]): Buffer[] {
  const manifest = letter.letter.attachments ?? []
  if (manifest.length !== attachments.length) throw new Error('encodeBundle: the manifest and the attachments differ in number')
  manifest.forEach((m, i) => {
    const a = attachments[i]!
    if (m.size !== a.length || m.sha256 !== createHash('sha256').update(a).digest('hex')) {
      throw new SarabanError('ERR_ATTACHMENT_DIGEST_MISMATCH', `Attachment ${m.id} (${m.filename}) does not match its manifest entry.`, { field: `/letter/attachments/${i}` })
    }
  })
  return [Buffer.from(JSON.stringify(letter), 'utf8'), NL, ...attachments]
}

const malformed = (detail: string, field?: string): SarabanError =>
  new SarabanError('ERR_CLASSIFIED_MALFORMED', detail, field === undefined ? {} : { field })

/** Parses and checks a bundle: the JSON against classified-letter.json, level = letter.secrecy, every attachment's size and digest. */
export function decodeBundle(bytes: Buffer): { letter: ClassifiedLetter; attachments: Buffer[] } {
  const nl = bytes.indexOf(0x0a)
  if (nl < 0) throw malformed('The signed content is not a classified-letter bundle (no JSON head).')
  let json: unknown
  try {
    json = JSON.parse(bytes.subarray(0, nl).toString('utf8'))
  } catch {
    throw malformed('The signed content does not start with a JSON classified letter.')
  }
  const checked = check<ClassifiedLetter>(schemaIds.classifiedLetter, json)
  if (!checked.ok) {
    const e = checked.errors[0]
    throw new SarabanError('ERR_CLASSIFIED_MALFORMED', `The classified letter does not match its schema: ${e?.field ?? ''} ${e?.message ?? ''}`.trim(), { field: e?.field ?? '', errors: checked.errors })
  }
  const letter = checked.value
  if ((letter.letter.secrecy ?? 'UNCLASSIFIED') !== letter.level) throw malformed('The letter\'s secrecy differs from the level of the classified letter.', '/letter/secrecy')
  if (letter.copy.number > letter.copy.of) throw malformed('The copy number is larger than the number of copies.', '/copy')
  const attachments: Buffer[] = []
  let at = nl + 1
  for (const [i, m] of (letter.letter.attachments ?? []).entries()) {
    if (at + m.size > bytes.length) throw malformed('The bundle is shorter than its attachments manifest says.', `/letter/attachments/${i}`)
    const a = bytes.subarray(at, at + m.size)
    if (createHash('sha256').update(a).digest('hex') !== m.sha256) {
      throw new SarabanError('ERR_ATTACHMENT_DIGEST_MISMATCH', `Attachment ${m.id} does not match its digest in the signed manifest.`, { field: `/letter/attachments/${i}` })
    }
    attachments.push(a)
    at += m.size
  }
  if (at !== bytes.length) throw malformed('The bundle has bytes after its attachments.')
  return { letter, attachments }
}
