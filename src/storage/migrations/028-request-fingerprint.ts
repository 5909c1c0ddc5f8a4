// Migration 028: Idempotency-Key compared by what a request means (issue 20 §9; README
// "Idempotency-Key"): the fingerprint of services/idempotency/fingerprint.ts (RFC 8785 canonical
// form of the parsed request, attachments by their SHA-256) beside the digest of the bytes that
// rows written before it keep (request_sha256), which still decides for those rows.
export const sql = `
ALTER TABLE letters ADD COLUMN request_fingerprint TEXT;
ALTER TABLE register_entries ADD COLUMN request_fingerprint TEXT;
`
