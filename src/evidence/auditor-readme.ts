// README.txt of an evidence bundle: the plain commands (tar, sha256sum, openssl) with which an
// auditor checks this very bundle without our software (PROTOCOL.md §8.7). It is derived from the
// manifest alone, so the verifier regenerates it and any change to it is found. Steps are numbered
// 1, 2, 3… in each section; bundles made before (numbered 0, 1, 3, 5) carry the 'legacy' numbering,
// which the verifier still derives, so that an old bundle still checks out.
import type { Manifest, ManifestMessage, ManifestNotice } from './manifest.js'
import { logReadme } from './log-readme.js'

type Head = Pick<Manifest, 'letterId' | 'sender' | 'generatedAt'>

const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000)

/** 'sequential': what bundles carry now; 'legacy': the fixed numbers of older bundles (0, 1, 2, 3, 4, 5). */
export type ReadmeNumbering = 'sequential' | 'legacy'

/** Numbers the steps of one section: the next number, or the fixed legacy one. */
function stepCounter(numbering: ReadmeNumbering): (legacy: number) => string {
  let next = 0
  return (legacy) => `${numbering === 'legacy' ? legacy : ++next}.`
}

export function auditorReadme(head: Head, messages: readonly ManifestMessage[], notices: readonly ManifestNotice[] = [], numbering: ReadmeNumbering = 'sequential'): Buffer {
  const out: string[] = [
    `saraban evidence bundle, format saraban-evidence version 2 (PROTOCOL.md §8)`,
    `letter ${head.letterId} sent by agency "${head.sender}"; bundle generated ${head.generatedAt}`,
    ``,
    `Set ROOT to the federation root certificate YOU trust (PEM), never one taken from this bundle:`,
    `  ROOT=/path/to/federation-root.pem`,
    `Then, in the folder where this archive was extracted (tar xf evidence.tar):`,
    ``,
    numbering === 'legacy' ? `0. Every file is the one the manifest lists:` : `First, every file is the one the manifest lists:`,
    `  sha256sum -c SHA256SUMS`,
    ``,
  ]
  for (const m of messages) out.push(...messageSection(m, stepCounter(numbering)))
  for (const n of notices) out.push(...noticeSection(n, stepCounter(numbering)))
  out.push(...logReadme(messages, notices)) // PROTOCOL.md §20.7
  out.push(
    `What the commands above do not show, and saraban-node verify-evidence does: that each signer`,
    `certificate is listed for its agency in the signed directory (directory/*.jws), that the`,
    `envelope opens with content-key.hex into exactly this signed letter and these attachments,`,
    `and that no certificate of a path was revoked at the proven time (crl/*.crl).`,
    ``,
  )
  return Buffer.from(out.join('\n'), 'utf8')
}

function messageSection(m: ManifestMessage, step: (legacy: number) => string): string[] {
  const cms = m.profile === 'cms-v1'
  const s: string[] = [`== message ${m.messageId} to "${m.recipient}" (profile ${m.profile}, status ${m.status})`, ``]
  s.push(
    `${step(1)} The signer's certificate chain was valid at ${m.letterTime} (${m.letterTimeProof === 'time-stamp' ? 'proven by the time-stamp' : 'claimed by the signer, no time-stamp'}):`,
    `  openssl verify -CAfile "$ROOT" -untrusted ${m.letterSigner} -attime ${epoch(m.letterTime)} -purpose any ${m.letterSigner}`,
  )
  if (m.letterTimestamp !== undefined && m.letterTsa !== undefined) {
    s.push(
      `${step(2)} The time-stamp covers the letter's signature value (its SHA-256 is ${m.letterImprint}):`,
      `  openssl ts -verify -token_in -in ${m.letterTimestamp} -digest ${m.letterImprint} -CAfile "$ROOT" -untrusted ${m.letterTsa}`,
      `  openssl ts -reply -token_in -in ${m.letterTimestamp} -text -token_out | grep 'Time stamp'`,
    )
  }
  if (cms) {
    s.push(
      `${step(3)} The signed letter verifies (the signed content is the letter JSON with the attachment digests):`,
      `  openssl cms -verify -binary -inform DER -in ${m.letter} -CAfile "$ROOT" -certfile ${m.letterSigner} -purpose any -attime ${epoch(m.letterTime)} -out letter.json`,
    )
    if (m.auditorPrefix !== undefined && m.auditorTailOffset !== undefined) {
      s.push(
        `${step(4)} The envelope decrypts to exactly that signed letter followed by the attachments. OpenSSL opens it`,
        `   with the content key once its recipient information is replaced by ${m.auditorPrefix} (a`,
        `   KEKRecipientInfo wrapping the content key under itself); the ciphertext and mac are the envelope's own bytes:`,
        `  { cat ${m.auditorPrefix}; tail -c +${m.auditorTailOffset + 1} ${m.envelope}; } > auditor.p7m`,
        `  openssl cms -decrypt -binary -inform DER -in auditor.p7m -secretkey $(cat ${m.contentKey}) -out plaintext.bin`,
        `  cat ${[m.letter, ...m.attachments].join(' ')} | cmp - plaintext.bin && echo plaintext OK`,
      )
    }
    for (const [i, a] of m.attachments.entries()) s.push(`   attachment ${i + 1}: ${a} (its SHA-256 is in letter.json, attachments[${i}].sha256)`)
  } else {
    s.push(
      `${step(3)} ${m.letter} is a compact JWS (RFC 7515) whose payload holds the letter with the attachment digests;`,
      `   the jose tool checks it: jose jws ver -i ${m.letter} -k <the signer's public key as JWK> -O letter.json`,
    )
    for (const [i, a] of m.attachments.entries()) s.push(`   attachment ${i + 1}: ${a} (its SHA-256 is in the payload, letter.attachments[${i}].sha256)`)
  }
  if (m.receipt !== undefined && m.receiptSigner !== undefined && m.receiptTime !== undefined) {
    s.push(
      `${step(5)} The recipient's receipt names the SHA-256 of ${m.envelope}:`,
      `  sha256sum ${m.envelope}`,
      cms
        ? `  openssl cms -verify -binary -inform DER -in ${m.receipt} -CAfile "$ROOT" -certfile ${m.receiptSigner} -purpose any -attime ${epoch(m.receiptTime)}`
        : `  cut -d. -f2 ${m.receipt} | tr '_-' '/+' | base64 -d 2>/dev/null; echo   # the receipt's claims (envelopeSha256)`,
      `  openssl verify -CAfile "$ROOT" -untrusted ${m.receiptSigner} -attime ${epoch(m.receiptTime)} -purpose any ${m.receiptSigner}`,
    )
    if (m.receiptTimestamp !== undefined && m.receiptTsa !== undefined) {
      s.push(`  openssl ts -verify -token_in -in ${m.receiptTimestamp} -digest ${m.receiptImprint} -CAfile "$ROOT" -untrusted ${m.receiptTsa}`)
    }
  } else {
    s.push(`${step(5)} No receipt: this message's delivery is not proven.`)
  }
  for (const c of m.crls) s.push(`   revocation list in force: openssl crl -inform DER -in ${c} -noout -text`)
  s.push(``)
  return s
}

