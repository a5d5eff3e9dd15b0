/**
 * The rules of a message that its fields' types do not say, as FCM's documentation gives them: reserved data keys,
 * a list of registration tokens, exactly one target, no token twice, the number of topics in a condition, and the
 * payload size (counted in UTF-8 bytes, 2 KiB for a topic, 4 KiB otherwise). Each rule answers a `Schema` filter's
 * output: the path of the field at fault and why.
 *
 * @internal
 */
import type * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import type * as Schema from "effect/Schema"
import type * as SchemaAST from "effect/SchemaAST"
import { firstDuplicate } from "./duplicates.js"

/** @internal */
export const MAX_TIME_TO_LIVE = 2_419_200

/** @internal */
export const MAX_PAYLOAD_BYTES = 4096

/** @internal */
export const MAX_TOPIC_PAYLOAD_BYTES = 2048

/** @internal */
export const MAX_CONDITION_TOPICS = 5

/** A topic name, optionally prefixed `/topics/`. @internal */
export const TOPIC_PATTERN = /^(\/topics\/)?[a-zA-Z0-9\-_.~%]+$/

/** A notification colour. @internal */
export const COLOR_PATTERN = /^#[0-9a-fA-F]{6}$/

/** FCM rejects `from`, `message_type` and keys starting with `google` or `gcm`, in any case. @internal */
export const isReservedDataKey = (key: string): boolean => {
  const lower = key.toLowerCase()
  return lower === "from" || lower === "message_type" || lower.startsWith("google") || lower.startsWith("gcm")
}

/** No empty key, no reserved key. @internal */
export const checkDataKeys = (data: { readonly [key: string]: unknown }): Schema.FilterOutput => {
  for (const key in data) {
    if (key.length === 0) return { path: [key], message: "must not be empty" }
    if (isReservedDataKey(key)) return { path: [key], message: "is a reserved key (from, message_type, google…, gcm…)" }
  }
  return undefined
}

/**
 * The decoding of a list of registration tokens: an array of non-empty strings, the error pointing at the first that
 * is not. A declaration rather than `Schema.Array`: a multicast of thousands of tokens is checked in one loop.
 *
 * @internal
 */
export const decodeTokens = (
  input: unknown,
  ast: SchemaAST.AST
): Either.Either<ReadonlyArray<string>, ParseResult.ParseIssue> => {
  if (!Array.isArray(input)) {
    return ParseResult.fail(new ParseResult.Type(ast, input, "must be an array of registration tokens"))
  }
  for (let i = 0; i < input.length; i++) {
    const token: unknown = input[i]
    if (typeof token !== "string" || token.length === 0) {
      const reason = typeof token === "string"
        ? "must be a non-empty registration token"
        : `must be a registration token (a string), got ${token === null ? "null" : typeof token}`
      return ParseResult.fail(new ParseResult.Pointer(i, input, new ParseResult.Type(ast, token, reason)))
    }
  }
  return ParseResult.succeed(input as ReadonlyArray<string>)
}

const utf8 = new TextEncoder()
const byteLength = (s: string): number => {
  // Fast path: ASCII strings have one byte per character.
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return utf8.encode(s).length
  }
  return s.length
}

/** What a payload is made of, for its size. @internal */
export interface Payload {
  readonly data?: { readonly [key: string]: string | number | boolean } | undefined
  readonly notification?: { readonly [key: string]: unknown } | undefined
}

/** The size FCM counts against its limit: the data keys and values and the notification's, in UTF-8 bytes. @internal */
export const payloadBytes = (options: Payload): number => {
  let size = 0
  if (options.data) {
    for (const key in options.data) size += byteLength(key) + byteLength(String(options.data[key]))
  }
  if (options.notification) {
    for (const [key, value] of Object.entries(options.notification)) {
      if (value === undefined) continue
      size += byteLength(key) + byteLength(typeof value === "string" ? value : JSON.stringify(value))
    }
  }
  return size
}

/** A message's targets and payload. @internal */
export interface Targeted extends Payload {
  readonly tokens?: ReadonlyArray<string> | undefined
  readonly topic?: string | undefined
  readonly condition?: string | undefined
}

/** Exactly one target; tokens non-empty and each once; a condition of 1 to 5 topics; the payload within its limit. @internal */
export const checkTarget = (m: Targeted): Schema.FilterOutput => {
  const targets = (m.tokens !== undefined ? 1 : 0) + (m.topic !== undefined ? 1 : 0) +
    (m.condition !== undefined ? 1 : 0)
  if (targets === 0) return { path: ["tokens"], message: "no target: set tokens, topic or condition" }
  if (targets > 1) return { path: ["tokens"], message: "set exactly one of tokens, topic or condition" }
  if (m.tokens !== undefined) {
    if (m.tokens.length === 0) return { path: ["tokens"], message: "must not be empty" }
    const duplicate = firstDuplicate(m.tokens)
    if (duplicate !== undefined) {
      return { path: ["tokens", duplicate[0]], message: `duplicates tokens[${duplicate[1]}]` }
    }
  }
  if (m.condition !== undefined) {
    const topics = m.condition.match(/'[^']*'\s+in\s+topics/g)?.length ?? 0
    if (topics === 0) return { path: ["condition"], message: "must name at least one topic, e.g. 'news' in topics" }
    if (topics > MAX_CONDITION_TOPICS) {
      return { path: ["condition"], message: `names ${topics} topics; FCM allows at most ${MAX_CONDITION_TOPICS}` }
    }
  }
  const limit = m.topic !== undefined ? MAX_TOPIC_PAYLOAD_BYTES : MAX_PAYLOAD_BYTES
  const size = payloadBytes(m)
  if (size > limit) {
    return {
      path: [m.data !== undefined ? "data" : "notification"],
      message: `payload is ${size} bytes; FCM accepts at most ${limit}${m.topic !== undefined ? " for a topic" : ""}`
    }
  }
  return undefined
}
