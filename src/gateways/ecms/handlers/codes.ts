// GetSecretCodes, GetSpeedCodes, GetMimeCodes (e-cms.md §3 6.2–6.4): the static tables of codes.ts.
import { el } from '../xml.js'
import { MIME_CODES, SECRET_CODES, SPEED_CODES, type EcmsCode } from '../codes.js'
import type { EcmsHandler } from '../dispatch.js'

const codeList = (root: string, codes: readonly EcmsCode[]) => ({
  root,
  children: codes.map((c) => el('Code', undefined, [el('Value', undefined, c.value), el('Description', undefined, c.description)])),
})

export const secretCodesHandler: EcmsHandler = async () => codeList('SecretCodes', SECRET_CODES)
export const speedCodesHandler: EcmsHandler = async () => codeList('SpeedCodes', SPEED_CODES)
export const mimeCodesHandler: EcmsHandler = async () => ({
  root: 'MimeCodes',
  children: MIME_CODES.map((m) => el('Code', undefined, [el('File-Extension', undefined, m.extension), el('Content-type', undefined, m.contentType)])),
})
