/**
 * What every page must pass, checked in Chromium: at a phone's width (390 px)
 * and a desktop's (1280 px) the document is no wider than the viewport and
 * no card's content runs out of its card; axe-core (injected from
 * node_modules) finds no serious or critical violation. Each check saves a
 * screenshot under test-output/web/.
 */
import type { Page } from 'playwright-core'
import { projectPath } from '../../src/project-paths.js'
import { screenshot } from './chromium.js'

export const WIDTHS = [390, 1280] as const
const AXE_PATH = projectPath('node_modules', 'axe-core', 'axe.min.js')

export interface PageProblems {
  width: number
  scrollWidth: number
  /** Cards whose content is wider than the card. */
  overflowing: string[]
  /** axe violations of impact serious or critical: rule id and the first offending element. */
  violations: { id: string; impact: string; target: string }[]
}

/** Loads `url` at each width in `page` (its context must bypass CSP for axe) and reports what is wrong. */
export async function checkPage(page: Page, url: string, name: string): Promise<PageProblems[]> {
  const found: PageProblems[] = []
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 })
    await page.goto(url)
    await page.waitForLoadState('load')
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      overflowing: [...document.querySelectorAll('section.card, main')]
        .filter((el) => el.scrollWidth > el.clientWidth + 1)
        .map((el) => `${el.tagName.toLowerCase()}${el.getAttribute('aria-labelledby') ? `[${el.getAttribute('aria-labelledby')}]` : ''}: ${el.scrollWidth} > ${el.clientWidth}`),
    }))
    if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE_PATH })
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe
      const result = await axe.run(document, { resultTypes: ['violations'] })
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, target: String(v.nodes[0]?.target ?? '') }))
    })
    await screenshot(page, `${name}-${width}`)
    found.push({ width, scrollWidth: layout.scrollWidth, overflowing: layout.overflowing, violations })
  }
  return found
}

/** Expectation-friendly summary: [] when the page is fine at every width. */
export function problemsOf(results: PageProblems[]): string[] {
  return results.flatMap((r) => [
    ...(r.scrollWidth !== r.width ? [`${r.width}px: document is ${r.scrollWidth}px wide`] : []),
    ...r.overflowing.map((o) => `${r.width}px: overflow in ${o}`),
    ...r.violations.map((v) => `${r.width}px: axe ${v.impact} ${v.id} at ${v.target}`),
  ])
}
