// Migration 014 (PROTOCOL.md §17.8, shared content by reference): a receiver resolves a reference
// only to content held from a message of a sender the peer speaks for, i.e. it looks envelopes up by
// their content. Without this index that lookup scans every envelope row.
export const sql = `
CREATE INDEX inbox_envelopes_by_content ON inbox_envelopes (content_sha256) WHERE content_sha256 IS NOT NULL;
`
