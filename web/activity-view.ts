/**
 * One activity item in words, the same for the page's first render and for
 * the live stream: what happened, the details, and when.
 */
import type { ActivityItem } from '../src/activity/activity-feed.js'
import { plural } from './plural.js'

export interface ActivityLine {
  id: string
  kind: ActivityItem['kind']
  title: string
  detail: string
  when: string
}

const SHOWN_OPS = 3
const VERBS: Record<string, string> = { create: 'created', update: 'updated', delete: 'deleted' }

export const whenText = (iso: string) => iso.slice(0, 19).replace('T', ' ') + ' UTC'

const repositoryName = (repository: string) => (repository === '' ? 'your public repository' : `scope ${repository}`)

export function describeActivity(item: ActivityItem, handles: Map<string, string>): ActivityLine {
  const base = { id: item.id, kind: item.kind, when: whenText(item.at) }
  switch (item.kind) {
    case 'commit': {
      const shown = item.ops.slice(0, SHOWN_OPS).map((op) => `${VERBS[op.action] ?? op.action} ${op.path}`)
      const more = item.ops.length > SHOWN_OPS ? ` and ${plural(item.ops.length - SHOWN_OPS, 'more change')}` : ''
      return {
        ...base,
        title: `Commit to ${repositoryName(item.repository)} (${plural(item.ops.length, 'change')})`,
        detail: `${shown.join(', ')}${more} · rev ${item.rev}`,
      }
    }
    case 'read': {
      const who = handles.get(item.appDid) ?? item.appDid
      const how = item.method.replace(/^dev\.hearth\.scope\./, '')
      return {
        ...base,
        title: `${who} read ${repositoryName(item.repository)}`,
        detail: `${how}${item.detail ? ` · ${item.detail}` : ''}${handles.has(item.appDid) ? ` · ${item.appDid}` : ''}`,
      }
    }
    case 'identity':
      return { ...base, title: 'Identity updated', detail: item.note }
    case 'account':
      return { ...base, title: 'Account status', detail: item.note }
    case 'sync':
      return { ...base, title: 'Repository re-signed', detail: item.note }
  }
}
