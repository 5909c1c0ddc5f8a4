// Our received letter → rsm:GovernmentDocument, and a queued acknowledgement → its notifier (issue 18 §3,
// §4; e-cms.md §4, §7). A letter that came from an agency on the REST API reads exactly like one that
// came from an e-CMS client: the same elements, filled from the same letter model.
import { secretCodeOf, speedCodeOf, mimeCodeFor } from '../codes.js'
import type { EcmsBinary, EcmsDocument, EcmsNotifier, EcmsParty } from '../model.js'
import type { Letter } from '../../../domain/letter.js'
import type { Handout, QueuedLetter } from '../../../services/ecms/pull.js'
import { thaiTime } from '../handlers/time.js'

/** The file name ecms-edge's outbound mapping gives the MainLetterBinaryObject (mapping/outbound.ts). */
export const MAIN_LETTER_STEM = 'letter'

/** Which attachment is the letter itself: the one a gateway named so; else the first, when the letter
 *  has one; else none (the text of the letter becomes the main letter, below). */
export function mainLetterIndex(attachments: QueuedLetter['attachments']): number | undefined {
  const named = attachments.findIndex((a) => a.filename.toLowerCase().replace(/\.[^.]*$/, '') === MAIN_LETTER_STEM)
  if (named >= 0) return named
  return attachments.length > 0 ? 0 : undefined
}

/** A letter without files: its text, as the UTF-8 text/plain main letter (e-cms.md §4: text bodies). */
function letterText(l: Letter): Buffer {
  const lines = [
    l.number ? `ที่ ${l.number}` : undefined, l.sender.name, l.date, `เรื่อง ${l.subject}`, l.salutation,
    ...(l.references ?? []).map((r) => `อ้างถึง ${r.text}`), ...(l.enclosures ?? []).map((e) => `สิ่งที่ส่งมาด้วย ${e.description}`),
    l.body, l.closing, l.signer.name, l.signer.position,
  ]
  return Buffer.from(lines.filter((x): x is string => x !== undefined && x !== '').join('\n'), 'utf8')
}

function party(department: string, name?: { givenName?: string; jobTitle?: string }): EcmsParty {
  // BOI derives the ministry from the first two digits of the organisation id (e-cms.md §4).
  return { ministry: department ? department.slice(0, 2) : undefined, department: department || undefined, ...(name?.givenName ? { givenName: name.givenName } : {}), ...(name?.jobTitle ? { jobTitle: name.jobTitle } : {}) }
}

const binary = (a: { mediaType: string; bytes: Buffer }): EcmsBinary => ({ mimeCode: mimeCodeFor(a.mediaType), bytes: a.bytes })

/** A queued letter as the GovernmentDocument the e-CMS client pulls. */
export function documentOf(q: QueuedLetter, c: Handout['correlation']): EcmsDocument {
  const l = q.letter
  const main = mainLetterIndex(q.attachments)
  const enclosures = (l.enclosures ?? []).map((e) => `${e.description} ${e.count} ${e.unit ?? 'ฉบับ'}`).join(', ')
  const recipient = [...l.recipients, ...(l.copyTo ?? [])].find((a) => a.agency === q.recipientAgency)
  return {
    letterId: c.ecmsLetterId,
    correspondenceDate: c.correspondenceDate,
    subject: l.subject,
    secretCode: secretCodeOf(l.secrecy),
    speedCode: speedCodeOf(l.urgency),
    sender: party(c.senderDept, { givenName: l.signer.name, jobTitle: l.signer.position }),
    receiver: party(c.receiverDept, recipient?.title ? { jobTitle: recipient.title } : undefined),
    references: (l.references ?? []).map((r) => ({ letterId: r.number ?? r.text, correspondenceDate: r.date ?? '', subject: r.number ? r.text : '' })),
    attachmentText: enclosures || undefined,
    sendDate: l.date,
    description: l.body,
    mainLetter: main === undefined ? { mimeCode: 'text/plain', bytes: letterText(l) } : binary(q.attachments[main]!),
    attachments: q.attachments.filter((_, i) => i !== main).map(binary),
    signature: { present: false, verified: undefined },
  }
}

/** A queued acknowledgement as its notifier, with AcceptDate and AcceptDepartment as e-CMS adds them. */
export function notifierOf(h: Extract<Handout, { kind: Exclude<Handout['kind'], 'GovernmentDocument'> }>): EcmsNotifier {
  return {
    kind: h.kind,
    letterId: h.correlation.ecmsLetterId,
    correspondenceDate: h.correlation.correspondenceDate,
    subject: h.subject,
    ...(h.facts.acceptId !== undefined ? { acceptId: h.facts.acceptId } : {}),
    acceptDate: thaiTime(Date.parse(h.facts.acceptDate)),
    acceptDepartment: h.facts.acceptDepartment,
    senderDepartment: h.correlation.senderDept,
  }
}
