// The SOAP 1.1 envelope of the e-CMS gateway (e-cms.md §2): reading a request's Header and Body,
// writing an answer or an ErrorDetail. Liberal where the real clients differ: both WS-Addressing
// namespaces (http://w3.org/… of the templates, http://www.w3.org/… of mil-doc), `To` and `to`, an
// ID="Body" attribute or none; strict where it matters: one SOAP 1.1 Envelope with one Body element.
import { randomUUID } from 'node:crypto'
import { child, el, NS, toXml, type XmlEl } from './xml.js'
import { EcmsError, errorDescription, type EcmsErrorCode } from './errors.js'

export interface SoapRequest {
  readonly header: { messageId?: string; to?: string }
  /** the one element in Body */
  readonly body: XmlEl
}

const WSA: ReadonlySet<string | undefined> = new Set([NS.wsa, NS.wsaTemplate])

/** Reads Envelope/Header/Body. Throws ECMS-E005 when the tree is not a SOAP 1.1 envelope with one Body element. */
export function readEnvelope(root: XmlEl): SoapRequest {
  if (root.name !== 'Envelope' || root.ns !== NS.soap) throw new EcmsError('ECMS-E005', `the root is ${root.name} in ${root.ns ?? 'no namespace'}, not the SOAP 1.1 Envelope`)
  const body = child(root, 'Body')
  if (!body || body.ns !== NS.soap) throw new EcmsError('ECMS-E005', 'the Envelope has no SOAP Body')
  if (body.children.length !== 1) throw new EcmsError('ECMS-E005', `the Body holds ${body.children.length} elements, not one`)
  const header: { messageId?: string; to?: string } = {}
  for (const h of child(root, 'Header')?.children ?? []) {
    if (!WSA.has(h.ns)) continue
    const v = h.text.trim()
    if (v === '') continue
    if (h.name === 'MessageID') header.messageId = v
    else if (h.name.toLowerCase() === 'to') header.to = v
  }
  return { header, body: body.children[0]! }
}

/** mid://yyyyMMdd.HHmmssSSS@… as the templates write MessageIDs (e-cms.md §2), unique by a UUID. */
function messageId(now: number): string {
  const t = new Date(now).toISOString()
  return `mid://${t.slice(0, 10).replaceAll('-', '')}.${t.slice(11, 23).replace(/[:.]/g, '')}@${randomUUID()}`
}

/** The answer envelope around one Body element. */
export function answerXml(body: XmlEl, now: number, relatesTo?: string): string {
  const header = el('Header', NS.soap, [
    el('MessageID', NS.wsa, messageId(now)),
    ...(relatesTo !== undefined ? [el('RelatesTo', NS.wsa, relatesTo)] : []),
  ])
  return toXml(el('Envelope', NS.soap, [header, el('Body', NS.soap, [body])]))
}

/** ErrorDetail{ErrorCode, ErrorDescription} in the response root (mil-doc finds it by tag name). */
export function errorBody(root: string, code: EcmsErrorCode, detail?: string): XmlEl {
  return el(root, undefined, [el('ErrorDetail', undefined, [el('ErrorCode', undefined, code), el('ErrorDescription', undefined, errorDescription(code, detail))])])
}
