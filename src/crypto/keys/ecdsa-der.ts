// ECDSA signature encodings: a key handle returns IEEE P1363 r‖s (what JWS ES256 carries, RFC 7518
// §3.4); CMS and X.509 carry the DER Ecdsa-Sig-Value SEQUENCE { r INTEGER, s INTEGER } (RFC 5753 §2.1.1 / RFC 3279 §2.2.3).

/** DER INTEGER of an unsigned big-endian value: minimal, with a 0x00 before a high bit. */
function derUint(v: Buffer): Buffer {
  let i = 0
  while (i < v.length - 1 && v[i] === 0) i++
  const body = v[i]! & 0x80 ? Buffer.concat([Buffer.from([0]), v.subarray(i)]) : v.subarray(i)
  return Buffer.concat([Buffer.from([0x02, body.length]), body])
}

/** r‖s (two equal halves, e.g. 64 bytes for P-256) → DER Ecdsa-Sig-Value. */
export function p1363ToDer(sig: Uint8Array): Buffer {
  const b = Buffer.from(sig)
  if (b.length === 0 || b.length % 2 !== 0 || b.length > 132) throw new TypeError('an ECDSA r‖s signature has two equal halves')
  const body = Buffer.concat([derUint(b.subarray(0, b.length / 2)), derUint(b.subarray(b.length / 2))])
  return Buffer.concat([body.length < 0x80 ? Buffer.from([0x30, body.length]) : Buffer.from([0x30, 0x81, body.length]), body])
}
