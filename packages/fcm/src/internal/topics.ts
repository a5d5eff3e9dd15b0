/**
 * The Instance ID API's topic management protocol (`iid/v1:batchAdd`, `iid/v1:batchRemove`), free of I/O: the
 * wire schemas, the checks of topic names and tokens, and the reading of one chunk's answer into per-token outcomes.
 *
 * @internal
 */
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { parseRetryAfter } from "../Backoff.js"
import { AuthenticationError, InvalidMessage, TransportError } from "../FcmError.js"
import type { Answer } from "./http.js"
import { TOPIC_PATTERN } from "./messageRules.js"
import { serverCode, serverText } from "./serverText.js"

/** The most tokens one `batchAdd` or `batchRemove` request may carry. @internal */
export const MAX_TOKENS_PER_REQUEST = 1000

/** The request body, its encoded side the wire JSON. @internal */
export const BatchRequest = Schema.Struct({
  to: Schema.String,
  registration_tokens: Schema.Array(Schema.String)
})

/** The answer to a request: one entry per token, in the request's order, `{}` when it succeeded. @internal */
export const BatchResponse = Schema.Struct({
  results: Schema.Array(Schema.Struct({ error: Schema.optional(Schema.String) }))
})

const decodeResponse = Schema.decodeUnknownEither(Schema.parseJson(BatchResponse))

/** The outcome of one token for one topic. @internal */
export type TokenOutcome =
  | { readonly _tag: "Ok" }
  | { readonly _tag: "NotRegistered"; readonly code: string }
  | { readonly _tag: "Invalid"; readonly code: string }
  | { readonly _tag: "Retryable"; readonly reason: string; readonly retryAfterMillis: number | undefined }

/** @internal */
export const ok: TokenOutcome = { _tag: "Ok" }

/** @internal */
export const retryable = (reason: string, retryAfterMillis: number | undefined): TokenOutcome => ({
  _tag: "Retryable",
  reason,
  retryAfterMillis
})

/** The per-token codes that a later attempt may turn into a success. */
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  "INTERNAL",
  "UNKNOWN",
  "UNAVAILABLE",
  "DEADLINE_EXCEEDED",
  "RESOURCE_EXHAUSTED",
  "TOO_MANY_REQUESTS"
])

/**
 * The outcome of a per-token `error` code: `NOT_FOUND` is a token FCM does not know (deleted or never issued),
 * the transient codes are retryable, and any other (`INVALID_ARGUMENT`, `TOO_MANY_TOPICS`, `PERMISSION_DENIED`, a
 * code not documented) is a refusal that a resend would meet again.
 *
 * @internal
 */
export const outcomeOfCode = (error: string | undefined, secrets: ReadonlyArray<string>): TokenOutcome => {
  if (error === undefined) return ok
  const code = serverCode(error, secrets)
  if (code === "NOT_FOUND" || code === "UNREGISTERED") return { _tag: "NotRegistered", code }
  if (RETRYABLE_CODES.has(code)) return retryable(code, undefined)
  return { _tag: "Invalid", code }
}

/** The reading of one chunk's answer. @internal */
export type Classified =
  | { readonly _tag: "Outcomes"; readonly outcomes: ReadonlyArray<TokenOutcome> }
  | { readonly _tag: "Unauthenticated"; readonly error: AuthenticationError }
  | { readonly _tag: "Fatal"; readonly error: AuthenticationError | InvalidMessage | TransportError }

const errorText = (body: string): string | undefined => {
  try {
    const json = JSON.parse(body) as { error?: unknown }
    if (typeof json.error === "string") return json.error
    if (typeof json.error === "object" && json.error !== null) {
      const message = (json.error as { message?: unknown }).message
      if (typeof message === "string") return message
    }
  } catch {
    // not JSON: the status speaks
  }
  return undefined
}

/**
 * Reads the answer to a request that carried `count` tokens: per-token outcomes on a 200 (a body whose `results`
 * do not match the tokens makes every token retryable: adding or removing a subscription twice is harmless), every
 * token retryable on a 429 or a 5xx, and the errors that fail the call as a whole otherwise.
 *
 * @internal
 */
