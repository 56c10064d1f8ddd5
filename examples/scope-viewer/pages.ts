/** The example app's HTML: plain strings, escaped. */
import type { ScopeRecord } from 'hearth/client'

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

const layout = (body: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Scope viewer</title></head><body>${body}</body></html>`

export const approvalPage = (approveUrl: string, scopes: string[]) =>
  layout(`<h1>Scope viewer</h1>
<p>This app would like to read: ${scopes.map((s) => `<code>${esc(s)}</code>`).join(', ')}.</p>
<p><a id="approve" href="${esc(approveUrl)}">Review the request on your Hearth</a></p>`)

export const recordsFragment = (records: ScopeRecord[]) =>
  records.length === 0
    ? '<p id="empty">No records yet.</p>'
    : `<ul>${records
        .map((r) => `<li data-scope="${esc(r.scope)}" data-key="${esc(r.key)}"><code>${esc(r.scope)}</code> ${esc(r.key)}: ${esc(JSON.stringify(r.data))}</li>`)
        .join('')}</ul>`

// The page asks for the list again every half second: enough for "live" here, and no script framework.
export const recordsPage = (granted: string[], records: ScopeRecord[]) =>
  layout(`<h1>Scope viewer</h1>
<p>Granted: ${granted.map((s) => `<code>${esc(s)}</code>`).join(', ')}. Every record below was verified against the owner's key.</p>
<div id="records">${recordsFragment(records)}</div>
<script>
setInterval(async () => {
  const res = await fetch('/records')
  if (res.ok) document.getElementById('records').innerHTML = await res.text()
}, 500)
</script>`)
