/**
 * Counted nouns for the pages: "1 record", "2 records", "0 records".
 *
 * @example
 * plural(1, 'record') // '1 record'
 * plural(3, 'entry', 'entries') // '3 entries'
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`
}
