import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from './config.js'
import { loadSecrets } from './secrets.js'

const dirs: string[] = []
afterEach(() => {
  while (dirs.length) fs.rmSync(dirs.pop()!, { recursive: true, force: true })
})

function freshConfig(env: Record<string, string> = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-secrets-'))
  dirs.push(dataDir)
  return loadConfig({ HEARTH_DATA_DIR: dataDir, HEARTH_CONTROL_SOCKET: 'off', ...env })
}

const names = ['jwt-secret', 'key-encryption-key', 'plc-rotation-key']

describe('loadSecrets', () => {
  it('makes each secret once, private, and reuses it', () => {
    const config = freshConfig()
    const first = loadSecrets(config)
    const dir = path.join(config.dataDir, 'secrets')
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
    expect(fs.readdirSync(dir).sort()).toEqual([...names].sort())
    for (const name of names) {
      expect(fs.statSync(path.join(dir, name)).mode & 0o777).toBe(0o600)
      expect(fs.readFileSync(path.join(dir, name), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/)
    }
    expect(first.keyEncryptionKey.length).toBe(32)
    expect(first.plcRotationKey.length).toBe(32)
    expect(first.jwtSecret.length).toBe(64)
    const second = loadSecrets(config)
    expect(Buffer.from(second.jwtSecret)).toEqual(Buffer.from(first.jwtSecret))
    expect(second.keyEncryptionKey).toEqual(first.keyEncryptionKey)
    expect(Buffer.from(second.plcRotationKey)).toEqual(Buffer.from(first.plcRotationKey))
  })

  it('uses secrets from the environment and writes none of them', () => {
    const config = freshConfig({
      HEARTH_JWT_SECRET: 'x'.repeat(40),
      HEARTH_KEY_ENCRYPTION_KEY: '11'.repeat(32),
      HEARTH_PLC_ROTATION_KEY: '22'.repeat(32),
    })
    const secrets = loadSecrets(config)
    expect(new TextDecoder().decode(secrets.jwtSecret)).toBe('x'.repeat(40))
    expect(secrets.keyEncryptionKey.toString('hex')).toBe('11'.repeat(32))
    expect(Buffer.from(secrets.plcRotationKey).toString('hex')).toBe('22'.repeat(32))
    expect(fs.readdirSync(path.join(config.dataDir, 'secrets'))).toEqual([])
  })

  it('refuses a damaged secret file (e.g. left empty by a crash) instead of running with it', () => {
    for (const name of names) {
      const config = freshConfig()
      const dir = path.join(config.dataDir, 'secrets')
      fs.mkdirSync(dir, { mode: 0o700 })
      fs.writeFileSync(path.join(dir, name), '', { mode: 0o600 })
      expect(() => loadSecrets(config), name).toThrow(new RegExp(`${name} does not hold a valid secret`))
      // …and never replaces it.
      expect(fs.readFileSync(path.join(dir, name), 'utf8')).toBe('')
    }
  })

  it('makes a secret restored readable by others private again, keeping its value', () => {
    const config = freshConfig()
    const dir = path.join(config.dataDir, 'secrets')
    fs.mkdirSync(dir, { mode: 0o755 })
    fs.writeFileSync(path.join(dir, 'key-encryption-key'), 'ab'.repeat(32) + '\n', { mode: 0o644 })
    fs.chmodSync(path.join(dir, 'key-encryption-key'), 0o644)
    expect(loadSecrets(config).keyEncryptionKey.toString('hex')).toBe('ab'.repeat(32))
    expect(fs.statSync(path.join(dir, 'key-encryption-key')).mode & 0o777).toBe(0o600)
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
  })
})
