/**
 * A real SMTP server (smtp-server) on loopback that keeps every message it
 * is sent, for tests of the mail Hearth (or the reference PDS) sends. It
 * asks for a login when given `auth`, so tests see that the credentials of
 * the SMTP URL are used.
 *
 * @example
 * const inbox = await startSmtpInbox()
 * // HEARTH_SMTP_URL = inbox.url
 * const mail = await inbox.next((m) => m.to.includes('alice@example.com'))
 * mail.text // the body, quoted-printable decoded
 */
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  from: string
  to: string[]
  /** The raw message as it arrived. */
  raw: string
  /** Headers and body with quoted-printable soft breaks and escapes undone (good enough to find a code in). */
  text: string
  subject: string
}

export interface SmtpInbox {
  url: string
  port: number
  messages: ReceivedMail[]
  /** The first message (already here or still to come) that `match` accepts. */
  next(match?: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>
  close(): Promise<void>
}

export async function startSmtpInbox(opts: { auth?: { user: string; pass: string } } = {}): Promise<SmtpInbox> {
  const messages: ReceivedMail[] = []
  const waiters: (() => void)[] = []
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return cb(null, { user: auth.username })
      cb(new Error('Invalid username or password'))
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const text = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          text,
          subject: /^Subject: (.*)$/im.exec(raw)?.[1]?.trim() ?? '',
        })
        for (const w of waiters.splice(0)) w()
        cb()
      })
    },
    logger: false,
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as AddressInfo).port
  const credentials = opts.auth ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@` : ''
  return {
    url: `smtp://${credentials}127.0.0.1:${port}`,
    port,
    messages,
    async next(match = () => true, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = messages.find(match)
        if (found) return found
        if (Date.now() > deadline) throw new Error(`no matching mail within ${timeoutMs} ms (${messages.length} received)`)
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 500)
        })
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
