/**
 * The multicast message: who to send to (registration tokens, a topic or a condition), what to send (`data`,
 * `notification`) and how (`collapseKey`, `priority`, `timeToLive`, …). It is plain data; {@link validate} checks
 * it before anything goes on the wire, and each protocol encodes it to its own wire format.
 *
 * @since 0.1.0
 */
import { Effect, Either, ParseResult, Schema } from "effect"
import { InvalidMessage } from "./FcmError.js"

/**
 * The longest time FCM keeps a message for an offline device: four weeks, in seconds.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * // keep the message for as long as FCM allows
 * const message = Message.toTopic("news", {
 *   data: { headline: "Launch day" },
 *   timeToLive: Message.MAX_TIME_TO_LIVE
 * })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_TIME_TO_LIVE = 2_419_200

/**
 * The largest payload (data keys and values, and the notification) FCM accepts, in bytes.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * const options: Message.Options = { data: { body: "x".repeat(5000) } }
 * assert.ok(Message.payloadBytes(options) > Message.MAX_PAYLOAD_BYTES) // validate refuses it
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_PAYLOAD_BYTES = 4096

/**
 * The largest payload FCM accepts for a topic message, in bytes.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 * import { Either } from "effect"
 *
 * // 3000 bytes fit a message to tokens, not one to a topic
 * const data = { body: "x".repeat(3000) }
 * assert.ok(Either.isRight(Message.validateEither(Message.multicast(["token-1"], { data }))))
 * assert.ok(Either.isLeft(Message.validateEither(Message.toTopic("news", { data }))))
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_TOPIC_PAYLOAD_BYTES = 2048

/**
 * The most topics a condition may name.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 * import { Either } from "effect"
 *
 * const topics = ["a", "b", "c", "d", "e", "f"].map((t) => `'${t}' in topics`)
 * const tooMany = Message.toCondition(topics.join(" || ")) // six topics
 * assert.ok(Either.isLeft(Message.validateEither(tooMany)))
 * assert.strictEqual(Message.MAX_CONDITION_TOPICS, 5)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_CONDITION_TOPICS = 5

const TOPIC_PATTERN = /^(\/topics\/)?[a-zA-Z0-9\-_.~%]+$/
const COLOR_PATTERN = /^#[0-9a-fA-F]{6}$/

/**
 * A data value: FCM carries flat key/value pairs, so nested structures are refused.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * const isDataValue = Schema.is(Message.DataValue)
 * assert.ok(isDataValue("text") && isDataValue(42) && isDataValue(true))
 * assert.ok(!isDataValue({ nested: true }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const DataValue = Schema.Union(Schema.String, Schema.Number.pipe(Schema.finite()), Schema.Boolean).annotations({
  identifier: "DataValue",
  message: () => ({
    message: "must be a string, a finite number or a boolean (nested structures are not allowed)",
    override: true
  })
})

/**
 * @example
 * ```ts
 * import type { Message } from "@effect-fcm/fcm"
 *
 * const values: ReadonlyArray<Message.DataValue> = ["text", 42, true]
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type DataValue = typeof DataValue.Type

/**
 * Whether a data key is reserved by FCM: `from`, `message_type`, and anything starting with `google` or `gcm`.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * assert.ok(Message.isReservedDataKey("from"))
 * assert.ok(Message.isReservedDataKey("google.sent_time"))
 * assert.ok(!Message.isReservedDataKey("score"))
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isReservedDataKey = (key: string): boolean => {
  const lower = key.toLowerCase()
  return lower === "from" || lower === "message_type" || lower.startsWith("google") || lower.startsWith("gcm")
}

/**
 * The keys' rules, checked on the whole record: a record's key schema that refuses a key makes it an unexpected key,
 * which would hide the rule it broke.
 */
const checkDataKeys = (data: { readonly [key: string]: unknown }): Schema.FilterOutput => {
  for (const key in data) {
    if (key.length === 0) return { path: [key], message: "must not be empty" }
    if (isReservedDataKey(key)) return { path: [key], message: "is a reserved key (from, message_type, google…, gcm…)" }
  }
  return undefined
}

