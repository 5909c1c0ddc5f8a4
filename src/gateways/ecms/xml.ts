// The one XML parser/serializer wrapper of the e-CMS gateway (issue 18 §6). Parsing is done by
// @xmldom/xmldom (a maintained W3C DOM parser, the one xml-crypto's signature checks build on), never
// by string slicing. SOAP 1.1 §3 forbids a DTD in a message, so any DOCTYPE is refused: with no DTD
// there is no entity declaration to expand ("billion laughs") and no external entity to fetch (XXE).
// The refusal is made twice: the parser's own DocumentType node is refused, and the parser is never
// asked to resolve anything (xmldom has no resolver); unknown entity references are fatal.
import { isUtf8 } from 'node:buffer'
import { DOMParser, DOMImplementation, XMLSerializer, type Element, type Node } from '@xmldom/xmldom'

/** An element, namespace-agnostic for lookups (e-cms.md §7: un-namespaced children are accepted). */
export interface XmlEl {
  /** local name */
  name: string
  ns: string | undefined
  attrs: Record<string, string>
  children: XmlEl[]
  /** the element's own text (its text and CDATA children, concatenated, untrimmed) */
  text: string
}

/** Why a body is not accepted as XML; the gateway maps each to an e-CMS ErrorCode (errors.ts). */
export class XmlRefused extends Error {
  constructor(readonly reason: 'doctype' | 'malformed' | 'too-deep' | 'too-many' | 'charset', message: string) {
    super(message)
  }
}

/** Bounds of a parsed tree: a letter is a few hundred elements; these stop pathological nesting. */
export const XML_LIMITS = { maxDepth: 64, maxElements: 20_000 } as const

/** Namespaces the gateway reads and writes (e-cms.md §2, §4), with the prefixes it writes them under. */
export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  rsm: 'urn:th:gov:egif:data:standard:GovernmentDocument:1.0',
  ram: 'urn:th:gov:egif:data:standard:ReusableAggregateBusinessInformationEntity:1',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  /** e-cms.md §2: the templates' spelling, and mil-doc's (both accepted). */
  wsaTemplate: 'http://w3.org/2005/08/addressing',
  wsa: 'http://www.w3.org/2005/08/addressing',
} as const

const PREFIX: Readonly<Record<string, string>> = {
  [NS.soap]: 'SOAP-ENV',
  [NS.rsm]: 'rsm',
  [NS.ram]: 'ram',
  [NS.ds]: 'ds',
  [NS.wsa]: 'wsa',
  [NS.wsaTemplate]: 'wsa',
}

/** Charsets a body may be in (e-cms.md §4: TIS-620 text occurs). Labels as WHATWG Encoding knows them. */
const CHARSETS: ReadonlySet<string> = new Set(['utf-8', 'utf8', 'tis-620', 'windows-874', 'iso-8859-11', 'us-ascii'])

/** The charset named by the XML declaration (XML 1.0 §4.3.3), read from its ASCII prefix. */
function declaredEncoding(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 200).toString('latin1')
  if (!head.startsWith('<?xml')) return undefined
  const end = head.indexOf('?>')
  const decl = end < 0 ? head : head.slice(0, end)
  const m = /encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(decl)
  return m?.[1]?.toLowerCase()
}

/** Decodes a body: the HTTP charset first, then the XML declaration, then UTF-8 (XML 1.0 §4.3.3). */
export function decodeBody(bytes: Buffer, httpCharset: string | undefined): string {
  const label = (httpCharset ?? declaredEncoding(bytes) ?? 'utf-8').toLowerCase()
  if (!CHARSETS.has(label)) throw new XmlRefused('charset', `charset "${label}" is not accepted: send UTF-8 or TIS-620`)
  // UTF-8: node:buffer's validator, an order of magnitude faster than a fatal TextDecoder on large bodies.
  if (label === 'utf-8' || label === 'utf8' || label === 'us-ascii') {
    if (!isUtf8(bytes)) throw new XmlRefused('charset', `the body is not valid ${label}`)
    const text = bytes.toString('utf8')
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  }
  try {
    return new TextDecoder(label, { fatal: true }).decode(bytes)
  } catch {
    throw new XmlRefused('charset', `the body is not valid ${label}`)
  }
}

