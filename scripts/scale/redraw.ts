/**
 * Redraws the charts of a bench:scale JSON file without running anything
 * again (after a change to the charts).
 *
 *   npx tsx scripts/scale/redraw.ts bench-results/scale-vs-reference.json
 */
import fs from 'node:fs'
import { charts, comparisonCharts } from './charts.js'

for (const file of process.argv.slice(2)) {
  const summary = JSON.parse(fs.readFileSync(file, 'utf8'))
  const base = file.replace(/\.json$/, '')
  const drawn = summary.mode === 'reference' || summary.mode === 'smoke-reference' ? comparisonCharts(summary) : charts(summary, summary.mode !== 'full')
  for (const [name, svg] of drawn) fs.writeFileSync(`${base}-${name}.svg`, svg)
  console.log(`${file}: ${drawn.map(([n]) => n).join(', ')}`)
}
