/**
 * Runs the notes app: `npx tsx examples/notes-app/main.ts` with
 * GITHUB_CLIENT_ID / GITHUB_CLIENT_SECRET set (register the callback
 * `<PUBLIC_URL>/auth/github/callback` with GitHub).
 */
import { serve } from '@hono/node-server'
import { createPds } from '../../src/index.js'
import { createNotesApp } from './notes-app.js'

const port = Number(process.env.PORT ?? 3000)
const pds = await createPds({
  dataDir: process.env.DATA_DIR ?? './notes-data',
  publicUrl: process.env.PUBLIC_URL ?? `http://localhost:${port}`,
  port,
  github: process.env.GITHUB_CLIENT_ID ? { clientId: process.env.GITHUB_CLIENT_ID, clientSecret: process.env.GITHUB_CLIENT_SECRET ?? '' } : undefined,
  pages: { frontPage: false, name: 'Notes', cssVariables: { '--accent': '#0a66c2' } },
})
const { app } = createNotesApp(pds)
const server = serve({ fetch: app.fetch, port })
server.on('upgrade', (req, socket, head) => {
  if (!pds.upgrade(req, socket, head)) socket.destroy()
})
process.on('SIGTERM', () => void pds.close().then(() => process.exit(0)))
console.log(`notes app on http://localhost:${port}`)
