// Migration 003: what this node trusted, and when (PROTOCOL.md §14.5), so that evidence can name the
// directory and the CRLs in force at the time of an exchange (§8). Append only: a row is written when
// a document is first accepted, and never changed.
export const sql = `
CREATE TABLE directory_history (
  serial          INTEGER PRIMARY KEY,
  issued_at       INTEGER NOT NULL,  -- ms since the epoch, from the signed document
  next_update     INTEGER NOT NULL,
  payload_sha256  TEXT NOT NULL,
  jws             TEXT NOT NULL,     -- exactly as the operator signed it
  fetched_at      INTEGER NOT NULL   -- when this node accepted it
);
-- directoryAt(time): the newest accepted at or before a time
CREATE INDEX directory_history_by_fetch ON directory_history (fetched_at, serial);

-- Filled by the revocation work (PROTOCOL.md §15): every CRL accepted, per issuer.
CREATE TABLE crl_history (
  issuer_fp    TEXT NOT NULL,        -- SHA-256 of the issuing CA certificate's DER, lowercase hex
  crl_number   TEXT NOT NULL,        -- cRLNumber (RFC 5280 §5.2.3) in decimal: up to 20 octets
  this_update  INTEGER NOT NULL,
  next_update  INTEGER,
  der          BLOB NOT NULL,
  fetched_at   INTEGER NOT NULL,
  PRIMARY KEY (issuer_fp, crl_number)
);
CREATE INDEX crl_history_by_fetch ON crl_history (issuer_fp, fetched_at);
`
