// Migration 012 (inbox contents, issue 5 §4): a node hosting many recipients of one circular keeps
// the content they share once. Each recipient's envelope is head ‖ shared ‖ tail (PROTOCOL.md §17.1),
// where shared (the ciphertext: jose-v2's base64url `ciphertext` text, cms-v1's encryptedContent
// octets) is the same bytes for all of them; it was stored (and fsynced) once per recipient.
// Layout, as the outbox's since 009:
//   - inbox_contents: shared bytes, keyed by their SHA-256 (lowercase hex), written with
//     INSERT … ON CONFLICT DO NOTHING in the transaction that stores the message, so a content is
//     there exactly when some envelope refers to it. Never updated; nothing deletes inbox rows.
//   - inbox_envelopes.bytes is the head when content_sha256 is set, and the envelope is
//     bytes ‖ inbox_contents.bytes ‖ tail. Rows without content_sha256 (all rows written before this
//     migration; envelopes of one-to-one letters, and small ones) hold the whole envelope in bytes,
//     as before. Either way the envelope is the exact bytes received, whose SHA-256 is
//     inbox_messages.envelope_sha256, the digest our receipt signed (PROTOCOL.md §6).
export const sql = `
CREATE TABLE inbox_contents (
  sha256 TEXT PRIMARY KEY,
  bytes  BLOB NOT NULL
);

ALTER TABLE inbox_envelopes ADD COLUMN content_sha256 TEXT REFERENCES inbox_contents (sha256);
ALTER TABLE inbox_envelopes ADD COLUMN tail BLOB;
`
