// The console's one stylesheet, served from /console/assets/console.css (CSP style-src 'self').
// Colours keep WCAG AA contrast on white (checked by axe-core in test/browser/). Sarabun when
// installed, else the system's Thai fonts.
export const CONSOLE_CSS = `
:root { --ink: #1b1b1b; --muted: #4a4a4a; --line: #c8c8c8; --link: #0b4f9c; --bg: #ffffff; --band: #f2f4f7;
  --ok: #0d5c2e; --warn: #7a4a00; --bad: #a1001f; }
* { box-sizing: border-box; }
body { margin: 0; font-family: Sarabun, "TH Sarabun New", Loma, "Noto Sans Thai", "Tlwg Typist", sans-serif; color: var(--ink); background: var(--bg); line-height: 1.5; font-size: 16px; }
a { color: var(--link); }
a:focus, button:focus, input:focus, select:focus { outline: 3px solid #f0a400; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 2; }
header { background: #123a6b; color: #fff; padding: .5rem 1rem; display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; }
header a, header .who { color: #fff; }
header .app { font-weight: bold; margin-right: auto; }
header form { margin: 0; }
header button { background: #fff; color: #123a6b; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: 0; padding: .5rem 1rem; background: var(--band); border-bottom: 1px solid var(--line); }
nav a[aria-current="page"] { font-weight: bold; text-decoration: none; color: var(--ink); }
main { padding: 1rem; max-width: 80rem; }
h1 { font-size: 1.5rem; margin: .25rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
caption { text-align: left; font-weight: bold; padding: .25rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: var(--band); }
.who { color: var(--muted); font-size: .9rem; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: .3rem; border: 1px solid currentColor; font-weight: bold; }
.s-ok, .s-delivered, .s-accepted, .s-fresh, .s-up { color: var(--ok); }
.s-degraded, .s-queued, .s-sending, .s-grace, .s-probing, .s-open, .s-retry, .s-circuit { color: var(--warn); }
.s-failing, .s-failed, .s-rejected, .s-stale, .s-down, .s-cancelled, .s-withdrawn, .s-refused { color: var(--bad); }
form.search { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; border: 1px solid var(--line); padding: .5rem 1rem 1rem; }
form.search legend { font-weight: bold; }
label { display: block; font-size: .95rem; }
input, select, button { font: inherit; padding: .3rem .5rem; }
input, select { border: 1px solid #6b6b6b; border-radius: .2rem; }
button { background: #123a6b; color: #fff; border: 1px solid #123a6b; border-radius: .2rem; cursor: pointer; }
button.danger { background: var(--bad); border-color: var(--bad); }
.inline { display: inline; }
.flash { border-left: 4px solid var(--ok); background: #eef7f1; padding: .5rem 1rem; }
.error { border-left: 4px solid var(--bad); background: #fbeff1; padding: .5rem 1rem; }
ol.timeline { padding-left: 1.25rem; }
ol.timeline li { margin: .25rem 0; }
ol.attempts { margin: 0; padding-left: 1.25rem; }
.pager { display: flex; gap: 1rem; }
`

// Sarabun (OFL, @fontsource/sarabun, already a dependency for the register PDF): Thai reads the same
// on every operator's machine, with or without Thai system fonts. Served from /console/assets/fonts/.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'

const require = createRequire(import.meta.url)
const FONT_FILES = {
  'sarabun-thai-400.woff2': '@fontsource/sarabun/files/sarabun-thai-400-normal.woff2',
  'sarabun-thai-700.woff2': '@fontsource/sarabun/files/sarabun-thai-700-normal.woff2',
  'sarabun-latin-400.woff2': '@fontsource/sarabun/files/sarabun-latin-400-normal.woff2',
  'sarabun-latin-700.woff2': '@fontsource/sarabun/files/sarabun-latin-700-normal.woff2',
} as const

const fontCache = new Map<string, Buffer>()

/** A font file by its served name, or undefined. */
export function consoleFont(name: string): Buffer | undefined {
  if (!(name in FONT_FILES)) return undefined
  let b = fontCache.get(name)
  if (!b) {
    b = readFileSync(require.resolve(FONT_FILES[name as keyof typeof FONT_FILES]))
    fontCache.set(name, b)
  }
  return b
}

const THAI_RANGE = 'U+0E01-0E5B, U+200C-200D, U+25CC'
const LATIN_RANGE = 'U+0000-00FF, U+0131, U+0152-0153, U+02BB-02BC, U+02C6, U+02DA, U+02DC, U+2000-206F, U+2074, U+20AC, U+2122, U+2191, U+2193, U+2212, U+2215, U+FEFF, U+FFFD'
export const FONT_CSS = ['thai', 'latin'].flatMap((subset) => [400, 700].map((w) => `@font-face { font-family: Sarabun; font-style: normal; font-weight: ${w}; font-display: swap; src: url(/console/assets/fonts/sarabun-${subset}-${w}.woff2) format("woff2"); unicode-range: ${subset === 'thai' ? THAI_RANGE : LATIN_RANGE}; }`)).join('\n')
