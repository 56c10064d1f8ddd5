/**
 * Reads a response body whole, but never more than `maxBytes` of it: a
 * declared length past the limit is refused before reading, and a body that
 * grows past it is cancelled as soon as it does (documents named by
 * strangers: client metadata, JWKS, permission sets). Its loop,
 * readChunksWithin, is also what the proxy reads upstream error bodies with
 * and what the XRPC edge reads bodies of unknown length with.
 *
 * @example
 * const bytes = await readBodyWithin(await fetchPublic(url), 64 * 1024)
 */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the answer is larger than ${maxBytes} bytes`)
  }
}

export async function readBodyWithin(res: Response, maxBytes: number): Promise<Uint8Array> {
  if (Number(res.headers.get('content-length') ?? 0) > maxBytes) {
    await res.body?.cancel().catch(() => {})
    throw new BodyTooLargeError(maxBytes)
  }
  const reader = res.body?.getReader()
  if (!reader) return new Uint8Array()
  const bytes = await readChunksWithin(reader, maxBytes)
  if (!bytes) {
    await reader.cancel().catch(() => {})
    throw new BodyTooLargeError(maxBytes)
  }
  return bytes
}

/**
 * Reads a stream to its end as one buffer, or stops at the first chunk that
 * takes it past `maxBytes` and answers null. The reader is the caller's
 * then: cancel it, or drain it (a client still sending should get its 413).
 *
 * @example
 * const bytes = await readChunksWithin(body.getReader(), 1024 * 1024)   // null: too large
 */
export async function readChunksWithin(reader: ReadableStreamDefaultReader<Uint8Array>, maxBytes: number): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > maxBytes) return null
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}