/** A notice about one of the messages (PROTOCOL.md §18.6). */
function noticeSection(n: ManifestNotice, step: (legacy: number) => string): string[] {
  const cms = n.profile === 'cms-v1'
  const s: string[] = [`== notice ${n.messageId}: "${n.from}" → "${n.to}", ${n.type} about message ${n.about} (${n.direction}, profile ${n.profile})`, ``]
  const proof = n.noticeTimeProof === 'time-stamp' ? 'proven by the time-stamp' : 'claimed by the signer, no time-stamp'
  s.push(
    `${step(1)} The signed notice verifies and names message ${n.about} with the SHA-256 of its envelope; its signer's chain`,
    `   was valid at ${n.noticeTime} (${proof}):`,
    cms
      ? `  openssl cms -verify -binary -inform DER -in ${n.notice} -CAfile "$ROOT" -certfile ${n.noticeSigner} -purpose any -attime ${epoch(n.noticeTime)} -out notice.json`
      : `  cut -d. -f2 ${n.notice} | tr '_-' '/+' | base64 -d 2>/dev/null; echo   # the signed payload; check the signature with the jose tool`,
    `  openssl verify -CAfile "$ROOT" -untrusted ${n.noticeSigner} -attime ${epoch(n.noticeTime)} -purpose any ${n.noticeSigner}`,
  )
  if (n.noticeTimestamp !== undefined && n.noticeTsa !== undefined) {
    s.push(`  openssl ts -verify -token_in -in ${n.noticeTimestamp} -digest ${n.noticeImprint} -CAfile "$ROOT" -untrusted ${n.noticeTsa}`)
  }
  if (n.receipt !== undefined && n.receiptSigner !== undefined && n.receiptTime !== undefined) {
    s.push(
      `${step(2)} The receipt names the SHA-256 of ${n.envelope}:`,
      `  sha256sum ${n.envelope}`,
      cms
        ? `  openssl cms -verify -binary -inform DER -in ${n.receipt} -CAfile "$ROOT" -certfile ${n.receiptSigner} -purpose any -attime ${epoch(n.receiptTime)}`
        : `  cut -d. -f2 ${n.receipt} | tr '_-' '/+' | base64 -d 2>/dev/null; echo`,
      `  openssl verify -CAfile "$ROOT" -untrusted ${n.receiptSigner} -attime ${epoch(n.receiptTime)} -purpose any ${n.receiptSigner}`,
    )
    if (n.receiptTimestamp !== undefined && n.receiptTsa !== undefined) {
      s.push(`  openssl ts -verify -token_in -in ${n.receiptTimestamp} -digest ${n.receiptImprint} -CAfile "$ROOT" -untrusted ${n.receiptTsa}`)
    }
  } else {
    s.push(`${step(2)} No receipt: this notice's delivery is not proven.`)
  }
  for (const c of n.crls ?? []) s.push(`   revocation list in force: openssl crl -inform DER -in ${c} -noout -text`)
  s.push(``)
  return s
}
