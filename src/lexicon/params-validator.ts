/**
 * A per-method check of XRPC query parameters, built once from the method's
 * lexicon and giving the same answers as `Lexicons.assertValidXrpcParams`
 * (same values, same defaults, same messages; params-validator.test.ts
 * compares the two over every query and procedure Hearth serves).
 *
 * Why not call the lexicon package per request: it looks the definition up
 * again and runs every property through its validator even when the
 * property is absent, building a ValidationError for each optional parameter
 * left out and then throwing it away; on getRecord that was ~5% of the
 * request. Here an absent property costs a lookup, and a present one is
 * handed to the lexicon package's own validator for its type, so formats,
 * lengths, bounds and known values are checked by the code that defines them.
 *
 * @example
 * const check = compileParamsValidator(lexicons, 'com.atproto.repo.getRecord')
 * const params = check({ repo, collection, rkey }) // throws like the lexicon package
 */
import type { Lexicons, LexXrpcParameters, LexArray, LexUserType, ValidationResult } from '@atproto/lexicon'
import { ValidationError } from '@atproto/lexicon'
// The package's per-type validators (it has no exports map; these are what assertValidXrpcParams runs).
import { validate as validatePrimitive } from '@atproto/lexicon/dist/validators/primitives.js'
import { array as validateArray } from '@atproto/lexicon/dist/validators/complex.js'

export type ParamsValidator = (params: Record<string, unknown>) => Record<string, unknown> | undefined

interface PropCheck {
  key: string
  required: boolean
  /** The lexicon's default, applied when the parameter is absent. */
  fallback: unknown
  check: (value: unknown) => ValidationResult
}

export function compileParamsValidator(lexicons: Lexicons, nsid: string): ParamsValidator {
  const def = lexicons.getDef(nsid) as { type?: string; parameters?: LexXrpcParameters } | undefined
  if (!def || !['query', 'procedure', 'subscription'].includes(def.type ?? '')) {
    // Whatever the package would do with an unknown or odd definition, let it do it.
    return (params) => lexicons.assertValidXrpcParams(nsid, params) as Record<string, unknown> | undefined
  }
  const parameters = def.parameters
  if (!parameters) return () => undefined
  const required = new Set(parameters.required ?? [])
  const checks: PropCheck[] = []
  if (typeof parameters.properties === 'object') {
    for (const key in parameters.properties) {
      const prop = parameters.properties[key] as LexUserType
      checks.push({
        key,
        required: required.has(key),
        fallback: defaultOf(prop),
        check:
          prop.type === 'array'
            ? (v) => validateArray(lexicons, key, prop as LexArray, v)
            : (v) => validatePrimitive(lexicons, key, prop, v),
      })
    }
  }
  return (params) => {
    let result = params
    for (const c of checks) {
      const value = params[c.key]
      if (value === undefined) {
        if (c.fallback !== undefined) {
          if (result === params) result = { ...params }
          result[c.key] = c.fallback
        } else if (c.required) {
          throw new ValidationError(`Params must have the property "${c.key}"`)
        }
        continue
      }
      const res = c.check(value)
      if (!res.success) throw res.error
      if (res.value !== value) {
        if (result === params) result = { ...params }
        result[c.key] = res.value
      }
    }
    return result
  }
}

/** The value the package's validator returns for an absent property of this type. */
function defaultOf(prop: LexUserType): unknown {
  const d = (prop as { default?: unknown }).default
  if (prop.type === 'boolean') return typeof d === 'boolean' ? d : undefined
  if (prop.type === 'integer') return typeof d === 'number' ? d : undefined
  if (prop.type === 'string') return typeof d === 'string' ? d : undefined
  return undefined
}
