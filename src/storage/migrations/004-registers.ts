// Migration 004: register books (issue 5 §3, README "Registers"). One row per register entry; the
// series of a book is (agency, book, year) and its numbers are the primary key, so a number can
// never be used twice. The next number is max(number) + 1 read inside the writing transaction
// (BEGIN IMMEDIATE, src/storage/db.ts): concurrent requests, and other processes sharing the file,
// queue on the write lock, and nothing but a committed entry advances a series: no gaps.
// A cancelled number keeps its row (status 'cancelled'); rows are never deleted.
export const sql = `
CREATE TABLE register_entries (
  agency        TEXT NOT NULL,
  book          TEXT NOT NULL,
  year          INTEGER NOT NULL,             -- calendar year in Asia/Bangkok, Common Era
  number        INTEGER NOT NULL CHECK (number >= 1),
  status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
  recorded_at   INTEGER NOT NULL,             -- ms since the epoch: when the number was given
  letter_number TEXT,                         -- ที่
  letter_date   TEXT,                         -- ลงวันที่ (YYYY-MM-DD, CE)
  from_text     TEXT,                         -- จาก
  to_text       TEXT,                         -- ถึง
  subject       TEXT,                         -- เรื่อง
  action        TEXT,                         -- การปฏิบัติ
  remarks       TEXT,                         -- หมายเหตุ
  message_id    TEXT,                         -- the received message (receive-direction books)
  letter_id     TEXT,                         -- the sent letter (send-direction books)
  cancelled_at  INTEGER,
  cancel_reason TEXT,
  PRIMARY KEY (agency, book, year, number)
) WITHOUT ROWID;
-- a received message is registered once per agency (src/services/registers.ts receive())
CREATE UNIQUE INDEX register_by_message ON register_entries (agency, message_id) WHERE message_id IS NOT NULL;
CREATE INDEX register_by_letter ON register_entries (agency, letter_id) WHERE letter_id IS NOT NULL;
CREATE INDEX register_by_letter_number ON register_entries (agency, letter_number) WHERE letter_number IS NOT NULL;
`
