/**
 * Scenarios decide how the emulator answers a message: delivered, rejected
 * with one of FCM's error codes, slowed down, or broken at the transport level.
 *
 * A scenario can be attached to a token, to a token prefix (the longest prefix
 * wins), to everything (the default), or to the next requests on a route. The
 * same scenario value drives both protocols: the legacy `/fcm/send` API turns
 * per-token outcomes into entries of its `results` array, the HTTP v1 API turns
 * them into whole responses.
 *
 * @since 0.1.0
 */

/**
 * The error codes of the legacy HTTP API (`results[].error`).
 *
 * @since 0.1.0
 * @category models
 */
export type LegacyErrorCode =
  | "MissingRegistration"
  | "InvalidRegistration"
  | "NotRegistered"
  | "InvalidPackageName"
  | "MismatchSenderId"
  | "MessageTooBig"
  | "InvalidDataKey"
  | "InvalidTtl"
  | "Unavailable"
  | "InternalServerError"
  | "DeviceMessageRateExceeded"
  | "TopicsMessageRateExceeded"
  | "InvalidApnsCredential"

/**
 * Every legacy error code, in the order of FCM's documentation.
 *
 * @since 0.1.0
 * @category constants
 */
export const legacyErrorCodes: ReadonlyArray<LegacyErrorCode> = [
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
]

/**
 * The value of a `Retry-After` header: a number of seconds, written either as
 * an integer (`Retry-After: 5`) or as an HTTP-date computed from the time of
 * the request (`Retry-After: Thu, 01 Jan 1970 00:00:05 GMT`).
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryAfter {
  readonly seconds: number
  readonly format: "seconds" | "http-date"
}

/**
 * A `Retry-After` given either as seconds or as a full {@link RetryAfter}.
 *
 * @since 0.1.0
 * @category models
 */
export type RetryAfterInput = number | RetryAfter

/**
 * Where a transient error applies in the legacy API: `"token"` puts it in the
 * token's entry of a 200 response (`{"error":"Unavailable"}`), `"request"`
 * answers the whole request with a 5xx. The HTTP v1 API sends one message per
 * request, so both give the same response there.
 *
 * @since 0.1.0
 * @category models
 */
export type Level = "token" | "request"

/**
 * The message is accepted and delivered.
 *
 * @since 0.1.0
 * @category models
 */
export interface Delivered {
  readonly _tag: "Delivered"
}

/**
 * The message is delivered, but the token has a newer canonical form
 * (legacy: `registration_id` in the result; v1: plain success).
 *
 * @since 0.1.0
 * @category models
 */
export interface Canonical {
  readonly _tag: "Canonical"
  readonly registrationId: string | undefined
}

/**
 * The token is no longer registered (legacy `NotRegistered`, v1 404
 * `UNREGISTERED`).
 *
 * @since 0.1.0
 * @category models
 */
export interface NotRegistered {
  readonly _tag: "NotRegistered"
}

/**
 * The token is malformed (legacy `InvalidRegistration`, v1 400
 * `INVALID_ARGUMENT` with a field violation on `message.token`).
 *
 * @since 0.1.0
 * @category models
 */
export interface InvalidToken {
  readonly _tag: "InvalidToken"
}

/**
 * The token belongs to another sender (legacy `MismatchSenderId`, v1 403
 * `SENDER_ID_MISMATCH`).
 *
 * @since 0.1.0
 * @category models
 */
export interface SenderMismatch {
  readonly _tag: "SenderMismatch"
}

/**
 * APNs or Web Push credentials are missing or invalid (legacy
 * `InvalidApnsCredential`, v1 401 `THIRD_PARTY_AUTH_ERROR`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ThirdPartyAuthError {
  readonly _tag: "ThirdPartyAuthError"
}

/**
 * Any legacy error code; the v1 API answers with the matching v1 error.
 *
 * @since 0.1.0
 * @category models
 */
