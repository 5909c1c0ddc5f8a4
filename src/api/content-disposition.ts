// Content-Disposition for downloads (RFC 6266 §4): a plain ASCII `filename` for old clients, then
// `filename*` (RFC 8187 ext-value, UTF-8) with the exact name, which RFC 6266 §4.3 says to prefer.
// encodeURIComponent is not enough: it leaves ' ( ) * unescaped, and ' is the ext-value delimiter.

// RFC 8187 §3.2.1 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/

function extValue(name: string): string {
  let out = "UTF-8''"
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += byte < 0x80 && ATTR_CHAR.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** The ASCII fallback: printable ASCII kept, '"' and '\' and everything else become '_'. */
function asciiFallback(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\]/gu, '_')
}

export function attachmentDisposition(filename: string): string {
  return `attachment; filename="${asciiFallback(filename)}"; filename*=${extValue(filename)}`
}
