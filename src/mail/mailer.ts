/**
 * Hearth's outgoing mail, on only where HEARTH_SMTP_URL and
 * HEARTH_EMAIL_FROM are set: one nodemailer transport, one function per
 * kind of message. Today that is the confirmation code for a PLC operation
 * (an account moving away), the one message the reference PDS mails for a
 * flow Hearth serves; the page flow (/account/move) works with or without it.
 *
 * What is logged of a message: its kind and the recipient's domain. Never
 * the code, never the SMTP URL (it may carry a password); a failure logs
 * nodemailer's message and code, which name neither.
 */
import nodemailer, { type Transporter } from 'nodemailer'
import type { MailConfig } from '../config.js'
import type { Logger } from '../logger.js'
import { HearthError } from '../errors/hearth-error.js'

export interface Mailer {
  /** Mails the code signPlcOperation takes; throws an 'upstream-failed' HearthError when the SMTP server refuses it. */
  sendPlcOperationCode(to: string, code: { token: string; expiresAt: Date }, serverName: string): Promise<void>
  close(): void
}

/** A Mailer when mail is configured, else null. */
export function createMailer(config: MailConfig | undefined, logger: Logger): Mailer | null {
  if (!config) return null
  const transport: Transporter = nodemailer.createTransport(config.smtpUrl, { from: config.from })
  const send = async (kind: string, to: string, subject: string, text: string) => {
    const domain = to.slice(to.lastIndexOf('@') + 1)
    try {
      await transport.sendMail({ to, subject, text })
      logger.info({ mail: kind, toDomain: domain }, 'mail sent')
    } catch (err) {
      const e = err as { message?: string; code?: string; responseCode?: number }
      logger.warn({ mail: kind, toDomain: domain, code: e.code, responseCode: e.responseCode, message: e.message }, 'mail not sent')
      throw new HearthError('upstream-failed', 'MailNotSent', 'The confirmation email could not be sent; try again later, or make the code on the "Move your account" page')
    }
  }
  return {
    async sendPlcOperationCode(to, code, serverName) {
      const until = code.expiresAt.toISOString().slice(11, 16)
      await send(
        'plc-operation-code',
        to,
        `${serverName}: your confirmation code for moving your account`,
        [
          'You (or an app you use) asked to move your account to another server.',
          '',
          `Your confirmation code: ${code.token}`,
          '',
          `It works once and expires at ${until} UTC. If you did not ask for it, ignore this email: nothing changes without the code.`,
        ].join('\n'),
      )
    },
    close: () => transport.close(),
  }
}
