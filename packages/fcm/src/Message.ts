/**
 * The multicast message: who to send to (registration tokens, a topic or a condition), what to send (`data`,
 * `notification`) and how (`collapseKey`, `priority`, `timeToLive`, …). It is plain data; {@link validate} checks
 * it before anything goes on the wire, and each protocol encodes it to its own wire format.
 *
 * The rules its fields' types do not say (one target, no token twice, reserved data keys, the payload limits) are in
 * `internal/messageRules.ts`; how a failed decoding names its field, in `internal/invalidMessage.ts`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { InvalidMessage } from "./FcmError.js"
import * as invalidMessage from "./internal/invalidMessage.js"
import * as rules from "./internal/messageRules.js"
import { noProto, optional, wire, WireFormId } from "./internal/wire.js"
import { wireFields, wirePathOf } from "./internal/wireFields.js"

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
export const MAX_TIME_TO_LIVE = rules.MAX_TIME_TO_LIVE

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
export const MAX_PAYLOAD_BYTES = rules.MAX_PAYLOAD_BYTES

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
export const MAX_TOPIC_PAYLOAD_BYTES = rules.MAX_TOPIC_PAYLOAD_BYTES

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
export const MAX_CONDITION_TOPICS = rules.MAX_CONDITION_TOPICS

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
export const isReservedDataKey: (key: string) => boolean = rules.isReservedDataKey

/**
 * The keys' rules, checked on the whole record: a record's key schema that refuses a key makes it an unexpected key,
 * which would hide the rule it broke.
 */
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
export const Data = noProto(
  Schema.Record({ key: Schema.String, value: DataValue }).pipe(Schema.filter(rules.checkDataKeys)).annotations({
    [WireFormId]: "map of string, number or boolean"
  })
)

const NonEmpty = (what: string) =>
  Schema.String.pipe(Schema.minLength(1, { message: () => `${what} must not be empty` }))

/** The legacy notification: camelCase on the type side, the legacy API's names on the wire. */
const NotificationWire = Schema.Struct({
  title: optional(Schema.String),
  body: optional(Schema.String),
  image: optional(Schema.String),
  icon: optional(Schema.String),
  sound: optional(Schema.String),
  badge: optional(Schema.String),
  tag: optional(Schema.String),
  color: optional(
    Schema.String.pipe(Schema.pattern(rules.COLOR_PATTERN, { message: () => "must be a colour in the form #rrggbb" }))
  ),
  clickAction: wire("click_action", Schema.String),
  channelId: wire("android_channel_id", Schema.String),
  subtitle: optional(Schema.String),
  bodyLocKey: wire("body_loc_key", Schema.String),
  bodyLocArgs: wire("body_loc_args", Schema.Array(Schema.String)),
  titleLocKey: wire("title_loc_key", Schema.String),
  titleLocArgs: wire("title_loc_args", Schema.Array(Schema.String))
})

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
export const Notification = Schema.typeSchema(NotificationWire)

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
 * The options on the legacy wire, in the order the legacy body writes them: options, then `data` (left out when
 * empty), then `notification`.
 */
const optionFields = {
  collapseKey: wire("collapse_key", NonEmpty("collapseKey")),
  priority: optional(Priority),
  timeToLive: wire(
    "time_to_live",
    Schema.Number.pipe(
      Schema.int({ message: () => "must be an integer number of seconds" }),
      Schema.between(0, MAX_TIME_TO_LIVE, { message: () => `must be between 0 and ${MAX_TIME_TO_LIVE} seconds` })
    )
  ),
  delayWhileIdle: wire("delay_while_idle", Schema.Boolean),
  restrictedPackageName: wire("restricted_package_name", NonEmpty("restrictedPackageName")),
  dryRun: wire("dry_run", Schema.Boolean),
  contentAvailable: wire("content_available", Schema.Boolean),
  mutableContent: wire("mutable_content", Schema.Boolean),
  data: Schema.optionalToOptional(Data, Schema.UndefinedOr(Schema.typeSchema(Data)), {
    decode: (o) => o,
    encode: (o) => Option.filter(o, (d): d is typeof Data.Type => d !== undefined && Object.keys(d).length > 0)
  }),
  notification: optional(NotificationWire)
}

