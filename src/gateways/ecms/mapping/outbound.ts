// GovernmentDocument → a letter of our model (issue 18 §2), as one table of fields below. The agency
// that sends is the one configuration says this client acts for; SenderParty may confirm it, never
// choose it. The receiver is found by its e-CMS ids in the signed directory (PROTOCOL.md §1.4).
import { createHash } from 'node:crypto'
import type { Directory, DirectoryAgency } from '../../../pki/directory.js'
import type { LetterDraft, LetterReference, Enclosure } from '../../../domain/letter.js'
import type { EcmsDocument, EcmsParty, EcmsBinary } from '../model.js'
import { EcmsError } from '../errors.js'
import { extensionFor, mediaTypeOf, secrecyOf, urgencyOf } from '../codes.js'

type EcmsIds = NonNullable<DirectoryAgency['ecms']>

/** Whether a DepartmentOrganization/ID names these e-CMS ids: the 5-digit department or the 10-digit organisation id. */
export function namesAgency(ids: EcmsIds, party: EcmsParty): boolean {
  const d = party.department
  if (d === undefined) return false
  if (party.ministry !== undefined && party.ministry !== ids.ministry) return false
  return d === ids.department || d === ids.organization
}

/** The active agency a ReceiverParty names (PROTOCOL.md §1.4 agencies[].ecms). Throws ECMS-E032. */
export function resolveParty(directory: Directory, party: EcmsParty): DirectoryAgency {
  if (party.department === undefined) throw new EcmsError('ECMS-E032', 'ReceiverParty has no DepartmentOrganization/ID')
  const found = directory.all().filter((a) => a.ecms !== undefined && a.status === 'active' && namesAgency(a.ecms, party))
  if (found.length === 1) return found[0]!
  const who = `ministry ${party.ministry ?? '(none)'}, department ${party.department}`
  if (found.length === 0) throw new EcmsError('ECMS-E032', who)
  throw new EcmsError('ECMS-E032', `${who} names ${found.length} agencies; send MinistryOrganization/ID too`)
}

/** MIME codes name files: the main letter is "letter.<ext>", the others "attachment-<n>.<ext>". */
function file(b: EcmsBinary, base: string): { filename: string; mediaType: string; bytes: Buffer } {
  const mediaType = mediaTypeOf(b.mimeCode)
  if (!/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(mediaType)) throw new EcmsError('ECMS-E033', `mimeCode "${b.mimeCode}" is not a media type`)
  return { filename: `${base}.${extensionFor(mediaType) ?? 'bin'}`, mediaType, bytes: b.bytes }
}

/** Text of a text/plain main letter, for the letter's body: UTF-8, else TIS-620 (e-cms.md §4, §7.7). */
export function decodeText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return new TextDecoder('windows-874').decode(bytes) // the WHATWG name of TIS-620
  }
}

/** A line as our schema's `line` wants it: no control characters, one line. */
const line = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim()

export interface MappedLetter {
  readonly letter: { letter: LetterDraft; attachments: Array<{ filename: string; mediaType: string; content: string }> }
  readonly decoded: { sentinel: string; bytes: Map<number, Buffer> }
  readonly idempotencyKey: string
  readonly requestSha256: string
  readonly receiver: DirectoryAgency
}

const SENTINEL = '\u0000ecms-decoded'

export function letterFromDocument(doc: EcmsDocument, agency: string, directory: Directory): MappedLetter {
  // Issue 18 §6: classified letters never travel through e-CMS, which carries subject and class in the clear.
  const secrecy = secrecyOf(doc.secretCode)
  if (secrecy === undefined) throw new EcmsError('ECMS-E035', `SecretCode "${doc.secretCode}"`)
  if (secrecy !== 'UNCLASSIFIED') throw new EcmsError('ECMS-E031', `SecretCode ${doc.secretCode}`)
  const urgency = urgencyOf(doc.speedCode)
  if (urgency === undefined) throw new EcmsError('ECMS-E035', `SpeedCode "${doc.speedCode}"`)

  const own = directory.agency(agency)
  if (own?.ecms && doc.sender.department !== undefined && !namesAgency(own.ecms, doc.sender)) {
    throw new EcmsError('ECMS-E030', `SenderParty (department ${doc.sender.department}) is not the agency this e-CMS URL acts for (${own.ecms.ministry}/${own.ecms.organization ?? own.ecms.department})`)
  }
  const receiver = resolveParty(directory, doc.receiver)

  const files = [...(doc.mainLetter ? [file(doc.mainLetter, 'letter')] : []), ...doc.attachments.map((a, i) => file(a, `attachment-${i + 1}`))]
  // A text main letter is also the letter's body (schema: at most 100000 characters; longer ones travel as the file only).
  const mainText = doc.mainLetter && mediaTypeOf(doc.mainLetter.mimeCode) === 'text/plain' && doc.mainLetter.bytes.length <= 100_000 ? decodeText(doc.mainLetter.bytes) : undefined
  const body = [mainText, doc.description].filter((t): t is string => t !== undefined && t.trim() !== '').join('\n\n')
  const references: LetterReference[] = doc.references.map((r) => ({
    text: line(`ที่ ${r.letterId}${r.correspondenceDate ? ` ลงวันที่ ${r.correspondenceDate}` : ''}${r.subject ? ` เรื่อง ${r.subject}` : ''}`),
    number: line(r.letterId).slice(0, 100),
    ...(r.correspondenceDate ? { date: r.correspondenceDate } : {}),
  }))
  // e-CMS gives the enclosures as free text without a count: one enclosure per line, each counted once.
  const enclosures: Enclosure[] = (doc.attachmentText ?? '').split(/\r?\n/).map(line).filter((t) => t !== '').map((description) => ({ description, count: 1 }))
  const signerName = line([doc.sender.givenName, doc.sender.familyName].filter(Boolean).join(' '))
  const letter: LetterDraft = {
    kind: 'EXTERNAL',
    number: line(doc.letterId),
    date: doc.correspondenceDate,
    subject: line(doc.subject),
    salutation: `เรียน ${line(receiver.nameTh)}`,
    recipients: [{ agency: receiver.id }],
    ...(references.length > 0 ? { references } : {}),
    ...(enclosures.length > 0 ? { enclosures } : {}),
    ...(body !== '' ? { body } : {}),
    // e-CMS names the signer only optionally (SenderParty GivenName/FamilyName/JobTitle).
    signer: { name: signerName || own?.nameTh || agency, position: line(doc.sender.jobTitle ?? '') || own?.nameTh || agency },
    urgency,
    secrecy: 'UNCLASSIFIED',
    sender: { agency, name: own?.nameTh ?? agency },
  }
  // The same GovernmentDocument sent again (a client retrying after a lost answer) is the same letter.
  const digest = createHash('sha256')
  digest.update(JSON.stringify({ ...doc, mainLetter: undefined, attachments: undefined, signature: undefined }))
  for (const f of files) digest.update(`\n${f.mediaType}\n`).update(createHash('sha256').update(f.bytes).digest())
  const requestSha256 = digest.digest('hex')
  const key = createHash('sha256').update(JSON.stringify([doc.letterId, doc.correspondenceDate, receiver.id])).digest('hex')
  return {
    letter: { letter, attachments: files.map((f) => ({ filename: f.filename, mediaType: f.mediaType, content: SENTINEL })) },
    decoded: { sentinel: SENTINEL, bytes: new Map(files.map((f, i) => [i, f.bytes])) },
    idempotencyKey: `ecms-${key}`,
    requestSha256,
    receiver,
  }
}
