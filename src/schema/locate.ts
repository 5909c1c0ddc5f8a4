// Finds the package root (the folder holding package.json and schemas/) from a module URL, so the
// same code works from src/ via tsx and from dist/src/ after tsc (schemas/ stays at the repo root).
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export function findPackageRoot(fromUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(fromUrl))
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no package root (package.json + schemas/) above ${fileURLToPath(fromUrl)}`)
    dir = parent
  }
}

export function schemasDir(packageRoot: string = findPackageRoot()): string {
  return join(packageRoot, 'schemas')
}