/** The options of the legacy body, without the target: the part a fan-out shares. */
const OptionsWire = Schema.Struct(optionFields)

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
export const Options = Schema.typeSchema(OptionsWire)

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
const Tokens: Schema.Schema<ReadonlyArray<string>, ReadonlyArray<string>> = Schema.declare(
  [],
  {
    decode: () => (input, _options, ast) => rules.decodeTokens(input, ast),
    encode: () => ParseResult.succeed
  },
  { identifier: "Tokens", description: "registration tokens", [WireFormId]: "array of registration tokens" }
) as unknown as Schema.Schema<ReadonlyArray<string>, ReadonlyArray<string>>

const TopicSchema = Schema.String.pipe(
  Schema.pattern(rules.TOPIC_PATTERN, {
    message: () => "must be a topic name ([a-zA-Z0-9-_.~%]+), optionally prefixed /topics/"
  })
)

/** The topic goes on the legacy wire as `to: "/topics/<name>"`. */
const TopicTo = Schema.transform(TopicSchema, TopicSchema, {
  strict: true,
  decode: (t) => t,
  encode: (t) => topicPath(t)
}).annotations({ [WireFormId]: "`\"/topics/<name>\"` (the legacy `to` of a topic)" })

const Fields = Schema.Struct({
  tokens: wire("registration_ids", Tokens),
  topic: wire("to", TopicTo),
  condition: optional(NonEmpty("condition")),
  ...optionFields
})

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
export const payloadBytes: (options: Options) => number = rules.payloadBytes

/**
 * The legacy request body (`POST /fcm/send`) as one schema: its type side is the camelCase {@link Message}, its
 * encoded side the JSON body the legacy API reads (`registration_ids`, `to: "/topics/<name>"`, `condition`,
 * `collapse_key`, `time_to_live`, …, `data`, `notification` with `click_action` and `android_channel_id`). Encoding a
 * message gives its body for all of its tokens; decoding a legacy body (a `to` must be a `/topics/` path: a single
 * token goes in `registration_ids`) gives the message, checked by every rule {@link validate} checks.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * const body = Schema.encodeSync(Message.Legacy)(Message.toTopic("news", { collapseKey: "news", timeToLive: 60 }))
 * assert.deepStrictEqual(body, { to: "/topics/news", collapse_key: "news", time_to_live: 60 })
 * const message = Schema.decodeUnknownSync(Message.Legacy)({ registration_ids: ["t"], dry_run: true })
 * assert.deepStrictEqual(message, { tokens: ["t"], dryRun: true })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Legacy = Fields.pipe(Schema.filter(rules.checkTarget))

const decodeLegacy = Schema.decodeUnknownEither(Legacy, { onExcessProperty: "error" })
let legacyPath: ((path: string) => string) | undefined

/**
 * Decodes a legacy request body (the JSON the seed and the legacy API write: `registration_ids`, `to` of a
 * `/topics/` path, `condition`, snake_case options, `data`, `notification`) into a {@link Message}, checked by every
 * rule {@link validate} checks. Fails with an `InvalidMessage` naming the field as the legacy body writes it
 * (`time_to_live`, `notification.android_channel_id`).
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 * import { Either } from "effect"
 *
 * const message = Message.fromLegacy({ to: "/topics/news", time_to_live: 60, data: { kind: "news" } })
 * assert.deepStrictEqual(Either.getOrThrow(message), { topic: "/topics/news", timeToLive: 60, data: { kind: "news" } })
 * const bad = Message.fromLegacy({ registration_ids: ["t"], time_to_live: -1 })
 * assert.ok(Either.isLeft(bad) && bad.left.field === "time_to_live")
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromLegacy = (body: unknown): Either.Either<Message, InvalidMessage> =>
  Either.mapLeft(decodeLegacy(body), (error) => {
    const invalid = fromParseError(error)
    legacyPath ??= wirePathOf(wireFields(Legacy.ast))
    const field = legacyPath(invalid.field)
    return field === invalid.field ? invalid : new InvalidMessage({ field, reason: invalid.reason })
  })

/**
 * The part of the legacy body a fan-out shares: the options, `data` and `notification` of {@link Legacy}, without the
 * target (each request adds its own `registration_ids`, `to` or `condition`).
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * const shared = Schema.encodeSync(Message.LegacyOptions)({ notification: { channelId: "news" }, dryRun: false })
 * assert.deepStrictEqual(shared, { dry_run: false, notification: { android_channel_id: "news" } })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const LegacyOptions = OptionsWire

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
export const Message = Schema.typeSchema(Legacy).annotations({ identifier: "Message" })

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
export const fromParseError: (error: ParseResult.ParseError, prefix?: string) => InvalidMessage =
  invalidMessage.fromParseError

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