function toEl(node: Element, depth: number, count: { n: number }): XmlEl {
  if (depth > XML_LIMITS.maxDepth) throw new XmlRefused('too-deep', `elements nest deeper than ${XML_LIMITS.maxDepth}`)
  if (++count.n > XML_LIMITS.maxElements) throw new XmlRefused('too-many', `more than ${XML_LIMITS.maxElements} elements`)
  const attrs: Record<string, string> = {}
  for (let i = 0; i < node.attributes.length; i++) {
    const a = node.attributes.item(i)!
    if (a.prefix === 'xmlns' || a.name === 'xmlns') continue
    attrs[a.localName ?? a.name] = a.value
  }
  const children: XmlEl[] = []
  let text = ''
  for (let c: Node | null = node.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === c.ELEMENT_NODE) children.push(toEl(c as Element, depth + 1, count))
    else if (c.nodeType === c.TEXT_NODE || c.nodeType === c.CDATA_SECTION_NODE) text += c.nodeValue ?? ''
    else if (c.nodeType === c.ENTITY_REFERENCE_NODE) throw new XmlRefused('doctype', 'entity references are not accepted')
  }
  return { name: node.localName ?? node.nodeName, ns: node.namespaceURI ?? undefined, attrs, children, text }
}

/** Parses a decoded document into its root element. Throws XmlRefused. */
export function parseXml(text: string): XmlEl {
  let fatal: string | undefined
  const parser = new DOMParser({
    // Every warning and error is fatal: a message that needs recovery is not one we act on.
    onError: (level, message) => {
      fatal ??= `${level}: ${message}`
      throw new Error(message)
    },
  })
  let doc
  try {
    doc = parser.parseFromString(text, 'text/xml')
  } catch (err) {
    const why = fatal ?? (err as Error).message
    if (/doctype|entity/i.test(why)) throw new XmlRefused('doctype', 'a DOCTYPE or entity is not accepted (SOAP 1.1 §3)')
    throw new XmlRefused('malformed', `the body is not well-formed XML (${why.split('\n')[0]})`)
  }
  for (let c: Node | null = doc.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === c.DOCUMENT_TYPE_NODE) throw new XmlRefused('doctype', 'a DOCTYPE is not accepted (SOAP 1.1 §3)')
  }
  const root = doc.documentElement
  if (!root) throw new XmlRefused('malformed', 'the body has no root element')
  return toEl(root, 0, { n: 0 })
}

// --- reading -----------------------------------------------------------------------------------

/** The first child with this local name, whatever its namespace (or none). */
export function child(el: XmlEl, local: string): XmlEl | undefined {
  return el.children.find((c) => c.name === local)
}

/** All children with this local name. */
export function childrenNamed(el: XmlEl, local: string): XmlEl[] {
  return el.children.filter((c) => c.name === local)
}

/** The trimmed text of the first child with this local name; undefined when absent or empty. */
export function childText(el: XmlEl, local: string): string | undefined {
  const t = child(el, local)?.text.trim()
  return t === undefined || t === '' ? undefined : t
}

/** The trimmed text at a path of local names (child of child…). */
export function pathText(el: XmlEl, ...path: string[]): string | undefined {
  let at: XmlEl | undefined = el
  for (const p of path.slice(0, -1)) at = at && child(at, p)
  return at && childText(at, path[path.length - 1]!)
}

// --- writing -----------------------------------------------------------------------------------

/** An element to write; `ns` picks the prefix (NS above); undefined: un-namespaced, as e-CMS roots are. */
export function el(name: string, ns: string | undefined, content?: string | XmlEl[], attrs: Record<string, string> = {}): XmlEl {
  return { name, ns, attrs, children: Array.isArray(content) ? content : [], text: typeof content === 'string' ? content : '' }
}

/** el() for an optional value: no element when the value is undefined. */
export function optEl(name: string, ns: string | undefined, value: string | undefined): XmlEl[] {
  return value === undefined ? [] : [el(name, ns, value)]
}

function toNode(doc: ReturnType<DOMImplementation['createDocument']>, x: XmlEl): Element {
  const prefix = x.ns === undefined ? undefined : PREFIX[x.ns]
  const node = x.ns === undefined ? doc.createElementNS(null, x.name) : doc.createElementNS(x.ns, prefix ? `${prefix}:${x.name}` : x.name)
  for (const [k, v] of Object.entries(x.attrs)) node.setAttribute(k, v)
  if (x.text !== '') node.appendChild(doc.createTextNode(x.text))
  for (const c of x.children) node.appendChild(toNode(doc, c))
  return node
}

/** Serializes a tree as a UTF-8 XML document (with its declaration). Namespaces are declared where used. */
export function toXml(root: XmlEl): string {
  const doc = new DOMImplementation().createDocument(null, null as unknown as string, null)
  doc.appendChild(toNode(doc, root))
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(doc)}`
}
