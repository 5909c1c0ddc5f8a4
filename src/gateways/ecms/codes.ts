// The e-CMS code tables (e-cms.md §5, §6.4: GetSecretCodes, GetSpeedCodes, GetMimeCodes) and their
// mapping to our letter model. The secrecy and urgency codes are the `ecms` column of the domain
// tables (src/domain/secrecy.ts, urgency.ts), so there is one source for each code.
import { SECRECY, SECRECIES, type Secrecy } from '../../domain/secrecy.js'
import { URGENCY, URGENCIES, type Urgency } from '../../domain/urgency.js'

export interface EcmsCode {
  readonly value: string
  readonly description: string
}

/** SecretCode (ชั้นความลับ). 005 ลับเฉพาะบุคคล occurs in px-service only (e-cms.md §5); it is classified too. */
export const SECRET_CODES: readonly EcmsCode[] = [
  ...SECRECIES.map((s) => ({ value: SECRECY[s].ecms, description: SECRECY[s].th })),
  { value: '005', description: 'ลับเฉพาะบุคคล' },
]

/** SpeedCode (ชั้นความเร็ว), 001 … 004. */
export const SPEED_CODES: readonly EcmsCode[] = URGENCIES.map((u) => ({ value: URGENCY[u].ecms, description: URGENCY[u].th }))

/** MIME codes as GetMimeCodes answers them: File-Extension → Content-type; the extension names files. */
export interface MimeCode {
  readonly extension: string
  readonly contentType: string
}

export const MIME_CODES: readonly MimeCode[] = [
  { extension: 'pdf', contentType: 'application/pdf' },
  { extension: 'txt', contentType: 'text/plain' },
  { extension: 'htm', contentType: 'text/html' },
  { extension: 'xml', contentType: 'text/xml' },
  { extension: 'doc', contentType: 'application/msword' },
  { extension: 'docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' },
  { extension: 'xls', contentType: 'application/vnd.ms-excel' },
  { extension: 'xlsx', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
  { extension: 'ppt', contentType: 'application/vnd.ms-powerpoint' },
  { extension: 'pptx', contentType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation' },
  { extension: 'odt', contentType: 'application/vnd.oasis.opendocument.text' },
  { extension: 'rtf', contentType: 'application/rtf' },
  { extension: 'jpg', contentType: 'image/jpeg' },
  { extension: 'png', contentType: 'image/png' },
  { extension: 'gif', contentType: 'image/gif' },
  { extension: 'tif', contentType: 'image/tiff' },
  { extension: 'zip', contentType: 'application/zip' },
]

/** The normalised media type of a mimeCode attribute (parameters dropped, lower case). */
export function mediaTypeOf(mimeCode: string): string {
  return mimeCode.split(';')[0]!.trim().toLowerCase()
}

/** The file extension for a mimeCode (BOI's GetMimeType, e-cms.md §5); undefined: not in the table. */
export function extensionFor(mimeCode: string): string | undefined {
  const t = mediaTypeOf(mimeCode)
  return MIME_CODES.find((m) => m.contentType === t)?.extension
}

/** The mimeCode to write for one of our attachments (parameters such as charset dropped). */
export function mimeCodeFor(mediaType: string): string {
  return mediaTypeOf(mediaType)
}

const SPEED_BY_CODE = new Map(URGENCIES.map((u) => [URGENCY[u].ecms, u]))
const SECRECY_BY_CODE = new Map(SECRECIES.map((s) => [SECRECY[s].ecms, s]))

/** e-CMS code → our urgency; like px-service, a missing or non-numeric code reads as 001 (normal).
 *  "1" and "001" are the same code. undefined: a number outside the table. */
export function urgencyOf(speedCode: string | undefined): Urgency | undefined {
  const code = normaliseCode(speedCode)
  return code === undefined ? 'NORMAL' : SPEED_BY_CODE.get(code)
}

/** e-CMS code → our secrecy; '005' (personal) reads as the lowest classified level above it. */
export function secrecyOf(secretCode: string | undefined): Secrecy | 'PERSONAL' | undefined {
  const code = normaliseCode(secretCode)
  if (code === undefined) return 'UNCLASSIFIED'
  if (code === '005') return 'PERSONAL'
  return SECRECY_BY_CODE.get(code)
}

export const speedCodeOf = (u: Urgency): string => URGENCY[u].ecms
export const secretCodeOf = (s: Secrecy): string => SECRECY[s].ecms

/** "1", "01", "001" → "001"; undefined for absent or non-numeric (px-service reads those as normal). */
function normaliseCode(code: string | undefined): string | undefined {
  const t = code?.trim()
  if (!t || !/^[0-9]{1,3}$/.test(t)) return undefined
  return t.padStart(3, '0')
}
