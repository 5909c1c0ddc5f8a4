// Migration 020: letters that entered through the e-CMS gateway (issue 18 §2, §6). One row per letter
// sent by an e-CMS client, written in the letter's own transaction: the record that it came in
// through the gateway (ETSI EN 319 522 "ReceivedFromNonERDS"), the e-CMS identity of the letter as
// the client knows it, and the outcome of the XML-DSig check of its GovernmentDocument.
export const sql = `
CREATE TABLE ecms_outbound (
  letter_id            TEXT PRIMARY KEY REFERENCES letters (id), -- also the ProcessID answered to the client
  agency               TEXT NOT NULL,          -- the hosted agency the client acts for (configuration)
  ecms_letter_id       TEXT NOT NULL,          -- ram:ID, the letter number
  correspondence_date  TEXT NOT NULL,          -- yyyy-MM-dd
  sender_department    TEXT,                   -- SenderParty DepartmentOrganization/ID as sent
  receiver_department  TEXT,                   -- ReceiverParty DepartmentOrganization/ID as sent
  signature            TEXT NOT NULL CHECK (signature IN ('absent', 'valid', 'invalid')),
  signature_reason     TEXT,                   -- why an invalid signature failed
  signature_xml        TEXT,                   -- the ds:Signature element as received, when present
  created_at           INTEGER NOT NULL
);
CREATE INDEX ecms_outbound_by_agency ON ecms_outbound (agency, created_at);
`