export interface LegacyError {
  readonly _tag: "LegacyError"
  readonly code: LegacyErrorCode
}

/**
 * The service is unavailable `times` times for each token (counted per token
 * across requests), then the message is delivered.
 *
 * @since 0.1.0
 * @category models
 */
export interface Unavailable {
  readonly _tag: "Unavailable"
  readonly times: number
  readonly retryAfter: RetryAfter | undefined
  readonly level: Level
}

/**
 * An internal server error `times` times per token, then delivered.
 *
 * @since 0.1.0
 * @category models
 */
export interface InternalError {
  readonly _tag: "InternalError"
  readonly times: number
  readonly retryAfter: RetryAfter | undefined
  readonly level: Level
}

/**
 * A 429 `times` times per token, then delivered. `"message"` is the FCM
 * message-rate error (v1 `QUOTA_EXCEEDED` FcmError; legacy
 * `DeviceMessageRateExceeded`, or `TopicsMessageRateExceeded` for topics and
 * conditions). `"project"` is the project quota: v1 `RESOURCE_EXHAUSTED` with
 * an `ErrorInfo` of reason `RATE_LIMIT_EXCEEDED` and no FcmError detail; the
 * legacy API answers the whole request with 429.
 *
 * @since 0.1.0
 * @category models
 */
export interface QuotaExceeded {
  readonly _tag: "QuotaExceeded"
  readonly times: number
  readonly retryAfter: RetryAfter | undefined
  readonly variant: "message" | "project"
}

/**
 * Answers as `then` does, `millis` milliseconds later.
 *
 * @since 0.1.0
 * @category models
 */
export interface Latency {
  readonly _tag: "Latency"
  readonly millis: number
  readonly then: Scenario
}

/**
 * The n-th request for a token is answered by the n-th step; the last step
 * repeats.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sequence {
  readonly _tag: "Sequence"
  readonly steps: ReadonlyArray<Scenario>
}

/**
 * The probabilities of each outcome in a {@link Mix}; what is left up to 1 is
 * delivered.
 *
 * @since 0.1.0
 * @category models
 */
export interface MixRates {
  readonly unavailable?: number
  readonly internalError?: number
  readonly quotaExceeded?: number
  readonly notRegistered?: number
  readonly invalidToken?: number
  readonly senderMismatch?: number
  readonly thirdPartyAuthError?: number
  readonly canonical?: number
  readonly reset?: number
  readonly goAway?: number
  readonly hang?: number
  readonly malformedJson?: number
  readonly htmlError?: number
  readonly emptyBody?: number
}

/**
 * A seeded random mix of outcomes for load and fault tests. The outcome of the
 * n-th request for a token depends only on the seed, the token and n, so a
 * run is reproducible, and a token that drew a transient failure gets a fresh
 * draw when it is retried.
 *
 * @since 0.1.0
 * @category models
 */
export interface Mix {
  readonly _tag: "Mix"
  readonly seed: number
  readonly rates: MixRates
  readonly retryAfter: RetryAfter | undefined
  readonly latency: { readonly min: number; readonly max: number } | undefined
}

/**
 * The connection (HTTP/1.1) or the stream (HTTP/2, RST_STREAM CANCEL) is
 * reset without an answer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reset {
  readonly _tag: "Reset"
}

/**
 * The request is never answered (until the client gives up or the emulator
 * stops).
 *
 * @since 0.1.0
 * @category models
 */
export interface Hang {
  readonly _tag: "Hang"
}

/**
 * The HTTP/2 session is closed with a GOAWAY frame, after answering this
 * request (`respond: true`) or instead of answering it. Over HTTP/1.1 the
 * connection is closed.
 *
 * @since 0.1.0
 * @category models
 */
export interface GoAway {
  readonly _tag: "GoAway"
  readonly respond: boolean
}

/**
 * A JSON content type with a truncated, unparseable body.
 *
 * @since 0.1.0
 * @category models
 */
