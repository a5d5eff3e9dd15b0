/**
 * A protocol's governor from its layer's options: checked (a bad value is a `ConfigError` naming the field), built
 * once per layer so that every client of the layer shares it.
 *
 * @internal
 */
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Governor from "../Governor.js"
import { checkPositiveInt } from "./http.js"

const checkPositive = (field: string, value: number | undefined): Effect.Effect<void, ConfigError.ConfigError> =>
  value === undefined || (Number.isFinite(value) && value > 0)
    ? Effect.void
    : Effect.fail(ConfigError.InvalidData([field], `${field} must be a positive number, got ${String(value)}`))

/** @internal */
export const fromOptions = (
  options: Governor.Options | false | undefined,
  defaults: { readonly cap: number; readonly initial: number; readonly protocol: string }
): Effect.Effect<Governor.Governor | undefined, ConfigError.ConfigError> => {
  if (options === false) return Effect.succeed(undefined)
  const o = options ?? {}
  return Effect.gen(function*() {
    yield* checkPositive("governor.perMinute", o.perMinute)
    yield* checkPositive("governor.burst", o.burst)
    if (o.initial !== undefined) yield* checkPositiveInt("governor.initial", o.initial)
    if (o.min !== undefined) yield* checkPositiveInt("governor.min", o.min)
    return yield* Governor.make({ initial: defaults.initial, ...o, cap: defaults.cap, protocol: defaults.protocol })
  })
}
