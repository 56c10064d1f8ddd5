import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.js'

/** The ConfigError `env` causes, or a failure if it loads. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error(`loaded without complaint: ${JSON.stringify(env)}`)
}

describe('loadConfig', () => {
  it('has a default for everything: nothing set gives a server that can start', () => {
    const c = loadConfig({})
    expect(c.port).toBe(2583)
    expect(c.dataDir).toBe(path.resolve('./data'))
    expect(c.publicUrl).toBe('http://localhost:2583')
    expect(c.hostname).toBe('localhost')
    expect(c.serviceDid).toBe('did:web:localhost%3A2583')
    // "localhost" is one label, not a handle suffix.
    expect(c.handleDomains).toEqual(['.test'])
    expect(c.plcUrl).toBeUndefined()
    expect(c.registration).toBe('invite')
    expect(c.secrets).toEqual({ jwtSecret: undefined, keyEncryptionKey: undefined, plcRotationKey: undefined })
    expect(c.dbSynchronous).toBe('NORMAL')
  })

  it('the public URL follows the port, and names the handle domain and service DID', () => {
    expect(loadConfig({ HEARTH_PORT: '8080' }).publicUrl).toBe('http://localhost:8080')
    const c = loadConfig({ HEARTH_PUBLIC_URL: 'https://pds.example.com/' })
    expect(c.publicUrl).toBe('https://pds.example.com')
    expect(c.hostname).toBe('pds.example.com')
    expect(c.serviceDid).toBe('did:web:pds.example.com')
    expect(c.handleDomains).toEqual(['.pds.example.com'])
    // An IP address is no handle suffix either.
    expect(loadConfig({ HEARTH_PUBLIC_URL: 'http://127.0.0.1:2583' }).handleDomains).toEqual(['.test'])
  })

  it('reads every documented setting', () => {
    const c = loadConfig({
      HEARTH_PORT: '3000',
      HEARTH_HOST: '127.0.0.1',
      HEARTH_DATA_DIR: '/var/lib/hearth',
      HEARTH_PUBLIC_URL: 'https://example.com',
      HEARTH_HANDLE_DOMAIN: '.example.com, .example.org',
      HEARTH_PLC_URL: 'http://127.0.0.1:2582',
      HEARTH_REGISTRATION: 'closed',
      HEARTH_JWT_SECRET: 'j'.repeat(32),
      HEARTH_KEY_ENCRYPTION_KEY: 'AB'.repeat(32),
      HEARTH_PLC_ROTATION_KEY: '01'.repeat(32),
      HEARTH_DB_SYNC: 'FULL',
      HEARTH_VALIDATE_OUTPUT: 'yes',
      HEARTH_LOG_LEVEL: 'warn',
      HEARTH_ACCESS_TTL: '600',
    })
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      dataDir: '/var/lib/hearth',
      publicUrl: 'https://example.com',
      handleDomains: ['.example.com', '.example.org'],
      plcUrl: 'http://127.0.0.1:2582',
      registration: 'closed',
      secrets: { jwtSecret: 'j'.repeat(32), keyEncryptionKey: 'ab'.repeat(32), plcRotationKey: '01'.repeat(32) },
      dbSynchronous: 'FULL',
      validateOutput: true,
      logLevel: 'warn',
      accessTokenTtlSec: 600,
    })
  })

  it('overrides win over the environment', () => {
    const c = loadConfig({ HEARTH_PORT: '3000', HEARTH_REGISTRATION: 'closed' }, { registration: 'open' })
    expect(c.port).toBe(3000)
    expect(c.registration).toBe('open')
  })

  const bad: [string, string][] = [
    ['HEARTH_PORT', 'abc'],
    ['HEARTH_PORT', '-1'],
    ['HEARTH_PORT', '65536'],
    ['HEARTH_PORT', '80.5'],
    ['HEARTH_PORT', ' 80'],
    ['HEARTH_REGISTRATION', 'maybe'],
    ['HEARTH_REGISTRATION', 'OPEN'],
    ['HEARTH_PUBLIC_URL', 'localhost:2583'],
    ['HEARTH_PUBLIC_URL', 'ftp://example.com'],
    ['HEARTH_PUBLIC_URL', 'https://example.com/pds'],
    ['HEARTH_PLC_URL', 'not a url'],
    ['HEARTH_PLC_URL', 'https://plc.directory/?x=1'],
    ['HEARTH_HANDLE_DOMAIN', 'example.com'],
    ['HEARTH_HANDLE_DOMAIN', '.Example.com'],
    ['HEARTH_HANDLE_DOMAIN', '.test,'],
    ['HEARTH_JWT_SECRET', 'too short'],
    ['HEARTH_KEY_ENCRYPTION_KEY', 'abcd'],
    ['HEARTH_KEY_ENCRYPTION_KEY', 'g'.repeat(64)],
    ['HEARTH_PLC_ROTATION_KEY', '00'.repeat(32)],
    ['HEARTH_PLC_ROTATION_KEY', 'ff'.repeat(32)],
    ['HEARTH_DB_SYNC', 'OFF'],
    ['HEARTH_VALIDATE_OUTPUT', 'maybe'],
    ['HEARTH_LOG_LEVEL', 'verbose'],
    ['HEARTH_MAX_JSON_BYTES', '10'],
    ['HEARTH_ACCESS_TTL', '1'],
  ]
  for (const [name, value] of bad) {
    it(`refuses ${name}=${JSON.stringify(value)}, naming the variable`, () => {
      const err = configError({ [name]: value })
      expect(err.message.startsWith(`${name}: `)).toBe(true)
    })
  }

  it('mail: off unless both HEARTH_SMTP_URL and HEARTH_EMAIL_FROM are set, each checked, the URL never echoed', () => {
    expect(loadConfig({}).mail).toBeUndefined()
    expect(loadConfig({ HEARTH_SMTP_URL: 'smtps://u:p@mail.example.com:465', HEARTH_EMAIL_FROM: 'Hearth <noreply@example.com>' }).mail).toEqual({
      smtpUrl: 'smtps://u:p@mail.example.com:465',
      from: 'Hearth <noreply@example.com>',
    })
    expect(configError({ HEARTH_SMTP_URL: 'smtp://mail.example.com' }).message).toMatch(/^HEARTH_EMAIL_FROM: must be set/)
    expect(configError({ HEARTH_EMAIL_FROM: 'noreply@example.com' }).message).toMatch(/^HEARTH_SMTP_URL: must be set/)
    const wrongScheme = configError({ HEARTH_SMTP_URL: 'https://user:hunter2@mail.example.com', HEARTH_EMAIL_FROM: 'noreply@example.com' })
    expect(wrongScheme.message).toMatch(/^HEARTH_SMTP_URL: must start with smtp/)
    expect(wrongScheme.message).not.toContain('hunter2')
    expect(configError({ HEARTH_SMTP_URL: 'not a url', HEARTH_EMAIL_FROM: 'noreply@example.com' }).message).toMatch(/^HEARTH_SMTP_URL: /)
    expect(configError({ HEARTH_SMTP_URL: 'smtp://mail.example.com', HEARTH_EMAIL_FROM: 'noreply' }).message).toMatch(/^HEARTH_EMAIL_FROM: /)
  })

  it('an empty value means unset (the default)', () => {
    expect(loadConfig({ HEARTH_PORT: '', HEARTH_REGISTRATION: '', HEARTH_PLC_URL: '' })).toMatchObject({
      port: 2583,
      registration: 'invite',
      plcUrl: undefined,
    })
  })

  it('the README documents every setting issue 2 asks for, with its default', () => {
    const readme = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../README.md'), 'utf8')
    const rows = new Map(
      readme
        .split('\n')
        .filter((l) => l.startsWith('| `HEARTH_'))
        .map((l) => [l.split('`')[1], l]),
    )
    const expected: Record<string, string> = {
      HEARTH_PORT: '2583',
      HEARTH_DATA_DIR: './data',
      HEARTH_PUBLIC_URL: 'http://localhost:<port>',
      HEARTH_HANDLE_DOMAIN: '.test',
      HEARTH_PLC_URL: 'embedded',
      HEARTH_REGISTRATION: 'invite',
      HEARTH_JWT_SECRET: 'generated',
      HEARTH_KEY_ENCRYPTION_KEY: 'generated',
      HEARTH_PLC_ROTATION_KEY: 'generated',
    }
    for (const [name, mention] of Object.entries(expected)) {
      expect(rows.get(name), name).toBeDefined()
      expect(rows.get(name), name).toContain(mention)
    }
  })
})

describe('loadConfig: services calls are forwarded to', () => {
  const appView = { HEARTH_APPVIEW_URL: 'https://api.bsky.app', HEARTH_APPVIEW_DID: 'did:web:api.bsky.app' }

  it('reads the AppView and chat service, both halves or neither', () => {
    const c = loadConfig({ ...appView, HEARTH_CHAT_URL: 'https://api.bsky.chat', HEARTH_CHAT_DID: 'did:web:api.bsky.chat', HEARTH_PROXY_TIMEOUT_MS: '5000' })
    expect(c.appView).toEqual({ url: 'https://api.bsky.app', did: 'did:web:api.bsky.app' })
    expect(c.chat).toEqual({ url: 'https://api.bsky.chat', did: 'did:web:api.bsky.chat' })
    expect(c.proxyTimeoutMs).toBe(5000)
    expect(loadConfig({}).appView).toBeUndefined()
    expect(loadConfig({}).proxyAllowHttpLoopback).toBe(false)
    expect(configError({ HEARTH_APPVIEW_URL: 'https://api.bsky.app' }).message).toMatch(/^HEARTH_APPVIEW_DID/)
    expect(configError({ HEARTH_CHAT_DID: 'did:web:api.bsky.chat' }).message).toMatch(/^HEARTH_CHAT_URL/)
  })

  it('refuses a bad DID, a DID with a fragment, and plain http unless loopback development is on', () => {
    expect(configError({ ...appView, HEARTH_APPVIEW_DID: 'api.bsky.app' }).message).toMatch(/^HEARTH_APPVIEW_DID/)
    expect(configError({ ...appView, HEARTH_APPVIEW_DID: 'did:web:api.bsky.app#bsky_appview' }).message).toMatch(/^HEARTH_APPVIEW_DID.*fragment/)
    expect(configError({ ...appView, HEARTH_APPVIEW_URL: 'http://localhost:2584' }).message).toMatch(/^HEARTH_APPVIEW_URL.*https/)
    expect(configError({ ...appView, HEARTH_APPVIEW_URL: 'http://appview.example', HEARTH_PROXY_ALLOW_HTTP_LOOPBACK: 'true' }).message).toMatch(/^HEARTH_APPVIEW_URL.*loopback/)
    expect(loadConfig({ ...appView, HEARTH_APPVIEW_URL: 'http://localhost:2584', HEARTH_PROXY_ALLOW_HTTP_LOOPBACK: 'true' }).appView!.url).toBe('http://localhost:2584')
  })
})
