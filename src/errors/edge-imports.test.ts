// Errors have a neutral home (src/errors): storage and services throw
// HearthError and never learn how an edge answers. This walks the import
// graph of the source tree, so a file that reaches for the XRPC edge's error
// module (or, outside the few edge files listed, for src/xrpc at all) fails here.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../project-paths.js'

const ROOTS = ['src', 'web', 'examples']
// import … from '…', export … from '…', import('…'), import '…'
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g

/** Files that are themselves edges, or glue between edges, and so may use src/xrpc. */
const MAY_USE_XRPC = new Map<string, string>([
  ['src/app.ts', 'mounts the XRPC router and its methods'],
  ['src/embed/repo-api.ts', 'runs the XRPC write methods in-process, so host writes take the same path'],
  ['src/ops/rate-limits.ts', 'middleware on the XRPC routes, reads the body once for the router'],
  ['src/control/control-input.ts', "the control socket's own edge, sharing the router's size-limited body reader"],
  ['src/proxy/read-after-write/read-after-write.ts', 'merges into XRPC answers; uses only the XrpcCall type'],
])

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path))
    else if (/\.tsx?$/.test(name)) out.push(path)
  }
  return out
}

/** Every project file each source file imports, as paths relative to the project root, without extension. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const root of ROOTS) {
    for (const file of sourceFiles(join(projectRoot, root))) {
      const text = readFileSync(file, 'utf8')
      const targets: string[] = []
      for (const m of text.matchAll(SPECIFIER)) {
        if (!m[1].startsWith('.')) continue
        targets.push(relative(projectRoot, resolve(dirname(file), m[1])).replace(/\.(js|ts|tsx)$/, ''))
      }
      graph.set(relative(projectRoot, file), targets)
    }
  }
  return graph
}

const outsideXrpc = (file: string) => !file.startsWith('src/xrpc/')

describe('errors and the XRPC edge', () => {
  const graph = importGraph()

  it('sees the source tree (the check is not vacuous)', () => {
    expect(graph.size).toBeGreaterThan(200)
    expect(graph.get('src/xrpc/xrpc-router.ts')).toContain('src/xrpc/xrpc-error')
  })

  it('no file outside src/xrpc imports the XRPC error module', () => {
    const offenders = [...graph].filter(([file, targets]) => outsideXrpc(file) && targets.includes('src/xrpc/xrpc-error')).map(([f]) => f)
    expect(offenders).toEqual([])
  })

  it('storage and services import nothing from src/xrpc; only the listed edge files do', () => {
    const offenders = [...graph]
      .filter(([file, targets]) => outsideXrpc(file) && !MAY_USE_XRPC.has(file) && targets.some((t) => t.startsWith('src/xrpc/')))
      .map(([f]) => f)
    expect(offenders).toEqual([])
  })
})
