/**
 * Scenarios decide how the emulator answers a message: delivered, rejected
 * with one of FCM's error codes, slowed down, or broken at the transport level.
 *
 * A scenario can be attached to a token, to a token prefix (the longest prefix
 * wins), to everything (the default), or to the next requests on a route. The
 * same scenario value drives every route, and each route renders it in its
 * own protocol's terms: the legacy `/fcm/send` API turns per-token outcomes
 * into entries of its `results` array, the HTTP v1 API into whole responses
 * (a `google.rpc.Status` with an `FcmError` detail), the token endpoint into
 * an OAuth2 error.
 *
 * This module holds one idea, the scenario vocabulary: every scenario is a
 * tagged struct `Schema`, and {@link Scenario} is their union. Constructors
 * (`Unavailable.make`), guards (`Schema.is(Unavailable)`) and the JSON form
 * read by the control route and the command line ({@link decodeUnknown},
 * with errors naming the field) are all derived from it. The named
 * constructors below (`unavailable`, `latency`, …) only fill in options.
 *
 * Adding a scenario touches this union (one tagged struct, in the group
 * that says what it is: {@link Delivery}, {@link Rejection}, {@link Combinator}
 * or {@link RequestFault}) and the routes that render it, which the compiler
 * lists: the exhaustive switches of `internal/legacyRoute.ts`,
 * `internal/v1Route.ts` (per-target rejections) or `internal/faults.ts`
 * (request faults). A mix can draw it once it has a field in {@link MixRates}.
 *
 * The module is long because every export carries its own checked example; its
 * code is the vocabulary alone. The field schemas the structs share (legacy
 * codes, `Retry-After`, counts, statuses) are in `internal/scenarioFields.ts`,
 * the JSON form (names for tags, errors naming the field) in
 * `internal/scenarioJson.ts`.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as fields from "./internal/scenarioFields.js"
import * as json from "./internal/scenarioJson.js"

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
 * @category schemas
 */
export const LegacyErrorCode = fields.oneOf(...fields.legacyErrorCodes)

/**
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const gone: Scenario.LegacyErrorCode = "NotRegistered"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type LegacyErrorCode = typeof LegacyErrorCode.Type

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
export const legacyErrorCodes: ReadonlyArray<LegacyErrorCode> = fields.legacyErrorCodes

// -----------------------------------------------------------------------------
// Retry-After
// -----------------------------------------------------------------------------

/**
 * The value of a `Retry-After` header: a number of seconds, written either as
 * an integer (`Retry-After: 5`) or as an HTTP-date computed from the time of
 * the request (`Retry-After: Thu, 01 Jan 1970 00:00:05 GMT`). Its JSON form is
 * either a number of seconds or `{ "seconds": 5, "format": "http-date" }`.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 * import { Schema } from "effect"
 *
 * assert.deepStrictEqual(Schema.decodeUnknownSync(Scenario.RetryAfter)(5), { seconds: 5, format: "seconds" })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const RetryAfter: Schema.Schema<RetryAfter, number | RetryAfter> = fields.RetryAfter

/**
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

const { retryAfter, status, times } = fields

// -----------------------------------------------------------------------------
// Delivery: the message is accepted
// -----------------------------------------------------------------------------

// The scenarios without fields are exported by name (`export { … as Delivered }`): docgen names an example file by
// the kind and name of its export, and `Delivered` (the schema) and `delivered` (the value) would differ only in case.
const DeliveredStruct = Schema.TaggedStruct("Delivered", {})

export {
  /**
   * The message is accepted and delivered. The JSON form is `"delivered"` or
   * `{"_tag":"Delivered"}`.
   *
   * @example
   * ```ts
   * import { Scenario } from "@effect-fcm/emulator"
   *
   * assert.deepStrictEqual(Scenario.Delivered.make(), { _tag: "Delivered" })
   * assert.deepStrictEqual(Scenario.decodeUnknownSync("delivered"), Scenario.delivered)
   * ```
   *
   * @since 0.1.0
   * @category schemas
   */
  DeliveredStruct as Delivered
}

