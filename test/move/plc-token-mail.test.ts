/**
 * With mail configured (HEARTH_SMTP_URL + HEARTH_EMAIL_FROM),
 * requestPlcOperationSignature mails the confirmation code to the account's
 * address, as the reference does: a real SMTP server on loopback (with a
 * login) receives it, the code is read out of the message and
 * signPlcOperation takes it, once. Hearth runs as its own process so its
 * logs can be read: they hold neither the code nor the SMTP password. A
 * refusing SMTP server is a clear 502, and the page's code still works.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AtpAgent } from '@atproto/api'
import { freePort, startTestPlc, startTestServer } from '../helpers/test-server.js'
import { startChildServer, type ChildServer } from '../helpers/child-server.js'
import { startSmtpInbox, type SmtpInbox } from '../helpers/smtp-inbox.js'
import type { EmbeddedPlc } from '../../src/identity/embedded-plc.js'

const SMTP_USER = 'hearth-mailer'
const SMTP_PASS = 'smtp-secret-Zq81x'
const CODE = /\b[A-Z2-7]{5}-[A-Z2-7]{5}\b/

describe('the PLC confirmation code by email', () => {
  let plc: EmbeddedPlc
  let inbox: SmtpInbox
  let hearth: ChildServer
  let dataDir: string

  beforeAll(async () => {
    plc = await startTestPlc()
    inbox = await startSmtpInbox({ auth: { user: SMTP_USER, pass: SMTP_PASS } })
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-mail-'))
    const port = await freePort()
    hearth = await startChildServer({
      HEARTH_DATA_DIR: dataDir,
      HEARTH_PORT: String(port),
      HEARTH_HOST: '127.0.0.1',
      HEARTH_PUBLIC_URL: `http://localhost:${port}`,
      HEARTH_PLC_URL: plc.url,
      HEARTH_HANDLE_DOMAIN: '.test',
      HEARTH_REGISTRATION: 'open',
      HEARTH_RATE_LIMITS: 'off',
      HEARTH_LOG_LEVEL: 'debug',
      HEARTH_SMTP_URL: inbox.url,
      HEARTH_EMAIL_FROM: 'Hearth <noreply@hearth.test>',
    })
  }, 120_000)

  afterAll(async () => {
    await hearth?.kill('SIGKILL')
    await inbox?.close()
    await plc?.close()
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it('mails the code to the account, and signPlcOperation takes it once', async () => {
    const agent = new AtpAgent({ service: hearth.url })
    await agent.createAccount({ handle: 'mailed.test', password: 'mailed-password-1', email: 'mailed@example.com' })
    await agent.com.atproto.identity.requestPlcOperationSignature()
    const mail = await inbox.next((m) => m.to.includes('mailed@example.com'))
    expect(mail.from).toBe('noreply@hearth.test')
    expect(mail.raw).toMatch(/^From: Hearth <noreply@hearth\.test>/m)
    expect(mail.subject).toContain('confirmation code')
    const token = CODE.exec(mail.text)?.[0]
    expect(token).toBeTruthy()

    const signed = (await agent.com.atproto.identity.signPlcOperation({ token })).data.operation as Record<string, unknown>
    expect(signed).toMatchObject({ type: 'plc_operation', prev: expect.any(String), sig: expect.any(String) })
    // Once only.
    await expect(agent.com.atproto.identity.signPlcOperation({ token })).rejects.toMatchObject({ error: 'InvalidToken' })

    // A new request mails a new code, which replaces the one before.
    await agent.com.atproto.identity.requestPlcOperationSignature()
    await inbox.next((m) => inbox.messages.filter((x) => x.to.includes('mailed@example.com')).length === 2)
    const second = CODE.exec(inbox.messages.filter((x) => x.to.includes('mailed@example.com'))[1].text)![0]
    expect(second).not.toBe(token)

    // The logs say a mail went out, and hold neither a code nor the SMTP password.
    // The SMTP server may have the message a moment before Hearth logs that it went out.
    const sent = () => hearth.logs().filter((l) => l.msg === 'mail sent').length
    const deadline = Date.now() + 30_000
    while (sent() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    const output = hearth.output()
    expect(output).not.toContain(token)
    expect(output).not.toContain(second)
    expect(output).not.toContain(SMTP_PASS)
    expect(hearth.logs().filter((l) => l.msg === 'mail sent')).toEqual([
      expect.objectContaining({ mail: 'plc-operation-code', toDomain: 'example.com' }),
      expect.objectContaining({ mail: 'plc-operation-code', toDomain: 'example.com' }),
    ])
  }, 120_000)

  it('an SMTP server that refuses the login is a clear 502, and nothing else changes', async () => {
    const server = await startTestServer({
      plc,
      env: { HEARTH_SMTP_URL: inbox.url.replace(SMTP_PASS, 'wrong-password'), HEARTH_EMAIL_FROM: 'noreply@hearth.test' },
    })
    try {
      const alice = await server.createAccount('alice')
      const before = inbox.messages.length
      await expect(alice.agent.com.atproto.identity.requestPlcOperationSignature()).rejects.toMatchObject({ status: 502, error: 'MailNotSent' })
      expect(inbox.messages.length).toBe(before)
      // An account without an address gets no mail, and no error: its code is on the page.
      const bare = server.agent()
      await bare.createAccount({ handle: 'bare.test', password: 'bare-password-1' })
      await bare.com.atproto.identity.requestPlcOperationSignature()
      expect(inbox.messages.length).toBe(before)
    } finally {
      await server.close({ removeData: true })
    }
  }, 120_000)
})
