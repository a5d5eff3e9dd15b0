/**
 * The v1 message's encoding: its payload size as FCM counts it, the wire JSON (the `MessageV1` schema's encoded side)
 * and the translation of a multicast `Message` into v1 terms.
 */
import type * as Message from "../Message.js"
import { payloadBytes } from "../Message.js"
import type { MessageV1, Translated } from "../MessageV1.js"
import * as Schema_ from "../MessageV1.js"
import { encoderOf } from "./encoder.js"
import { durationFromMillis as duration } from "./wire.js"

type Json = Record<string, unknown>

const utf8 = new TextEncoder()

const byteLength = (s: string): number => {
  // ASCII strings have one byte per character.
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return utf8.encode(s).length
  }
  return s.length
}

const isEmpty = (o: Json): boolean => {
  for (const _ in o) return false
  return true
}

/**
 * A duration in milliseconds as a protobuf Duration string.
 *
 * @internal
 */
export const durationFromMillis = duration

// ---------------------------------------------------------------------------------------------------------------------
// payload size
// ---------------------------------------------------------------------------------------------------------------------

const mapBytes = (map: Readonly<Record<string, string>> | undefined): number =>
  map === undefined ? 0 : payloadBytes({ data: map })

const fieldsBytes = (fields: object | undefined): number => {
  if (fields === undefined) return 0
  let size = 0
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue
    size += byteLength(key) + byteLength(typeof value === "string" ? value : JSON.stringify(value))
  }
  return size
}

const jsonBytes = (value: unknown): number => value === undefined ? 0 : byteLength(JSON.stringify(value))

/** The `extra` blocks of a message, by the path they are written at. */
const extras = (m: MessageV1): ReadonlyArray<readonly [string, object | undefined]> => [
  ["extra", m.extra],
  ["notification.extra", m.notification?.extra],
  ["fcmOptions.extra", m.fcmOptions?.extra],
  ["android.extra", m.android?.extra],
  ["android.notification.extra", m.android?.notification?.extra],
  ["android.fcmOptions.extra", m.android?.fcmOptions?.extra],
  ["apns.extra", m.apns?.extra],
  ["apns.fcmOptions.extra", m.apns?.fcmOptions?.extra],
  ["webpush.extra", m.webpush?.extra],
  ["webpush.fcmOptions.extra", m.webpush?.fcmOptions?.extra]
]

/** The bytes of every `extra` block, counted on every platform, under the path of the largest. */
const extraBytes = (m: MessageV1): readonly [string, number] => {
  let bytes = 0
  let largest = -1
  let field = "extra"
  for (const [path, extra] of extras(m)) {
    const size = jsonBytes(extra)
    bytes += size
    if (size > largest) {
      largest = size
      field = path
    }
  }
  return [field, bytes]
}

/**
 * The payload FCM counts against its size limit, for the platform that receives the most: the data (or the
 * platform's data override), the common notification and the platform's notification or payload. `field` names the
 * largest part of that platform's payload.
 *
 * @internal
 */
export const payloadSize = (m: MessageV1): { readonly bytes: number; readonly field: string } => {
  const extra = extraBytes(m)
  const common = fieldsBytes(m.notification)
  const data = mapBytes(m.data)
  const androidData = m.android?.data
  const webData = m.webpush?.data
  const platforms: ReadonlyArray<ReadonlyArray<readonly [string, number]>> = [
    [
      androidData !== undefined ? ["android.data", mapBytes(androidData)] : ["data", data],
      ["notification", common],
      ["android.notification", fieldsBytes(m.android?.notification)],
      extra
    ],
    [["data", data], ["notification", common], ["apns.payload", jsonBytes(m.apns?.payload)], extra],
    [
      webData !== undefined ? ["webpush.data", mapBytes(webData)] : ["data", data],
      ["notification", common],
      ["webpush.notification", jsonBytes(m.webpush?.notification)],
      extra
    ]
  ]
  let bytes = -1
  let field = "data"
  for (const parts of platforms) {
    let total = 0
    for (const [, size] of parts) total += size
    if (total <= bytes) continue
    bytes = total
    let largest = -1
    for (const [name, size] of parts) {
      if (size > largest) {
        largest = size
        field = name
      }
    }
  }
  return { bytes, field }
}

// ---------------------------------------------------------------------------------------------------------------------
// toWire
// ---------------------------------------------------------------------------------------------------------------------

let encode: ((m: MessageV1) => Record<string, unknown>) | undefined

/**
 * The JSON `message` object of the v1 API for a validated message: the encoded side of the `MessageV1` schema.
 *
 * @internal
 */
export const toWire = (m: MessageV1): Record<string, unknown> =>
  // The message's fields without the message-level rules (its target and size, checked by validate): a sender encodes
  // the payload once and adds each target to a copy. The encoder is compiled from the schema for validated messages.
  (encode ??= encoderOf(Schema_.MessageV1.from.ast) as (m: MessageV1) => Record<string, unknown>)(m)

// ---------------------------------------------------------------------------------------------------------------------
// fromMessage: the multicast message in v1 terms
// ---------------------------------------------------------------------------------------------------------------------

const set = (target: Json, key: string, value: unknown): void => {
  if (value !== undefined) target[key] = value
}

/** The longest `apns-collapse-id` APNs accepts, in bytes. */
const MAX_APNS_COLLAPSE_ID_BYTES = 64

