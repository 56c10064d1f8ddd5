/**
 * Debian's Chromium driven by playwright-core, for the web-page tests, and
 * the screenshot each test saves of the page it ends on (test-output/web/).
 */
import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { projectPath } from '../../src/project-paths.js'

export const CHROMIUM_PATH = process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium'

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Saves what `page` shows now as test-output/web/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = projectPath('test-output', 'web')
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `${name.replace(/[^a-z0-9-]+/gi, '-')}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}
