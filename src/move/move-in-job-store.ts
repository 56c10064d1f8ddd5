/**
 * The rows of web-page moves (migrations/0012_move_in_jobs.sql): what a
 * move needs to be shown and resumed after a restart. Never the password.
 */
import crypto from 'node:crypto'
import type { Db } from '../db/open-database.js'

export type MoveInJobState = 'running' | 'needs-code' | 'done' | 'failed'

export interface MoveInJobRow {
  id: string
  browserHash: string
  oldService: string
  oldIdentifier: string
  newHandle: string
  did: string | null
  state: MoveInJobState
  message: string | null
  signedIn: boolean
  createdAt: number
  updatedAt: number
}

interface Row {
  id: string
  browser_hash: string
  old_service: string
  old_identifier: string
  new_handle: string
  did: string | null
  state: MoveInJobState
  message: string | null
  signed_in: number
  created_at: number
  updated_at: number
}

export const hashBrowserToken = (token: string) => crypto.createHash('sha256').update(token).digest('hex')

export class MoveInJobStore {
  private insertRow
  private getRow
  private setStateRow
  private setDidRow
  private setSignedInRow

  constructor(db: Db) {
    this.insertRow = db.prepare(
      `INSERT INTO move_in_job (id, browser_hash, old_service, old_identifier, new_handle, state, created_at, updated_at)
       VALUES (@id, @browser_hash, @old_service, @old_identifier, @new_handle, 'running', @now, @now)`,
    )
    this.getRow = db.prepare<[string], Row>('SELECT * FROM move_in_job WHERE id = ?')
    this.setStateRow = db.prepare('UPDATE move_in_job SET state = ?, message = ?, updated_at = ? WHERE id = ?')
    this.setDidRow = db.prepare('UPDATE move_in_job SET did = ?, updated_at = ? WHERE id = ?')
    this.setSignedInRow = db.prepare('UPDATE move_in_job SET signed_in = 1, updated_at = ? WHERE id = ? AND signed_in = 0')
  }

  create(fields: { browserHash: string; oldService: string; oldIdentifier: string; newHandle: string }): string {
    const id = crypto.randomBytes(18).toString('base64url')
    this.insertRow.run({
      id,
      browser_hash: fields.browserHash,
      old_service: fields.oldService,
      old_identifier: fields.oldIdentifier,
      new_handle: fields.newHandle,
      now: Date.now(),
    })
    return id
  }

  get(id: string): MoveInJobRow | null {
    const r = this.getRow.get(id)
    if (!r) return null
    return {
      id: r.id,
      browserHash: r.browser_hash,
      oldService: r.old_service,
      oldIdentifier: r.old_identifier,
      newHandle: r.new_handle,
      did: r.did,
      state: r.state,
      message: r.message,
      signedIn: r.signed_in === 1,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }
  }

  setState(id: string, state: MoveInJobState, message: string | null = null): void {
    this.setStateRow.run(state, message, Date.now(), id)
  }

  setDid(id: string, did: string): void {
    this.setDidRow.run(did, Date.now(), id)
  }

  /** True the first time only: a finished move hands out one web session. */
  markSignedIn(id: string): boolean {
    return this.setSignedInRow.run(Date.now(), id).changes === 1
  }
}
