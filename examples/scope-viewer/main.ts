/**
 * Runs the example app: `npx tsx --conditions=source examples/scope-viewer/main.ts`
 * with HEARTH_URL (the person's Hearth), PLC_URL (the PLC directory: the
 * local one in development), OWNER (their handle), SCOPES (two scopes,
 * comma-separated) and PORT. The app's DID is made once and kept in
 * APP_IDENTITY_FILE (default .scope-viewer-identity.json).
 */
import { serve } from '@hono/node-server'
import { HearthAppClient, devIdentity } from 'hearth/client'
import { createViewer } from './app.js'

const env = (name: string, fallback?: string) => {
  const v = process.env[name] ?? fallback
  if (v === undefined) throw new Error(`Set ${name}`)
  return v
}

const port = Number(env('PORT', '3000'))
const plcUrl = env('PLC_URL')
const identity = await devIdentity({ plcUrl, name: 'scope-viewer', file: env('APP_IDENTITY_FILE', '.scope-viewer-identity.json') })
const client = new HearthAppClient({ pds: env('HEARTH_URL'), identity, plcUrl })
const publicUrl = `http://localhost:${port}`
const viewer = createViewer({ client, owner: env('OWNER'), scopes: env('SCOPES', 'instagram.profile,instagram.posts').split(','), publicUrl })
const server = serve({ fetch: viewer.app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`scope viewer listening on ${publicUrl} as ${identity.did}`))
const stop = () => {
  viewer.close()
  server.close(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
