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
 * @since 0.1.0
 * @category constants
 */
export const MAX_TIME_TO_LIVE = 2_419_200

/**
 * The largest payload (data keys and values, and the notification) FCM accepts, in bytes.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_PAYLOAD_BYTES = 4096

/**
 * The largest payload FCM accepts for a topic message, in bytes.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_TOPIC_PAYLOAD_BYTES = 2048

/**
 * The most topics a condition may name.
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
 * @since 0.1.0
 * @category schemas
 */
export const DataValue = Schema.Union(Schema.String, Schema.Number.pipe(Schema.finite()), Schema.Boolean).annotations({
  identifier: "DataValue",
  message: () => "must be a string, a finite number or a boolean (nested structures are not allowed)"
})

/**
 * @since 0.1.0
 * @category models
 */
export type DataValue = typeof DataValue.Type

/**
 * Whether a data key is reserved by FCM: `from`, `message_type`, and anything starting with `google` or `gcm`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isReservedDataKey = (key: string): boolean => {
  const lower = key.toLowerCase()
  return lower === "from" || lower === "message_type" || lower.startsWith("google") || lower.startsWith("gcm")
}

const DataKey = Schema.String.pipe(
  Schema.filter((key) => {
    if (key.length === 0) return "must not be empty"
    if (isReservedDataKey(key)) return "is a reserved key (from, message_type, google…, gcm…)"
    return undefined
  })
)

/**
 * The `data` payload: string keys, scalar values.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Data = Schema.Record({ key: DataKey, value: DataValue })

const NonEmpty = (what: string) =>
  Schema.String.pipe(Schema.minLength(1, { message: () => `${what} must not be empty` }))

/**
 * The notification shown by the device: the keys of FCM's `notification` object, in camelCase.
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
 * @since 0.1.0
 * @category models
 */
export interface Notification extends Schema.Schema.Type<typeof Notification> {}

/**
 * Delivery priority: `normal` (may be delayed to save battery) or `high` (wakes the device).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Priority = Schema.Literal("normal", "high")

/**
 * @since 0.1.0
 * @category models
 */
export type Priority = typeof Priority.Type

/**
 * The options shared by every target: everything a message carries except who it goes to.
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
 * @since 0.1.0
 * @category schemas
 */
export const Message = Fields.pipe(Schema.filter(checkTarget)).annotations({ identifier: "Message" })

/**
 * A message to one or more registration tokens, a topic, or a condition.
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
 * @since 0.1.0
 * @category constructors
 */
export const toTopic = (topic: string, options: Options = {}): Message => ({ ...options, topic })

/**
 * A message to the devices matching a topic condition, such as `'dogs' in topics || 'cats' in topics`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toCondition = (condition: string, options: Options = {}): Message => ({ ...options, condition })

/**
 * The same message (options, data, notification) for other tokens: what a retry sends.
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
 * @since 0.1.0
 * @category getters
 */
export const targets = (message: Message): ReadonlyArray<string> =>
  message.tokens ?? [message.topic !== undefined ? topicPath(message.topic) : message.condition!]

/**
 * A topic in the `/topics/name` form the legacy protocol uses.
 *
 * @since 0.1.0
 * @category utils
 */
export const topicPath = (topic: string): string => topic.startsWith("/topics/") ? topic : `/topics/${topic}`

/**
 * A topic in the bare `name` form HTTP v1 uses.
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
 * @since 0.1.0
 * @category validation
 */
export const validateEither = (message: unknown): Either.Either<Message, InvalidMessage> =>
  Either.mapLeft(decodeMessage(message), (error) => fromParseError(error))
