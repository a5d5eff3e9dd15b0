import type * as Message from "../Message.js"
import { payloadBytes, topicName } from "../Message.js"
import type {
  AndroidConfig,
  AndroidNotification,
  ApnsConfig,
  ApnsPayload,
  Aps,
  ApsAlert,
  CriticalSound,
  FcmOptions,
  LightSettings,
  MessageV1,
  Notification,
  Translated,
  WebpushConfig
} from "../MessageV1.js"

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
 * A duration in milliseconds as a protobuf Duration string: seconds with up to nine fractional digits, trailing
 * zeros removed.
 *
 * @internal
 */
export const durationFromMillis = (millis: number): string => {
  if (Number.isInteger(millis)) {
    const seconds = Math.floor(millis / 1000)
    const rest = millis - seconds * 1000
    return rest === 0 ? `${seconds}s` : `${seconds}.${String(rest).padStart(3, "0").replace(/0+$/, "")}s`
  }
  const total = Math.round(millis * 1_000_000)
  const seconds = Math.floor(total / 1_000_000_000)
  const nanos = total - seconds * 1_000_000_000
  return nanos === 0 ? `${seconds}s` : `${seconds}.${String(nanos).padStart(9, "0").replace(/0+$/, "")}s`
}

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

/**
 * The payload FCM counts against its size limit, for the platform that receives the most: the data (or the
 * platform's data override), the common notification and the platform's notification or payload. `field` names the
 * largest part of that platform's payload.
 *
 * @internal
 */
