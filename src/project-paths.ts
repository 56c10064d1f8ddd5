/**
 * Folders that ship beside the code (migrations/, lexicons/, web/), found
 * from the project root, so paths hold whether the code runs from src/
 * (tests, tsx) or from the compiled dist/src/ (`npm start`).
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

function findProjectRoot(from: string): string {
  let dir = from
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir)
    if (up === dir) throw new Error(`no package.json above ${from}`)
    dir = up
  }
  return dir
}

export const projectRoot = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)))
export const projectPath = (...parts: string[]) => path.join(projectRoot, ...parts)
