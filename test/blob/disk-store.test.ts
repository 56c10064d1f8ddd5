/**
 * The blob behaviour tests (blob-behaviour.ts) against the data-folder
 * store, looking at the files themselves.
 */
import fs from 'node:fs'
import path from 'node:path'
import { blobStoreBehaviour } from './blob-behaviour.js'
import { diskSafeDid } from '../../src/blob/blob-store.js'

const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : [])

blobStoreBehaviour({
  name: 'data folder',
  env: () => ({}),
  finalCids: async (server, did) => list(path.join(server.dataDir, 'blobs', diskSafeDid(did))),
  tempObjects: async (server, did) => list(path.join(server.dataDir, 'blobs', 'tmp', diskSafeDid(did))),
})
