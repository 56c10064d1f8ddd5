/**
 * The operator settings in loadConfig: where the control socket goes, when it
 * is off, and the rate-limit defaults (the reference PDS's budgets).
 */
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'

describe('operator configuration', () => {
  it('the control socket defaults to <data>/control.sock and follows an overridden data folder', () => {
    expect(loadConfig({ HEARTH_DATA_DIR: '/srv/hearth' }).controlSocket).toBe('/srv/hearth/control.sock')
    expect(loadConfig({}, { dataDir: '/tmp/elsewhere' }).controlSocket).toBe('/tmp/elsewhere/control.sock')
    expect(loadConfig({ HEARTH_CONTROL_SOCKET: '/run/hearth.sock' }, { dataDir: '/tmp/x' }).controlSocket).toBe('/run/hearth.sock')
    expect(loadConfig({ HEARTH_CONTROL_SOCKET: 'off' }).controlSocket).toBeNull()
  })

  it('a socket path too long for a Unix socket: an explicit one stops start-up, a default one is switched off', () => {
    const deep = '/' + 'd'.repeat(120)
    expect(() => loadConfig({ HEARTH_CONTROL_SOCKET: path.join(deep, 's.sock') })).toThrow(ConfigError)
    expect(() => loadConfig({ HEARTH_CONTROL_SOCKET: path.join(deep, 's.sock') })).toThrow(/HEARTH_CONTROL_SOCKET/)
    expect(loadConfig({ HEARTH_DATA_DIR: deep }).controlSocket).toBeNull()
  })

  it('rate limits: reference defaults, on unless HEARTH_RATE_LIMITS=off, bad numbers named', () => {
    const { rateLimits, metricsPublic, trustProxy } = loadConfig({})
    expect(rateLimits).toMatchObject({ enabled: true, writePointsPerHour: 5000, writePointsPerDay: 35000, signInFailures: 30 })
    expect(rateLimits.ingestPointsPerHour).toBeGreaterThan(rateLimits.writePointsPerHour)
    expect(metricsPublic).toBe(false)
    expect(trustProxy).toBe(false)
    expect(loadConfig({ HEARTH_RATE_LIMITS: 'off' }).rateLimits.enabled).toBe(false)
    expect(() => loadConfig({ HEARTH_RATE_WRITE_POINTS_HOUR: 'lots' })).toThrow(/HEARTH_RATE_WRITE_POINTS_HOUR/)
    expect(() => loadConfig({ HEARTH_METRICS_PUBLIC: 'maybe' })).toThrow(/HEARTH_METRICS_PUBLIC/)
  })
})
