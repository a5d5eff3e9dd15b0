/**
 * The HTTP v1 message: one target (`token`, `fid`, `topic` or `condition`), a common payload (`data`,
 * `notification`) and per-platform overrides (`android`, `apns`, `webpush`), written in the camelCase shape
 * firebase-admin users already know.
 *
 * The wire format is defined once, by the {@link MessageV1} schema: its type side is the camelCase message, its
 * encoded side the JSON `message` object of the v1 REST API. {@link validate} checks the camelCase side against the
 * rules FCM enforces, {@link toWire} is the schema's encoding, {@link fromWire} its decoding (a message file in wire
 * form), and the field tables of docs/wire-fields.md are read from it. {@link fromMessage} translates a multicast
 * {@link Message.Message} into the wire form once per fan-out.
 *
 * Adding a wire field is one line in its struct: the camelCase name, the wire name and the value's schema, e.g.
 * `bandwidthConstrainedOk: wire("bandwidth_constrained_ok", Bool)` in {@link AndroidConfig}. Encoding, decoding,
 * validation, the docs' tables and the contract test against the emulator all follow from it. Until a field is in the
 * schema, send it through `extra` (see {@link Extra}).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { InvalidMessage } from "./FcmError.js"
import type { FastEncode } from "./internal/encoder.js"
import { FastEncodeId } from "./internal/encoder.js"
import * as rules from "./internal/messageRules.js"
import * as internal from "./internal/messageV1.js"
import { Duration, mustBe, noProto, oneOf, optional, upperEnum, wire, WireFormId, withExtra } from "./internal/wire.js"
import { wireFields, wirePathOf } from "./internal/wireFields.js"
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

const COLOR_PATTERN = /^#[0-9a-fA-F]{6}$/
const LIGHT_COLOR_PATTERN = /^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/
const ANALYTICS_LABEL_PATTERN = /^[a-zA-Z0-9\-_.~%]{1,50}$/
const RFC3339_PATTERN =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/
const CONDITION_TOPIC = /(?:'[^']*'|"[^"]*")\s+in\s+topics/g

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
        if (key === "__proto__") return { path: [...path, key], message: "is a key a JavaScript object cannot carry" }
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

const jsonMessage = (u: unknown): string | undefined => jsonIssue(u, [], new Set())?.message

/** A copy of a JSON value without `undefined` object members, as it goes on the wire. */
const clean = (value: unknown): unknown => {
  if (typeof value !== "object" || value === null) return value
  if (Array.isArray(value)) return value.map(clean)
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    const member = (value as Record<string, unknown>)[key]
    if (member !== undefined) out[key] = clean(member)
  }
  return out
}

/** A free-form JSON value: sent as written, minus `undefined` object members. */
const JsonValue = Schema.transform(Json, Json, { strict: true, decode: (u) => u, encode: clean })
  .annotations({ [WireFormId]: "JSON, as written" })

