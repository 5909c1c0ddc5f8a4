// Replacement text for glyphs that do not say their text (ISO 32000-1 §14.9.4 "Replacement Text"):
// the content is a marked-content sequence `/Span <</ActualText (…)>> BDC … EMC`, and extraction,
// search and copy take the ActualText instead of the glyphs' ToUnicode entries.
//
// The sequence is opened just inside PDFKit's text object (after its `q … cm`, at `BT`) and closed at
// `ET`, before its `Q`: PDFKit draws text under a flipped CTM of its own, and poppler places an
// ActualText with the CTM in force at EMC, so a Span around doc.text() put the words of pdftotext
// -layout (and -bbox) at the mirrored height of the page. Inside, the CTM is the glyphs' CTM.

/** A PDF text string as a hex string: UTF-16BE with its byte order mark (ISO 32000-1 §7.9.2.2). */
export function pdfTextString(text: string): string {
  return `<FEFF${Buffer.from(text, 'utf16le').swap16().toString('hex').toUpperCase()}>`
}

/** Runs `draw` (one doc.text() call that must not break lines) with its text object wrapped in a
 *  Span whose ActualText is `actual`. */
export function withActualText(doc: PDFKit.PDFDocument, actual: string, draw: () => void): void {
  const own = Object.prototype.hasOwnProperty.call(doc, 'addContent')
  const add = doc.addContent
  doc.addContent = function (this: PDFKit.PDFDocument, data: unknown) {
    if (data === 'BT') add.call(this, `/Span << /ActualText ${pdfTextString(actual)} >> BDC`)
    add.call(this, data)
    if (data === 'ET') add.call(this, 'EMC')
    return this
  }
  try {
    draw()
  } finally {
    if (own) doc.addContent = add
    else delete (doc as { addContent?: unknown }).addContent
  }
}
