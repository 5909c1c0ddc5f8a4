// Migration 010: a letter signed once for many recipients (PROTOCOL.md §17) has one signature, so
// one time-stamp token serves every recipient's message; the worker finds it by imprint (§13.4).
export const sql = `
CREATE INDEX timestamps_by_imprint ON timestamps (imprint) WHERE token IS NOT NULL;
`