export interface MalformedJson {
  readonly _tag: "MalformedJson"
  readonly status: number
}

/**
 * An HTML error page of Google's front end (by default "Error 502 (Server
 * Error)").
 *
 * @since 0.1.0
 * @category models
 */
export interface HtmlError {
  readonly _tag: "HtmlError"
  readonly status: number
  readonly retryAfter: RetryAfter | undefined
}

/**
 * A response with no body.
 *
 * @since 0.1.0
 * @category models
 */
export interface EmptyBody {
  readonly _tag: "EmptyBody"
  readonly status: number
}

/**
 * The credentials are rejected: legacy 401 HTML page; v1 401
 * `UNAUTHENTICATED` (with an `ErrorInfo` of reason `ACCESS_TOKEN_EXPIRED` when
 * `expired`); the token endpoint answers `invalid_grant`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Unauthenticated {
  readonly _tag: "Unauthenticated"
  readonly expired: boolean
}

/**
 * The request is rejected as malformed: legacy 400 with a text explanation,
 * v1 400 `INVALID_ARGUMENT` without details.
 *
 * @since 0.1.0
 * @category models
 */
export interface BadRequest {
  readonly _tag: "BadRequest"
  readonly message: string
}

/**
 * @since 0.1.0
 * @category models
 */
export type Scenario =
  | Delivered
  | Canonical
  | NotRegistered
  | InvalidToken
  | SenderMismatch
  | ThirdPartyAuthError
  | LegacyError
  | Unavailable
  | InternalError
  | QuotaExceeded
  | Latency
  | Sequence
  | Mix
  | Reset
  | Hang
  | GoAway
  | MalformedJson
  | HtmlError
  | EmptyBody
  | Unauthenticated
  | BadRequest

/**
 * The scenarios that answer a whole request, whatever its targets.
 *
 * @since 0.1.0
 * @category models
 */
export type RequestFault = Reset | Hang | GoAway | MalformedJson | HtmlError | EmptyBody | Unauthenticated | BadRequest

/**
 * @since 0.1.0
 * @category refinements
 */
export const isRequestFault = (scenario: Scenario): scenario is RequestFault => {
  switch (scenario._tag) {
    case "Reset":
    case "Hang":
    case "GoAway":
    case "MalformedJson":
    case "HtmlError":
    case "EmptyBody":
    case "Unauthenticated":
    case "BadRequest":
      return true
    default:
      return false
  }
}

const retryAfterOf = (input: RetryAfterInput | undefined): RetryAfter | undefined =>
  input === undefined ? undefined : typeof input === "number" ? { seconds: input, format: "seconds" } : input

/**
 * @since 0.1.0
 * @category constructors
 */
export const retryAfterSeconds = (seconds: number): RetryAfter => ({ seconds, format: "seconds" })

/**
 * A `Retry-After` written as an HTTP-date, `seconds` after the request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const retryAfterDate = (seconds: number): RetryAfter => ({ seconds, format: "http-date" })

/**
 * @since 0.1.0
 * @category constructors
 */
export const delivered: Scenario = { _tag: "Delivered" }

/**
 * @since 0.1.0
 * @category constructors
 */
export const canonical = (registrationId?: string): Scenario => ({ _tag: "Canonical", registrationId })

/**
 * @since 0.1.0
 * @category constructors
 */
export const notRegistered: Scenario = { _tag: "NotRegistered" }

/**
 * @since 0.1.0
 * @category constructors
 */
export const invalidToken: Scenario = { _tag: "InvalidToken" }

/**
 * @since 0.1.0
 * @category constructors
 */
export const senderMismatch: Scenario = { _tag: "SenderMismatch" }

/**
 * @since 0.1.0
 * @category constructors
 */
export const thirdPartyAuthError: Scenario = { _tag: "ThirdPartyAuthError" }

/**
 * @since 0.1.0
 * @category constructors
 */
