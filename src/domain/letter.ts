// The official letter (หนังสือราชการ) as plain data. Mirrors schemas/protocol/letter.json, which is
// normative; test/unit/schema-domain.test.ts checks that the tables below match its enums.
// Kinds and sub-kinds: ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ พ.ศ. 2526 (see /shared/domain.md).
import type { Secrecy } from './secrecy.js'
import type { Urgency } from './urgency.js'

export type { Secrecy, Urgency }

export const LETTER_KINDS = ['EXTERNAL', 'INTERNAL', 'STAMPED', 'DIRECTIVE', 'PUBLIC_RELATIONS', 'EVIDENTIARY'] as const
export type LetterKind = (typeof LETTER_KINDS)[number]

/** Sub-kinds valid for each kind; an empty list means the kind has none (subKind must be absent). */
export const SUB_KINDS = {
  EXTERNAL: [],
  INTERNAL: [],
  STAMPED: [],
  DIRECTIVE: ['ORDER', 'REGULATION', 'BYLAW'],
  PUBLIC_RELATIONS: ['ANNOUNCEMENT', 'STATEMENT', 'NEWS'],
  EVIDENTIARY: ['CERTIFICATE', 'MINUTES', 'NOTE', 'OTHER'],
} as const satisfies Record<LetterKind, readonly string[]>
export type LetterSubKind = (typeof SUB_KINDS)[LetterKind][number]

/** Kinds whose printed form starts with a salutation (คำขึ้นต้น); the schema requires it for them. */
export const KINDS_WITH_SALUTATION: readonly LetterKind[] = ['EXTERNAL', 'INTERNAL', 'STAMPED']

export const LETTER_KIND_TH: Readonly<Record<LetterKind, string>> = {
  EXTERNAL: 'หนังสือภายนอก',
  INTERNAL: 'หนังสือภายใน',
  STAMPED: 'หนังสือประทับตรา',
  DIRECTIVE: 'หนังสือสั่งการ',
  PUBLIC_RELATIONS: 'หนังสือประชาสัมพันธ์',
  EVIDENTIARY: 'หนังสือที่เจ้าหน้าที่ทำขึ้นหรือรับไว้เป็นหลักฐานในราชการ',
}

export const LETTER_SUB_KIND_TH: Readonly<Record<LetterSubKind, string>> = {
  ORDER: 'คำสั่ง',
  REGULATION: 'ระเบียบ',
  BYLAW: 'ข้อบังคับ',
  ANNOUNCEMENT: 'ประกาศ',
  STATEMENT: 'แถลงการณ์',
  NEWS: 'ข่าว',
  CERTIFICATE: 'หนังสือรับรอง',
  MINUTES: 'รายงานการประชุม',
  NOTE: 'บันทึก',
  OTHER: 'หนังสืออื่น',
}

export function isSubKindOf(kind: LetterKind, subKind: string): boolean {
  return (SUB_KINDS[kind] as readonly string[]).includes(subKind)
}

export interface Addressee {
  agency: string
  /** Position or unit as printed, e.g. 'ปลัดกระทรวงการคลัง'. */
  title?: string
}

export interface LetterReference {
  /** As printed: 'หนังสือกระทรวงการคลัง ที่ กค 0406.2/ว 123 ลงวันที่ 1 มีนาคม 2569'. */
  text: string
  number?: string
  date?: string
  agency?: string
  messageId?: string
}

export interface Enclosure {
  description: string
  count: number
  /** 'ฉบับ' when absent. */
  unit?: string
}

export interface Signer {
  name: string
  position: string
  /** ON_BEHALF ปฏิบัติราชการแทน; ACTING รักษาราชการแทน. */
  actingFor?: { capacity: 'ON_BEHALF' | 'ACTING'; position: string }
}

export interface OwningUnit {
  name: string
  phone?: string
  fax?: string
  email?: string
}

/** One entry of the signed attachment manifest. */
export interface AttachmentRef {
  id: string
  filename: string
  mediaType: string
  size: number
  /** Lowercase hex. */
  sha256: string
}

interface LetterFields {
  kind: LetterKind
  subKind?: LetterSubKind
  /** ที่, opaque, e.g. 'มท 0201.2/ว 1590'. */
  number?: string
  /** YYYY-MM-DD, Common Era. */
  date: string
  subject: string
  salutation?: string
  recipients: Addressee[]
  copyTo?: Addressee[]
  references?: LetterReference[]
  enclosures?: Enclosure[]
  body?: string
  closing?: string
  signer: Signer
  owningUnit?: OwningUnit
  /** Filled with 'NORMAL' by validation when absent. */
  urgency: Urgency
  /** RFC 3339 date-time. */
  deliverBy?: string
  /** Filled with 'UNCLASSIFIED' by validation when absent. */
  secrecy: Secrecy
}

/** A validated protocol letter (urn:saraban:protocol:letter:v1), defaults filled. */
export interface Letter extends LetterFields {
  sender: { agency: string; name: string; address?: string }
  attachments: AttachmentRef[]
}

/** A validated letter as the local API receives it (urn:saraban:api:letter-draft:v1). */
export interface LetterDraft extends LetterFields {
  sender: { agency?: string; name: string; address?: string }
}

/** A new file as the local API receives it (urn:saraban:api:letter-create:v1). */
export interface NewAttachment {
  filename: string
  mediaType: string
  /** Standard base64. */
  content: string
}

export interface LetterCreateRequest {
  letter: LetterDraft
  attachments?: NewAttachment[]
}
