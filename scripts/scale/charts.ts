/** The SVG charts of a bench:scale summary, one (or two) per series: file suffix and SVG text. */
import { lineChart } from './svg-chart.js'

/* eslint-disable @typescript-eslint/no-explicit-any */
export function charts(s: any, quick: boolean): [string, string][] {
  const note = `${s.machine.cpus} cores, Node ${s.machine.node}, ${s.date.slice(0, 10)}${quick ? ', quick' : ''}`
  const out: [string, string][] = []
  const line = (name: string, rows: any[], x: (r: any) => number, y: (r: any) => number) => ({ name, points: rows.map((r) => ({ x: x(r), y: y(r) })) })
  if (s.accounts) {
    const r = s.accounts
    out.push(['accounts', lineChart({ title: 'Latency as accounts grow', xLabel: 'accounts on the server', yLabel: 'ms', note, series: [
      line('createRecord p50', r, (v) => v.accounts, (v) => v.createRecord.p50ms),
      line('createRecord p99', r, (v) => v.accounts, (v) => v.createRecord.p99ms),
      line('getRecord p50', r, (v) => v.accounts, (v) => v.getRecord.p50ms),
      line('getRecord p99', r, (v) => v.accounts, (v) => v.getRecord.p99ms),
    ] })])
    out.push(['accounts-rss', lineChart({ title: 'Server memory as accounts grow', xLabel: 'accounts on the server', yLabel: 'RSS, MiB', note, series: [line('RSS', r, (v) => v.accounts, (v) => v.rssMiB)] })])
  }
  if (s.repo) {
    const r = s.repo
    out.push(['repo', lineChart({ title: 'createRecord as one repository grows', xLabel: 'records in the repository', yLabel: 'ms', note, series: [
      line('createRecord p50', r, (v) => v.records, (v) => v.createRecord.p50ms),
      line('createRecord p99', r, (v) => v.records, (v) => v.createRecord.p99ms),
    ] })])
    out.push(['repo-getrepo', lineChart({ title: 'getRepo of the whole repository', xLabel: 'records in the repository', yLabel: 'ms / MiB', note, series: [
      line('getRepo, ms', r, (v) => v.records, (v) => v.getRepo.ms),
      line('RSS rise while streaming, MiB', r, (v) => v.records, (v) => v.getRepo.rssRiseMiB),
    ] })])
  }
  if (s.subscribers) {
    const r = s.subscribers
    out.push(['subscribers', lineChart({ title: 'Firehose delivery as subscribers grow', xLabel: 'subscribers', yLabel: 'ms from write start', note, series: [
      line('p50', r, (v) => v.subscribers, (v) => v.delivery.p50ms),
      line('p99', r, (v) => v.subscribers, (v) => v.delivery.p99ms),
    ] })])
  }
  if (s.db) {
    const r = s.db
    out.push(['db', lineChart({ title: 'Cold start as the database grows', xLabel: 'database size, MiB', yLabel: 'ms from process start', note, series: [
      line('to /xrpc/_health', r, (v) => v.databaseMiB, (v) => v.toHealthMs),
      line('to first accepted write', r, (v) => v.databaseMiB, (v) => v.toFirstWriteMs),
    ] })])
  }
  if (s.scopes) {
    const r = s.scopes.ingest
    out.push(['scopes', lineChart({ title: 'Scope ingest (control socket, batches of 1,000)', xLabel: 'records in the scope', yLabel: 'records/s', note, series: [line('records/s', r, (v) => v.records, (v) => v.recordsPerSec)] })])
  }
  return out
}


/** Charts of a Hearth-beside-the-reference summary: each figure as two lines, one per server. */
export function comparisonCharts(s: any): [string, string][] {
  const note = `${s.machine.cpus} cores, Node ${s.machine.node}, ${s.date.slice(0, 10)}, medians of ${s.runs}`
  const out: [string, string][] = []
  // The same colour for a figure on both servers would be ambiguous in the legend: each line has its own, the reference's dashed.
  const both = (cmp: any, label: string, x: (r: any) => number, y: (r: any) => number) => [
    { name: `Hearth ${label}`, points: cmp.hearth.map((r: any) => ({ x: x(r), y: y(r) })) },
    { name: `reference ${label}`, dashed: true, points: cmp.reference.map((r: any) => ({ x: x(r), y: y(r) })) },
  ]
  if (s.accounts) {
    const x = (v: any) => v.accounts
    out.push(['accounts', lineChart({ title: 'Latency as accounts grow: Hearth and the reference', xLabel: 'accounts on the server', yLabel: 'ms', note, series: [
      ...both(s.accounts, 'createRecord p50', x, (v) => v.createRecord.p50ms),
      ...both(s.accounts, 'getRecord p50', x, (v) => v.getRecord.p50ms),
    ] })])
    out.push(['accounts-rss', lineChart({ title: 'Server memory as accounts grow', xLabel: 'accounts on the server', yLabel: 'RSS, MiB', note, series: both(s.accounts, 'RSS', x, (v) => v.rssMiB) })])
    // The server's own CPU per request: what other work on the machine does not skew.
    out.push(['accounts-cpu', lineChart({ title: 'Server CPU per request as accounts grow', xLabel: 'accounts on the server', yLabel: 'ms of server CPU', note, series: [
      ...both(s.accounts, 'createRecord', x, (v) => v.createRecord.serverCpuMs),
      ...both(s.accounts, 'getRecord', x, (v) => v.getRecord.serverCpuMs),
    ] })])
  }
  if (s.repo) {
    const x = (v: any) => v.records
    out.push(['repo-cpu', lineChart({ title: 'Server CPU per createRecord as one repository grows', xLabel: 'records in the repository', yLabel: 'ms of server CPU', note, series: both(s.repo, 'createRecord', x, (v) => v.createRecord.serverCpuMs) })])
    out.push(['repo', lineChart({ title: 'createRecord as one repository grows', xLabel: 'records in the repository', yLabel: 'ms', note, series: [
      ...both(s.repo, 'p50', x, (v) => v.createRecord.p50ms),
      ...both(s.repo, 'p99', x, (v) => v.createRecord.p99ms),
    ] })])
    out.push(['repo-getrepo', lineChart({ title: 'getRepo of the whole repository', xLabel: 'records in the repository', yLabel: 'ms', note, series: both(s.repo, 'getRepo', x, (v) => v.getRepo.ms) })])
  }
  if (s.subscribers) {
    const x = (v: any) => v.subscribers
    out.push(['subscribers', lineChart({ title: 'Firehose delivery as subscribers grow', xLabel: 'subscribers', yLabel: 'ms from write start', note, series: [
      ...both(s.subscribers, 'p50', x, (v) => v.delivery.p50ms),
      ...both(s.subscribers, 'p99', x, (v) => v.delivery.p99ms),
    ] })])
  }
  return out
}
