/**
 * A small notes app that mounts Hearth: people sign in with GitHub through
 * Hearth, each note is a record in their own AT Protocol repository
 * (`com.example.notes.note`, written in-process), the list is read back from
 * it, and the page updates live when a note arrives from anywhere else
 * (another app writing to the same repository over XRPC), through
 * `pds.on('commit')` and Server-Sent Events.
 *
 * The host keeps its own routes before and after Hearth's, its own front
 * page (Hearth's is turned off in the options, see main.ts), and its own
 * table of users, filled by the `accountCreated` event.
 *
 * @example
 * const pds = await createPds({ ...options, pages: { frontPage: false, name: 'Notes' } })
 * const notes = createNotesApp(pds)
 * serve({ fetch: notes.app.fetch, port: 3000 })
 */
import { Hono } from 'hono'
import { html } from 'hono/html'
import { streamSSE } from 'hono/streaming'
import { InvalidRecord, type CommitEventOp, type Pds, type PdsVariables } from '../../src/index.js'

export const NOTE = 'com.example.notes.note'

export interface Note {
  uri: string
  text: string
  createdAt: string
}

export interface NotesApp {
  app: Hono<{ Variables: PdsVariables }>
  /** The host's own record of its users, filled as Hearth makes accounts. */
  users: Map<string, { handle: string; since: string }>
  /** Every note written to any repository, as the host's event handler saw it. */
  seen: { did: string; uri: string; text: string }[]
}

export function createNotesApp(pds: Pds): NotesApp {
  const users = new Map<string, { handle: string; since: string }>()
  const seen: NotesApp['seen'] = []
  const listeners = new Set<(did: string, op: CommitEventOp) => void>()

  pds.on('accountCreated', ({ did, handle }) => void users.set(did, { handle, since: new Date().toISOString() }))
  pds.on('commit', (e) => {
    for (const op of e.ops) {
      if (op.collection !== NOTE || op.action !== 'create') continue
      seen.push({ did: e.did, uri: op.uri, text: String(op.record?.text ?? '') })
      for (const l of listeners) l(e.did, op)
    }
  })

  const app = new Hono<{ Variables: PdsVariables }>()
  app.use('*', pds.session())

  // The host's own routes, before Hearth's.
  app.get('/', (c) =>
    c.html(html`<!doctype html><title>Notes</title><h1>Notes</h1>
      ${c.var.hearth ? html`<p>Signed in as <a href="/notes">${c.var.hearth.handle}</a></p>` : html`<p><a id="sign-in" href="${pds.signInUrl('/notes', { provider: 'github' })}">Sign in with GitHub</a> to start writing.</p>`}`),
  )

  app.get('/notes', pds.requireSignIn({ provider: 'github' }), async (c) => {
    const me = c.var.hearth!
    const notes = await listNotes(pds, me.did)
    return c.html(html`<!doctype html><title>Your notes</title>
      <h1>Your notes</h1>
      <p>Signed in as <span data-handle>${me.handle}</span> (<code data-did>${me.did}</code>)</p>
      <form method="post" action="/notes"><input name="text" aria-label="Note" required /><button>Save</button></form>
      <ul id="notes">${notes.map((n) => html`<li data-uri="${n.uri}">${n.text}</li>`)}</ul>
      <script>
        new EventSource('/notes/live').addEventListener('note', (e) => {
          const note = JSON.parse(e.data)
          if (document.querySelector('[data-uri="' + CSS.escape(note.uri) + '"]')) return
          const li = document.createElement('li')
          li.dataset.uri = note.uri
          li.textContent = note.text
          document.getElementById('notes').prepend(li)
        })
      </script>`)
  })

  app.post('/notes', pds.requireSignIn(), async (c) => {
    const form = await c.req.parseBody()
    const text = typeof form.text === 'string' ? form.text.trim() : ''
    try {
      await saveNote(pds, c.var.hearth!.did, text)
    } catch (err) {
      if (err instanceof InvalidRecord) return c.text(`Not saved: ${err.message}`, 400)
      throw err
    }
    return c.redirect('/notes', 303)
  })

  // Live: each note written to this person's repository, from anywhere.
  app.get('/notes/live', pds.requireSignIn(), (c) =>
    streamSSE(c, async (stream) => {
      const did = c.var.hearth!.did
      const send = (from: string, op: CommitEventOp) => {
        if (from === did) void stream.writeSSE({ event: 'note', data: JSON.stringify({ uri: op.uri, text: op.record?.text ?? '' }) })
      }
      listeners.add(send)
      stream.onAbort(() => void listeners.delete(send))
      while (!stream.aborted) await stream.sleep(15_000)
    }),
  )

  app.get('/api/notes', pds.requireSignIn(), async (c) => c.json({ notes: await listNotes(pds, c.var.hearth!.did) }))

  app.route('/', pds.app)

  // And after Hearth's: still the host's.
  app.get('/about', (c) => c.text('A notes app; your notes live in your own AT Protocol repository.'))

  return { app, users, seen }
}

export async function saveNote(pds: Pds, did: string, text: string) {
  return pds.repo.createRecord(did, { collection: NOTE, record: { $type: NOTE, text, createdAt: new Date().toISOString() } })
}

export async function listNotes(pds: Pds, did: string): Promise<Note[]> {
  const { records } = await pds.repo.listRecords(did, NOTE, { limit: 100 })
  return records.map((r) => ({ uri: r.uri, text: String(r.value.text ?? ''), createdAt: String(r.value.createdAt ?? '') }))
}
