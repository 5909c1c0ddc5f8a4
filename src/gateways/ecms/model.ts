// The typed e-CMS objects (e-cms.md §4, §3): rsm:GovernmentDocument and the five notifiers, read
// from and written to the element tree of xml.ts. This is the one place that knows the TH e-GIF
// element names; handlers and mappings work on these types. Reading is liberal where real clients
// differ (namespaced or not, 5- or 10-digit organisation ids, SendDate with or without a time),
// strict where a value is acted on (dates, codes, base64).
import { child, childrenNamed, childText, el, optEl, pathText, NS, type XmlEl } from './xml.js'
import { EcmsError } from './errors.js'

export interface EcmsParty {
  ministry: string | undefined
  department: string | undefined
  givenName?: string
  familyName?: string
  jobTitle?: string
}

export interface EcmsBinary {
  mimeCode: string
  bytes: Buffer
}

/** rsm:GovernmentDocument/ram:CorrespondenceLetter (+ signature) */
export interface EcmsDocument {
  /** ram:ID, the letter number "ที่" (the correlation key of every notifier) */
  letterId: string
  /** yyyy-MM-dd, Common Era */
  correspondenceDate: string
  subject: string
  secretCode: string
  speedCode: string
  sender: EcmsParty
  receiver: EcmsParty
  references: { letterId: string; correspondenceDate: string; subject: string }[]
  /** ram:Attachment: the enclosure text (สิ่งที่ส่งมาด้วย) */
  attachmentText: string | undefined
  /** yyyy-MM-dd or yyyy-MM-ddTHH:mm:ss, as sent */
  sendDate: string | undefined
  description: string | undefined
  mainLetter: EcmsBinary | undefined
  attachments: EcmsBinary[]
  /** ds:Signature over #Letter: present? verified (signature.ts; undefined: not checked)? */
  signature: { present: boolean; verified: boolean | undefined; reason?: string }
}

export type EcmsNotifierKind = 'ReceiveLetterNotifier' | 'AcceptLetterNotifier' | 'RejectLetterNotifier' | 'InvalidLetterNotifier' | 'InvalidAcceptIDNotifier'
export const NOTIFIER_KINDS: readonly EcmsNotifierKind[] = ['ReceiveLetterNotifier', 'AcceptLetterNotifier', 'RejectLetterNotifier', 'InvalidLetterNotifier', 'InvalidAcceptIDNotifier']

export interface EcmsNotifier {
  kind: EcmsNotifierKind
  letterId: string
  correspondenceDate: string
  subject: string
  acceptId?: string
  acceptDate?: string
  acceptDepartment?: string
  senderDepartment?: string
}

const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/
const DATE_TIME = /^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?$/
/** e-cms.md §4: 2-digit ministry ids; 5-digit (BOI samples) or 10-digit (directory dump) organisation ids. */
const MINISTRY_ID = /^[0-9]{2}$/
const ORG_ID = /^(?:[0-9]{5}|[0-9]{10})$/

const missing = (what: string) => new EcmsError('ECMS-E030', `${what} is missing`)

function required(parent: XmlEl, local: string, what: string): string {
  const v = childText(parent, local)
  if (v === undefined) throw missing(what)
  return v
}

/** A CE calendar date; a date-time is accepted and cut to its date (some clients send one). */
export function ceDate(value: string, what: string): string {
  const m = DATE_TIME.exec(value.trim())
  const d = m?.[1]
  if (!d || Number.isNaN(Date.parse(`${d}T00:00:00Z`)) || new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) !== d) {
    throw new EcmsError('ECMS-E030', `${what} must be a date yyyy-MM-dd (Common Era), not "${value}"`)
  }
  // A Buddhist-era year (พ.ศ.) is 543 ahead; such a date would be read 543 years late.
  if (Number(d.slice(0, 4)) > 2400) throw new EcmsError('ECMS-E030', `${what} looks like a Buddhist-era year (${d}): send the Common Era year`)
  return d
}

const B64_CHAR = new Uint8Array(128)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') B64_CHAR[c.charCodeAt(0)] = 1

/** xsd:base64Binary: XML whitespace (line breaks) allowed between characters, otherwise strict
 *  RFC 4648 §4: the alphabet, padding only at the end, a multiple of 4. One pass, no copy of the
 *  text (attachments are megabytes); Node's decoder then skips the whitespace. */
