// File names for the attachments `classified open` writes (issue 12 §3): the sender chose them, so
// they are reduced to one safe path segment inside the output folder — no separators, no "..", no
// control or reserved characters, no leading dot, bounded length, unique, never letter.json.
import { extname } from 'node:path'

const RESERVED = /[\u0000-\u001f\u007f/\\:*?"<>|]/g
const MAX = 120

export function safeFileNames(names: readonly string[]): string[] {
  const taken = new Set<string>(['letter.json'])
  return names.map((raw, i) => {
    let n = raw.normalize('NFC').replace(RESERVED, '_').replace(/^[.\s]+/, '').replace(/[.\s]+$/, '')
    if (n === '' || n === '.' || n === '..') n = `attachment-${i + 1}.bin`
    if (n.length > MAX) {
      const ext = extname(n).slice(0, 16)
      n = n.slice(0, MAX - ext.length) + ext
    }
    let out = n
    for (let k = 2; taken.has(out.toLowerCase()); k++) {
      const ext = extname(n)
      out = `${n.slice(0, n.length - ext.length)}-${k}${ext}`
    }
    taken.add(out.toLowerCase())
    return out
  })
}
