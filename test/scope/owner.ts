/**
 * The owner's side of scope tests: XRPC calls with the account's own
 * session access token (ingest, grants, reading their own scopes).
 */
import type { TestAccount } from '../helpers/test-server.js'
import type { CallResult } from './test-app.js'

export async function ownerCall(
  serverUrl: string,
  owner: TestAccount | null,
  nsid: string,
  opts: { params?: Record<string, string | number | boolean>; body?: unknown; rawBody?: string; contentType?: string } = {},
): Promise<CallResult> {
  const url = new URL(`/xrpc/${nsid}`, serverUrl)
  for (const [k, v] of Object.entries(opts.params ?? {})) url.searchParams.set(k, String(v))
  const headers: Record<string, string> = {}
  if (owner) headers.authorization = `Bearer ${owner.agent.session!.accessJwt}`
  const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body))
  if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json'
  const res = await fetch(url, { method: body === undefined ? 'GET' : 'POST', headers, body })
  const bytes = new Uint8Array(await res.arrayBuffer())
  let json: any
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, bytes, json }
}

/** Ingests `data` into `scope` as the owner; throws unless it worked. */
export async function ingest(serverUrl: string, owner: TestAccount, scope: string, data: unknown) {
  const res = await ownerCall(serverUrl, owner, 'dev.hearth.scope.ingest', { body: { scope, data } })
  if (res.status !== 200) throw new Error(`ingest ${scope}: ${res.status} ${JSON.stringify(res.json)}`)
  return res.json as { scope: string; commit: string; rev: string; records: { rkey: string; cid: string }[] }
}
