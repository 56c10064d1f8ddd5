/**
 * Preferences stored on the PDS for the account's clients
 * (app.bsky.actor.getPreferences / putPreferences): an ordered list of
 * objects, each named by its `$type`. A put replaces every preference of
 * its namespace (`app.bsky`) at once, in one transaction.
 *
 * Rules, as the reference PDS keeps them:
 * - `personalDetailsPref` (the birth date) is private: only full access
 *   (the account password) reads it or replaces it; an app password's put
 *   leaves it as it was;
 * - `declaredAgePref` is read-only: derived from the birth date on read,
 *   never stored.
 *
 * @example
 * prefs.put(did, [{ $type: 'app.bsky.actor.defs#adultContentPref', enabled: false }], 'app.bsky', { fullAccess: true })
 * prefs.get(did, 'app.bsky', { fullAccess: false })
 */
import type { Db } from '../db/open-database.js'
import { invalidRequest } from '../errors/hearth-error.js'

export interface Preference {
  $type: string
  [key: string]: unknown
}

export interface PreferenceAccess {
  /** Signed in with the account password (not an app password). */
  fullAccess: boolean
}

const PERSONAL_DETAILS = 'app.bsky.actor.defs#personalDetailsPref'
const DECLARED_AGE = 'app.bsky.actor.defs#declaredAgePref'

/** True when `name` ($type) lies in `namespace` (`app.bsky` holds `app.bsky.actor.defs#…`). */
export const inNamespace = (namespace: string, name: string) => name === namespace || name.startsWith(`${namespace}.`)
const allowed = (name: string, access: PreferenceAccess) => access.fullAccess || name !== PERSONAL_DETAILS

export class AccountPreferences {
  private selectAll
  private insert

  constructor(private db: Db) {
    this.selectAll = db.prepare<[string], { position: number; name: string; value_json: string }>(
      'SELECT position, name, value_json FROM account_preference WHERE did = ? ORDER BY position',
    )
    this.insert = db.prepare('INSERT INTO account_preference (did, position, name, value_json) VALUES (?, ?, ?, ?)')
  }

  get(did: string, namespace: string, access: PreferenceAccess): Preference[] {
    const prefs = this.selectAll
      .all(did)
      .filter((row) => inNamespace(namespace, row.name))
      .map((row) => JSON.parse(row.value_json) as Preference)
    const details = prefs.find((p) => p.$type === PERSONAL_DETAILS)
    const age = typeof details?.birthDate === 'string' ? ageOn(details.birthDate, new Date()) : null
    if (age !== null && inNamespace(namespace, DECLARED_AGE)) {
      prefs.push({ $type: DECLARED_AGE, isOverAge13: age >= 13, isOverAge16: age >= 16, isOverAge18: age >= 18 })
    }
    return prefs.filter((p) => allowed(p.$type, access))
  }

  /** Replaces the namespace's preferences with `values` (which must all be in it). */
  put(did: string, values: Preference[], namespace: string, access: PreferenceAccess): void {
    const outside = values.filter((v) => !inNamespace(namespace, v.$type))
    if (outside.length) throw invalidRequest(`Preferences outside the ${namespace} namespace: ${names(outside)}`)
    const forbidden = values.filter((v) => !allowed(v.$type, access))
    if (forbidden.length) throw invalidRequest(`Setting ${names(forbidden)} needs the account password, not an app password`)
    this.db.transaction(() => {
      const current = this.selectAll.all(did)
      // What this caller may not see stays, ahead of the new list, in its old order.
      const kept = current.filter((row) => !inNamespace(namespace, row.name) || !allowed(row.name, access))
      this.db.prepare('DELETE FROM account_preference WHERE did = ?').run(did)
      let position = 0
      for (const row of kept) this.insert.run(did, position++, row.name, row.value_json)
      for (const value of values) {
        if (value.$type === DECLARED_AGE) continue
        this.insert.run(did, position++, value.$type, JSON.stringify(value))
      }
    })()
  }
}

const names = (prefs: Preference[]) => [...new Set(prefs.map((p) => p.$type))].join(', ')

/** Whole years between a birth date and `today`; null for a date that does not parse. */
function ageOn(birthDate: string, today: Date): number | null {
  const born = new Date(birthDate)
  if (Number.isNaN(born.getTime())) return null
  let age = today.getUTCFullYear() - born.getUTCFullYear()
  const m = today.getUTCMonth() - born.getUTCMonth()
  if (m < 0 || (m === 0 && today.getUTCDate() < born.getUTCDate())) age--
  return age
}
