// Migration 027 (issue 20 §4, §6): events already stored take the API's one spelling, so that a client
// resuming from an old Last-Event-ID reads the same members as in new events (README "Conventions"):
// the notice's message id is `noticeMessageId` (it was `notice`), and the register year of
// letter.accepted and letter.disputed is Buddhist-era like every year in the API (it was the Common Era
// year of the notice on the wire; a register year is never below 2500 BE, nor a CE one above 2400).
export const sql = `
UPDATE events
   SET data_json = json_set(json_remove(data_json, '$.notice'), '$.noticeMessageId', json_extract(data_json, '$.notice'))
 WHERE json_type(data_json, '$.notice') = 'text';
UPDATE events
   SET data_json = json_set(data_json, '$.register.year', json_extract(data_json, '$.register.year') + 543)
 WHERE type IN ('letter.accepted', 'letter.disputed')
   AND json_type(data_json, '$.register.year') = 'integer'
   AND json_extract(data_json, '$.register.year') < 2400;
`
