/**
 * The HTTP v1 message: one target (`token`, `topic` or `condition`), a common payload (`data`, `notification`) and
 * per-platform overrides (`android`, `apns`, `webpush`), written in the camelCase shape firebase-admin users already
 * know. {@link validate} checks it against the rules FCM enforces, {@link toWire} turns it into the JSON `message`
 * object the v1 REST API expects, and {@link fromMessage} translates a multicast {@link Message.Message} into that
 * wire form once per fan-out.
 *
 * @since 0.1.0
 */
import { Effect, Either, ParseResult, Schema } from "effect"
import type { InvalidMessage } from "./FcmError.js"
import * as internal from "./internal/messageV1.js"
import * as Message from "./Message.js"

/**
 * The longest Android TTL FCM accepts, in milliseconds: four weeks.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 *
 * const message: MessageV1.MessageV1 = {
 *   token: "registration-token",
 *   android: { ttl: MessageV1.MAX_TTL_MILLIS } // keep it for four weeks
 * }
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_TTL_MILLIS = Message.MAX_TIME_TO_LIVE * 1000

const TOPIC_PATTERN = /^[a-zA-Z0-9\-_.~%]+$/
const COLOR_PATTERN = /^#[0-9a-fA-F]{6}$/
const LIGHT_COLOR_PATTERN = /^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/
const ANALYTICS_LABEL_PATTERN = /^[a-zA-Z0-9\-_.~%]{1,50}$/
const RFC3339_PATTERN =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/
const CONDITION_TOPIC = /(?:'[^']*'|"[^"]*")\s+in\s+topics/g

const mustBe = (what: string) => ({ message: () => `must be ${what}` })

const oneOf = <const L extends ReadonlyArray<string>>(...literals: L) =>
  Schema.declare(
    (u: unknown): u is L[number] => typeof u === "string" && literals.includes(u),
    mustBe(`one of ${literals.map((l) => `"${l}"`).join(", ")}`)
  )

const Str = Schema.String.annotations(mustBe("a string"))
const Bool = Schema.Boolean.annotations(mustBe("a boolean"))
const NonEmpty = Schema.String.annotations(mustBe("a string")).pipe(
  Schema.minLength(1, { message: () => "must not be empty" })
)
const StringList = Schema.Array(Str).annotations(mustBe("an array of strings"))

const NonNegativeInt = (unit: string) =>
  Schema.Number.annotations(mustBe(`a number of ${unit}`)).pipe(
    Schema.int({ message: () => `must be an integer number of ${unit}` }),
    Schema.nonNegative({ message: () => `must not be negative` })
  )

const Millis = Schema.Number.annotations(mustBe("a number of milliseconds")).pipe(
  Schema.finite({ message: () => "must be a finite number of milliseconds" }),
  Schema.nonNegative({ message: () => "must be a non-negative number of milliseconds" })
)

const isUrl = (s: string, protocols: ReadonlyArray<string>): boolean => {
  try {
    const url = new URL(s)
    return protocols.includes(url.protocol) && url.hostname.length > 0
  } catch {
    return false
  }
}

const ImageUrl = Str.pipe(
  Schema.filter((s) => isUrl(s, ["https:", "http:"]) || "must be an http(s) URL")
)

const isPlainObject = (u: unknown): u is Record<string, unknown> => {
  if (typeof u !== "object" || u === null || Array.isArray(u)) return false
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

const jsonIssue = (
  u: unknown,
  path: Array<PropertyKey>,
  ancestors: Set<object>
): { readonly path: ReadonlyArray<PropertyKey>; readonly message: string } | undefined => {
  switch (typeof u) {
    case "string":
    case "boolean":
      return undefined
    case "number":
      return Number.isFinite(u) ? undefined : { path, message: "must be a finite number" }
    case "object": {
      if (u === null) return undefined
      if (ancestors.has(u)) return { path, message: "is circular" }
      if (Array.isArray(u)) {
        ancestors.add(u)
        for (let i = 0; i < u.length; i++) {
          const item: unknown = u[i]
          if (item === undefined) return { path: [...path, i], message: "must not be undefined in an array" }
          const issue = jsonIssue(item, [...path, i], ancestors)
          if (issue !== undefined) return issue
        }
        ancestors.delete(u)
        return undefined
      }
      if (!isPlainObject(u)) return { path, message: "must be JSON (a string, number, boolean, null, array or object)" }
      ancestors.add(u)
      for (const key of Object.keys(u)) {
        const value = u[key]
        if (value === undefined) continue
        const issue = jsonIssue(value, [...path, key], ancestors)
        if (issue !== undefined) return issue
      }
      ancestors.delete(u)
      return undefined
    }
    default:
      return { path, message: "must be JSON (a string, number, boolean, null, array or object)" }
  }
}

/**
 * Any JSON value: what free-form objects (custom APNs keys, the web notification) may hold.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(MessageV1.Json)({ list: [1, "two", null], nested: { ok: true } }))
 * assert.ok(!Schema.is(MessageV1.Json)({ when: new Date() })) // not JSON
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Json = Schema.Unknown.pipe(
  Schema.filter((u) => jsonIssue(u, [], new Set()))
).annotations({ identifier: "Json" })

const FreeKeys = Schema.Record({ key: Schema.String, value: Json })

/**
 * A string map (`headers`): every value must be a string.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(MessageV1.StringMap)({ "apns-priority": "10" }))
 * assert.ok(!Schema.is(MessageV1.StringMap)({ "apns-priority": 10 }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const StringMap = Schema.Record({
  key: Schema.String,
  value: Schema.String.annotations(mustBe("a string"))
}).annotations(mustBe("an object of string values"))

/**
 * A data payload: string keys and string values (v1 carries nothing else), no reserved keys (`from`,
 * `message_type`, `google…`, `gcm…`).
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Either, Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(MessageV1.Data)
 * assert.ok(Either.isRight(decode({ score: "3-0" })))
 * assert.ok(Either.isLeft(decode({ minute: 90 }))) // v1 data values are strings
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Data = Schema.Record({
  key: Schema.String,
  value: Schema.String.annotations(mustBe("a string (v1 data values are strings: convert with String(value))"))
}).annotations(mustBe("an object of string values")).pipe(
  Schema.filter((data) => {
    for (const key in data) {
      if (key.length === 0) return { path: [key], message: "must not be an empty key" }
      if (Message.isReservedDataKey(key)) {
        return { path: [key], message: "is a reserved key (from, message_type, google…, gcm…)" }
      }
    }
    return undefined
  })
)

/**
 * An analytics label: 1 to 50 characters of `[a-zA-Z0-9-_.~%]`.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(MessageV1.AnalyticsLabel)("spring_sale-2024"))
 * assert.ok(!Schema.is(MessageV1.AnalyticsLabel)("spring sale")) // no spaces
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const AnalyticsLabel = Str.pipe(
  Schema.pattern(ANALYTICS_LABEL_PATTERN, { message: () => "must be 1 to 50 characters of [a-zA-Z0-9-_.~%]" })
)

/**
 * The FCM SDK options shared by every platform.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * const options = Schema.decodeUnknownSync(MessageV1.FcmOptions)({ analyticsLabel: "spring_sale" })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const FcmOptions = Schema.Struct({
  analyticsLabel: Schema.optional(AnalyticsLabel)
}).annotations(mustBe("an object"))

/**
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const fcmOptions: MessageV1.FcmOptions = { analyticsLabel: "spring_sale" }
 * const message: MessageV1.MessageV1 = { topic: "offers", fcmOptions }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface FcmOptions extends Schema.Schema.Type<typeof FcmOptions> {}

/**
 * The notification every platform shows: `title`, `body` and `imageUrl`.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Either, Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(MessageV1.Notification)
 * assert.ok(Either.isRight(decode({ title: "Goal!", imageUrl: "https://example.com/goal.png" })))
 * assert.ok(Either.isLeft(decode({ imageUrl: "goal.png" }))) // not an http(s) URL
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Notification = Schema.Struct({
  title: Schema.optional(Str),
  body: Schema.optional(Str),
  imageUrl: Schema.optional(ImageUrl)
}).annotations(mustBe("an object"))

/**
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const notification: MessageV1.Notification = { title: "Goal!", body: "Arsenal 3-0" }
 * const message: MessageV1.MessageV1 = { token: "registration-token", notification }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Notification extends Schema.Schema.Type<typeof Notification> {}

const locKeyRequired = (
  pairs: ReadonlyArray<readonly [args: string, key: string]>
) =>
(value: Record<string, unknown>): Schema.FilterOutput => {
  for (const [args, key] of pairs) {
    const list = value[args]
    const locKey = value[key]
    if (Array.isArray(list) && list.length > 0 && (typeof locKey !== "string" || locKey.length === 0)) {
      return { path: [key], message: `is required when ${args} is set` }
    }
  }
  return undefined
}

/**
 * The light settings of an Android notification: a colour (`#rrggbb` or `#rrggbbaa`) and on/off durations in
 * milliseconds.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * const lights = { color: "#00ff00", lightOnDurationMillis: 500, lightOffDurationMillis: 1000 }
 * assert.ok(Schema.is(MessageV1.LightSettings)(lights))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const LightSettings = Schema.Struct({
  color: Str.pipe(
    Schema.pattern(LIGHT_COLOR_PATTERN, { message: () => "must be a colour in the form #rrggbb or #rrggbbaa" })
  ),
  lightOnDurationMillis: Millis,
  lightOffDurationMillis: Millis
}).annotations(mustBe("an object"))

/**
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const lightSettings: MessageV1.LightSettings = {
 *   color: "#00ff00",
 *   lightOnDurationMillis: 500,
 *   lightOffDurationMillis: 1000
 * }
 * const message: MessageV1.MessageV1 = { token: "registration-token", android: { notification: { lightSettings } } }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface LightSettings extends Schema.Schema.Type<typeof LightSettings> {}

/**
 * A point in time: a `Date`, or an RFC 3339 string such as `2024-05-01T12:00:00Z`.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * const isTimestamp = Schema.is(MessageV1.Timestamp)
 * assert.ok(isTimestamp(new Date()) && isTimestamp("2024-05-01T12:00:00Z"))
 * assert.ok(!isTimestamp("yesterday"))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Timestamp = Schema.declare(
  (u: unknown): u is Date | string => u instanceof Date || typeof u === "string",
  mustBe("a Date or an RFC 3339 timestamp string")
).pipe(
  Schema.filter((u) => {
    if (u instanceof Date) return Number.isNaN(u.getTime()) ? "must be a valid Date" : undefined
    return RFC3339_PATTERN.test(u) || "must be an RFC 3339 timestamp such as 2024-05-01T12:00:00Z"
  })
)

/**
 * The Android notification: everything `AndroidNotification` in the v1 API carries, with durations in milliseconds,
 * colours as `#rrggbb` and priorities in lower case, as firebase-admin writes them.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Either, Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(MessageV1.AndroidNotification)
 * assert.ok(Either.isRight(decode({ channelId: "scores", priority: "high" })))
 * assert.ok(Either.isLeft(decode({ bodyLocArgs: ["Arsenal"] }))) // needs bodyLocKey
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const AndroidNotification = Schema.Struct({
  title: Schema.optional(Str),
  body: Schema.optional(Str),
  icon: Schema.optional(Str),
  color: Schema.optional(
    Str.pipe(Schema.pattern(COLOR_PATTERN, { message: () => "must be a colour in the form #rrggbb" }))
  ),
  sound: Schema.optional(Str),
  tag: Schema.optional(Str),
  clickAction: Schema.optional(Str),
  bodyLocKey: Schema.optional(Str),
  bodyLocArgs: Schema.optional(StringList),
  titleLocKey: Schema.optional(Str),
  titleLocArgs: Schema.optional(StringList),
  channelId: Schema.optional(Str),
  ticker: Schema.optional(Str),
  sticky: Schema.optional(Bool),
  eventTimestamp: Schema.optional(Timestamp),
  localOnly: Schema.optional(Bool),
  priority: Schema.optional(oneOf("min", "low", "default", "high", "max")),
  vibrateTimingsMillis: Schema.optional(
    Schema.Array(Millis).annotations(mustBe("an array of durations in milliseconds")).pipe(
      Schema.minItems(1, { message: () => "must not be empty" })
    )
  ),
  defaultVibrateTimings: Schema.optional(Bool),
  defaultSound: Schema.optional(Bool),
  lightSettings: Schema.optional(LightSettings),
  defaultLightSettings: Schema.optional(Bool),
  visibility: Schema.optional(oneOf("private", "public", "secret")),
  notificationCount: Schema.optional(NonNegativeInt("notifications")),
  imageUrl: Schema.optional(ImageUrl),
  proxy: Schema.optional(oneOf("allow", "deny", "if_priority_lowered"))
}).annotations(mustBe("an object")).pipe(
  Schema.filter(locKeyRequired([["bodyLocArgs", "bodyLocKey"], ["titleLocArgs", "titleLocKey"]]))
)

/**
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const notification: MessageV1.AndroidNotification = {
 *   channelId: "scores",
 *   color: "#f45342",
 *   eventTimestamp: new Date(),
 *   visibility: "public"
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface AndroidNotification extends Schema.Schema.Type<typeof AndroidNotification> {}

/**
 * The Android options: collapse key, priority, TTL in milliseconds (like firebase-admin), package restriction, data
 * override, notification, FCM options and direct-boot delivery.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Either, Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(MessageV1.AndroidConfig)
 * assert.ok(Either.isRight(decode({ priority: "high", ttl: 60_000 })))
 * assert.ok(Either.isLeft(decode({ ttl: 1.5 }))) // whole milliseconds only
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const AndroidConfig = Schema.Struct({
  collapseKey: Schema.optional(NonEmpty),
  priority: Schema.optional(oneOf("high", "normal")),
  ttl: Schema.optional(
    Schema.Number.annotations(mustBe("a number of milliseconds")).pipe(
      Schema.int({ message: () => "must be an integer number of milliseconds" }),
      Schema.between(0, MAX_TTL_MILLIS, {
        message: () => `must be between 0 and ${MAX_TTL_MILLIS} milliseconds (four weeks)`
      })
    )
  ),
  restrictedPackageName: Schema.optional(NonEmpty),
  data: Schema.optional(Data),
  notification: Schema.optional(AndroidNotification),
  fcmOptions: Schema.optional(FcmOptions),
  directBootOk: Schema.optional(Bool)
}).annotations(mustBe("an object"))

/**
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const android: MessageV1.AndroidConfig = {
 *   collapseKey: "scores",
 *   priority: "high",
 *   ttl: 3_600_000, // one hour, in milliseconds
 *   notification: { channelId: "scores" }
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface AndroidConfig extends Schema.Schema.Type<typeof AndroidConfig> {}

const stringOr = <A, I>(
  schema: Schema.Schema<A, I>,
  what: string
): Schema.Schema<string | A, string | I> =>
  Schema.declare([schema], {
    decode: (s) => (input, options, ast) =>
      typeof input === "string"
        ? ParseResult.succeed<string | A>(input)
        : isPlainObject(input)
        ? ParseResult.decodeUnknown(s)(input, options)
        : ParseResult.fail(new ParseResult.Type(ast, input, `must be a string or ${what}`)),
    encode: (s) => (input, options) =>
      typeof input === "string"
        ? ParseResult.succeed<string | I>(input)
        : ParseResult.encodeUnknown(s)(input, options)
  })

/**
 * The alert dictionary of an APNs payload, in camelCase (`locKey` goes on the wire as `loc-key`).
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(MessageV1.ApsAlert)({ locKey: "GOAL", locArgs: ["Arsenal"] }))
 * assert.ok(!Schema.is(MessageV1.ApsAlert)({ locArgs: ["Arsenal"] })) // needs locKey
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const ApsAlert = Schema.Struct({
  title: Schema.optional(Str),
  subtitle: Schema.optional(Str),
  body: Schema.optional(Str),
  locKey: Schema.optional(Str),
  locArgs: Schema.optional(StringList),
  titleLocKey: Schema.optional(Str),
  titleLocArgs: Schema.optional(StringList),
  subtitleLocKey: Schema.optional(Str),
  subtitleLocArgs: Schema.optional(StringList),
  actionLocKey: Schema.optional(Str),
  launchImage: Schema.optional(Str)
}).pipe(
  Schema.filter(locKeyRequired([
    ["locArgs", "locKey"],
    ["titleLocArgs", "titleLocKey"],
    ["subtitleLocArgs", "subtitleLocKey"]
  ]))
)

/**
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const alert: MessageV1.ApsAlert = { title: "Goal!", subtitle: "Arsenal 3-0", body: "Added time" }
 * const apns: MessageV1.ApnsConfig = { payload: { aps: { alert } } }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ApsAlert extends Schema.Schema.Type<typeof ApsAlert> {}

/**
 * A critical-alert sound: its `name`, whether it is `critical`, and its `volume` between 0 and 1.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(MessageV1.CriticalSound)({ name: "alarm.caf", critical: true, volume: 0.8 }))
 * assert.ok(!Schema.is(MessageV1.CriticalSound)({ name: "alarm.caf", volume: 2 }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const CriticalSound = Schema.Struct({
  critical: Schema.optional(Bool),
  name: NonEmpty,
  volume: Schema.optional(
    Schema.Number.annotations(mustBe("a number")).pipe(
      Schema.between(0, 1, { message: () => "must be between 0 and 1" })
    )
  )
})

/**
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const sound: MessageV1.CriticalSound = { name: "alarm.caf", critical: true, volume: 1 }
 * const apns: MessageV1.ApnsConfig = { payload: { aps: { sound } } }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface CriticalSound extends Schema.Schema.Type<typeof CriticalSound> {}

const APS_RENAMES: ReadonlyArray<readonly [string, string]> = [
  ["contentAvailable", "content-available"],
  ["mutableContent", "mutable-content"],
  ["threadId", "thread-id"]
]

/**
 * The `aps` dictionary: the keys APNs defines, in camelCase, plus any custom keys (sent as they are).
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Either, Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(MessageV1.Aps)
 * assert.ok(Either.isRight(decode({ badge: 3, contentAvailable: true, "custom-key": "ok" })))
 * assert.ok(Either.isLeft(decode({ threadId: "a", "thread-id": "b" }))) // set only one of them
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Aps = Schema.Struct({
  alert: Schema.optional(stringOr(ApsAlert, "an alert object")),
  badge: Schema.optional(NonNegativeInt("items")),
  sound: Schema.optional(stringOr(CriticalSound, "a critical sound object ({ name, critical, volume })")),
  contentAvailable: Schema.optional(Bool),
  mutableContent: Schema.optional(Bool),
  category: Schema.optional(Str),
  threadId: Schema.optional(Str)
}, FreeKeys).annotations(mustBe("an object")).pipe(
  Schema.filter((aps) => {
    if (typeof aps.sound === "string" && aps.sound.length === 0) {
      return { path: ["sound"], message: "must not be empty" }
    }
    for (const [camel, wire] of APS_RENAMES) {
      if (aps[camel] !== undefined && aps[wire] !== undefined) {
        return { path: [wire], message: `conflicts with ${camel}: set only one of them` }
      }
    }
    return undefined
  })
)

/**
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const aps: MessageV1.Aps = { alert: "Goal!", badge: 1, sound: "default", threadId: "match-42" }
 * const apns: MessageV1.ApnsConfig = { payload: { aps } }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Aps extends Schema.Schema.Type<typeof Aps> {}

/**
 * The APNs payload: the `aps` dictionary plus any custom top-level keys.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * // custom keys go next to `aps`
 * assert.ok(Schema.is(MessageV1.ApnsPayload)({ aps: { badge: 1 }, matchId: "42" }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const ApnsPayload = Schema.Struct({ aps: Aps }, FreeKeys).annotations(mustBe("an object"))

/**
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const payload: MessageV1.ApnsPayload = { aps: { mutableContent: true }, matchId: "42" }
 * const apns: MessageV1.ApnsConfig = { payload }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ApnsPayload extends Schema.Schema.Type<typeof ApnsPayload> {}

/**
 * The APNs FCM options: an analytics label and the image of the notification.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(MessageV1.ApnsFcmOptions)({ imageUrl: "https://example.com/goal.png" }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const ApnsFcmOptions = Schema.Struct({
  analyticsLabel: Schema.optional(AnalyticsLabel),
  imageUrl: Schema.optional(ImageUrl)
}).annotations(mustBe("an object"))

/**
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const fcmOptions: MessageV1.ApnsFcmOptions = { imageUrl: "https://example.com/goal.png" }
 * const apns: MessageV1.ApnsConfig = { payload: { aps: { mutableContent: true } }, fcmOptions }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ApnsFcmOptions extends Schema.Schema.Type<typeof ApnsFcmOptions> {}

/**
 * The APNs options: HTTP/2 headers for APNs (`apns-priority`, `apns-expiration`, …), the payload, FCM options.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Either, Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(MessageV1.ApnsConfig)
 * assert.ok(Either.isRight(decode({ headers: { "apns-priority": "5" }, payload: { aps: {} } })))
 * assert.ok(Either.isLeft(decode({ headers: { "apns-priority": 5 } }))) // header values are strings
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const ApnsConfig = Schema.Struct({
  headers: Schema.optional(StringMap),
  payload: Schema.optional(ApnsPayload),
  fcmOptions: Schema.optional(ApnsFcmOptions)
}).annotations(mustBe("an object"))

/**
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const apns: MessageV1.ApnsConfig = {
 *   headers: { "apns-priority": "10", "apns-collapse-id": "scores" },
 *   payload: { aps: { alert: { title: "Goal!" }, badge: 1 } }
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ApnsConfig extends Schema.Schema.Type<typeof ApnsConfig> {}

/**
 * The web notification: the Web Notification API's options (`title`, `body`, `icon`, `actions`, …), plus any other
 * JSON keys, sent as they are.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * const notification = { title: "Goal!", actions: [{ action: "open", title: "Watch" }], renotify: true }
 * assert.ok(Schema.is(MessageV1.WebpushNotification)(notification))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const WebpushNotification = Schema.Struct({
  title: Schema.optional(Str),
  body: Schema.optional(Str),
  icon: Schema.optional(Str),
  badge: Schema.optional(Str),
  image: Schema.optional(Str),
  lang: Schema.optional(Str),
  tag: Schema.optional(Str),
  dir: Schema.optional(oneOf("auto", "ltr", "rtl")),
  renotify: Schema.optional(Bool),
  requireInteraction: Schema.optional(Bool),
  silent: Schema.optional(Bool),
  timestamp: Schema.optional(Schema.Number.annotations(mustBe("a number of milliseconds since the epoch"))),
  vibrate: Schema.optional(
    Schema.Union(Millis, Schema.Array(Millis)).annotations(mustBe("a duration or an array of durations"))
  ),
  actions: Schema.optional(
    Schema.Array(
      Schema.Struct({ action: Str, title: Str, icon: Schema.optional(Str) }, FreeKeys).annotations(
        mustBe("an object with action and title")
      )
    ).annotations(mustBe("an array of actions"))
  ),
  data: Schema.optional(Json)
}, FreeKeys).annotations(mustBe("an object"))

/**
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const notification: MessageV1.WebpushNotification = {
 *   title: "Goal!",
 *   icon: "/icons/ball.png",
 *   actions: [{ action: "open", title: "Watch" }]
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface WebpushNotification extends Schema.Schema.Type<typeof WebpushNotification> {}

/**
 * The web push FCM options: the page a click opens (`link`, https only) and an analytics label.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(MessageV1.WebpushFcmOptions)({ link: "https://example.com/match/42" }))
 * assert.ok(!Schema.is(MessageV1.WebpushFcmOptions)({ link: "http://example.com/match/42" })) // https only
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const WebpushFcmOptions = Schema.Struct({
  link: Schema.optional(Str.pipe(Schema.filter((s) => isUrl(s, ["https:"]) || "must be an https URL"))),
  analyticsLabel: Schema.optional(AnalyticsLabel)
}).annotations(mustBe("an object"))

/**
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const fcmOptions: MessageV1.WebpushFcmOptions = { link: "https://example.com/match/42" }
 * const webpush: MessageV1.WebpushConfig = { notification: { title: "Goal!" }, fcmOptions }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface WebpushFcmOptions extends Schema.Schema.Type<typeof WebpushFcmOptions> {}

/**
 * The web push options: Web Push headers (`TTL`, `Urgency`, …), a data override, the notification, FCM options.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(MessageV1.WebpushConfig)({ headers: { Urgency: "high" }, notification: { title: "Goal!" } }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const WebpushConfig = Schema.Struct({
  headers: Schema.optional(StringMap),
  data: Schema.optional(Data),
  notification: Schema.optional(WebpushNotification),
  fcmOptions: Schema.optional(WebpushFcmOptions)
}).annotations(mustBe("an object"))

/**
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const webpush: MessageV1.WebpushConfig = {
 *   headers: { TTL: "3600", Urgency: "high" },
 *   notification: { title: "Goal!", body: "Arsenal 3-0" },
 *   fcmOptions: { link: "https://example.com/match/42" }
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface WebpushConfig extends Schema.Schema.Type<typeof WebpushConfig> {}

const Fields = Schema.Struct({
  token: Schema.optional(NonEmpty),
  topic: Schema.optional(
    Str.pipe(
      Schema.filter((topic) =>
        TOPIC_PATTERN.test(Message.topicName(topic)) ||
        "must be a topic name ([a-zA-Z0-9-_.~%]+), optionally prefixed /topics/"
      )
    )
  ),
  condition: Schema.optional(NonEmpty),
  data: Schema.optional(Data),
  notification: Schema.optional(Notification),
  android: Schema.optional(AndroidConfig),
  apns: Schema.optional(ApnsConfig),
  webpush: Schema.optional(WebpushConfig),
  fcmOptions: Schema.optional(FcmOptions)
}).annotations(mustBe("an object"))

const TARGETS = ["token", "topic", "condition"] as const

const check = (m: typeof Fields.Type): Schema.FilterOutput => {
  let first: (typeof TARGETS)[number] | undefined
  for (const target of TARGETS) {
    if (m[target] === undefined) continue
    if (first !== undefined) {
      return { path: [target], message: `conflicts with ${first}: set exactly one of token, topic or condition` }
    }
    first = target
  }
  if (first === undefined) return { path: ["token"], message: "no target: set token, topic or condition" }
  if (m.condition !== undefined) {
    const topics = m.condition.match(CONDITION_TOPIC)?.length ?? 0
    if (topics === 0) return { path: ["condition"], message: "must name at least one topic, e.g. 'news' in topics" }
    if (topics > Message.MAX_CONDITION_TOPICS) {
      return {
        path: ["condition"],
        message: `names ${topics} topics; FCM allows at most ${Message.MAX_CONDITION_TOPICS}`
      }
    }
  }
  const limit = m.topic !== undefined ? Message.MAX_TOPIC_PAYLOAD_BYTES : Message.MAX_PAYLOAD_BYTES
  const size = internal.payloadSize(m)
  if (size.bytes > limit) {
    return {
      path: size.field.split("."),
      message: `payload is ${size.bytes} bytes; FCM accepts at most ${limit}${
        m.topic !== undefined ? " for a topic" : ""
      }`
    }
  }
  return undefined
}

/**
 * The v1 message schema. Decoding checks every rule FCM enforces, so a message that decodes can go on the wire;
 * unknown fields are refused by name, except inside the free-form objects (custom APNs keys, the web notification).
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Either, Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(MessageV1.MessageV1)
 * assert.ok(Either.isRight(decode({ topic: "news", notification: { title: "Launch day" } })))
 * assert.ok(Either.isLeft(decode({ token: "t", topic: "news" }))) // exactly one target
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const MessageV1 = Fields.pipe(Schema.filter(check)).annotations({ identifier: "MessageV1" })

/**
 * A message to one registration token, topic or condition, in the camelCase shape of firebase-admin's `Message`.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 *
 * const message: MessageV1.MessageV1 = {
 *   token: "registration-token",
 *   notification: { title: "Match update", body: "Arsenal goal in added time, score is now 3-0" },
 *   android: { ttl: 3_600_000, notification: { channelId: "scores", color: "#f45342" } },
 *   apns: { payload: { aps: { badge: 42 } } }
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface MessageV1 extends Schema.Schema.Type<typeof Fields> {}

const decode = Schema.decodeUnknownEither(MessageV1, { onExcessProperty: "error" })

/**
 * Checks a v1 message (also one that came from untyped JavaScript or JSON) against every rule FCM enforces: exactly
 * one target, string-only data without reserved keys, a TTL in range, colours, priorities, https links, loc-args
 * with their loc-key, a payload within FCM's size limit. Fails with an {@link InvalidMessage} naming the field as the
 * caller wrote it (`android.notification.color`, `data.from`, `apns.payload.aps.sound.volume`).
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const program = MessageV1.validate({ token: "t", android: { notification: { color: "red" } } }).pipe(
 *   Effect.catchTag("InvalidMessage", (e) => Effect.succeed(e.field))
 * )
 * assert.strictEqual(Effect.runSync(program), "android.notification.color")
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (message: unknown): Effect.Effect<MessageV1, InvalidMessage> =>
  Either.match(decode(message), {
    onLeft: (error) => Effect.fail(Message.fromParseError(error)),
    onRight: Effect.succeed
  })

/**
 * {@link validate} as an `Either`, for synchronous callers.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Either } from "effect"
 *
 * const checked = MessageV1.validateEither({ token: "t", data: { from: "me" } })
 * assert.ok(Either.isLeft(checked) && checked.left.field === "data.from")
 * ```
 *
 * @since 0.1.0
 * @category validation
 */