/**
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const delivered: Scenario.Delivered = { _tag: "Delivered" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Delivered extends Schema.Schema.Type<typeof DeliveredStruct> {}

/**
 * The message is delivered, but the token has a newer canonical form
 * (legacy: `registration_id` in the result, `<token>:canonical` when not
 * given; v1: plain success).
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * assert.deepStrictEqual(Scenario.Canonical.make({ registrationId: "new" }), Scenario.canonical("new"))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Canonical = Schema.TaggedStruct("Canonical", {
  registrationId: Schema.optionalWith(Schema.UndefinedOr(Schema.String), { default: () => undefined })
})

/**
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
export interface Canonical extends Schema.Schema.Type<typeof Canonical> {}

/**
 * The scenarios that deliver the message.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(Scenario.Delivery)(Scenario.canonical()))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Delivery = Schema.Union(DeliveredStruct, Canonical)

/**
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const ok: Scenario.Delivery = Scenario.Delivered.make()
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Delivery = typeof Delivery.Type

// -----------------------------------------------------------------------------
// Rejection: one target is answered with an error
// -----------------------------------------------------------------------------

const NotRegisteredStruct = Schema.TaggedStruct("NotRegistered", {})

export {
  /**
   * The token is no longer registered (legacy `NotRegistered`, v1 404
   * `UNREGISTERED`).
   *
   * @example
   * ```ts
   * import { Scenario } from "@effect-fcm/emulator"
   *
   * assert.deepStrictEqual(Scenario.decodeUnknownSync("notRegistered"), Scenario.NotRegistered.make())
   * ```
   *
   * @since 0.1.0
   * @category schemas
   */
  NotRegisteredStruct as NotRegistered
}

/**
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const notRegistered: Scenario.NotRegistered = { _tag: "NotRegistered" }
 * assert.deepStrictEqual(Scenario.decodeUnknownSync("notRegistered"), notRegistered)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface NotRegistered extends Schema.Schema.Type<typeof NotRegisteredStruct> {}

const InvalidTokenStruct = Schema.TaggedStruct("InvalidToken", {})

export {
  /**
   * The token is malformed (legacy `InvalidRegistration`, v1 400
   * `INVALID_ARGUMENT` with a field violation on `message.token`, or on
   * `message.topic` / `message.condition`).
   *
   * @example
   * ```ts
   * import { Scenario } from "@effect-fcm/emulator"
   *
   * assert.deepStrictEqual(Scenario.decodeUnknownSync({ _tag: "InvalidToken" }), Scenario.invalidToken)
   * ```
   *
   * @since 0.1.0
   * @category schemas
   */
  InvalidTokenStruct as InvalidToken
}

/**
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const invalidToken: Scenario.InvalidToken = { _tag: "InvalidToken" }
 * assert.deepStrictEqual(Scenario.decodeUnknownSync({ _tag: "InvalidToken" }), invalidToken)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface InvalidToken extends Schema.Schema.Type<typeof InvalidTokenStruct> {}

const SenderMismatchStruct = Schema.TaggedStruct("SenderMismatch", {})

export {
  /**
   * The token belongs to another sender (legacy `MismatchSenderId`, v1 403
   * `SENDER_ID_MISMATCH`).
   *
   * @example
   * ```ts
   * import { Scenario } from "@effect-fcm/emulator"
   *
   * assert.deepStrictEqual(Scenario.decodeUnknownSync("senderMismatch"), Scenario.SenderMismatch.make())
   * ```
   *
   * @since 0.1.0
   * @category schemas
   */
  SenderMismatchStruct as SenderMismatch
}

