/**
 * The two shapes an ingest body may take, as items: `{ data, key? }` (data
 * one object, or an array of objects without keys) and `{ items: [{ key?,
 * data }] }`. Shared by the owner's XRPC method and the control socket.
 */
import type { IngestItem } from './scope-ingest.js'
import { InvalidRecord, invalidRequest } from '../errors/hearth-error.js'

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v)

export function ingestItems(body: Record<string, unknown>, dataField = 'data'): IngestItem[] {
  const data = body[dataField]
  if (body.items !== undefined) {
    if (data !== undefined) throw invalidRequest(`Give either ${dataField} or items, not both`)
    if (!Array.isArray(body.items)) throw invalidRequest('items must be an array of { key?, data }')
    return body.items.map((item, i) => {
      if (!isObject(item)) throw new InvalidRecord(`items[${i}] must be an object { key?, data }`)
      if (!isObject(item.data)) throw new InvalidRecord(`items[${i}].data must be a JSON object`)
      return { key: item.key as string | undefined, data: item.data }
    })
  }
  if (data === undefined) throw invalidRequest(`${dataField} or items is required`)
  const list = Array.isArray(data) ? data : [data]
  if (Array.isArray(data) && body.key !== undefined) throw invalidRequest(`key goes with one object; for a batch give items: [{ key, data }]`, 'InvalidRecordKey')
  list.forEach((item, i) => {
    if (!isObject(item)) throw new InvalidRecord(`${Array.isArray(data) ? `${dataField}[${i}]` : dataField} must be a JSON object`)
  })
  return list.map((d) => ({ key: body.key as string | undefined, data: d }))
}
