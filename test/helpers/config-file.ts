// A node.json written to a fresh folder and loaded through the real config loader, for config tests.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type Config } from '../../src/config/index.js'
import { isSarabanError, type FieldProblem } from '../../src/errors.js'

export function loadConfigObject(cfg: unknown): Config {
  const dir = mkdtempSync(join(tmpdir(), 'saraban-cfg-'))
  const file = join(dir, 'node.json')
  writeFileSync(file, JSON.stringify(cfg))
  return loadConfig({ file, env: {}, packageRoot: dir })
}

/** The problems loading reports (none: []). */
export function configProblems(cfg: unknown): readonly FieldProblem[] {
  try {
    loadConfigObject(cfg)
  } catch (e) {
    if (isSarabanError(e)) return e.errors ?? []
    throw e
  }
  return []
}