/**
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const senderMismatch: Scenario.SenderMismatch = { _tag: "SenderMismatch" }
 * assert.deepStrictEqual(Scenario.decodeUnknownSync("senderMismatch"), senderMismatch)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SenderMismatch extends Schema.Schema.Type<typeof SenderMismatchStruct> {}

const ThirdPartyAuthErrorStruct = Schema.TaggedStruct("ThirdPartyAuthError", {})

export {
  /**
   * APNs or Web Push credentials are missing or invalid (legacy
   * `InvalidApnsCredential`, v1 401 `THIRD_PARTY_AUTH_ERROR`).
   *
   * @example
   * ```ts
   * import { Scenario } from "@effect-fcm/emulator"
   *
   * assert.deepStrictEqual(Scenario.ThirdPartyAuthError.make(), Scenario.thirdPartyAuthError)
   * ```
   *
   * @since 0.1.0
   * @category schemas
   */
  ThirdPartyAuthErrorStruct as ThirdPartyAuthError
}

/**
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
export interface ThirdPartyAuthError extends Schema.Schema.Type<typeof ThirdPartyAuthErrorStruct> {}

/**
 * Any legacy error code; the v1 API answers with the v1 error FCM gives for
 * the same problem.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const tooBig = Scenario.decodeUnknownSync({ _tag: "LegacyError", code: "MessageTooBig" })
 * assert.deepStrictEqual(tooBig, Scenario.LegacyError.make({ code: "MessageTooBig" }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const LegacyError = Schema.TaggedStruct("LegacyError", { code: LegacyErrorCode })

/**
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const tooBig: Scenario.LegacyError = { _tag: "LegacyError", code: "MessageTooBig" }
 * assert.deepStrictEqual(Scenario.legacyError("MessageTooBig"), tooBig)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface LegacyError extends Schema.Schema.Type<typeof LegacyError> {}

/**
 * The service is unavailable `times` times for each token (counted per token
 * across requests; always when not given), then the message is delivered.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const busy = Scenario.decodeUnknownSync({ _tag: "Unavailable", times: 2, retryAfter: 5 })
 * assert.deepStrictEqual(busy, Scenario.unavailable({ times: 2, retryAfter: 5 }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Unavailable = Schema.TaggedStruct("Unavailable", {
  times,
  retryAfter,
  level: Schema.optionalWith(fields.oneOf("token", "request"), { default: () => "token" as const })
})

/**
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
export interface Unavailable extends Schema.Schema.Type<typeof Unavailable> {}

/**
 * An internal server error `times` times per token, then delivered.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * assert.deepStrictEqual(Scenario.InternalError.make({ times: 1 }), Scenario.internalError({ times: 1 }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const InternalError = Schema.TaggedStruct("InternalError", {
  times,
  retryAfter,
  level: Schema.optionalWith(fields.oneOf("token", "request"), { default: () => "token" as const })
})

/**
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
export interface InternalError extends Schema.Schema.Type<typeof InternalError> {}

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
 * const projectQuota = Scenario.decodeUnknownSync({ _tag: "QuotaExceeded", variant: "project", retryAfter: 60 })
 * assert.deepStrictEqual(projectQuota, Scenario.quotaExceeded({ variant: "project", retryAfter: 60 }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const QuotaExceeded = Schema.TaggedStruct("QuotaExceeded", {
  times,
  retryAfter,
  variant: Schema.optionalWith(fields.oneOf("message", "project"), { default: () => "message" as const })
})

/**
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
export interface QuotaExceeded extends Schema.Schema.Type<typeof QuotaExceeded> {}

/**
 * The scenarios that answer one target with an error: in the legacy API an
 * entry of `results` (or, for transient ones at request level, the whole
 * request), in the HTTP v1 API the whole response.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(Scenario.Rejection)(Scenario.notRegistered))
 * assert.ok(!Schema.is(Scenario.Rejection)(Scenario.reset))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Rejection = Schema.Union(
  NotRegisteredStruct,
  InvalidTokenStruct,
  SenderMismatchStruct,
  ThirdPartyAuthErrorStruct,
  LegacyError,
  Unavailable,
  InternalError,
  QuotaExceeded
)

/**
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const rejections: ReadonlyArray<Scenario.Rejection> = [Scenario.NotRegistered.make(), Scenario.Unavailable.make()]
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Rejection = typeof Rejection.Type

// -----------------------------------------------------------------------------
// RequestFault: the whole request is answered, whatever its targets
// -----------------------------------------------------------------------------

const ResetStruct = Schema.TaggedStruct("Reset", {})

export {
  /**
   * The connection (HTTP/1.1) or the stream (HTTP/2, RST_STREAM CANCEL) is
   * reset without an answer.
   *
   * @example
   * ```ts
   * import { Scenario } from "@effect-fcm/emulator"
   *
   * assert.deepStrictEqual(Scenario.decodeUnknownSync("reset"), Scenario.Reset.make())
   * ```
   *
   * @since 0.1.0
   * @category schemas
   */
  ResetStruct as Reset
}

