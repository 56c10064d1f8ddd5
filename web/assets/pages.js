// Hearth's pages work without this script; it adds what needs one: the phone
// menu, copy buttons, finding keys in long JSON, and the live activity list.
'use strict'
document.documentElement.classList.add('js')

document.addEventListener('DOMContentLoaded', () => {
  // Phone menu: the button shows or hides the page links.
  for (const button of document.querySelectorAll('[data-menu-toggle]')) {
    const nav = document.getElementById(button.getAttribute('aria-controls'))
    if (!nav) continue
    button.addEventListener('click', () => {
      const open = nav.classList.toggle('open')
      button.setAttribute('aria-expanded', String(open))
    })
  }

  // Copy buttons: copy the text of the element they name.
  for (const button of document.querySelectorAll('[data-copy]')) {
    button.hidden = false
    button.addEventListener('click', async () => {
      const source = document.getElementById(button.getAttribute('data-copy'))
      const status = button.parentElement.querySelector('[data-copied]')
      try {
        await navigator.clipboard.writeText(source.textContent.trim())
        if (status) status.textContent = 'Copied.'
      } catch {
        const range = document.createRange()
        range.selectNodeContents(source)
        getSelection().removeAllRanges()
        getSelection().addRange(range)
        if (status) status.textContent = 'Selected: press Ctrl+C (⌘C) to copy.'
      }
    })
  }

  // Key search: open every folded part of the JSON whose key contains the words, mark them, hide records without one.
  for (const form of document.querySelectorAll('[data-key-search]')) {
    const input = form.querySelector('input')
    const status = form.querySelector('[data-search-status]')
    const run = () => {
      const wanted = input.value.trim().toLowerCase()
      let records = 0
      let hits = 0
      for (const record of document.querySelectorAll('[data-record]')) {
        let found = false
        for (const el of record.querySelectorAll('[data-key]')) {
          const hit = wanted !== '' && el.getAttribute('data-key').toLowerCase().includes(wanted)
          el.classList.toggle('hit', hit)
          if (hit) {
            found = true
            hits++
            for (let up = el; up && up !== record; up = up.parentElement) if (up.tagName === 'DETAILS') up.open = true
          }
        }
        record.hidden = wanted !== '' && !found
        if (found) records++
      }
      if (status) status.textContent = wanted ? `${hits} ${hits === 1 ? 'key' : 'keys'} in ${records} ${records === 1 ? 'record' : 'records'} on this page` : ''
    }
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      run()
    })
    input.addEventListener('input', run)
    if (input.value) run()
  }

  // Live activity: new events arrive over Server-Sent Events and go on top of the list.
  const list = document.querySelector('[data-activity-stream]')
  if (list && 'EventSource' in window) {
    const status = document.querySelector('[data-live-status]')
    const url = new URL(list.getAttribute('data-activity-stream'), location.href)
    url.searchParams.set('seq', list.getAttribute('data-seq') || '0')
    url.searchParams.set('read', list.getAttribute('data-read') || '0')
    const source = new EventSource(url)
    source.addEventListener('open', () => { if (status) status.textContent = 'Live: new activity appears here as it happens.' })
    source.addEventListener('error', () => { if (status) status.textContent = 'Reconnecting…' })
    source.addEventListener('activity', (e) => {
      const item = JSON.parse(e.data)
      if (document.getElementById(item.id)) return
      const li = document.createElement('li')
      li.id = item.id
      li.dataset.kind = item.kind
      const what = document.createElement('span')
      what.className = 'what'
      what.textContent = item.title
      const detail = document.createElement('span')
      detail.textContent = item.detail
      const when = document.createElement('span')
      when.className = 'muted'
      when.textContent = item.when
      li.append(what, detail, when)
      list.prepend(li)
      const empty = document.querySelector('[data-field=no-activity]')
      if (empty) empty.remove()
      while (list.children.length > 100) list.lastElementChild.remove()
    })
  }

  // A move coming in: poll its status, fill in the counts, reload when it reaches another step.
  const move = document.querySelector('[data-move-in-status]')
  if (move && move.getAttribute('data-state') === 'running') {
    const url = move.getAttribute('data-move-in-status')
    const poll = async () => {
      try {
        const res = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' })
        if (res.ok) {
          const s = await res.json()
          if (s.state !== move.getAttribute('data-state')) return location.reload()
          const fields = move.querySelector('[data-field=progress]')
          if (s.progress && !fields) return location.reload()
          if (s.progress) {
            const set = (name, value) => { const el = move.querySelector(`[data-progress=${name}]`); if (el) el.textContent = String(value) }
            set('phase', s.phaseLabel)
            set('records', s.progress.records)
            set('blobs', s.progress.blobs.done)
            set('blobs-total', s.progress.blobs.total)
            set('bytes', s.progress.bytes)
          }
        }
      } catch {}
      setTimeout(poll, 1500)
    }
    setTimeout(poll, 1000)
  }
})
