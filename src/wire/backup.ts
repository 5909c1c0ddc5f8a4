// The node's scheduled backups (issue 17 item 3, config backup.schedule): off without a schedule.
import { BackupSchedule } from '../services/backup/schedule.js'
import { backupInputFrom } from '../services/backup/from-config.js'
import { writeBackup } from '../services/backup/write.js'
import type { Db } from '../storage/db.js'
import type { Base } from './base.js'

export function wireBackup({ config, clock, log, closers }: Base, { db }: { db: Db }): BackupSchedule | undefined {
  const schedule = config.backup.schedule
  if (schedule === undefined) return undefined
  const backups = new BackupSchedule({
    ...schedule, clock, log: log.child({ area: 'backup' }),
    // The node's own connection: its writes between steps go into the copy too (SQLite backup API), so
    // steps of 1000 pages keep the event loop moving without making the copy start over.
    make: async (out) => void (await writeBackup(backupInputFrom(config, (dest) => db.sqlite.backup(dest, { progress: () => 1000 }).then(() => undefined), new Date(clock.now()), [schedule.directory]), out)),
  })
  backups.start()
  closers.push(() => backups.close())
  return backups
}