/**
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const reset: Scenario.Reset = { _tag: "Reset" }
 * assert.deepStrictEqual(Scenario.decodeUnknownSync("reset"), reset)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Reset extends Schema.Schema.Type<typeof ResetStruct> {}

const HangStruct = Schema.TaggedStruct("Hang", {})

export {
  /**
   * The request is never answered (until the client gives up or the emulator
   * stops).
   *
   * @example
   * ```ts
   * import { Scenario } from "@effect-fcm/emulator"
   *
   * assert.deepStrictEqual(Scenario.decodeUnknownSync("hang"), Scenario.Hang.make())
   * ```
   *
   * @since 0.1.0
   * @category schemas
   */
  HangStruct as Hang
}

/**
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const hang: Scenario.Hang = { _tag: "Hang" }
 * assert.deepStrictEqual(Scenario.decodeUnknownSync("hang"), hang)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Hang extends Schema.Schema.Type<typeof HangStruct> {}

/**
 * The HTTP/2 session is closed with a GOAWAY frame, after answering this
 * request (`respond: true`) or instead of answering it. Over HTTP/1.1 the
 * connection is closed.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * assert.deepStrictEqual(Scenario.decodeUnknownSync({ _tag: "GoAway", respond: true }), Scenario.goAway({ respond: true }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const GoAway = Schema.TaggedStruct("GoAway", {
  respond: Schema.optionalWith(Schema.Boolean, { default: () => false })
})

/**
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
export interface GoAway extends Schema.Schema.Type<typeof GoAway> {}

/**
 * A JSON content type with a truncated, unparseable body (status 200 unless
 * given).
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * assert.deepStrictEqual(Scenario.decodeUnknownSync("malformedJson"), Scenario.malformedJson())
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const MalformedJson = Schema.TaggedStruct("MalformedJson", { status: status(200) })

/**
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
export interface MalformedJson extends Schema.Schema.Type<typeof MalformedJson> {}

/**
 * An HTML error page of Google's front end (by default "Error 502 (Server
 * Error)"). `"htmlBadGateway"` is a name for the default.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * assert.deepStrictEqual(Scenario.decodeUnknownSync("htmlBadGateway"), Scenario.HtmlError.make())
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const HtmlError = Schema.TaggedStruct("HtmlError", { status: status(502), retryAfter })

/**
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
export interface HtmlError extends Schema.Schema.Type<typeof HtmlError> {}

/**
 * A response with no body (status 200 unless given).
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * assert.deepStrictEqual(Scenario.EmptyBody.make({ status: 502 }), Scenario.emptyBody({ status: 502 }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const EmptyBody = Schema.TaggedStruct("EmptyBody", { status: status(200) })

/**
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
export interface EmptyBody extends Schema.Schema.Type<typeof EmptyBody> {}

/**
 * The credentials are rejected: legacy 401 HTML page; v1 401
 * `UNAUTHENTICATED` (with an `ErrorInfo` of reason `ACCESS_TOKEN_EXPIRED` when
 * `expired`); the token endpoint answers `invalid_grant`.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * assert.deepStrictEqual(Scenario.Unauthenticated.make({ expired: true }), Scenario.unauthenticated({ expired: true }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Unauthenticated = Schema.TaggedStruct("Unauthenticated", {
  expired: Schema.optionalWith(Schema.Boolean, { default: () => false })
})

/**
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
export interface Unauthenticated extends Schema.Schema.Type<typeof Unauthenticated> {}

/**
 * The request is rejected as malformed: legacy 400 with a text explanation,
 * v1 400 `INVALID_ARGUMENT` without details, the token endpoint
 * `invalid_request`.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * assert.strictEqual(Scenario.BadRequest.make().message, "Request contains an invalid argument.")
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const BadRequest = Schema.TaggedStruct("BadRequest", {
  message: Schema.optionalWith(Schema.String, { default: () => "Request contains an invalid argument." })
})

/**
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
export interface BadRequest extends Schema.Schema.Type<typeof BadRequest> {}

/**
 * The scenarios that answer a whole request, whatever its targets.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(Scenario.RequestFault)(Scenario.hang))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const RequestFault = Schema.Union(
  ResetStruct,
  HangStruct,
  GoAway,
  MalformedJson,
  HtmlError,
  EmptyBody,
  Unauthenticated,
  BadRequest
)

/**
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
export type RequestFault = typeof RequestFault.Type

// -----------------------------------------------------------------------------
// Combinator: scenarios made of scenarios
// -----------------------------------------------------------------------------

/**
 * The JSON form of a scenario: its name (`"notRegistered"`, the tag with a
 * lower-case first letter, or `"htmlBadGateway"`) or its object with optional
 * fields.
 *
 * @example
 * ```ts
 * import type { Scenario } from "@effect-fcm/emulator"
 *
 * const json: Scenario.Encoded = { _tag: "Sequence", steps: ["reset", { _tag: "Unavailable", retryAfter: 1 }] }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Encoded =
  | string
  | typeof Delivery.Encoded
  | typeof Rejection.Encoded
  | typeof RequestFault.Encoded
  | LatencyEncoded
  | SequenceEncoded
  | typeof Mix.Encoded

/**
 * @example
 * ```ts
 * import type { Scenario } from "@effect-fcm/emulator"
 *
 * const slowGone: Scenario.LatencyEncoded = { _tag: "Latency", millis: 200, then: "notRegistered" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface LatencyEncoded {
  readonly _tag: "Latency"
  readonly millis?: number | undefined
  readonly then?: Encoded | undefined
}

/**
 * @example
 * ```ts
 * import type { Scenario } from "@effect-fcm/emulator"
 *
 * const flaky: Scenario.SequenceEncoded = { _tag: "Sequence", steps: ["reset", "delivered"] }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SequenceEncoded {
  readonly _tag: "Sequence"
  readonly steps: ReadonlyArray<Encoded>
}

const suspended: Schema.Schema<Scenario, Encoded> = Schema.suspend((): Schema.Schema<Scenario, Encoded> => Scenario)

/**
 * Answers as `then` does (delivered when not given), `millis` milliseconds
 * later.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const slowGone = Scenario.decodeUnknownSync({ _tag: "Latency", millis: 250, then: "notRegistered" })
 * assert.deepStrictEqual(slowGone, Scenario.latency(250, Scenario.notRegistered))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Latency: Schema.TaggedStruct<"Latency", {
  millis: Schema.optionalWith<typeof Schema.NonNegative, { default: () => number }>
  then: Schema.optionalWith<Schema.Schema<Scenario, Encoded>, { default: () => Scenario }>
}> = Schema.TaggedStruct("Latency", {
  millis: Schema.optionalWith(Schema.NonNegative, { default: () => 0 }),
  then: Schema.optionalWith(suspended, { default: (): Scenario => delivered })
})

/**
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
 * repeats. At least one step.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const flaky = Scenario.decodeUnknownSync({ _tag: "Sequence", steps: ["reset", { _tag: "Latency", millis: 5 }] })
 * assert.deepStrictEqual(flaky, Scenario.sequence(Scenario.reset, Scenario.latency(5)))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Sequence: Schema.TaggedStruct<"Sequence", {
  steps: Schema.Schema<ReadonlyArray<Scenario>, ReadonlyArray<Encoded>>
}> = Schema.TaggedStruct("Sequence", {
  steps: Schema.Array(suspended).pipe(Schema.minItems(1))
})

/**
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
 * delivered. Each key is the name of the scenario it draws (with the mix's
 * `retryAfter` for the transient errors); the order of the keys is the order
 * of the draw, so a new key goes last.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * // 1% unavailable, 0.1% not registered, 0.01% connection resets, the rest delivered
 * const rates = Scenario.MixRates.make({ unavailable: 0.01, notRegistered: 0.001, reset: 0.0001 })
 * const load = Scenario.mix({ seed: 42, rates })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const MixRates = Schema.Struct({
  unavailable: fields.rate,
  internalError: fields.rate,
  quotaExceeded: fields.rate,
  notRegistered: fields.rate,
  invalidToken: fields.rate,
  senderMismatch: fields.rate,
  thirdPartyAuthError: fields.rate,
  canonical: fields.rate,
  reset: fields.rate,
  goAway: fields.rate,
  hang: fields.rate,
  malformedJson: fields.rate,
  htmlError: fields.rate,
  emptyBody: fields.rate
}).annotations({ parseOptions: { onExcessProperty: "error" } })

/**
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const rates: Scenario.MixRates = { unavailable: 0.01, notRegistered: 0.001, reset: 0.0001 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface MixRates extends Schema.Schema.Type<typeof MixRates> {}

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
 * const load = Scenario.decodeUnknownSync({ _tag: "Mix", seed: 42, rates: { unavailable: 0.01 }, latency: { min: 5, max: 50 } })
 * assert.deepStrictEqual(load, Scenario.mix({ seed: 42, rates: { unavailable: 0.01 }, latency: { min: 5, max: 50 } }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Mix = Schema.TaggedStruct("Mix", {
  seed: Schema.Number.pipe(Schema.finite()),
  rates: MixRates,
  retryAfter,
  latency: Schema.optionalWith(Schema.UndefinedOr(fields.LatencyRange), { default: () => undefined })
})

/**
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
export interface Mix extends Schema.Schema.Type<typeof Mix> {}

/**
 * The scenarios made of other scenarios (or of a draw among them).
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(Scenario.Combinator)(Scenario.latency(5)))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Combinator = Schema.Union(Latency, Sequence, Mix)

/**
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * const slow: Scenario.Combinator = Scenario.Latency.make({ millis: 100 })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Combinator = Latency | Sequence | Mix

// -----------------------------------------------------------------------------
// Scenario
// -----------------------------------------------------------------------------

const members = [
  ...Delivery.members,
  ...Rejection.members,
  ...RequestFault.members,
  ...Combinator.members
] as const

/**
 * The tag of every scenario, in the order of the union.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * assert.ok(Scenario.tags.includes("NotRegistered"))
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const tags: ReadonlyArray<Scenario["_tag"]> = members.map(json.tagOf) as Array<Scenario["_tag"]>

/**
 * Every scenario: the union of {@link Delivery}, {@link Rejection},
 * {@link RequestFault} and {@link Combinator}. Decoding reads the JSON form
 * (a name, or the object with its optional fields left out); an error names
 * the field.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 * import { Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(Scenario.Scenario)
 * assert.ok(decode({ _tag: "Unavailable", times: 2 })._tag === "Right")
 * assert.ok(Schema.is(Scenario.Scenario)(Scenario.notRegistered))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Scenario: Schema.Schema<Scenario, Encoded> = json.nameOrObject(members, {
  htmlBadGateway: "HtmlError"
}) as Schema.Schema<Scenario, any>

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
export type Scenario = Delivery | Rejection | RequestFault | Combinator

const requestFaultTags: ReadonlySet<string> = new Set(RequestFault.members.map(json.tagOf))

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
export const isRequestFault = (scenario: Scenario): scenario is RequestFault => requestFaultTags.has(scenario._tag)

// -----------------------------------------------------------------------------
// decoding
// -----------------------------------------------------------------------------

/**
 * Names the first problem of a failed decoding with the path of its field,
 * e.g. `tokens.phone-1.times: Expected a non-negative number, actual -1`.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 * import { Either, Schema } from "effect"
 *
 * const result = Schema.decodeUnknownEither(Scenario.Scenario)({ _tag: "Unavailable", times: "twice" })
 * assert.ok(Either.isLeft(result) && Scenario.formatError(result.left).startsWith("times: "))
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const formatError: (error: ParseResult.ParseError) => string = json.formatError

/**
 * Reads a scenario from its JSON form (e.g. `"notRegistered"` or
 * `{"_tag":"Unavailable","times":2,"retryAfter":5}`); missing fields take
 * the constructors' defaults. Fails with a message naming the field.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 * import { Either } from "effect"
 *
 * assert.deepStrictEqual(Scenario.decodeUnknown("notRegistered"), Either.right(Scenario.notRegistered))
 * const bad = Scenario.decodeUnknown({ _tag: "LegacyError", code: "Nope" })
 * assert.ok(Either.isLeft(bad) && bad.left.startsWith("code: expected one of \"MissingRegistration\", "))
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeUnknown = (input: unknown): Either.Either<Scenario, string> =>
  Either.mapLeft(decodeEither(input), formatError)

const decodeEither = Schema.decodeUnknownEither(Scenario)

/**
 * Reads a scenario from its JSON form, or throws.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * assert.deepStrictEqual(Scenario.decodeUnknownSync("goAway"), Scenario.goAway())
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeUnknownSync: (input: unknown) => Scenario = Schema.decodeUnknownSync(Scenario)

// -----------------------------------------------------------------------------
// constructors
// -----------------------------------------------------------------------------

const { retryAfterOf } = fields

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
export const delivered: Scenario = DeliveredStruct.make()

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
export const canonical = (registrationId?: string): Scenario => Canonical.make({ registrationId })

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
export const notRegistered: Scenario = NotRegisteredStruct.make()

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
export const invalidToken: Scenario = InvalidTokenStruct.make()

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
export const senderMismatch: Scenario = SenderMismatchStruct.make()

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
export const thirdPartyAuthError: Scenario = ThirdPartyAuthErrorStruct.make()

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
export const legacyError = (code: LegacyErrorCode): Scenario => LegacyError.make({ code })

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
export const unavailable = (options: TransientOptions = {}): Scenario =>
  Unavailable.make({ ...options, retryAfter: retryAfterOf(options.retryAfter) })

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
export const internalError = (options: TransientOptions = {}): Scenario =>
  InternalError.make({ ...options, retryAfter: retryAfterOf(options.retryAfter) })

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
): Scenario => QuotaExceeded.make({ ...options, retryAfter: retryAfterOf(options.retryAfter) })

/**
 * @example
 * ```ts
 * import { FcmServer, Scenario } from "@effect-fcm/emulator"
 *
 * // every answer 200 ms late; "slow-" tokens 5 s late (longer than a 1 s client timeout)
 * const Server = FcmServer.layer({
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
 * import { FcmServer, Scenario } from "@effect-fcm/emulator"
 *
 * // a reproducible load test: the same seed gives every token the same fate
 * const Server = FcmServer.layer({
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
}): Scenario => Mix.make({ ...options, retryAfter: retryAfterOf(options.retryAfter) })

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
export const reset: Scenario = ResetStruct.make()

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
export const hang: Scenario = HangStruct.make()

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
export const goAway = (options: { readonly respond?: boolean } = {}): Scenario => GoAway.make(options)

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
export const malformedJson = (options: { readonly status?: number } = {}): Scenario => MalformedJson.make(options)

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
): Scenario => HtmlError.make({ ...options, retryAfter: retryAfterOf(options.retryAfter) })

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
export const emptyBody = (options: { readonly status?: number } = {}): Scenario => EmptyBody.make(options)

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
export const unauthenticated = (options: { readonly expired?: boolean } = {}): Scenario => Unauthenticated.make(options)

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
export const badRequest = (message?: string): Scenario => BadRequest.make(message === undefined ? {} : { message })
