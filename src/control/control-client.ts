/**
 * Talking to a running Hearth through its control socket (for the CLI and
 * for tests): plain HTTP over the Unix socket.
 *
 * @example
 * const control = new ControlClient('/srv/hearth/control.sock')
 * const { accounts } = await control.json('GET', '/accounts')
 */
import http from 'node:http'

export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly headers: http.IncomingHttpHeaders = {},
  ) {
    super(message)
    this.name = 'ControlError'
  }
}

export class ControlClient {
  constructor(readonly socketPath: string) {}

  /** Sends a request; resolves to the raw response (status and body stream). */
  request(method: string, path: string, body?: unknown, rawType?: string): Promise<http.IncomingMessage> {
    const payload = body === undefined ? undefined : rawType ? Buffer.from(body as Uint8Array) : Buffer.from(JSON.stringify(body))
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: payload ? { 'content-type': rawType ?? 'application/json', 'content-length': payload.length } : {},
        },
        resolve,
      )
      req.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
          reject(new ControlError(0, 'NoServer', `No Hearth is listening on ${this.socketPath} (${err.code}): is it running, with this data folder?`))
        } else if (err.code === 'EACCES') {
          reject(new ControlError(0, 'NoAccess', `Not allowed to open ${this.socketPath}: run as the user that runs Hearth`))
        } else reject(err)
      })
      req.end(payload)
    })
  }

  /** POSTs raw bytes (a file) and parses the JSON answer; a non-2xx answer throws ControlError. */
  async upload<T = any>(path: string, bytes: Uint8Array, contentType: string): Promise<T> {
    return this.parse<T>(await this.request('POST', path, bytes, contentType))
  }

  /** Sends a request and parses the JSON answer; a non-2xx answer throws ControlError. */
  async json<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    return this.parse<T>(await this.request(method, path, body))
  }

  private async parse<T>(res: http.IncomingMessage): Promise<T> {
    const text = await readAll(res)
    let parsed: any
    try {
      parsed = text.length ? JSON.parse(text) : undefined
    } catch {
      parsed = undefined
    }
    if (!res.statusCode || res.statusCode >= 300) {
      throw new ControlError(res.statusCode ?? 0, parsed?.error ?? 'Error', parsed?.message ?? (text.slice(0, 300) || `HTTP ${res.statusCode}`), res.headers)
    }
    return parsed as T
  }

  /** Sends a request and returns its text; a non-2xx answer throws ControlError. */
  async text(method: string, path: string): Promise<string> {
    const res = await this.request(method, path)
    const text = await readAll(res)
    if (!res.statusCode || res.statusCode >= 300) throw new ControlError(res.statusCode ?? 0, 'Error', text.slice(0, 300))
    return text
  }
}

async function readAll(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