/**
 * The `data` payload: string keys, scalar values.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 * import { Either, Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(Message.Data)
 * assert.ok(Either.isRight(decode({ score: "3-0", minute: 90, final: true })))
 * assert.ok(Either.isLeft(decode({ lineup: ["Saka", "Rice"] }))) // values are scalars
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Data = Schema.Record({ key: Schema.String, value: DataValue }).pipe(Schema.filter(checkDataKeys))

const NonEmpty = (what: string) =>
  Schema.String.pipe(Schema.minLength(1, { message: () => `${what} must not be empty` }))

/**
 * The notification shown by the device: the keys of FCM's `notification` object, in camelCase.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 * import { Either, Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(Message.Notification)
 * assert.ok(Either.isRight(decode({ title: "Goal!", color: "#f45342" })))
 * assert.ok(Either.isLeft(decode({ title: "Goal!", color: "red" }))) // colours are #rrggbb
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Notification = Schema.Struct({
  title: Schema.optional(Schema.String),
  body: Schema.optional(Schema.String),
  image: Schema.optional(Schema.String),
  icon: Schema.optional(Schema.String),
  sound: Schema.optional(Schema.String),
  badge: Schema.optional(Schema.String),
  tag: Schema.optional(Schema.String),
  color: Schema.optional(
    Schema.String.pipe(Schema.pattern(COLOR_PATTERN, { message: () => "must be a colour in the form #rrggbb" }))
  ),
  clickAction: Schema.optional(Schema.String),
  channelId: Schema.optional(Schema.String),
  subtitle: Schema.optional(Schema.String),
  bodyLocKey: Schema.optional(Schema.String),
  bodyLocArgs: Schema.optional(Schema.Array(Schema.String)),
  titleLocKey: Schema.optional(Schema.String),
  titleLocArgs: Schema.optional(Schema.Array(Schema.String))
})

/**
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * const notification: Message.Notification = { title: "Goal!", body: "Arsenal 3-0", sound: "default" }
 * const message = Message.multicast(["token-1"], { notification })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Notification extends Schema.Schema.Type<typeof Notification> {}

/**
 * Delivery priority: `normal` (may be delayed to save battery) or `high` (wakes the device).
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(Message.Priority)("high"))
 * assert.ok(!Schema.is(Message.Priority)("urgent"))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Priority = Schema.Literal("normal", "high")

/**
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * const priority: Message.Priority = "high" // wakes the device
 * const message = Message.multicast(["token-1"], { priority, data: { ping: "1" } })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Priority = typeof Priority.Type

/**
 * The options shared by every target: everything a message carries except who it goes to.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 * import { Either, Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(Message.Options)
 * assert.ok(Either.isRight(decode({ collapseKey: "scores", timeToLive: 3600 })))
 * assert.ok(Either.isLeft(decode({ timeToLive: -1 })))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Options = Schema.Struct({
  data: Schema.optional(Data),
  notification: Schema.optional(Notification),
  collapseKey: Schema.optional(NonEmpty("collapseKey")),
  priority: Schema.optional(Priority),
  timeToLive: Schema.optional(
    Schema.Number.pipe(
      Schema.int({ message: () => "must be an integer number of seconds" }),
      Schema.between(0, MAX_TIME_TO_LIVE, { message: () => `must be between 0 and ${MAX_TIME_TO_LIVE} seconds` })
    )
  ),
  delayWhileIdle: Schema.optional(Schema.Boolean),
  restrictedPackageName: Schema.optional(NonEmpty("restrictedPackageName")),
  dryRun: Schema.optional(Schema.Boolean),
  contentAvailable: Schema.optional(Schema.Boolean),
  mutableContent: Schema.optional(Schema.Boolean)
})

/**
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * const options: Message.Options = { collapseKey: "scores", priority: "high", timeToLive: 600 }
 * const toFans = Message.toTopic("arsenal", options)
 * const toMe = Message.multicast(["token-1"], options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Schema.Schema.Type<typeof Options> {}

/**
 * Registration tokens: an array of non-empty strings, checked in one loop. A multicast carries thousands of tokens,
 * and `Schema.Array(Schema.String)` builds a parse result per element; this reports the first bad element by index
 * (`tokens[3]`) the same way, at the cost of a type check per token.
 */
