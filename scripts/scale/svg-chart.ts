/**
 * A line chart as a standalone SVG file: x on a log scale (sizes that grow
 * by ten), one or more y series on a linear scale from 0. Written here
 * because the charting libraries on npm want a DOM or a browser to render,
 * and these charts are a few dozen lines of plain SVG.
 */
export interface ChartSeries {
  name: string
  points: { x: number; y: number }[]
  /** Drawn dashed (the other server, in a side-by-side chart). */
  dashed?: boolean
}

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2']
const esc = (s: string) => s.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`)

function niceMax(v: number): number {
  if (!(v > 0)) return 1
  const mag = 10 ** Math.floor(Math.log10(v))
  for (const f of [1, 2, 2.5, 5, 10]) if (f * mag >= v) return f * mag
  return 10 * mag
}

export function lineChart(opts: { title: string; xLabel: string; yLabel: string; series: ChartSeries[]; note?: string }): string {
  const W = 640
  const H = 380
  const m = { l: 64, r: 200, t: 40, b: 72 }
  const pw = W - m.l - m.r
  const ph = H - m.t - m.b
  const xs = opts.series.flatMap((s) => s.points.map((p) => p.x)).filter((x) => x > 0)
  const ys = opts.series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite)
  const lx0 = Math.log10(Math.min(...xs))
  const lx1 = Math.max(lx0 + 1, Math.log10(Math.max(...xs)))
  const yMax = niceMax(Math.max(...ys, 0) * 1.05)
  const X = (x: number) => m.l + ((Math.log10(x) - lx0) / (lx1 - lx0)) * pw
  const Y = (y: number) => m.t + ph - (y / yMax) * ph
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="12">`)
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`)
  out.push(`<text x="${m.l}" y="22" font-size="15" font-weight="600">${esc(opts.title)}</text>`)
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i
    out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${Y(v)}" y2="${Y(v)}" stroke="#e5e7eb"/>`)
    out.push(`<text x="${m.l - 6}" y="${Y(v) + 4}" text-anchor="end" fill="#374151">${round(v)}</text>`)
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<line x1="${X(x)}" x2="${X(x)}" y1="${m.t}" y2="${m.t + ph}" stroke="#f3f4f6"/>`)
    out.push(`<text x="${X(x)}" y="${m.t + ph + 16}" text-anchor="middle" fill="#374151">${x.toLocaleString('en-US')}</text>`)
  }
  out.push(`<text x="${m.l + pw / 2}" y="${H - 32}" text-anchor="middle" fill="#111827">${esc(opts.xLabel)}</text>`)
  out.push(`<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle" fill="#111827">${esc(opts.yLabel)}</text>`)
  opts.series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length]
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : ''
    const pts = s.points.filter((p) => p.x > 0 && Number.isFinite(p.y))
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="2"${dash} points="${pts.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ')}"/>`)
    for (const p of pts) out.push(`<circle cx="${X(p.x).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="3" fill="${c}"><title>${esc(`${s.name}: ${p.y} at ${p.x}`)}</title></circle>`)
    out.push(`<rect x="${m.l + pw + 16}" y="${m.t + i * 20}" width="12" height="3" fill="${c}"/>`)
    out.push(`<text x="${m.l + pw + 34}" y="${m.t + i * 20 + 5}" fill="#111827">${esc(s.name)}</text>`)
  })
  if (opts.note) out.push(`<text x="${W - 8}" y="${H - 8}" text-anchor="end" fill="#6b7280" font-size="11">${esc(opts.note)}</text>`)
  out.push('</svg>')
  return out.join('\n')
}

function round(v: number): string {
  return v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10)
}
