// What the benches read of their node processes from /proc (Linux): CPU time, which a loaded machine
// inflates less than wall time, and the memory fields of /proc/PID/status.
import { readFileSync } from 'node:fs'

/** The fields of /proc/PID/stat after the command name (which may hold spaces): [0] is field 3, state. */
export function procStat(pid: number): string[] {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return s.slice(s.lastIndexOf(')') + 2).split(' ')
}

/** CPU seconds (user + system) the process has used: fields 14 and 15, in clock ticks (USER_HZ 100). */
export function cpuSeconds(pid: number): number {
  const f = procStat(pid)
  return (Number(f[11]) + Number(f[12])) / 100
}

/** A field of /proc/PID/status in kB (VmRSS, VmHWM, RssAnon…); 0 when absent. */
export function statusKb(pid: number, field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
}
