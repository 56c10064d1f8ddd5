/**
 * What an OAuth (DPoP-bound) access token costs against a session token:
 * requests/s and server CPU per call for getRecord and createRecord, each
 * made the same way with either credential. Hearth runs as `npm start`
 * runs it (built, own process), so its CPU is its own; the DPoP proofs are
 * signed by this process, as a client would. getRecord is a public read
 * (Hearth does not look at the token), so getSession is measured too: the
 * authenticated read where the token and the DPoP proof are checked.
 *
 * @example
 * npx tsx scripts/bench-oauth.ts --seconds 10 --concurrency 8
 */
import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { AtpAgent } from '@atproto/api'
import { startEmbeddedPlc } from '../src/identity/embedded-plc.js'
import { spawnHearth } from './bench-server.js'
import { RawOAuthClient } from '../test/oauth/raw-oauth-client.js'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, concurrency: { type: 'string', default: '8' } } })
const SECONDS = Number(values.seconds)
const CONCURRENCY = Number(values.concurrency)
const TICKS = 100 // clock ticks per second on Linux (getconf CLK_TCK)

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS
}

async function measure(pid: number, call: () => Promise<Response>, seconds = SECONDS): Promise<{ rps: number; cpuMsPerCall: number; errors: number }> {
  let done = 0
  let errors = 0
  const until = Date.now() + seconds * 1000
  const cpu0 = cpuSeconds(pid)
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const res = await call()
        await res.arrayBuffer()
        if (res.ok) done++
        else errors++
      }
    }),
  )
  const secs = (performance.now() - t0) / 1000
  const cpu = cpuSeconds(pid) - cpu0
  return { rps: Math.round(done / secs), cpuMsPerCall: Math.round(((cpu * 1000) / Math.max(done, 1)) * 1000) / 1000, errors }
}

async function main() {
  const plc = await startEmbeddedPlc()
  const { child, dataDir, url } = await spawnHearth(plc.url)
  try {
    const agent = new AtpAgent({ service: url })
    await agent.createAccount({ handle: 'bench.test', password: 'bench-password', email: 'bench@example.com' })
    const did = agent.session!.did
    const sessionToken = agent.session!.accessJwt
    // A loopback development client: its metadata is its id, so nothing has to be served.
    const redirectUri = 'http://127.0.0.1/callback'
    const clientId = `http://localhost?redirect_uri=${encodeURIComponent(redirectUri)}&scope=${encodeURIComponent('atproto transition:generic')}`
    const oauth = await RawOAuthClient.create(url, { clientId, redirectUri })
    await oauth.signIn('bench.test', 'bench-password')
    const { access_token: oauthToken } = await oauth.fullFlow('atproto transition:generic')
    const seed = await agent.com.atproto.repo.createRecord({ repo: did, collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: 'seed', createdAt: new Date().toISOString() } })
    const rkey = seed.data.uri.split('/').pop()!
    const getUrl = `${url}/xrpc/com.atproto.repo.getRecord?repo=${did}&collection=app.bsky.feed.post&rkey=${rkey}`
    const createUrl = `${url}/xrpc/com.atproto.repo.createRecord`
    const body = () => JSON.stringify({ repo: did, collection: 'app.bsky.feed.post', record: { $type: 'app.bsky.feed.post', text: 'bench', createdAt: new Date().toISOString() } })
    const ath = oauth.athOf(oauthToken)
    const withSession = (method: string, u: string, b?: string) => fetch(u, { method, headers: { authorization: `Bearer ${sessionToken}`, ...(b ? { 'content-type': 'application/json' } : {}) }, body: b })
    const withDpop = async (method: string, u: string, b?: string) => {
      const dpop = await oauth.proof({ htm: method, htu: u, ath })
      const res = await fetch(u, { method, headers: { authorization: `DPoP ${oauthToken}`, dpop, ...(b ? { 'content-type': 'application/json' } : {}) }, body: b })
      oauth.nonce = res.headers.get('dpop-nonce') ?? oauth.nonce // nonces rotate every minute
      return res
    }
    const sessionUrl = `${url}/xrpc/com.atproto.server.getSession`
    const rows: Record<string, unknown>[] = []
    const cases = [
      ['getSession, session token', () => withSession('GET', sessionUrl)],
      ['getSession, DPoP token', () => withDpop('GET', sessionUrl)],
      ['getRecord, session token', () => withSession('GET', getUrl)],
      ['getRecord, DPoP token', () => withDpop('GET', getUrl)],
      ['createRecord, session token', () => withSession('POST', createUrl, body())],
      ['createRecord, DPoP token', () => withDpop('POST', createUrl, body())],
    ] as const
    // Warm-up: every path once under load, so the first case does not pay for the JIT.
    for (const [, run] of cases) await measure(child.pid!, run, 1)
    for (const [name, run] of cases) rows.push({ case: name, ...(await measure(child.pid!, run)) })
    console.table(rows)
    console.log(`${SECONDS} s per case, concurrency ${CONCURRENCY}, Node ${process.version}; server CPU from /proc/<pid>/stat (user + system).`)
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    await plc.close()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
