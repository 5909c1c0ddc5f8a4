// Migration 027 (issue 20 §4, §6): events already stored take the API's one spelling, so that a client
// resuming from an old Last-Event-ID reads the same members as in new events (README "Conventions"):
// the notice's message id is `noticeMessageId` (it was `notice`).
export const sql = `
UPDATE events
   SET data_json = json_set(json_remove(data_json, '$.notice'), '$.noticeMessageId', json_extract(data_json, '$.notice'))
 WHERE json_type(data_json, '$.notice') = 'text';
`
