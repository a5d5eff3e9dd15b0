import * as Either from "effect/Either"
import { parseRetryAfter } from "../Backoff.js"
import { AuthenticationError, InvalidMessage, TransportError } from "../FcmError.js"
import type * as Message from "../Message.js"
import { LegacyOptions } from "../Message.js"
import { Outcome } from "../Result.js"
import { encoderOf } from "./encoder.js"
import type { Answer } from "./http.js"
import { serverCode, serverText } from "./serverText.js"
import { QUOTA_MIN_DELAY_MILLIS } from "./v1.js"

/** @internal */
export const MAX_TOKENS_PER_REQUEST = 1000

/** The rate limits of one target: they back off that target only. @internal */
export const RATE_CODES: ReadonlySet<string> = new Set(["DeviceMessageRateExceeded", "TopicsMessageRateExceeded"])

/** @internal */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  "Unavailable",
  "InternalServerError",
  "DeviceMessageRateExceeded",
  "TopicsMessageRateExceeded"
])

let encodeOptions: ((message: Message.Message) => Record<string, unknown>) | undefined

/**
 * The legacy JSON body of a message, without its targets: the encoded side of the `Message.Legacy` schema's options
 * (snake_case options, then `data`, then `notification`). The message is expected to have passed `Message.validate`.
 *
 * @internal
 */
export const encodeShared = (message: Message.Message): Record<string, unknown> =>
  (encodeOptions ??= encoderOf(LegacyOptions.ast) as (message: Message.Message) => Record<string, unknown>)(message)

/**
 * The legacy JSON body of a message for some of its targets.
 *
 * @internal
 */
export const encode = (message: Message.Message, targets: ReadonlyArray<string>): Record<string, unknown> =>
  withTargets(message, encodeShared(message), targets)

/** @internal */
export const withTargets = (
  message: Message.Message,
  shared: Record<string, unknown>,
  targets: ReadonlyArray<string>
): Record<string, unknown> => {
  if (message.tokens !== undefined) return { ...shared, registration_ids: targets }
  if (message.condition !== undefined) return { ...shared, condition: message.condition }
  return { ...shared, to: targets[0] }
}

/**
 * A send's body without its targets: given a request's targets, the JSON of {@link encode}.
 *
 * @internal
 */
export type Body = (targets: ReadonlyArray<string>) => string

/**
 * The body of a validated message, encoded once: each request only writes its targets after the shared part.
 *
 * @internal
 */
export const bodyOf = (message: Message.Message): Body => {
  const json = JSON.stringify(encodeShared(message))
  const open = json.length > 2 ? `${json.slice(0, -1)},` : "{"
  if (message.tokens !== undefined) {
    const prefix = `${open}"registration_ids":`
    return (targets) => `${prefix}${JSON.stringify(targets)}}`
  }
  if (message.condition !== undefined) {
    const body = `${open}"condition":${JSON.stringify(message.condition)}}`
    return () => body
  }
  const prefix = `${open}"to":`
  return (targets) => `${prefix}${JSON.stringify(targets[0])}}`
}

// `Outcome` is a `Data.taggedEnum`: each property read goes through a Proxy and builds a new constructor, so the
// constructors used once per token are read once here.
const Delivered = Outcome.Delivered
const Canonical = Outcome.Canonical

const malformed = (reason: string, answer: Answer, secrets: ReadonlyArray<string>) =>
  new TransportError({ reason, retryable: false, status: answer.status, body: serverText(answer.body, secrets) })

const classifyEntry = (
  entry: unknown,
  retryAfterMillis: number | undefined,
  nowMillis: number,
  secrets: ReadonlyArray<string>
): Outcome | undefined => {
  if (typeof entry !== "object" || entry === null) return undefined
  const { error, message_id, registration_id } = entry as Record<string, unknown>
  if (typeof message_id === "string" || typeof message_id === "number") {
    const messageId = String(message_id)
    return typeof registration_id === "string" && registration_id.length > 0
      ? Canonical({ messageId, newToken: registration_id })
      : Delivered({ messageId })
  }
  if (typeof error !== "string") return undefined
  if (RATE_CODES.has(error)) {
    // a device's or a topic's message rate: that target alone backs off
    return Outcome.Retryable({
      reason: error,
      retryAfterMillis: undefined,
      notBefore: nowMillis + (retryAfterMillis ?? 0)
    })
  }
  if (RETRYABLE_CODES.has(error)) return Outcome.Retryable({ reason: error, retryAfterMillis })
  if (error === "NotRegistered") return Outcome.NotRegistered({ code: error })
  return Outcome.Failed({ code: serverCode(error, secrets) })
}

