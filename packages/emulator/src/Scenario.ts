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
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * const code: Scenario.LegacyErrorCode = "MismatchSenderId"
 * const Fake = FcmFake.layer({ scenarios: { tokens: { "other-sender": Scenario.legacyError(code) } } })
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * // one token per legacy error code, each answered with its code
 * const tokens = Object.fromEntries(Scenario.legacyErrorCodes.map((code) => [code, Scenario.legacyError(code)]))
 * assert.strictEqual(Object.keys(tokens).length, 13)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const retryAfter: Scenario.RetryAfter = { seconds: 30, format: "http-date" }
 * assert.deepStrictEqual(Scenario.retryAfterDate(30), retryAfter)
 * const busy = Scenario.unavailable({ times: 1, retryAfter })
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const inSeconds: Scenario.RetryAfterInput = 5
 * const asDate: Scenario.RetryAfterInput = Scenario.retryAfterDate(5)
 * const scenarios = [Scenario.unavailable({ retryAfter: inSeconds }), Scenario.unavailable({ retryAfter: asDate })]
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * // legacy: a 503 page for the whole request instead of an error in the token's result
 * const level: Scenario.Level = "request"
 * const outage = Scenario.unavailable({ times: 1, level })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Level = "token" | "request"

/**
 * The message is accepted and delivered.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const delivered: Scenario.Delivered = { _tag: "Delivered" }
 * assert.deepStrictEqual(Scenario.fromJson("delivered"), delivered)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const canonical: Scenario.Canonical = { _tag: "Canonical", registrationId: "new-token" }
 * assert.deepStrictEqual(Scenario.canonical("new-token"), canonical)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const notRegistered: Scenario.NotRegistered = { _tag: "NotRegistered" }
 * assert.deepStrictEqual(Scenario.fromJson("notRegistered"), notRegistered)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const invalidToken: Scenario.InvalidToken = { _tag: "InvalidToken" }
 * assert.deepStrictEqual(Scenario.fromJson({ _tag: "InvalidToken" }), invalidToken)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const senderMismatch: Scenario.SenderMismatch = { _tag: "SenderMismatch" }
 * assert.deepStrictEqual(Scenario.fromJson("senderMismatch"), senderMismatch)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const apnsRejected: Scenario.ThirdPartyAuthError = { _tag: "ThirdPartyAuthError" }
 * assert.deepStrictEqual(Scenario.thirdPartyAuthError, apnsRejected)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const tooBig: Scenario.LegacyError = { _tag: "LegacyError", code: "MessageTooBig" }
 * assert.deepStrictEqual(Scenario.fromJson({ _tag: "LegacyError", code: "MessageTooBig" }), tooBig)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const busy: Scenario.Unavailable = {
 *   _tag: "Unavailable", times: 2, retryAfter: { seconds: 5, format: "seconds" }, level: "token"
 * }
 * assert.deepStrictEqual(Scenario.unavailable({ times: 2, retryAfter: 5 }), busy)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const broken: Scenario.InternalError = { _tag: "InternalError", times: 1, retryAfter: undefined, level: "token" }
 * assert.deepStrictEqual(Scenario.internalError({ times: 1 }), broken)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const projectQuota: Scenario.QuotaExceeded = {
 *   _tag: "QuotaExceeded", times: 1, retryAfter: { seconds: 60, format: "seconds" }, variant: "project"
 * }
 * assert.deepStrictEqual(Scenario.quotaExceeded({ times: 1, retryAfter: 60, variant: "project" }), projectQuota)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const slow: Scenario.Latency = { _tag: "Latency", millis: 250, then: Scenario.delivered }
 * assert.deepStrictEqual(Scenario.latency(250), slow)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * // first attempt reset, second 503, then delivered for every later attempt
 * const flaky: Scenario.Sequence = {
 *   _tag: "Sequence",
 *   steps: [Scenario.reset, Scenario.unavailable(), Scenario.delivered]
 * }
 * assert.deepStrictEqual(Scenario.sequence(Scenario.reset, Scenario.unavailable(), Scenario.delivered), flaky)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * // 1% unavailable, 0.1% not registered, 0.01% connection resets, the rest delivered
 * const rates: Scenario.MixRates = { unavailable: 0.01, notRegistered: 0.001, reset: 0.0001 }
 * const load = Scenario.mix({ seed: 42, rates })
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const load: Scenario.Mix = {
 *   _tag: "Mix", seed: 42, rates: { unavailable: 0.01 }, retryAfter: undefined, latency: { min: 5, max: 50 }
 * }
 * assert.deepStrictEqual(Scenario.mix({ seed: 42, rates: { unavailable: 0.01 }, latency: { min: 5, max: 50 } }), load)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const reset: Scenario.Reset = { _tag: "Reset" }
 * assert.deepStrictEqual(Scenario.fromJson("reset"), reset)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const hang: Scenario.Hang = { _tag: "Hang" }
 * assert.deepStrictEqual(Scenario.fromJson("hang"), hang)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * // answer this request, then close the HTTP/2 session
 * const goAway: Scenario.GoAway = { _tag: "GoAway", respond: true }
 * assert.deepStrictEqual(Scenario.goAway({ respond: true }), goAway)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const truncated: Scenario.MalformedJson = { _tag: "MalformedJson", status: 200 }
 * assert.deepStrictEqual(Scenario.malformedJson(), truncated)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const unavailablePage: Scenario.HtmlError = { _tag: "HtmlError", status: 503, retryAfter: undefined }
 * assert.deepStrictEqual(Scenario.htmlError({ status: 503 }), unavailablePage)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const empty: Scenario.EmptyBody = { _tag: "EmptyBody", status: 502 }
 * assert.deepStrictEqual(Scenario.emptyBody({ status: 502 }), empty)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const expired: Scenario.Unauthenticated = { _tag: "Unauthenticated", expired: true }
 * assert.deepStrictEqual(Scenario.unauthenticated({ expired: true }), expired)
 * ```
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const bad: Scenario.BadRequest = { _tag: "BadRequest", message: "Invalid JSON payload received." }
 * assert.deepStrictEqual(Scenario.badRequest("Invalid JSON payload received."), bad)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface BadRequest {
  readonly _tag: "BadRequest"
  readonly message: string
}

/**
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const describe = (scenario: Scenario.Scenario): string =>
 *   scenario._tag === "Latency" ? `${describe(scenario.then)}, ${scenario.millis} ms late` : scenario._tag
 * assert.strictEqual(describe(Scenario.latency(100, Scenario.notRegistered)), "NotRegistered, 100 ms late")
 * ```
 *
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const faults: ReadonlyArray<Scenario.RequestFault> = [
 *   { _tag: "Reset" },
 *   { _tag: "Hang" },
 *   { _tag: "GoAway", respond: false }
 * ]
 * assert.ok(faults.every(Scenario.isRequestFault))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type RequestFault = Reset | Hang | GoAway | MalformedJson | HtmlError | EmptyBody | Unauthenticated | BadRequest

/**
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * assert.ok(Scenario.isRequestFault(Scenario.reset)) // answers the whole request
 * assert.ok(!Scenario.isRequestFault(Scenario.notRegistered)) // answers one token
 * ```
 *
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * assert.deepStrictEqual(Scenario.retryAfterSeconds(5), { seconds: 5, format: "seconds" }) // Retry-After: 5
 * const busy = Scenario.unavailable({ times: 1, retryAfter: Scenario.retryAfterSeconds(5) })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const retryAfterSeconds = (seconds: number): RetryAfter => ({ seconds, format: "seconds" })

/**
 * A `Retry-After` written as an HTTP-date, `seconds` after the request.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * // Retry-After: <the time of the request + 5 s, as an HTTP-date>
 * const busy = Scenario.unavailable({ times: 1, retryAfter: Scenario.retryAfterDate(5) })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const retryAfterDate = (seconds: number): RetryAfter => ({ seconds, format: "http-date" })

/**
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * // delivered is the default; this makes a prefix of otherwise failing tokens succeed
 * const Fake = FcmFake.layer({
 *   scenarios: { default: Scenario.notRegistered, prefixes: { "live-": Scenario.delivered } }
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const delivered: Scenario = { _tag: "Delivered" }

/**
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * // legacy answers carry registration_id: "new-phone-1" for "old-phone-1"
 * const Fake = FcmFake.layer({ scenarios: { tokens: { "old-phone-1": Scenario.canonical("new-phone-1") } } })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const canonical = (registrationId?: string): Scenario => ({ _tag: "Canonical", registrationId })

/**
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * // every token starting with "stale-" was uninstalled
 * const Fake = FcmFake.layer({ scenarios: { prefixes: { "stale-": Scenario.notRegistered } } })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const notRegistered: Scenario = { _tag: "NotRegistered" }

/**
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * const Fake = FcmFake.layer({ scenarios: { tokens: { "not-a-token": Scenario.invalidToken } } })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const invalidToken: Scenario = { _tag: "InvalidToken" }

/**
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * const Fake = FcmFake.layer({ scenarios: { prefixes: { "other-app-": Scenario.senderMismatch } } })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const senderMismatch: Scenario = { _tag: "SenderMismatch" }

/**
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * // the APNs certificate of the iOS app is missing
 * const Fake = FcmFake.layer({ scenarios: { prefixes: { "ios-": Scenario.thirdPartyAuthError } } })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const thirdPartyAuthError: Scenario = { _tag: "ThirdPartyAuthError" }

/**
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * const Fake = FcmFake.layer({
 *   scenarios: { tokens: { "phone-1": Scenario.legacyError("DeviceMessageRateExceeded") } }
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const legacyError = (code: LegacyErrorCode): Scenario => ({ _tag: "LegacyError", code })

/**
 * Options of the transient errors. `times` defaults to always.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const twice: Scenario.TransientOptions = { times: 2, retryAfter: 1 }
 * const scenarios = [Scenario.unavailable(twice), Scenario.internalError(twice)]
 * ```
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
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * // two 503s per "flaky-" token, asking for a one-second wait, then delivered
 * const Fake = FcmFake.layer({
 *   scenarios: { prefixes: { "flaky-": Scenario.unavailable({ times: 2, retryAfter: 1 }) } }
 * })
 * ```
 *
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
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * // legacy: a 500 page for the whole request, once
 * const Fake = FcmFake.layer({ scenarios: { default: Scenario.internalError({ times: 1, level: "request" }) } })
 * ```
 *
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
 * @example
 * ```ts
 * import { Emulator, Scenario } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * // the next v1 request hits the project's quota
 * const throttle = Effect.flatMap(Emulator.Emulator, (emulator) =>
 *   emulator.enqueue("v1", Scenario.quotaExceeded({ variant: "project", retryAfter: 60 })))
 * ```
 *
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
 * @example
 * ```ts
 * import { FcmEmulator, Scenario } from "@effect-fcm/emulator"
 *
 * // every answer 200 ms late; "slow-" tokens 5 s late (longer than a 1 s client timeout)
 * const Server = FcmEmulator.layer({
 *   scenarios: { default: Scenario.latency(200), prefixes: { "slow-": Scenario.latency(5_000) } }
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const latency = (millis: number, then: Scenario = delivered): Scenario => ({ _tag: "Latency", millis, then })

/**
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * // attempt 1: connection reset; attempt 2: 503; attempt 3 and later: delivered
 * const Fake = FcmFake.layer({
 *   scenarios: { tokens: { "phone-1": Scenario.sequence(Scenario.reset, Scenario.unavailable(), Scenario.delivered) } }
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const sequence = (...steps: ReadonlyArray<Scenario>): Scenario => ({
  _tag: "Sequence",
  steps: steps.length === 0 ? [delivered] : steps
})

/**
 * @example
 * ```ts
 * import { FcmEmulator, Scenario } from "@effect-fcm/emulator"
 *
 * // a reproducible load test: the same seed gives every token the same fate
 * const Server = FcmEmulator.layer({
 *   record: false,
 *   scenarios: { default: Scenario.mix({ seed: 1, rates: { unavailable: 0.01, notRegistered: 0.001 } }) }
 * })
 * ```
 *
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
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * // the first attempt is reset without an answer, the retry is delivered
 * const Fake = FcmFake.layer({
 *   scenarios: { tokens: { "phone-1": Scenario.sequence(Scenario.reset, Scenario.delivered) } }
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const reset: Scenario = { _tag: "Reset" }

/**
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * // never answered: the client's timeout makes the token retryable
 * const Fake = FcmFake.layer({ scenarios: { tokens: { "stuck-1": Scenario.hang } } })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const hang: Scenario = { _tag: "Hang" }

/**
 * @example
 * ```ts
 * import { Emulator, Scenario } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * // the next request is answered, then its HTTP/2 session closed
 * const drain = Effect.flatMap(
 *   Emulator.Emulator,
 *   (emulator) => emulator.enqueue("v1", Scenario.goAway({ respond: true }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const goAway = (options: { readonly respond?: boolean } = {}): Scenario => ({
  _tag: "GoAway",
  respond: options.respond ?? false
})

/**
 * @example
 * ```ts
 * import { Emulator, Scenario } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * // the next legacy request gets a truncated JSON body with status 200
 * const garble = Effect.flatMap(Emulator.Emulator, (emulator) => emulator.enqueue("legacy", Scenario.malformedJson()))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const malformedJson = (options: { readonly status?: number } = {}): Scenario => ({
  _tag: "MalformedJson",
  status: options.status ?? 200
})

/**
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * // Google's front end answers an HTML 503 page asking for a 30-second wait
 * const Fake = FcmFake.layer({ scenarios: { default: Scenario.htmlError({ status: 503, retryAfter: 30 }) } })
 * ```
 *
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
 * @example
 * ```ts
 * import { Emulator, Scenario } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const badGateway = Effect.flatMap(Emulator.Emulator, (emulator) => emulator.enqueue("any", Scenario.htmlBadGateway))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const htmlBadGateway: Scenario = htmlError()

/**
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * const Fake = FcmFake.layer({ scenarios: { default: Scenario.emptyBody({ status: 502 }) } })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const emptyBody = (options: { readonly status?: number } = {}): Scenario => ({
  _tag: "EmptyBody",
  status: options.status ?? 200
})

/**
 * @example
 * ```ts
 * import { Emulator, Scenario } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * // the token endpoint answers invalid_grant: the send fails with an AuthenticationError
 * const revoke = Effect.flatMap(Emulator.Emulator, (emulator) => emulator.enqueue("token", Scenario.unauthenticated()))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const unauthenticated = (options: { readonly expired?: boolean } = {}): Scenario => ({
  _tag: "Unauthenticated",
  expired: options.expired ?? false
})

/**
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * const Fake = FcmFake.layer({ scenarios: { default: Scenario.badRequest("Invalid value at 'message.data'") } })
 * ```
 *
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
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * assert.deepStrictEqual(Scenario.fromJson("notRegistered"), Scenario.notRegistered)
 * assert.deepStrictEqual(
 *   Scenario.fromJson({ _tag: "Unavailable", times: 2, retryAfter: 5 }),
 *   Scenario.unavailable({ times: 2, retryAfter: 5 })
 * )
 * assert.strictEqual(Scenario.fromJson({ _tag: "Nope" }), `unknown scenario "Nope"`)
 * ```
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
