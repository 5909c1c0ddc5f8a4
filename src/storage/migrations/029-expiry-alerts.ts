// Migration 029: warnings raised once per threshold crossing (issue 17 item 4): a row per alert key
// (a certificate's fingerprint and threshold, a trust document's serial, a revoked certificate), so
// that a restart does not raise certificate.expiring, trust.expiring or certificate.revoked again.
export const sql = `
CREATE TABLE expiry_alerts (
  alert_key TEXT PRIMARY KEY,
  raised_at INTEGER NOT NULL
) WITHOUT ROWID;
`
