// Compiles src/ and web/ to dist/ with esbuild (one output file per input,
// no bundling), so `npm start` runs plain node: the TypeScript loader costs
// ~40 MiB of memory and start-up time that a server should not pay.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const sources = (dir) =>
  fs.existsSync(path.join(root, dir))
    ? fs
        .readdirSync(path.join(root, dir), { recursive: true })
        .map(String)
        .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f) && !f.endsWith('.d.ts'))
        .map((f) => path.join(dir, f))
    : []

fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true })
await build({
  absWorkingDir: root,
  entryPoints: [...sources('src'), ...sources('web')],
  outdir: 'dist',
  outbase: '.',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
})
