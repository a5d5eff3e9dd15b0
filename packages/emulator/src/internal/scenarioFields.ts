/**
 * The schemas of the fields scenarios share: a choice of literals whose error names every choice, the legacy error
 * codes, `Retry-After`, a repeat count, an HTTP status, a rate and a latency range. `Scenario.ts` builds its tagged
 * structs from them; nothing here knows a scenario.
 *
 * @internal
 */
import * as Schema from "effect/Schema"

/** Literals whose error names every choice. @internal */
export const oneOf = <const L extends ReadonlyArray<string>>(...literals: L) =>
  Schema.Literal(...literals).annotations({
    message: () => ({ message: `expected one of ${literals.map((l) => JSON.stringify(l)).join(", ")}`, override: true })
  })

/** The error codes of the legacy HTTP API (`results[].error`), in the order of FCM's documentation. @internal */
export const legacyErrorCodes = [
  "MissingRegistration",
  "InvalidRegistration",
  "NotRegistered",
  "InvalidPackageName",
  "MismatchSenderId",
  "MessageTooBig",
  "InvalidDataKey",
  "InvalidTtl",
  "Unavailable",
  "InternalServerError",
  "DeviceMessageRateExceeded",
  "TopicsMessageRateExceeded",
  "InvalidApnsCredential"
] as const

/** A `Retry-After`: seconds, written as an integer or as an HTTP-date. @internal */
export interface RetryAfter {
  readonly seconds: number
  readonly format: "seconds" | "http-date"
}

const RetryAfterObject = Schema.Struct({
  seconds: Schema.NonNegative,
  format: oneOf("seconds", "http-date")
})

/** A `Retry-After` from its JSON form: a number of seconds, or the object. @internal */
export const RetryAfter: Schema.Schema<RetryAfter, number | RetryAfter> = Schema.Union(
  RetryAfterObject,
  Schema.transform(Schema.NonNegative, Schema.typeSchema(RetryAfterObject), {
    strict: true,
    decode: (seconds) => ({ seconds, format: "seconds" as const }),
    encode: (retryAfter) => retryAfter.seconds
  })
).annotations({
  message: () => ({
    message: "expected a number of seconds or { seconds, format: \"seconds\" | \"http-date\" }",
    override: true
  })
})

/** A `Retry-After` given as seconds or as the object, for the named constructors. @internal */
export const retryAfterOf = (input: number | RetryAfter | undefined): RetryAfter | undefined =>
  input === undefined ? undefined : typeof input === "number" ? { seconds: input, format: "seconds" } : input

/** How many times a transient error answers before the message is delivered; always when left out. @internal */
export const times = Schema.optionalWith(Schema.NonNegative, { default: () => Infinity })

/** An optional `Retry-After`. @internal */
export const retryAfter = Schema.optionalWith(Schema.UndefinedOr(RetryAfter), { default: () => undefined })

/** An HTTP status, `fallback` when left out. @internal */
export const status = (fallback: number) =>
  Schema.optionalWith(Schema.Int.pipe(Schema.between(100, 599)), { default: () => fallback })

/** A probability of a mix. @internal */
export const rate = Schema.optional(Schema.NonNegative)

/** `{ min, max }` milliseconds; `max` is `min` when left out. @internal */
export const LatencyRange = Schema.transform(
  Schema.Struct({
    min: Schema.optionalWith(Schema.NonNegative, { default: () => 0 }),
    max: Schema.optional(Schema.NonNegative)
  }),
  Schema.Struct({ min: Schema.NonNegative, max: Schema.NonNegative }),
  {
    strict: true,
    decode: ({ max, min }) => ({ min, max: max ?? min }),
    encode: (range) => range
  }
)
