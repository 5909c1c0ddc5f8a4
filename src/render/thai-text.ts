// Laying out mixed Thai/Latin text for PDF (README "Registers"): the embedded Sarabun fonts come as
// two subsets (@fontsource/sarabun: 'thai' U+0E01–0E5B, 'latin' U+0000–00FF, U+2000–206F …), so text
// is split into runs by script and each run is drawn with its own font. Thai writes no spaces between
// words, so lines break at word boundaries from Intl.Segmenter (ICU's Thai dictionary), and a word wider
// than the column breaks between grapheme clusters, never between a consonant and its vowel or tone
// marks (those are one cluster, and one run: the shaper places the marks, PDFKit draws its offsets).
export type Script = 'thai' | 'latin'

export interface Run {
  readonly script: Script
  readonly text: string
}

/** Thai block U+0E00–U+0E7F, and the joiners the Thai subset carries. Everything else (spaces,
 *  ASCII digits, punctuation) is drawn with the Latin subset. */
export function scriptOf(ch: string): Script {
  const c = ch.codePointAt(0)!
  return (c >= 0x0e00 && c <= 0x0e7f) || c === 0x200c || c === 0x200d || c === 0x25cc ? 'thai' : 'latin'
}

/** Maximal runs of one script. */
export function runsOf(text: string): Run[] {
  const runs: Run[] = []
  for (const ch of text) {
    const script = scriptOf(ch)
    const last = runs[runs.length - 1]
    if (last && last.script === script) runs[runs.length - 1] = { script, text: last.text + ch }
    else runs.push({ script, text: ch })
  }
  return runs
}

/** SARA AM (U+0E33) is shaped as two glyphs, NIKHAHIT + SARA AA, so that a tone mark can sit between
 *  them (น้ำ: the tone mark above the nikhahit). PDFKit's ToUnicode map gives each glyph the code points
 *  it was first drawn for: the nikhahit glyph reads as ำ and the SARA AA glyph as า, so extracted text
 *  said "ทำางาน" for "ทำงาน". Such a run needs its text stated apart from its glyphs (register-pdf.ts). */
export function actualTextOf(run: Run): string | undefined {
  return run.script === 'thai' && run.text.includes('\u0E33') ? run.text : undefined
}

/** Width of text in the current size: the sum of its runs, each measured with its script's font. */
export type Measure = (run: Run) => number

export function widthOf(text: string, measure: Measure): number {
  return runsOf(text).reduce((w, r) => w + measure(r), 0)
}

const words = new Intl.Segmenter('th', { granularity: 'word' })
const graphemes = new Intl.Segmenter('th', { granularity: 'grapheme' })

/** Word segments, an opening bracket or quote kept with the word after it. */
function* breakable(text: string): Generator<string> {
  let open = ''
  for (const { segment } of words.segment(text)) {
    if (/^[([{“‘"']$/.test(segment)) {
      open += segment
      continue
    }
    yield open + segment
    open = ''
  }
  if (open !== '') yield open
}

/** Lines of at most `width` (a line holding a single unbreakable cluster may be wider); hard line
 *  breaks in the text are kept. At most `maxLines` lines: the last one then ends with '…'. */
export function wrap(text: string, width: number, measure: Measure, maxLines = Infinity): string[] {
  const lines: string[] = []
  for (const para of text.split(/\r\n|\r|\n/)) {
    let line = ''
    let lineWidth = 0
    const push = () => {
      lines.push(line.trimEnd())
      line = ''
      lineWidth = 0
    }
    for (const segment of breakable(para)) {
      const w = widthOf(segment, measure)
      if (lineWidth + w <= width) {
        line += segment
        lineWidth += w
        continue
      }
      if (line.trim() !== '') push()
      if (segment.trim() === '') continue // no space at the start of a line
      if (w <= width) {
        line = segment
        lineWidth = w
        continue
      }
      for (const { segment: g } of graphemes.segment(segment)) {
        const gw = widthOf(g, measure)
        if (lineWidth + gw > width && line !== '') push()
        line += g
        lineWidth += gw
      }
    }
    push()
  }
  if (lines.length <= maxLines) return lines
  const kept = lines.slice(0, maxLines)
  kept[maxLines - 1] = `${kept[maxLines - 1]!}…`
  return kept
}