export function base64Bytes(text: string, what: string): Buffer {
  let n = 0
  let pad = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue
    if (c === 0x3d /* = */) pad++
    else if (pad > 0 || c >= 128 || B64_CHAR[c] !== 1) throw new EcmsError('ECMS-E033', `${what} is not base64`)
    n++
  }
  if (n % 4 !== 0 || pad > 2) throw new EcmsError('ECMS-E033', `${what} is not base64`)
  const bytes = Buffer.from(text, 'base64')
  if (bytes.length !== (n / 4) * 3 - pad) throw new EcmsError('ECMS-E033', `${what} is not base64`)
  return bytes
}

function partyFromXml(p: XmlEl | undefined, what: string): EcmsParty {
  if (!p) throw missing(what)
  const ministry = pathText(p, 'MinistryOrganization', 'ID')
  const department = pathText(p, 'DepartmentOrganization', 'ID')
  if (ministry !== undefined && !MINISTRY_ID.test(ministry)) throw new EcmsError('ECMS-E030', `${what}/MinistryOrganization/ID must be 2 digits, not "${ministry}"`)
  if (department !== undefined && !ORG_ID.test(department)) throw new EcmsError('ECMS-E030', `${what}/DepartmentOrganization/ID must be 5 or 10 digits, not "${department}"`)
  const givenName = childText(p, 'GivenName')
  const familyName = childText(p, 'FamilyName')
  const jobTitle = childText(p, 'JobTitle')
  return { ministry, department, ...(givenName ? { givenName } : {}), ...(familyName ? { familyName } : {}), ...(jobTitle ? { jobTitle } : {}) }
}

function binaryFromXml(b: XmlEl, what: string): EcmsBinary {
  const mimeCode = b.attrs.mimeCode?.trim()
  if (!mimeCode) throw new EcmsError('ECMS-E033', `${what} has no mimeCode`)
  return { mimeCode, bytes: base64Bytes(b.text, what) }
}

/** The ram:CorrespondenceLetter of a GovernmentDocument (the element a signature's #Letter names). */
export function letterElement(doc: XmlEl): XmlEl | undefined {
  return child(doc, 'CorrespondenceLetter')
}

/** rsm:GovernmentDocument → EcmsDocument. Throws EcmsError naming the element at fault. */
export function documentFromXml(doc: XmlEl): EcmsDocument {
  const l = letterElement(doc)
  if (!l) throw missing('GovernmentDocument/CorrespondenceLetter')
  const main = childrenNamed(l, 'MainLetterBinaryObject')
  if (main.length > 1) throw new EcmsError('ECMS-E030', 'only one MainLetterBinaryObject may be sent')
  const sendDate = childText(l, 'SendDate')
  if (sendDate !== undefined) ceDate(sendDate, 'SendDate')
  return {
    letterId: required(l, 'ID', 'CorrespondenceLetter/ID (the letter number)'),
    correspondenceDate: ceDate(required(l, 'CorrespondenceDate', 'CorrespondenceDate'), 'CorrespondenceDate'),
    subject: required(l, 'Subject', 'Subject'),
    secretCode: childText(l, 'SecretCode') ?? '001',
    speedCode: childText(l, 'SpeedCode') ?? '001',
    sender: partyFromXml(child(l, 'SenderParty'), 'SenderParty'),
    receiver: partyFromXml(child(l, 'ReceiverParty'), 'ReceiverParty'),
    // Empty ReferenceCorrespondence elements (as in the BOI template) carry nothing: skipped.
    references: childrenNamed(l, 'ReferenceCorrespondence')
      .filter((r) => childText(r, 'ID') !== undefined)
      .map((r, i) => {
        const date = childText(r, 'CorrespondenceDate')
        return { letterId: childText(r, 'ID')!, correspondenceDate: date === undefined ? '' : ceDate(date, `ReferenceCorrespondence[${i + 1}]/CorrespondenceDate`), subject: childText(r, 'Subject') ?? '' }
      }),
    attachmentText: childText(l, 'Attachment'),
    sendDate,
    description: childText(l, 'Description'),
    mainLetter: main[0] ? binaryFromXml(main[0], 'MainLetterBinaryObject') : undefined,
    attachments: childrenNamed(l, 'AttachmentBinaryObject').map((b, i) => binaryFromXml(b, `AttachmentBinaryObject[${i + 1}]`)),
    signature: { present: findSignature(doc) !== undefined, verified: undefined },
  }
}

/** The ds:Signature of a GovernmentDocument, under ram:GovernmentSignature (e-cms.md §4) or directly. */
export function findSignature(doc: XmlEl): XmlEl | undefined {
  const gs = child(doc, 'GovernmentSignature')
  return (gs && child(gs, 'Signature')) ?? child(doc, 'Signature')
}