const ANDROID_FROM_SEED: ReadonlyArray<readonly [keyof Message.Notification, string]> = [
  ["icon", "icon"],
  ["sound", "sound"],
  ["tag", "tag"],
  ["color", "color"],
  ["clickAction", "click_action"],
  ["channelId", "channel_id"]
]

const BADGE = /^\d+$/

const isHttpsUrl = (s: string): boolean => {
  if (!s.startsWith("https://")) return false
  try {
    return new URL(s).hostname.length > 0
  } catch {
    return false
  }
}

/** Localisation: arguments travel only with their key (without one there is nothing to format). */
const setLoc = (
  out: Json,
  key: string | undefined,
  args: ReadonlyArray<string> | undefined,
  keyWire: string,
  argsWire: string
): void => {
  if (key === undefined) return
  out[keyWire] = key
  if (args !== undefined) out[argsWire] = [...args]
}

/**
 * The v1 wire `message` for a multicast message, without its target.
 *
 * @internal
 */
export const fromMessage = (m: Message.Message, nowMillis: number): Translated => {
  const message: Json = {}
  const n = m.notification

  if (m.data !== undefined) {
    const data: Record<string, string> = {}
    let any = false
    for (const key in m.data) {
      const value = m.data[key]
      if (value === undefined) continue
      data[key] = typeof value === "string" ? value : String(value)
      any = true
    }
    if (any) message.data = data
  }

  // Android
  const android: Json = {}
  set(android, "collapse_key", m.collapseKey)
  if (m.priority !== undefined) android.priority = m.priority === "high" ? "HIGH" : "NORMAL"
  if (m.timeToLive !== undefined) android.ttl = `${m.timeToLive}s`
  set(android, "restricted_package_name", m.restrictedPackageName)

  // APNs
  const headers: Record<string, string> = {}
  const aps: Json = {}

  // Web
  const webHeaders: Record<string, string> = {}
  const webNotification: Json = {}
  const webOptions: Json = {}

  if (n !== undefined) {
    const common: Json = {}
    set(common, "title", n.title)
    set(common, "body", n.body)
    set(common, "image", n.image)
    if (!isEmpty(common)) message.notification = common

    const androidNotification: Json = {}
    for (const [key, wire] of ANDROID_FROM_SEED) set(androidNotification, wire, n[key])
    setLoc(androidNotification, n.bodyLocKey, n.bodyLocArgs, "body_loc_key", "body_loc_args")
    setLoc(androidNotification, n.titleLocKey, n.titleLocArgs, "title_loc_key", "title_loc_args")
    if (!isEmpty(androidNotification)) android.notification = androidNotification

    const alert: Json = {}
    set(alert, "subtitle", n.subtitle)
    setLoc(alert, n.bodyLocKey, n.bodyLocArgs, "loc-key", "loc-args")
    setLoc(alert, n.titleLocKey, n.titleLocArgs, "title-loc-key", "title-loc-args")
    if (!isEmpty(alert)) {
      // The alert dictionary carries the common title and body too, so the alert is whole whichever takes precedence.
      set(alert, "title", n.title)
      set(alert, "body", n.body)
      aps.alert = alert
    }
    if (n.badge !== undefined && BADGE.test(n.badge)) aps.badge = Number(n.badge)
    set(aps, "sound", n.sound)
    set(aps, "category", n.clickAction)

    set(webNotification, "icon", n.icon)
    if (n.clickAction !== undefined && isHttpsUrl(n.clickAction)) webOptions.link = n.clickAction
  }
  if (!isEmpty(android)) message.android = android

  if (m.contentAvailable === true) aps["content-available"] = 1
  if (m.mutableContent === true) aps["mutable-content"] = 1

  const visible = n !== undefined &&
    (n.title !== undefined || n.body !== undefined || "alert" in aps || "sound" in aps || "badge" in aps)
  if (visible) {
    if (m.priority !== undefined) headers["apns-priority"] = m.priority === "high" ? "10" : "5"
  } else if (message.data !== undefined || m.contentAvailable === true) {
    // Nothing to show on iOS: a data-only or background push. FCM's reference asks for apns-priority 5 for data-only
    // messages to Apple devices (an absent header means 10), and Apple refuses 10 for a background push, which also
    // names its push type.
    headers["apns-priority"] = "5"
    if (m.contentAvailable === true) headers["apns-push-type"] = "background"
  }
  if (m.timeToLive !== undefined) {
    headers["apns-expiration"] = m.timeToLive === 0 ? "0" : String(Math.floor(nowMillis / 1000) + m.timeToLive)
    webHeaders.TTL = String(m.timeToLive)
  }
  if (m.collapseKey !== undefined && byteLength(m.collapseKey) <= MAX_APNS_COLLAPSE_ID_BYTES) {
    headers["apns-collapse-id"] = m.collapseKey
  }

  const apns: Json = {}
  if (!isEmpty(headers)) apns.headers = headers
  if (!isEmpty(aps)) apns.payload = { aps }
  if (!isEmpty(apns)) message.apns = apns

  const webpush: Json = {}
  if (!isEmpty(webHeaders)) webpush.headers = webHeaders
  if (!isEmpty(webNotification)) webpush.notification = webNotification
  if (!isEmpty(webOptions)) webpush.fcm_options = webOptions
  if (!isEmpty(webpush)) message.webpush = webpush

  return { message, validateOnly: m.dryRun === true }
}