const FIELD_IN_TEXT = /field\s+"?([A-Za-z_.[\]0-9]+)"?/i

/**
 * Classifies a legacy answer into one outcome per target, or the error that fails the whole request:
 * 200 → per-target outcomes; 400 → `InvalidMessage`; 401 → `AuthenticationError`; 5xx → every target retryable with
 * the Retry-After; any other status, or a 200 body that is not the expected JSON → `TransportError`. Text taken from
 * the answer passes `serverText`/`serverCode` with `secrets` (the API key) scrubbed.
 *
 * @internal
 */
export const classify = (
  answer: Answer,
  targets: ReadonlyArray<string>,
  secrets: ReadonlyArray<string> = []
): Either.Either<ReadonlyArray<Outcome>, AuthenticationError | InvalidMessage | TransportError> => {
  const { status } = answer
  const retryAfterMillis = parseRetryAfter(answer.retryAfter, answer.nowMillis)
  if (status === 429) {
    // Throttled: the whole request is retryable, no sooner than a minute, as for v1 quota errors.
    const outcome = Outcome.Retryable({
      reason: "HTTP 429",
      retryAfterMillis: Math.max(retryAfterMillis ?? 0, QUOTA_MIN_DELAY_MILLIS)
    })
    return Either.right(targets.map(() => outcome))
  }
  if (status >= 500 && status <= 599) {
    const outcome = Outcome.Retryable({ reason: `HTTP ${status}`, retryAfterMillis })
    return Either.right(targets.map(() => outcome))
  }
  if (status === 400) {
    const text = serverText(answer.body, secrets)
    return Either.left(
      new InvalidMessage({
        field: FIELD_IN_TEXT.exec(text)?.[1] ?? "message",
        reason: text.length > 0 ? text : "FCM could not parse the request",
        status,
        body: text
      })
    )
  }
  if (status === 401) {
    return Either.left(
      new AuthenticationError({
        reason: "FCM rejected the server API key",
        status,
        hint: "check the key (FCM_API_KEY); Google shut the legacy API down in 2024, real sends need HTTP v1"
      })
    )
  }
  if (status !== 200) return Either.left(malformed(`FCM answered an unexpected status`, answer, secrets))
  let json: unknown
  try {
    json = JSON.parse(answer.body)
  } catch {
    return Either.left(malformed("FCM answered 200 with a body that is not JSON", answer, secrets))
  }
  if (typeof json !== "object" || json === null) {
    return Either.left(malformed("FCM answered 200 with a body that is not a JSON object", answer, secrets))
  }
  const results = (json as { results?: unknown }).results
  if (results === undefined && targets.length === 1) {
    // A topic or condition send answers with a single `message_id` or `error` at the top level.
    const outcome = classifyEntry(json, retryAfterMillis, answer.nowMillis, secrets)
    return outcome === undefined
      ? Either.left(malformed("FCM answered 200 without a message_id or an error", answer, secrets))
      : Either.right([outcome])
  }
  if (!Array.isArray(results)) {
    return Either.left(malformed("FCM answered 200 without a results array", answer, secrets))
  }
  if (results.length !== targets.length) {
    return Either.left(
      malformed(`FCM answered ${results.length} results for ${targets.length} tokens`, answer, secrets)
    )
  }
  const outcomes: Array<Outcome> = new Array(results.length)
  for (let i = 0; i < results.length; i++) {
    const outcome = classifyEntry(results[i], retryAfterMillis, answer.nowMillis, secrets)
    if (outcome === undefined) {
      return Either.left(
        malformed(`FCM answered 200 with results[${i}] holding neither message_id nor error`, answer, secrets)
      )
    }
    outcomes[i] = outcome
  }
  return Either.right(outcomes)
}