export const classify = (answer: Answer, count: number, token?: Redacted.Redacted<string>): Classified => {
  const secrets = token === undefined ? [] : [Redacted.value(token)]
  const { body, status } = answer
  const all = (outcome: TokenOutcome): Classified => ({
    _tag: "Outcomes",
    outcomes: Array.from({ length: count }, () => outcome)
  })
  if (status === 200) {
    const decoded = decodeResponse(body)
    if (decoded._tag === "Right" && decoded.right.results.length === count) {
      return { _tag: "Outcomes", outcomes: decoded.right.results.map((r) => outcomeOfCode(r.error, secrets)) }
    }
    return all(retryable("MALFORMED_RESPONSE", undefined))
  }
  const retryAfterMillis = parseRetryAfter(answer.retryAfter, answer.nowMillis)
  if (status === 429 || (status >= 500 && status <= 599)) {
    return all(retryable(`HTTP ${status}`, retryAfterMillis))
  }
  const said = errorText(body)
  const text = (t: string) => serverText(t, secrets)
  if (status === 401) {
    return {
      _tag: "Unauthenticated",
      error: new AuthenticationError({
        reason: text(said ?? "the Instance ID API rejected the access token"),
        status,
        hint: "check that the service account belongs to the project and may manage its topics"
      })
    }
  }
  if (status === 403) {
    return {
      _tag: "Fatal",
      error: new AuthenticationError({
        reason: text(said ?? "the Instance ID API refused the request"),
        status,
        hint: "grant the service account the Firebase Cloud Messaging API Admin role"
      })
    }
  }
  if (status === 400) {
    return {
      _tag: "Fatal",
      error: new InvalidMessage({
        field: "topic",
        reason: text(said ?? "the Instance ID API rejected the request"),
        status,
        body: text(body)
      })
    }
  }
  return {
    _tag: "Fatal",
    error: new TransportError({
      reason: status === 404
        ? "the Instance ID API answered 404; check the base URL"
        : "unexpected answer from the Instance ID API",
      retryable: false,
      status,
      body: text(body)
    })
  }
}

/** The topic's name on the wire: `/topics/NAME`. @internal */
export const wireTopic = (topic: string): string => topic.startsWith("/topics/") ? topic : `/topics/${topic}`

/**
 * Checks the topics and tokens of a call: the first offence as an `InvalidMessage` naming the field as the caller
 * wrote it (`topic`, `topics[1]`, `tokens[3]`), or the topics in their wire form.
 *
 * @internal
 */
export const check = (
  topics: string | ReadonlyArray<string>,
  tokens: ReadonlyArray<string>
): InvalidMessage | ReadonlyArray<string> => {
  const list: ReadonlyArray<unknown> = typeof topics === "string" ? [topics] : topics
  if (!Array.isArray(list)) {
    return new InvalidMessage({ field: "topics", reason: "must be a topic or an array of topics" })
  }
  if (list.length === 0) return new InvalidMessage({ field: "topics", reason: "must name at least one topic" })
  const named = (i: number) => typeof topics === "string" ? "topic" : `topics[${i}]`
  const wire: Array<string> = []
  for (let i = 0; i < list.length; i++) {
    const topic = list[i]
    if (typeof topic !== "string" || !TOPIC_PATTERN.test(topic)) {
      return new InvalidMessage({
        field: named(i),
        reason: "must be a topic name ([a-zA-Z0-9-_.~%]+), optionally prefixed /topics/"
      })
    }
    const name = wireTopic(topic)
    const first = wire.indexOf(name)
    if (first >= 0) return new InvalidMessage({ field: named(i), reason: `duplicates topics[${first}]` })
    wire.push(name)
  }
  if (!Array.isArray(tokens)) {
    return new InvalidMessage({ field: "tokens", reason: "must be an array of registration tokens" })
  }
  const seen = new Map<string, number>()
  for (let i = 0; i < tokens.length; i++) {
    const token: unknown = tokens[i]
    if (typeof token !== "string" || token.length === 0 || /\s/.test(token)) {
      return new InvalidMessage({
        field: `tokens[${i}]`,
        reason: typeof token === "string"
          ? "must be a non-empty registration token without whitespace"
          : `must be a registration token (a string), got ${token === null ? "null" : typeof token}`
      })
    }
    const first = seen.get(token)
    if (first !== undefined) return new InvalidMessage({ field: `tokens[${i}]`, reason: `duplicates tokens[${first}]` })
    seen.set(token, i)
  }
  return wire
}
