// PROTOCOL.md's table of contents lists every numbered section with a working anchor.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { anchor, withToc } from '../docs/protocol-toc.js'

const md = readFileSync(fileURLToPath(new URL('../../PROTOCOL.md', import.meta.url)), 'utf8')

t.equal(withToc(md), md, 'the contents block is what the headings give (npx tsx test/docs/protocol-toc.ts --write)')
t.equal(anchor('4.1 `POST /federation/v1/messages`'), '41-post-federationv1messages', 'GitHub anchors drop punctuation')
t.equal(anchor('17. Letters to many recipients'), '17-letters-to-many-recipients')
const sections = md.split('\n').filter((l) => /^## \d+\. /.test(l)).length
t.ok(sections >= 18, `${sections} numbered sections`)
