// Migration 006: Idempotency-Key for POST /api/v1/registers/{book}/numbers (README "Registers"). A
// saraban system that lost the answer and asks again gets the number it was given, instead of a
// second entry. The key is scoped to the agency; request_sha256 tells a replay from a reuse.
export const sql = `
ALTER TABLE register_entries ADD COLUMN idempotency_key TEXT;
ALTER TABLE register_entries ADD COLUMN request_sha256 TEXT;
CREATE UNIQUE INDEX register_by_idempotency ON register_entries (agency, idempotency_key) WHERE idempotency_key IS NOT NULL;
`