export const validateEither = (message: unknown): Either.Either<MessageV1, InvalidMessage> =>
  Either.mapLeft(decode(message), (error) => Message.fromParseError(error))

/**
 * The JSON `message` object FCM v1 expects on the wire: field names in snake_case as the REST API documents them
 * (`collapse_key`, `click_action`, `notification_priority: "PRIORITY_HIGH"`, `ttl: "3.5s"`, `content-available: 1`,
 * …), durations as seconds strings, the topic without its `/topics/` prefix, and no `undefined` values. The message
 * is expected to have passed {@link validate}.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 *
 * const wire = MessageV1.toWire({ token: "t", android: { ttl: 3500, notification: { channelId: "scores" } } })
 * assert.deepStrictEqual(wire, { token: "t", android: { ttl: "3.5s", notification: { channel_id: "scores" } } })
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const toWire: (message: MessageV1) => Record<string, unknown> = internal.toWire

/**
 * A translated multicast message: the wire `message` object without its target, and whether FCM should only
 * validate it (the seed's `dryRun`).
 *
 * @example
 * ```ts
 * import { Message, MessageV1 } from "@effect-fcm/fcm"
 *
 * const translated: MessageV1.Translated = MessageV1.fromMessage(Message.toTopic("news", { dryRun: true }), Date.now())
 * assert.strictEqual(translated.validateOnly, true)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Translated {
  readonly message: Record<string, unknown>
  readonly validateOnly: boolean
}

/**
 * Translates a multicast {@link Message.Message} into the v1 wire `message`, without its target: the sender adds
 * `token`, `topic` or `condition` to a copy per request, so this runs once per fan-out. Data values become strings,
 * the notification is split between the common `notification` and the `android`, `apns` and `webpush` blocks, and
 * the options become their per-platform equivalents (see docs/v1-translation.md for the table). `delayWhileIdle` has
 * no v1 equivalent and is dropped. `nowMillis` is the send time, from which the absolute `apns-expiration` is
 * computed. The message is expected to have passed {@link Message.validate}.
 *
 * @example
 * ```ts
 * import { Message, MessageV1 } from "@effect-fcm/fcm"
 *
 * const { message } = MessageV1.fromMessage(Message.multicast(["t"], { data: { int: 10 }, timeToLive: 60 }), 0)
 * assert.deepStrictEqual(message.data, { int: "10" }) // v1 data values are strings
 * assert.deepStrictEqual(message.android, { ttl: "60s" })
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const fromMessage: (message: Message.Message, nowMillis: number) => Translated = internal.fromMessage

/**
 * A duration in milliseconds as a protobuf Duration string: seconds with up to nine fractional digits and no
 * trailing zeros (`3500` → `"3.5s"`, `1` → `"0.001s"`, `0` → `"0s"`).
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 *
 * assert.strictEqual(MessageV1.durationFromMillis(3500), "3.5s")
 * assert.strictEqual(MessageV1.durationFromMillis(1), "0.001s")
 * assert.strictEqual(MessageV1.durationFromMillis(0), "0s")
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const durationFromMillis: (millis: number) => string = internal.durationFromMillis
