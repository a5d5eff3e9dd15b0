/**
 * The three ways a send can fail as a whole. Per-token outcomes (not registered, failed, retryable) are not errors:
 * they are buckets of a {@link Result}.
 *
 * An error met once the fan-out had begun (a 401 that a token refresh cannot cure, a payload FCM refuses, a garbled
 * answer to a later request) carries `partial`: the outcome of every target as far as the send got. Targets answered
 * before the failure keep their outcome, so the tokens already delivered are known and never sent again; every other
 * target is `Retryable`, with the error as its reason. `partial` is absent when the send failed before its fan-out
 * began (a message refused by validation, for instance). The requests already on the wire when the error came are
 * awaited, so a target the server delivered is never among the retryable ones.
 *
 * Every text an error takes from a server (`reason`, `field`, `body`) is scrubbed of credentials (the request's access
 * token or API key, anything shaped like a bearer token or a JWT) and bounded to {@link BODY_EXCERPT_LENGTH}
 * characters, whitespace collapsed, plus an ellipsis when cut; a per-token code taken from an answer to 64.
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import { ResultTypeId } from "./internal/resultId.js"
import type { Result } from "./Result.js"

/**
 * A {@link Result} carried by an error (declared by its brand, so that this module does not import the result model).
 * Its message is that of the send: a multicast `Message`, or the `MessageV1` of `FcmV1.send`.
 */
const PartialResult = Schema.declare((u: unknown): u is Result<any> => Predicate.hasProperty(u, ResultTypeId), {
  identifier: "Result"
})

/**
 * The credentials were rejected: a legacy API key answered with 401, an OAuth2 token endpoint that refused the
 * service account's assertion (`invalid_grant`), or a v1 401 that persisted after one token refresh.
 *
 * `reason` is what the server said, `hint` what usually fixes it. Neither ever holds a secret.
 *
 * @example
 * ```ts
 * import { FcmFake } from "@effect-fcm/emulator"
 * import { FcmClient, FcmLegacy, Message } from "@effect-fcm/fcm"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const WrongKey = FcmLegacy.layer({ apiKey: Redacted.make("not-the-key") }).pipe(Layer.provide(FcmFake.layer()))
 * const program = FcmClient.send(Message.multicast(["token-1"], { data: { ping: "1" } })).pipe(
 *   Effect.catchTag("AuthenticationError", (e) => Effect.succeed(`${e.status}: ${e.reason}`))
 * )
 * Effect.runPromise(program.pipe(Effect.provide(WrongKey))).then((text) => assert.ok(String(text).startsWith("401")))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>("@effect-fcm/fcm/AuthenticationError")(
  "AuthenticationError",
  {
    reason: Schema.String,
    status: Schema.optional(Schema.Number),
    hint: Schema.optional(Schema.String),
    partial: Schema.optional(PartialResult)
  }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    const hint = this.hint === undefined ? "" : `. ${this.hint}`
    return `Authentication failed${status}: ${this.reason}${hint}`
  }
}

/**
 * The message cannot be sent: it failed local validation (nothing went on the wire), or FCM answered that the
 * payload itself is invalid (it would fail for every token).
 *
 * `field` names the offending field as the caller wrote it (`timeToLive`, `data.from`, `tokens[3]`), or the wire
 * field FCM named in its answer.
 *
 * @example
 * ```ts
 * import { FcmError, Message } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const error = Effect.runSync(Effect.flip(Message.validate(Message.multicast(["token-1"], { timeToLive: -1 }))))
 * assert.ok(error instanceof FcmError.InvalidMessage)
 * assert.strictEqual(error.field, "timeToLive") // nothing was sent
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidMessage extends Schema.TaggedError<InvalidMessage>("@effect-fcm/fcm/InvalidMessage")(
  "InvalidMessage",
  {
    field: Schema.String,
    reason: Schema.String,
    status: Schema.optional(Schema.Number),
    body: Schema.optional(Schema.String),
    partial: Schema.optional(PartialResult)
  }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const origin = this.status === undefined ? "" : ` (rejected by FCM, HTTP ${this.status})`
    return `Invalid message: ${this.field}: ${this.reason}${origin}`
  }
}

/**
 * The exchange with FCM did not produce an answer that can be trusted: a network failure, a timeout, an unexpected
 * status, or a malformed or mismatched body. `body` is a bounded excerpt of what came back, `retryable` says whether
 * sending the same request again can help, and `retryAfterMillis` carries the server's Retry-After when it gave one.
 *
 * @example
 * ```ts
 * import { FcmError } from "@effect-fcm/fcm"
 *
 * const error = new FcmError.TransportError({
 *   reason: "unexpected answer",
 *   retryable: false,
 *   status: 502,
 *   body: "<html>"
 * })
 * assert.strictEqual(error.message, "unexpected answer (HTTP 502): <html>")
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Schema.TaggedError<TransportError>("@effect-fcm/fcm/TransportError")(
  "TransportError",
  {
    reason: Schema.String,
    retryable: Schema.Boolean,
    status: Schema.optional(Schema.Number),
    body: Schema.optional(Schema.String),
    retryAfterMillis: Schema.optional(Schema.Number),
    partial: Schema.optional(PartialResult)
  }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    const body = this.body === undefined || this.body.length === 0 ? "" : `: ${this.body}`
    return `${this.reason}${status}${body}`
  }
}

/**
 * Any error a send can fail with.
 *
 * @example
 * ```ts
 * import type { FcmError } from "@effect-fcm/fcm"
 *
 * const explain = (error: FcmError.FcmError): string => {
 *   switch (error._tag) {
 *     case "AuthenticationError": return `check the credentials: ${error.reason}`
 *     case "InvalidMessage": return `fix ${error.field}: ${error.reason}`
 *     case "TransportError": return error.retryable ? "try again later" : `FCM answered oddly: ${error.message}`
 *   }
 * }
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export type FcmError = AuthenticationError | InvalidMessage | TransportError

/**
 * The longest body excerpt an error carries, not counting the ellipsis that marks where a longer body was cut.
 *
 * @example
 * ```ts
 * import { FcmError } from "@effect-fcm/fcm"
 *
 * const excerpt = FcmError.excerpt("x".repeat(10_000))
 * assert.strictEqual(excerpt.length, FcmError.BODY_EXCERPT_LENGTH + 1) // and an ellipsis
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const BODY_EXCERPT_LENGTH = 512

/**
 * A bounded, single-line excerpt of a response body, for error messages.
 *
 * @example
 * ```ts
 * import { FcmError } from "@effect-fcm/fcm"
 *
 * const body = "<html>\n  <body>Bad Gateway</body>\n</html>"
 * assert.strictEqual(FcmError.excerpt(body), "<html> <body>Bad Gateway</body> </html>")
 * assert.strictEqual(FcmError.excerpt("Service Unavailable", 7), "Service…")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const excerpt = (body: string, max: number = BODY_EXCERPT_LENGTH): string => {
  const flat = body.replace(/\s+/g, " ").trim()
  return flat.length <= max ? flat : `${flat.slice(0, max)}…`
}