export const legacyError = (code: LegacyErrorCode): Scenario => ({ _tag: "LegacyError", code })

/**
 * Options of the transient errors. `times` defaults to always.
 *
 * @since 0.1.0
 * @category models
 */
export interface TransientOptions {
  readonly times?: number
  readonly retryAfter?: RetryAfterInput
  readonly level?: Level
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const unavailable = (options: TransientOptions = {}): Scenario => ({
  _tag: "Unavailable",
  times: options.times ?? Infinity,
  retryAfter: retryAfterOf(options.retryAfter),
  level: options.level ?? "token"
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const internalError = (options: TransientOptions = {}): Scenario => ({
  _tag: "InternalError",
  times: options.times ?? Infinity,
  retryAfter: retryAfterOf(options.retryAfter),
  level: options.level ?? "token"
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const quotaExceeded = (
  options: {
    readonly times?: number
    readonly retryAfter?: RetryAfterInput
    readonly variant?: "message" | "project"
  } = {}
): Scenario => ({
  _tag: "QuotaExceeded",
  times: options.times ?? Infinity,
  retryAfter: retryAfterOf(options.retryAfter),
  variant: options.variant ?? "message"
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const latency = (millis: number, then: Scenario = delivered): Scenario => ({ _tag: "Latency", millis, then })

/**
 * @since 0.1.0
 * @category constructors
 */
export const sequence = (...steps: ReadonlyArray<Scenario>): Scenario => ({
  _tag: "Sequence",
  steps: steps.length === 0 ? [delivered] : steps
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const mix = (options: {
  readonly seed: number
  readonly rates: MixRates
  readonly retryAfter?: RetryAfterInput
  readonly latency?: { readonly min: number; readonly max: number }
}): Scenario => ({
  _tag: "Mix",
  seed: options.seed,
  rates: options.rates,
  retryAfter: retryAfterOf(options.retryAfter),
  latency: options.latency
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const reset: Scenario = { _tag: "Reset" }

/**
 * @since 0.1.0
 * @category constructors
 */
export const hang: Scenario = { _tag: "Hang" }

/**
 * @since 0.1.0
 * @category constructors
 */
export const goAway = (options: { readonly respond?: boolean } = {}): Scenario => ({
  _tag: "GoAway",
  respond: options.respond ?? false
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const malformedJson = (options: { readonly status?: number } = {}): Scenario => ({
  _tag: "MalformedJson",
  status: options.status ?? 200
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const htmlError = (
  options: { readonly status?: number; readonly retryAfter?: RetryAfterInput } = {}
): Scenario => ({
  _tag: "HtmlError",
  status: options.status ?? 502,
  retryAfter: retryAfterOf(options.retryAfter)
})

/**
 * Google's "Error 502 (Server Error)" HTML page.
 *
 * @since 0.1.0
 * @category constructors
 */
export const htmlBadGateway: Scenario = htmlError()

/**
 * @since 0.1.0
 * @category constructors
 */
export const emptyBody = (options: { readonly status?: number } = {}): Scenario => ({
  _tag: "EmptyBody",
  status: options.status ?? 200
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const unauthenticated = (options: { readonly expired?: boolean } = {}): Scenario => ({
  _tag: "Unauthenticated",
  expired: options.expired ?? false
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const badRequest = (message = "Request contains an invalid argument."): Scenario => ({
  _tag: "BadRequest",
  message
})

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const num = (o: Record<string, unknown>, key: string): number | undefined => {
  const v = o[key]
  return typeof v === "number" && Number.isFinite(v) ? v : undefined
}

const decodeRetryAfter = (u: unknown): RetryAfter | undefined | string => {
  if (u === undefined) return undefined
  if (typeof u === "number" && u >= 0) return retryAfterSeconds(u)
  if (isRecord(u) && typeof u.seconds === "number" && (u.format === "seconds" || u.format === "http-date")) {
    return { seconds: u.seconds, format: u.format }
  }
  return "retryAfter must be a number of seconds or { seconds, format }"
}

/**
 * Reads a scenario from its JSON form (the same shape as the values built by
 * the constructors, e.g. `{"_tag":"Unavailable","times":2,"retryAfter":5}`);
 * used by the emulator's control routes and command line. Missing fields take
 * the constructors' defaults. Returns an error message for invalid input.
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromJson = (u: unknown): Scenario | string => {
  if (typeof u === "string") {
    return u === "htmlBadGateway" ? htmlBadGateway : fromJson({ _tag: u.charAt(0).toUpperCase() + u.slice(1) })
  }
  if (!isRecord(u) || typeof u._tag !== "string") return "a scenario must be an object with a _tag"
  const retryAfter = decodeRetryAfter(u.retryAfter)
  if (typeof retryAfter === "string") return retryAfter
  const times = num(u, "times")
  const level = u.level === "request" ? "request" : "token"
  const base = { ...(times !== undefined ? { times } : {}), ...(retryAfter ? { retryAfter } : {}) }
  switch (u._tag) {
    case "Delivered":
      return delivered
    case "Canonical":
      return canonical(typeof u.registrationId === "string" ? u.registrationId : undefined)
    case "NotRegistered":
      return notRegistered
    case "InvalidToken":
      return invalidToken
    case "SenderMismatch":
      return senderMismatch
    case "ThirdPartyAuthError":
      return thirdPartyAuthError
    case "LegacyError":
      return typeof u.code === "string" && (legacyErrorCodes as ReadonlyArray<string>).includes(u.code)
        ? legacyError(u.code as LegacyErrorCode)
        : `unknown legacy error code ${JSON.stringify(u.code)}`
    case "Unavailable":
      return unavailable({ ...base, level })
    case "InternalError":
      return internalError({ ...base, level })
    case "QuotaExceeded":
      return quotaExceeded({ ...base, variant: u.variant === "project" ? "project" : "message" })
    case "Latency": {
      const then = u.then === undefined ? delivered : fromJson(u.then)
      if (typeof then === "string") return then
      return latency(num(u, "millis") ?? 0, then)
    }
    case "Sequence": {
      if (!Array.isArray(u.steps)) return "a Sequence needs steps"
      const steps: Array<Scenario> = []
      for (const step of u.steps) {
        const s = fromJson(step)
        if (typeof s === "string") return s
        steps.push(s)
      }
      return sequence(...steps)
    }
    case "Mix": {
      const seed = num(u, "seed")
      if (seed === undefined || !isRecord(u.rates)) return "a Mix needs a numeric seed and rates"
      const rates: Record<string, number> = {}
      for (const [k, v] of Object.entries(u.rates)) {
        if (typeof v !== "number" || v < 0) return `rate ${k} must be a non-negative number`
        rates[k] = v
      }
      const lat = isRecord(u.latency) ? u.latency : undefined
      return mix({
        seed,
        rates,
        ...(retryAfter ? { retryAfter } : {}),
        ...(lat ? { latency: { min: num(lat, "min") ?? 0, max: num(lat, "max") ?? num(lat, "min") ?? 0 } } : {})
      })
    }
    case "Reset":
      return reset
    case "Hang":
      return hang
    case "GoAway":
      return goAway({ respond: u.respond === true })
    case "MalformedJson":
      return malformedJson({ status: num(u, "status") ?? 200 })
    case "HtmlError":
      return htmlError({ status: num(u, "status") ?? 502, ...(retryAfter ? { retryAfter } : {}) })
    case "EmptyBody":
      return emptyBody({ status: num(u, "status") ?? 200 })
    case "Unauthenticated":
      return unauthenticated({ expired: u.expired === true })
    case "BadRequest":
      return badRequest(typeof u.message === "string" ? u.message : undefined)
    default:
      return `unknown scenario ${JSON.stringify(u._tag)}`
  }
}
