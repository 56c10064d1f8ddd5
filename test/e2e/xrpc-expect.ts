/**
 * Assertions shared by the end-to-end files: an XRPC call must fail with an
 * exact status and error name, in the standard `{ error, message }` shape.
 *
 * @example
 * await expectXrpcError(agent.com.atproto.repo.getRecord({ ... }), 400, 'RecordNotFound')
 * await expectErrorResponse(await fetch(url), 405, 'InvalidRequest')
 */
import { expect } from 'vitest'
import { XRPCError } from '@atproto/api'

/** Awaits `call`, which must throw an XRPCError with this status and error name. */
export async function expectXrpcError(call: Promise<unknown>, status: number, error: string): Promise<XRPCError> {
  let thrown: unknown
  try {
    await call
  } catch (err) {
    thrown = err
  }
  expect(thrown, `expected ${status} ${error}, but the call succeeded`).toBeInstanceOf(XRPCError)
  const err = thrown as XRPCError
  expect({ status: err.status, error: err.error }).toEqual({ status, error })
  expect(typeof err.message).toBe('string')
  expect(err.message.length).toBeGreaterThan(0)
  return err
}

/** Checks a raw fetch Response: this status, a JSON body `{ error, message }` with this error name. */
export async function expectErrorResponse(res: Response, status: number, error: string): Promise<{ error: string; message: string }> {
  const text = await res.text()
  expect({ status: res.status, body: text }).toMatchObject({ status })
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/)
  const body = JSON.parse(text) as { error: string; message: string }
  expect(body.error).toBe(error)
  expect(typeof body.message).toBe('string')
  expect(body.message.length).toBeGreaterThan(0)
  return body
}