const ram = (name: string, content?: string | XmlEl[], attrs?: Record<string, string>) => el(name, NS.ram, content, attrs)
const optRam = (name: string, value: string | undefined) => optEl(name, NS.ram, value)

function partyToXml(name: string, p: EcmsParty): XmlEl {
  return ram(name, [
    ram('GivenName', p.givenName ?? ''),
    ram('FamilyName', p.familyName ?? ''),
    ram('JobTitle', p.jobTitle ?? ''),
    ram('MinistryOrganization', [ram('ID', p.ministry ?? '')]),
    ram('DepartmentOrganization', [ram('ID', p.department ?? '')]),
  ])
}

/** EcmsDocument → rsm:GovernmentDocument, in the element order of the BOI template (e-cms.md §4). */
export function documentToXml(d: EcmsDocument): XmlEl {
  const letter = ram('CorrespondenceLetter', [
    ram('ID', d.letterId),
    ram('CorrespondenceDate', d.correspondenceDate),
    ram('Subject', d.subject),
    ram('SecretCode', d.secretCode),
    ram('SpeedCode', d.speedCode),
    partyToXml('SenderParty', d.sender),
    partyToXml('ReceiverParty', d.receiver),
    ...d.references.map((r) => ram('ReferenceCorrespondence', [ram('ID', r.letterId), ram('CorrespondenceDate', r.correspondenceDate), ram('Subject', r.subject)])),
    ram('Attachment', d.attachmentText ?? ''),
    ...optRam('SendDate', d.sendDate),
    ram('Description', d.description ?? ''),
    ...(d.mainLetter ? [ram('MainLetterBinaryObject', d.mainLetter.bytes.toString('base64'), { mimeCode: d.mainLetter.mimeCode })] : []),
    ...d.attachments.map((a) => ram('AttachmentBinaryObject', a.bytes.toString('base64'), { mimeCode: a.mimeCode })),
  ], { ID: 'Letter' })
  const signature = ram('GovernmentSignature', [
    ram('TypeCode', 'DSIG'),
    ram('SignerParty', [
      ram('GivenName', d.sender.givenName ?? ''),
      ram('FamilyName', d.sender.familyName ?? ''),
      ram('Title', d.sender.jobTitle ?? ''),
      ram('MinistryCode', d.sender.ministry ?? ''),
      ram('DepartmentCode', d.sender.department ?? ''),
    ]),
  ])
  return el('GovernmentDocument', NS.rsm, [letter, signature])
}

/** A notifier element (namespaced or not: e-cms.md §7) → EcmsNotifier. */
export function notifierFromXml(n: XmlEl): EcmsNotifier {
  if (!(NOTIFIER_KINDS as readonly string[]).includes(n.name)) throw new EcmsError('ECMS-E030', `${n.name} is not a notifier`)
  const kind = n.name as EcmsNotifierKind
  const acceptId = childText(n, 'AcceptID')
  const acceptDate = childText(n, 'AcceptDate')
  const acceptDepartment = pathText(n, 'AcceptDepartment', 'Code')
  const senderDepartment = pathText(n, 'SenderDepartment', 'Code')
  if ((kind === 'AcceptLetterNotifier' || kind === 'InvalidAcceptIDNotifier') && acceptId === undefined) throw missing(`${kind}/AcceptID`)
  return {
    kind,
    letterId: required(n, 'LetterID', `${kind}/LetterID`),
    correspondenceDate: ceDate(required(n, 'CorrespondenceDate', `${kind}/CorrespondenceDate`), `${kind}/CorrespondenceDate`),
    subject: childText(n, 'Subject') ?? '',
    ...(acceptId !== undefined ? { acceptId } : {}),
    ...(acceptDate !== undefined ? { acceptDate } : {}),
    ...(acceptDepartment !== undefined ? { acceptDepartment } : {}),
    ...(senderDepartment !== undefined ? { senderDepartment } : {}),
  }
}

/** EcmsNotifier → its element, un-namespaced as in the templates (e-cms.md §3). */
export function notifierToXml(n: EcmsNotifier): XmlEl {
  return el(n.kind, undefined, [
    el('LetterID', undefined, n.letterId),
    ...optEl('AcceptID', undefined, n.acceptId),
    el('CorrespondenceDate', undefined, n.correspondenceDate),
    el('Subject', undefined, n.subject),
    ...optEl('AcceptDate', undefined, n.acceptDate),
    ...(n.acceptDepartment !== undefined ? [el('AcceptDepartment', undefined, [el('Code', undefined, n.acceptDepartment)])] : []),
    ...(n.senderDepartment !== undefined ? [el('SenderDepartment', undefined, [el('Code', undefined, n.senderDepartment)])] : []),
  ])
}
