/**
 * Structured JSON logs (pino). Anything that could carry a secret is
 * redacted by path, so a careless `logger.info({ req })` cannot leak it.
 */
import pino from 'pino'

export type Logger = pino.Logger

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'hearth' },
    redact: {
      paths: [
        'password',
        '*.password',
        'accessJwt',
        'refreshJwt',
        '*.accessJwt',
        '*.refreshJwt',
        'headers.authorization',
        '*.headers.authorization',
        'secret',
        '*.secret',
      ],
      censor: '[redacted]',
    },
  })
}
