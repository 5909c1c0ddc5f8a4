// A classified letter for tests (schemas/protocol/classified-letter.json) around the sample letter.
import type { ClassifiedLetter, ClassifiedLevel } from '../../src/classified/inner/types.js'
import { sampleLetter } from '../vectors/fixtures.js'
import { classifiedCommand } from '../../src/cli/classified/index.js'
import { isSarabanError } from '../../src/errors.js'

export const MARKER = 'MARKER-ลับมาก-7f3a9c'

export function classifiedLetter(from: string, to: string, level: ClassifiedLevel, attachments: readonly Buffer[], controlNumber = `${from}-2569-000123`): ClassifiedLetter {
  const letter = sampleLetter(from, to, attachments)
  return {
    v: 1, controlNumber, from, to: [to], level, copy: { number: 1, of: 3 },
    addressees: [{ agency: to, officer: 'registrar', position: 'ปลัดกระทรวงการคลัง' }],
    letter: { ...letter, secrecy: level, body: `${String(letter['body'])} ${MARKER}` },
  }
}

/** Runs `saraban-node classified …` in-process: its exit code (or the error's code) and what it printed. */
export async function classifiedCli(...argv: string[]): Promise<{ code: number | string; out: string }> {
  const chunks: string[] = []
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((s: string) => (chunks.push(String(s)), true)) as typeof process.stdout.write
  try {
    return { code: await classifiedCommand.run(argv), out: chunks.join('') }
  } catch (e) {
    return { code: isSarabanError(e) ? e.code : (e as Error).constructor.name, out: (e as Error).message }
  } finally {
    process.stdout.write = write
  }
}