export const payloadSize = (m: MessageV1): { readonly bytes: number; readonly field: string } => {
  const common = fieldsBytes(m.notification)
  const data = mapBytes(m.data)
  const androidData = m.android?.data
  const webData = m.webpush?.data
  const platforms: ReadonlyArray<ReadonlyArray<readonly [string, number]>> = [
    [
      androidData !== undefined ? ["android.data", mapBytes(androidData)] : ["data", data],
      ["notification", common],
      ["android.notification", fieldsBytes(m.android?.notification)]
    ],
    [["data", data], ["notification", common], ["apns.payload", jsonBytes(m.apns?.payload)]],
    [
      webData !== undefined ? ["webpush.data", mapBytes(webData)] : ["data", data],
      ["notification", common],
      ["webpush.notification", jsonBytes(m.webpush?.notification)]
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

const set = (target: Json, key: string, value: unknown): void => {
  if (value !== undefined) target[key] = value
}

const strings = (map: Readonly<Record<string, string | undefined>>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const key in map) {
    const value = map[key]
    if (value !== undefined) out[key] = value
  }
  return out
}

/** A copy of a JSON value without `undefined` object members. */
const clean = (value: unknown): unknown => {
  if (typeof value !== "object" || value === null) return value
  if (Array.isArray(value)) return value.map(clean)
  const out: Json = {}
  for (const key of Object.keys(value)) {
    const member = (value as Json)[key]
    if (member !== undefined) out[key] = clean(member)
  }
  return out
}

const list = (values: ReadonlyArray<string> | undefined): Array<string> | undefined =>
  values === undefined ? undefined : [...values]

const fcmOptionsWire = (options: FcmOptions): Json => {
  const out: Json = {}
  set(out, "analytics_label", options.analyticsLabel)
  return out
}

const notificationWire = (n: Notification): Json => {
  const out: Json = {}
  set(out, "title", n.title)
  set(out, "body", n.body)
  set(out, "image", n.imageUrl)
  return out
}

const hexByte = (hex: string, at: number): number => parseInt(hex.slice(at, at + 2), 16) / 255

const lightSettingsWire = (l: LightSettings): Json => ({
  color: {
    red: hexByte(l.color, 1),
    green: hexByte(l.color, 3),
    blue: hexByte(l.color, 5),
    alpha: l.color.length === 9 ? hexByte(l.color, 7) : 1
  },
  light_on_duration: durationFromMillis(l.lightOnDurationMillis),
  light_off_duration: durationFromMillis(l.lightOffDurationMillis)
})

const ANDROID_NOTIFICATION_SCALARS: ReadonlyArray<readonly [keyof AndroidNotification, string]> = [
  ["title", "title"],
  ["body", "body"],
  ["icon", "icon"],
  ["color", "color"],
  ["sound", "sound"],
  ["tag", "tag"],
  ["clickAction", "click_action"],
  ["bodyLocKey", "body_loc_key"],
  ["titleLocKey", "title_loc_key"],
  ["channelId", "channel_id"],
  ["ticker", "ticker"],
  ["sticky", "sticky"],
  ["localOnly", "local_only"],
  ["defaultVibrateTimings", "default_vibrate_timings"],
  ["defaultSound", "default_sound"],
  ["defaultLightSettings", "default_light_settings"],
  ["notificationCount", "notification_count"],
  ["imageUrl", "image"]
]

const androidNotificationWire = (n: AndroidNotification): Json => {
  const out: Json = {}
  for (const [key, wire] of ANDROID_NOTIFICATION_SCALARS) set(out, wire, n[key])
  set(out, "body_loc_args", list(n.bodyLocArgs))
  set(out, "title_loc_args", list(n.titleLocArgs))
  if (n.eventTimestamp !== undefined) {
    out.event_time = n.eventTimestamp instanceof Date ? n.eventTimestamp.toISOString() : n.eventTimestamp
  }
  if (n.priority !== undefined) out.notification_priority = `PRIORITY_${n.priority.toUpperCase()}`
  if (n.vibrateTimingsMillis !== undefined) out.vibrate_timings = n.vibrateTimingsMillis.map(durationFromMillis)
  if (n.lightSettings !== undefined) out.light_settings = lightSettingsWire(n.lightSettings)
  if (n.visibility !== undefined) out.visibility = n.visibility.toUpperCase()
  if (n.proxy !== undefined) out.proxy = n.proxy.toUpperCase()
  return out
}

const androidWire = (a: AndroidConfig): Json => {
  const out: Json = {}
  set(out, "collapse_key", a.collapseKey)
  if (a.priority !== undefined) out.priority = a.priority.toUpperCase()
  if (a.ttl !== undefined) out.ttl = durationFromMillis(a.ttl)
  set(out, "restricted_package_name", a.restrictedPackageName)
  if (a.data !== undefined) out.data = strings(a.data)
  if (a.notification !== undefined) out.notification = androidNotificationWire(a.notification)
  if (a.fcmOptions !== undefined) out.fcm_options = fcmOptionsWire(a.fcmOptions)
  set(out, "direct_boot_ok", a.directBootOk)
  return out
}

const ALERT_KEYS: ReadonlyArray<readonly [keyof ApsAlert, string]> = [
  ["title", "title"],
  ["subtitle", "subtitle"],
  ["body", "body"],
  ["locKey", "loc-key"],
  ["locArgs", "loc-args"],
  ["titleLocKey", "title-loc-key"],
  ["titleLocArgs", "title-loc-args"],
  ["subtitleLocKey", "subtitle-loc-key"],
  ["subtitleLocArgs", "subtitle-loc-args"],
  ["actionLocKey", "action-loc-key"],
  ["launchImage", "launch-image"]
]

const alertWire = (alert: ApsAlert): Json => {
  const out: Json = {}
  for (const [key, wire] of ALERT_KEYS) {
    const value = alert[key]
    if (value !== undefined) out[wire] = typeof value === "string" ? value : [...value]
  }
  return out
}

const soundWire = (sound: CriticalSound): Json => {
  const out: Json = {}
  if (sound.critical === true) out.critical = 1
  out.name = sound.name
  set(out, "volume", sound.volume)
  return out
}

/** APNs flags are `1` when set and absent otherwise. */
const flag = (out: Json, wire: string, value: unknown): void => {
  if (value === true || value === 1) out[wire] = 1
}

const apsWire = (aps: Aps): Json => {
  const out: Json = {}
  for (const key of Object.keys(aps)) {
    const value: unknown = aps[key]
    if (value === undefined) continue
    switch (key) {
      case "alert":
        out.alert = typeof value === "string" ? value : alertWire(value as ApsAlert)
        break
      case "sound":
        out.sound = typeof value === "string" ? value : soundWire(value as CriticalSound)
        break
      case "contentAvailable":
      case "content-available":
        flag(out, "content-available", value)
        break
      case "mutableContent":
      case "mutable-content":
        flag(out, "mutable-content", value)
        break
      case "threadId":
        out["thread-id"] = value
        break
      default:
        // badge, category and custom keys keep their names.
        out[key] = clean(value)
    }
  }
  return out
}

const apnsPayloadWire = (payload: ApnsPayload): Json => {
  const out: Json = {}
  for (const key of Object.keys(payload)) {
    const value: unknown = payload[key]
    if (value === undefined) continue
    out[key] = key === "aps" ? apsWire(value as Aps) : clean(value)
  }
  return out
}

const apnsWire = (a: ApnsConfig): Json => {
  const out: Json = {}
  if (a.headers !== undefined) out.headers = strings(a.headers)
  if (a.payload !== undefined) out.payload = apnsPayloadWire(a.payload)
  if (a.fcmOptions !== undefined) {
    const options: Json = {}
    set(options, "analytics_label", a.fcmOptions.analyticsLabel)
    set(options, "image", a.fcmOptions.imageUrl)
    out.fcm_options = options
  }
  return out
}

const webpushWire = (w: WebpushConfig): Json => {
  const out: Json = {}
  if (w.headers !== undefined) out.headers = strings(w.headers)
  if (w.data !== undefined) out.data = strings(w.data)
  if (w.notification !== undefined) out.notification = clean(w.notification)
  if (w.fcmOptions !== undefined) {
    const options: Json = {}
    set(options, "link", w.fcmOptions.link)
    set(options, "analytics_label", w.fcmOptions.analyticsLabel)
    out.fcm_options = options
  }
  return out
}

/**
 * The JSON `message` object of the v1 API for a validated message.
 *
 * @internal
 */
export const toWire = (m: MessageV1): Record<string, unknown> => {
  const out: Json = {}
  set(out, "token", m.token)
  if (m.topic !== undefined) out.topic = topicName(m.topic)
  set(out, "condition", m.condition)
  if (m.data !== undefined) out.data = strings(m.data)
  if (m.notification !== undefined) out.notification = notificationWire(m.notification)
  if (m.android !== undefined) out.android = androidWire(m.android)
  if (m.apns !== undefined) out.apns = apnsWire(m.apns)
  if (m.webpush !== undefined) out.webpush = webpushWire(m.webpush)
  if (m.fcmOptions !== undefined) out.fcm_options = fcmOptionsWire(m.fcmOptions)
  return out
}

// ---------------------------------------------------------------------------------------------------------------------
// fromMessage: the multicast message in v1 terms
// ---------------------------------------------------------------------------------------------------------------------

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
  } else if (m.contentAvailable === true) {
    // A background push: Apple requires priority 5 and refuses 10.
    headers["apns-priority"] = "5"
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