const FreeKeys = Schema.Record({ key: Schema.String, value: Schema.UndefinedOr(JsonValue) })

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
export const StringMap = noProto(
  Schema.Record({
    key: Schema.String,
    value: Schema.String.annotations(mustBe("a string"))
  }).annotations(mustBe("an object of string values"))
)

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
export const Data = noProto(
  Schema.Record({
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
 * // the schema decodes the wire form into the camelCase one
 * const options = Schema.decodeUnknownSync(MessageV1.FcmOptions)({ analytics_label: "spring_sale" })
 * assert.deepStrictEqual(options, { analyticsLabel: "spring_sale" })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const FcmOptions = withExtra(
  Schema.Struct({
    analyticsLabel: wire("analytics_label", AnalyticsLabel)
  }).annotations(mustBe("an object")),
  jsonMessage
)

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
 * const decode = Schema.decodeUnknownEither(MessageV1.Notification) // from the wire form
 * assert.ok(Either.isRight(decode({ title: "Goal!", image: "https://example.com/goal.png" })))
 * assert.ok(Either.isLeft(decode({ image: "goal.png" }))) // not an http(s) URL
 * assert.ok(Schema.is(MessageV1.Notification)({ title: "Goal!", imageUrl: "https://example.com/goal.png" }))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Notification = withExtra(
  Schema.Struct({
    title: optional(Str),
    body: optional(Str),
    imageUrl: wire("image", ImageUrl)
  }).annotations(mustBe("an object")),
  jsonMessage
)

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

const ColorUnit = Schema.Number.annotations(mustBe("a number between 0 and 1")).pipe(
  Schema.between(0, 1, { message: () => "must be between 0 and 1" })
)

const hexByte = (hex: string, at: number): number => parseInt(hex.slice(at, at + 2), 16) / 255
const byteHex = (unit: number | undefined): string => Math.round((unit ?? 0) * 255).toString(16).padStart(2, "0")

/** `#rrggbb` or `#rrggbbaa` on the type side, `google.type.Color` (`{ red, green, blue, alpha }` in [0, 1]) on the wire. */
const LightColor = Schema.transform(
  Schema.Struct({
    red: Schema.optionalWith(ColorUnit, { exact: true }),
    green: Schema.optionalWith(ColorUnit, { exact: true }),
    blue: Schema.optionalWith(ColorUnit, { exact: true }),
    alpha: Schema.optionalWith(ColorUnit, { exact: true })
  }).annotations(mustBe("a colour object { red, green, blue, alpha }")),
  Str.pipe(
    Schema.pattern(LIGHT_COLOR_PATTERN, { message: () => "must be a colour in the form #rrggbb or #rrggbbaa" })
  ),
  {
    strict: true,
    decode: (c) =>
      `#${byteHex(c.red)}${byteHex(c.green)}${byteHex(c.blue)}${
        c.alpha === undefined || c.alpha === 1 ? "" : byteHex(c.alpha)
      }`,
    encode: (hex) => ({
      red: hexByte(hex, 1),
      green: hexByte(hex, 3),
      blue: hexByte(hex, 5),
      alpha: hex.length === 9 ? hexByte(hex, 7) : 1
    })
  }
).annotations({ [WireFormId]: "`{ red, green, blue, alpha }` in [0, 1], from `#rrggbb` or `#rrggbbaa`" })

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
  color: LightColor,
  lightOnDurationMillis: Schema.propertySignature(Duration(Millis)).pipe(Schema.fromKey("light_on_duration")),
  lightOffDurationMillis: Schema.propertySignature(Duration(Millis)).pipe(Schema.fromKey("light_off_duration"))
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

/** An RFC 3339 string on the wire; a `Date` or such a string on the type side (a `Date` goes out as `toISOString()`). */
const EventTime = Schema.transform(
  Str.pipe(
    Schema.pattern(RFC3339_PATTERN, { message: () => "must be an RFC 3339 timestamp such as 2024-05-01T12:00:00Z" })
  ),
  Timestamp,
  { strict: true, decode: (s) => s, encode: (t) => t instanceof Date ? t.toISOString() : t }
).annotations({ [WireFormId]: "RFC 3339 string, from a `Date` (`toISOString()`) or such a string" })

/**
 * The Android notification: everything `AndroidNotification` in the v1 API carries, with durations in milliseconds,
 * colours as `#rrggbb` and priorities in lower case, as firebase-admin writes them.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Either, Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(MessageV1.AndroidNotification) // from the wire form
 * assert.deepStrictEqual(
 *   decode({ channel_id: "scores", notification_priority: "PRIORITY_HIGH" }),
 *   Either.right({ channelId: "scores", priority: "high" })
 * )
 * assert.ok(Either.isLeft(decode({ body_loc_args: ["Arsenal"] }))) // needs body_loc_key
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const AndroidNotification = withExtra(
  Schema.Struct({
    title: optional(Str),
    body: optional(Str),
    icon: optional(Str),
    color: optional(
      Str.pipe(Schema.pattern(COLOR_PATTERN, { message: () => "must be a colour in the form #rrggbb" }))
    ),
    sound: optional(Str),
    tag: optional(Str),
    clickAction: wire("click_action", Str),
    bodyLocKey: wire("body_loc_key", Str),
    bodyLocArgs: wire("body_loc_args", StringList),
    titleLocKey: wire("title_loc_key", Str),
    titleLocArgs: wire("title_loc_args", StringList),
    channelId: wire("channel_id", Str),
    ticker: optional(Str),
    sticky: optional(Bool),
    eventTimestamp: wire("event_time", EventTime),
    localOnly: wire("local_only", Bool),
    priority: wire("notification_priority", upperEnum("PRIORITY_", "min", "low", "default", "high", "max")),
    vibrateTimingsMillis: wire(
      "vibrate_timings",
      Schema.Array(Duration(Millis)).annotations(mustBe("an array of durations")).pipe(
        Schema.minItems(1, { message: () => "must not be empty" })
      )
    ),
    defaultVibrateTimings: wire("default_vibrate_timings", Bool),
    defaultSound: wire("default_sound", Bool),
    lightSettings: wire("light_settings", LightSettings),
    defaultLightSettings: wire("default_light_settings", Bool),
    visibility: optional(upperEnum("", "private", "public", "secret")),
    notificationCount: wire("notification_count", NonNegativeInt("notifications")),
    imageUrl: wire("image", ImageUrl),
    proxy: optional(upperEnum("", "allow", "deny", "if_priority_lowered"))
  }).annotations(mustBe("an object")),
  jsonMessage
).pipe(
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
 * const decode = Schema.decodeUnknownEither(MessageV1.AndroidConfig) // from the wire form
 * assert.deepStrictEqual(decode({ priority: "HIGH", ttl: "60s" }), Either.right({ priority: "high", ttl: 60_000 }))
 * assert.ok(Either.isLeft(decode({ ttl: "1.0005s" }))) // whole milliseconds only
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const AndroidConfig = withExtra(
  Schema.Struct({
    collapseKey: wire("collapse_key", NonEmpty),
    priority: optional(upperEnum("", "high", "normal")),
    ttl: optional(
      Duration(
        Schema.Number.annotations(mustBe("a number of milliseconds")).pipe(
          Schema.int({ message: () => "must be an integer number of milliseconds" }),
          Schema.between(0, MAX_TTL_MILLIS, {
            message: () => `must be between 0 and ${MAX_TTL_MILLIS} milliseconds (four weeks)`
          })
        )
      )
    ),
    restrictedPackageName: wire("restricted_package_name", NonEmpty),
    data: optional(Data),
    notification: optional(AndroidNotification),
    fcmOptions: wire("fcm_options", FcmOptions),
    directBootOk: wire("direct_boot_ok", Bool),
    bandwidthConstrainedOk: wire("bandwidth_constrained_ok", Bool),
    restrictedSatelliteOk: wire("restricted_satellite_ok", Bool)
  }).annotations(mustBe("an object")),
  jsonMessage
)

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
  }, {
    [WireFormId]: `string, or ${what}`,
    [FastEncodeId]: ((param) => (value) => typeof value === "string" ? value : param(value)) satisfies FastEncode
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
  title: optional(Str),
  subtitle: optional(Str),
  body: optional(Str),
  locKey: wire("loc-key", Str),
  locArgs: wire("loc-args", StringList),
  titleLocKey: wire("title-loc-key", Str),
  titleLocArgs: wire("title-loc-args", StringList),
  subtitleLocKey: wire("subtitle-loc-key", Str),
  subtitleLocArgs: wire("subtitle-loc-args", StringList),
  actionLocKey: wire("action-loc-key", Str),
  launchImage: wire("launch-image", Str)
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
 * An APNs flag: `true` on the type side is `1` on the wire; `false` is left out, as APNs expects `1` or nothing.
 */
const apnsFlag = <const K extends string>(key: K) =>
  Schema.optionalToOptional(
    Schema.Literal(0, 1).annotations({ ...mustBe("1 or 0"), [WireFormId]: "`1` for `true`; absent for `false`" }),
    Schema.UndefinedOr(Bool),
    {
      decode: (o) => Option.map(o, (flag) => flag === 1),
      encode: (o) => Option.flatMap(o, (flag) => flag === true ? Option.some(1 as const) : Option.none())
    }
  ).pipe(Schema.fromKey(key))

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
  critical: apnsFlag("critical"),
  name: NonEmpty,
  volume: optional(
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
 * const decode = Schema.decodeUnknownEither(MessageV1.Aps) // from the wire form
 * assert.deepStrictEqual(
 *   decode({ badge: 3, "content-available": 1, "custom-key": "ok" }),
 *   Either.right({ badge: 3, contentAvailable: true, "custom-key": "ok" })
 * )
 * assert.ok(Either.isLeft(decode({ badge: -1 })))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Aps = noProto(
  Schema.Struct({
    alert: optional(stringOr(ApsAlert, "an alert object")),
    badge: optional(NonNegativeInt("items")),
    sound: optional(stringOr(CriticalSound, "a critical sound object ({ name, critical, volume })")),
    contentAvailable: apnsFlag("content-available"),
    mutableContent: apnsFlag("mutable-content"),
    category: optional(Str),
    threadId: wire("thread-id", Str)
  }, FreeKeys).annotations(mustBe("an object"))
).pipe(
  Schema.filter((aps) => {
    if (typeof aps.sound === "string" && aps.sound.length === 0) {
      return { path: ["sound"], message: "must not be empty" }
    }
    for (const [camel, wireName] of APS_RENAMES) {
      if (aps[wireName] !== undefined) {
        return { path: [wireName], message: `is the wire spelling of ${camel}: write ${camel}` }
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
export const ApnsPayload = noProto(Schema.Struct({ aps: Aps }, FreeKeys).annotations(mustBe("an object")))

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
export const ApnsFcmOptions = withExtra(
  Schema.Struct({
    analyticsLabel: wire("analytics_label", AnalyticsLabel),
    imageUrl: wire("image", ImageUrl)
  }).annotations(mustBe("an object")),
  jsonMessage
)

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
export const ApnsConfig = withExtra(
  Schema.Struct({
    headers: optional(StringMap),
    payload: optional(ApnsPayload),
    fcmOptions: wire("fcm_options", ApnsFcmOptions),
    liveActivityToken: wire("live_activity_token", NonEmpty)
  }).annotations(mustBe("an object")),
  jsonMessage
)

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
export const WebpushNotification = noProto(
  Schema.Struct({
    title: optional(Str),
    body: optional(Str),
    icon: optional(Str),
    badge: optional(Str),
    image: optional(Str),
    lang: optional(Str),
    tag: optional(Str),
    dir: optional(oneOf("auto", "ltr", "rtl")),
    renotify: optional(Bool),
    requireInteraction: optional(Bool),
    silent: optional(Bool),
    timestamp: optional(Schema.Number.annotations(mustBe("a number of milliseconds since the epoch"))),
    vibrate: optional(
      Schema.Union(Millis, Schema.Array(Millis)).annotations(mustBe("a duration or an array of durations"))
    ),
    actions: optional(
      Schema.Array(
        noProto(
          Schema.Struct({ action: Str, title: Str, icon: optional(Str) }, FreeKeys).annotations(
            mustBe("an object with action and title")
          )
        )
      ).annotations(mustBe("an array of actions"))
    ),
    data: optional(JsonValue)
  }, FreeKeys).annotations(mustBe("an object"))
)

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
export const WebpushFcmOptions = withExtra(
  Schema.Struct({
    link: optional(Str.pipe(Schema.filter((s) => isUrl(s, ["https:"]) || "must be an https URL"))),
    analyticsLabel: wire("analytics_label", AnalyticsLabel)
  }).annotations(mustBe("an object")),
  jsonMessage
)

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
export const WebpushConfig = withExtra(
  Schema.Struct({
    headers: optional(StringMap),
    data: optional(Data),
    notification: optional(WebpushNotification),
    fcmOptions: wire("fcm_options", WebpushFcmOptions)
  }).annotations(mustBe("an object")),
  jsonMessage
)

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

const TopicName = Str.pipe(
  Schema.filter((topic) =>
    rules.TOPIC_PATTERN.test(topic) ||
    "must be a topic name ([a-zA-Z0-9-_.~%]+), optionally prefixed /topics/"
  )
)

/** The topic goes on the wire without its `/topics/` prefix. */
const Topic = Schema.transform(TopicName, TopicName, { strict: true, decode: (t) => t, encode: Message.topicName })
  .annotations({ [WireFormId]: "string, without a `/topics/` prefix" })

const Fields = withExtra(
  Schema.Struct({
    token: optional(NonEmpty),
    fid: optional(NonEmpty),
    topic: optional(Topic),
    condition: optional(NonEmpty),
    data: optional(Data),
    notification: optional(Notification),
    android: optional(AndroidConfig),
    apns: optional(ApnsConfig),
    webpush: optional(WebpushConfig),
    fcmOptions: wire("fcm_options", FcmOptions)
  }).annotations(mustBe("an object")),
  jsonMessage
)

const TARGETS = ["token", "fid", "topic", "condition"] as const

const check = (m: typeof Fields.Type): Schema.FilterOutput => {
  let first: (typeof TARGETS)[number] | undefined
  for (const target of TARGETS) {
    if (m[target] === undefined) continue
    if (first !== undefined) {
      return { path: [target], message: `conflicts with ${first}: set exactly one of token, fid, topic or condition` }
    }
    first = target
  }
  if (first === undefined) return { path: ["token"], message: "no target: set token, fid, topic or condition" }
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
 * The v1 message schema: the camelCase message on its type side, the REST API's JSON `message` object on its encoded
 * side. Decoding (from the wire form) and validation (of the type side) check every rule FCM enforces, so a message
 * that passes can go on the wire. In the camelCase message unknown fields are refused by name, except inside the
 * free-form objects (custom APNs keys, the web notification); in the wire form they are kept in `extra`.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Either, Schema } from "effect"
 *
 * const decode = Schema.decodeUnknownEither(MessageV1.MessageV1) // from the wire form
 * assert.ok(Either.isRight(decode({ topic: "news", android: { ttl: "60s" } })))
 * assert.ok(Either.isLeft(decode({ token: "t", topic: "news" }))) // exactly one target
 * // the camelCase side is what validate checks
 * assert.ok(Schema.is(MessageV1.MessageV1)({ topic: "news", android: { ttl: 60_000 } }))
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

/**
 * Wire fields a schema does not know yet, given at the level they belong to (`message.extra`, `android.extra`,
 * `android.notification.extra`, `apns.extra`, `webpush.extra`, the `fcmOptions` and the common `notification`): each
 * key is a wire name, each value JSON, merged into that level's wire object as written. The payload size still
 * counts them, and a key that names a field the schema knows (in its wire or camelCase spelling) is refused.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 *
 * const extra: MessageV1.Extra = { future_option: true }
 * const wire = MessageV1.toWire({ token: "t", android: { priority: "high", extra } })
 * assert.deepStrictEqual(wire, { token: "t", android: { priority: "HIGH", future_option: true } })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Extra = { readonly [wireName: string]: unknown }

const decode = Schema.decodeUnknownEither(Schema.typeSchema(MessageV1), { onExcessProperty: "error" })
const decodeWire = Schema.decodeUnknownEither(MessageV1, { onExcessProperty: "error" })

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
 * The JSON `message` object of the v1 REST API, as FCM's reference writes it: the encoded side of the
 * {@link MessageV1} schema.
 *
 * @example
 * ```ts
 * import type { MessageV1 } from "@effect-fcm/fcm"
 *
 * const wire: MessageV1.Wire = { topic: "news", android: { collapse_key: "news", ttl: "60s" } }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Wire = Schema.Schema.Encoded<typeof MessageV1>

/**
 * Decodes a message written in the wire form of the v1 REST API (snake_case names, `"3.5s"` durations, `"HIGH"`
 * enums, `content-available: 1`), as a file or another tool writes it, into the camelCase {@link MessageV1} and
 * checks every rule {@link validate} checks. Fields the schema does not know are kept in `extra` at their level and
 * sent as they are. Fails with an {@link InvalidMessage} naming the field as the wire form writes it
 * (`android.notification.body_loc_key`).
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 * import { Either } from "effect"
 *
 * const decoded = MessageV1.fromWire({ token: "t", android: { ttl: "3.5s", priority: "HIGH" } })
 * assert.deepStrictEqual(Either.getOrThrow(decoded), { token: "t", android: { ttl: 3500, priority: "high" } })
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromWire = (wire: unknown): Either.Either<MessageV1, InvalidMessage> =>
  Either.mapLeft(decodeWire(wire), (error) => {
    const invalid = Message.fromParseError(error)
    wirePath ??= wirePathOf(wireFields(MessageV1.ast))
    const field = wirePath(invalid.field)
    return field === invalid.field ? invalid : new InvalidMessage({ field, reason: invalid.reason })
  })

let wirePath: ((path: string) => string) | undefined

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