const Tokens: Schema.Schema<ReadonlyArray<string>, unknown> = Schema.declare(
  [],
  {
    decode: () => (input, _options, ast) => {
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
    },
    encode: () => ParseResult.succeed
  },
  { identifier: "Tokens", description: "registration tokens" }
)

const Fields = Schema.Struct({
  tokens: Schema.optional(Tokens),
  topic: Schema.optional(
    Schema.String.pipe(
      Schema.pattern(TOPIC_PATTERN, {
        message: () => "must be a topic name ([a-zA-Z0-9-_.~%]+), optionally prefixed /topics/"
      })
    )
  ),
  condition: Schema.optional(NonEmpty("condition")),
  ...Options.fields
})

const utf8 = new TextEncoder()
const byteLength = (s: string): number => {
  // Fast path: ASCII strings have one byte per character.
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return utf8.encode(s).length
  }
  return s.length
}

/**
 * The size FCM counts against its payload limit: the bytes of the data keys and values and of the notification's
 * keys and values.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * // "score" + "3-0" + "title" + "Goal!"
 * assert.strictEqual(Message.payloadBytes({ data: { score: "3-0" }, notification: { title: "Goal!" } }), 18)
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const payloadBytes = (options: Options): number => {
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

const checkTarget = (m: typeof Fields.Type): Schema.FilterOutput => {
  const targets = (m.tokens !== undefined ? 1 : 0) + (m.topic !== undefined ? 1 : 0) +
    (m.condition !== undefined ? 1 : 0)
  if (targets === 0) return { path: ["tokens"], message: "no target: set tokens, topic or condition" }
  if (targets > 1) return { path: ["tokens"], message: "set exactly one of tokens, topic or condition" }
  if (m.tokens !== undefined) {
    if (m.tokens.length === 0) return { path: ["tokens"], message: "must not be empty" }
    const seen = new Set<string>()
    for (let i = 0; i < m.tokens.length; i++) {
      const token = m.tokens[i]!
      if (seen.has(token)) return { path: ["tokens", i], message: `duplicates tokens[${m.tokens.indexOf(token)}]` }
      seen.add(token)
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

/**
 * The message schema. Decoding checks every rule FCM enforces, so a message that decodes can go on the wire.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 * import { Either, Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(Message.Message)
 * assert.ok(Either.isRight(decode({ topic: "news", data: { headline: "Launch day" } })))
 * assert.ok(Either.isLeft(decode({ data: { headline: "Launch day" } }))) // no target
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Message = Fields.pipe(Schema.filter(checkTarget)).annotations({ identifier: "Message" })

/**
 * A message to one or more registration tokens, a topic, or a condition.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * const message: Message.Message = {
 *   tokens: ["token-1", "token-2"],
 *   notification: { title: "Goal!" },
 *   priority: "high"
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Message extends Schema.Schema.Type<typeof Fields> {}

/**
 * A message to registration tokens: the seed's `JSONMessage(registration_ids, data, **options)`.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * const multicast = Message.multicast(["registration_id_1", "registration_id_2"], {
 *   data: { str: "string", int: 10 },
 *   collapseKey: "my.key",
 *   dryRun: true
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const multicast = (tokens: ReadonlyArray<string>, options: Options = {}): Message => ({ ...options, tokens })

/**
 * A message to every device subscribed to a topic (`news` or `/topics/news`).
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * const message = Message.toTopic("news", { notification: { title: "Launch day" } })
 * assert.deepStrictEqual(Message.targets(message), ["/topics/news"])
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const toTopic = (topic: string, options: Options = {}): Message => ({ ...options, topic })

/**
 * A message to the devices matching a topic condition, such as `'dogs' in topics || 'cats' in topics`.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * const message = Message.toCondition("'dogs' in topics || 'cats' in topics", {
 *   notification: { title: "New pet food" }
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const toCondition = (condition: string, options: Options = {}): Message => ({ ...options, condition })

/**
 * The same message (options, data, notification) for other tokens: what a retry sends.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * const message = Message.multicast(["token-1", "token-2"], { data: { score: "3-0" } })
 * const again = Message.withTokens(message, ["token-2"])
 * assert.deepStrictEqual(again, { data: { score: "3-0" }, tokens: ["token-2"] })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withTokens = (message: Message, tokens: ReadonlyArray<string>): Message => {
  const { condition: _c, topic: _t, ...rest } = message
  return { ...rest, tokens }
}

/**
 * The targets of a message: its tokens, or its single topic or condition.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * assert.deepStrictEqual(Message.targets(Message.multicast(["token-1", "token-2"])), ["token-1", "token-2"])
 * assert.deepStrictEqual(Message.targets(Message.toTopic("news")), ["/topics/news"])
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const targets = (message: Message): ReadonlyArray<string> =>
  message.tokens ?? [message.topic !== undefined ? topicPath(message.topic) : message.condition!]

/**
 * A topic in the `/topics/name` form the legacy protocol uses.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * assert.strictEqual(Message.topicPath("news"), "/topics/news")
 * assert.strictEqual(Message.topicPath("/topics/news"), "/topics/news")
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const topicPath = (topic: string): string => topic.startsWith("/topics/") ? topic : `/topics/${topic}`

/**
 * A topic in the bare `name` form HTTP v1 uses.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * assert.strictEqual(Message.topicName("/topics/news"), "news")
 * assert.strictEqual(Message.topicName("news"), "news")
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const topicName = (topic: string): string => topic.startsWith("/topics/") ? topic.slice(8) : topic

const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`
    else if (segment === "") out += `[""]` // an empty key, which a dot would hide
    else out += out.length === 0 ? String(segment) : `.${String(segment)}`
  }
  return out.length === 0 ? "message" : out
}

/**
 * Turns a schema failure into an {@link InvalidMessage} naming the first offending field.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 * import { Either, Schema } from "effect"
 *
 * const decoded = Schema.decodeUnknownEither(Message.Notification)({ color: "red" })
 * if (Either.isLeft(decoded)) {
 *   const error = Message.fromParseError(decoded.left, "notification")
 *   assert.strictEqual(error.field, "notification.color")
 * }
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const fromParseError = (error: ParseResult.ParseError, prefix?: string): InvalidMessage => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const issue = issues[0]
  const field = issue === undefined ? "message" : formatPath(issue.path)
  return new InvalidMessage({
    field: prefix === undefined ? field : field === "message" ? prefix : `${prefix}.${field}`,
    reason: issue === undefined ? "is not a valid message" : issue.message
  })
}

const decodeMessage = Schema.decodeUnknownEither(Message, { onExcessProperty: "error" })

/**
 * Checks a message (also one that came from untyped JavaScript or JSON) against every rule FCM enforces: a single
 * target, no empty or duplicate tokens, scalar data without reserved keys, a TTL in range, a known priority, a
 * payload within FCM's size limit. Fails with an {@link InvalidMessage} naming the field.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const program = Message.validate(Message.multicast(["token-1", "token-1"])).pipe(
 *   Effect.catchTag("InvalidMessage", (e) => Effect.succeed(`${e.field}: ${e.reason}`))
 * )
 * assert.strictEqual(Effect.runSync(program), "tokens[1]: duplicates tokens[0]")
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (message: unknown): Effect.Effect<Message, InvalidMessage> =>
  Either.match(decodeMessage(message), {
    onLeft: (error) => Effect.fail(fromParseError(error)),
    onRight: Effect.succeed
  })

/**
 * {@link validate} as an `Either`, for synchronous callers.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 * import { Either } from "effect"
 *
 * const checked = Message.validateEither(Message.multicast(["token-1"], { timeToLive: 90_000_000 }))
 * assert.ok(Either.isLeft(checked) && checked.left.field === "timeToLive")
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const validateEither = (message: unknown): Either.Either<Message, InvalidMessage> =>
  Either.mapLeft(decodeMessage(message), (error) => fromParseError(error))
