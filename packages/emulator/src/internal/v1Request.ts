/**
 * Validation of an HTTP v1 `SendMessageRequest` the way FCM does it: JSON mapping errors (unknown names, wrong
 * types), then the target (`token`, `topic`, `condition` or `fid`, exactly one), then what FCM checks of the message
 * (reserved data keys, TTL, colours, links, labels, size), each answered with FCM's error body.
 *
 * @internal
 */
import type * as M from "../Model.js"
import { isRecord, show } from "./json.js"
import { type ErrorBody, invalidArgument, invalidToken, mappingError, missingRecipient } from "./v1Errors.js"
import {
  ANDROID_FIELDS,
  ANDROID_NOTIFICATION_FIELDS,
  APNS_FCM_OPTIONS_FIELDS,
  APNS_FIELDS,
  FCM_OPTIONS_FIELDS,
  isReservedDataKey,
  MESSAGE_FIELDS,
  NOTIFICATION_FIELDS,
  REQUEST_FIELDS,
  snake,
  TOKEN_RE,
  TOPIC_RE,
  WEBPUSH_FCM_OPTIONS_FIELDS,
  WEBPUSH_FIELDS
} from "./v1Fields.js"

/** @internal */
export type Validated =
  | {
    readonly ok: true
    readonly body: unknown
    readonly target: M.Target
    readonly key: string
    readonly validateOnly: boolean
  }
  | { readonly ok: false; readonly body: unknown; readonly error: ErrorBody }

const CONDITION_TOPIC_RE = /'([^']*)'\s+in\s+topics/gi
const CONDITION_RE = /^[\s()!&|'a-zA-Z0-9\-_.~%]+$/
const DURATION_RE = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/
const COLOR_RE = /^#[0-9a-fA-F]{6}$/
const LABEL_RE = /^[a-zA-Z0-9\-_.~%]{1,50}$/
const MAX_TTL_SECONDS = 2419200

const unknownName = (key: string, at: string): ErrorBody => {
  const description = at === ""
    ? `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`
    : `Invalid JSON payload received. Unknown name "${key}" at '${at}': Cannot find field.`
  return mappingError(at === "" ? undefined : at, description)
}

const typeError = (path: string, type: string, value: unknown): ErrorBody =>
  mappingError(path, `Invalid value at '${path}' (${type}), ${show(value)}`)

const checkFields = (o: Record<string, unknown>, allowed: ReadonlySet<string>, at: string): ErrorBody | undefined => {
  for (const key in o) {
    if (!allowed.has(key) && !allowed.has(snake(key))) return unknownName(key, at)
  }
  return undefined
}

const get = (o: Record<string, unknown>, name: string, camel: string): unknown => {
  const v = o[name]
  return v === undefined || v === null ? (o[camel] ?? undefined) : v
}

const object = (
  value: unknown,
  path: string,
  type: string,
  allowed: ReadonlySet<string> | undefined
): ErrorBody | undefined => {
  if (!isRecord(value)) return typeError(path, type, value)
  return allowed ? checkFields(value, allowed, path) : undefined
}

const stringMap = (value: unknown, path: string, checkReserved: boolean): ErrorBody | undefined => {
  if (!isRecord(value)) return typeError(path, "type.googleapis.com/google.protobuf.Struct", value)
  let i = 0
  for (const key in value) {
    const v = value[key]
    if (typeof v !== "string") return typeError(`${path}[${i}].value`, "TYPE_STRING", v)
    if (checkReserved && isReservedDataKey(key)) return invalidArgument(path, `Invalid data payload key: ${key}`)
    i++
  }
  return undefined
}

const strings = (o: Record<string, unknown>, path: string): ErrorBody | undefined => {
  for (const key in o) {
    const v = o[key]
    if (v !== null && v !== undefined && typeof v !== "string") {
      return typeError(`${path}.${snake(key)}`, "TYPE_STRING", v)
    }
  }
  return undefined
}

const validateAndroid = (android: unknown): ErrorBody | undefined => {
  const at = "message.android"
  const e = object(android, at, "type.googleapis.com/google.firebase.fcm.v1.AndroidConfig", ANDROID_FIELDS)
  if (e) return e
  const a = android as Record<string, unknown>
  const priority = a.priority
  if (
    priority !== undefined && priority !== null && priority !== "NORMAL" && priority !== "HIGH" &&
    priority !== "normal" && priority !== "high"
  ) {
    return typeError(`${at}.priority`, "type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority", priority)
  }
  const ttl = a.ttl
  if (ttl !== undefined && ttl !== null) {
    const m = typeof ttl === "string" ? DURATION_RE.exec(ttl) : null
    if (m === null) return typeError(`${at}.ttl`, "type.googleapis.com/google.protobuf.Duration", ttl)
    if (m[1] === "-" || Number(m[2]) > MAX_TTL_SECONDS) return invalidArgument(`${at}.ttl`, "The TTL is invalid")
  }
  for (const name of ["collapse_key", "restricted_package_name"] as const) {
    const v = get(a, name, name === "collapse_key" ? "collapseKey" : "restrictedPackageName")
    if (v !== undefined && typeof v !== "string") return typeError(`${at}.${name}`, "TYPE_STRING", v)
  }
  const data = a.data
  if (data !== undefined && data !== null) {
    const e2 = stringMap(data, `${at}.data`, true)
    if (e2) return e2
  }
  const notification = a.notification
  if (notification !== undefined && notification !== null) {
    const n = `${at}.notification`
    const e3 = object(
      notification,
      n,
      "type.googleapis.com/google.firebase.fcm.v1.AndroidNotification",
      ANDROID_NOTIFICATION_FIELDS
    )
    if (e3) return e3
    const color = (notification as Record<string, unknown>).color
    if (color !== undefined && color !== null && (typeof color !== "string" || !COLOR_RE.test(color))) {
      return invalidArgument(`${n}.color`, "Invalid color format. Expected #rrggbb.")
    }
  }
  const options = get(a, "fcm_options", "fcmOptions")
  if (options !== undefined) {
    const e4 = object(
      options,
      `${at}.fcm_options`,
      "type.googleapis.com/google.firebase.fcm.v1.AndroidFcmOptions",
      FCM_OPTIONS_FIELDS
    )
    if (e4) return e4
  }
  return undefined
}

const validateApns = (apns: unknown): ErrorBody | undefined => {
  const at = "message.apns"
  const e = object(apns, at, "type.googleapis.com/google.firebase.fcm.v1.ApnsConfig", APNS_FIELDS)
  if (e) return e
  const a = apns as Record<string, unknown>
  if (a.headers !== undefined && a.headers !== null) {
    const e2 = stringMap(a.headers, `${at}.headers`, false)
    if (e2) return e2
  }
  if (a.payload !== undefined && a.payload !== null && !isRecord(a.payload)) {
    return typeError(`${at}.payload`, "type.googleapis.com/google.protobuf.Struct", a.payload)
  }
  const options = get(a, "fcm_options", "fcmOptions")
  if (options !== undefined) {
    const e3 = object(
      options,
      `${at}.fcm_options`,
      "type.googleapis.com/google.firebase.fcm.v1.ApnsFcmOptions",
      APNS_FCM_OPTIONS_FIELDS
    )
    if (e3) return e3
  }
  return undefined
}

const validateWebpush = (webpush: unknown): ErrorBody | undefined => {
  const at = "message.webpush"
  const e = object(webpush, at, "type.googleapis.com/google.firebase.fcm.v1.WebpushConfig", WEBPUSH_FIELDS)
  if (e) return e
  const w = webpush as Record<string, unknown>
  for (const name of ["headers", "data"] as const) {
    const v = w[name]
    if (v !== undefined && v !== null) {
      const e2 = stringMap(v, `${at}.${name}`, name === "data")
      if (e2) return e2
    }
  }
  if (w.notification !== undefined && w.notification !== null && !isRecord(w.notification)) {
    return typeError(`${at}.notification`, "type.googleapis.com/google.protobuf.Struct", w.notification)
  }
  const options = get(w, "fcm_options", "fcmOptions")
  if (options !== undefined) {
    const e3 = object(
      options,
      `${at}.fcm_options`,
      "type.googleapis.com/google.firebase.fcm.v1.WebpushFcmOptions",
      WEBPUSH_FCM_OPTIONS_FIELDS
    )
    if (e3) return e3
    const link = (options as Record<string, unknown>).link
    if (link !== undefined && (typeof link !== "string" || !link.startsWith("https://"))) {
      return invalidArgument(`${at}.fcm_options.link`, "Link must be an HTTPS URL")
    }
  }
  return undefined
}

const payloadSize = (message: Record<string, unknown>): number => {
  let size = 0
  const data = message.data
  if (isRecord(data)) {
    for (const key in data) size += Buffer.byteLength(key) + Buffer.byteLength(String(data[key]))
  }
  const notification = message.notification
  if (isRecord(notification)) {
    for (const key in notification) size += Buffer.byteLength(key) + Buffer.byteLength(String(notification[key]))
  }
  return size
}

const TARGETS = ["token", "topic", "condition", "fid"] as const

/** Validates a `SendMessageRequest` the way FCM does. @internal */
export const validate = (text: string): Validated => {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    const description = "Invalid JSON payload received. Unexpected token."
    return { ok: false, body: text, error: mappingError(undefined, description) }
  }
  const fail = (error: ErrorBody): Validated => ({ ok: false, body, error })
  if (!isRecord(body)) {
    return fail(
      mappingError(undefined, "Invalid JSON payload received. Unknown name \"\": Root element must be a message.")
    )
  }
  const e0 = checkFields(body, REQUEST_FIELDS, "")
  if (e0) return fail(e0)
  const validateOnly = get(body, "validate_only", "validateOnly")
  if (validateOnly !== undefined && typeof validateOnly !== "boolean") {
    return fail(typeError("validate_only", "TYPE_BOOL", validateOnly))
  }
  const message = body.message
  if (message === undefined || message === null) return fail(missingRecipient)
  if (!isRecord(message)) {
    return fail(typeError("message", "type.googleapis.com/google.firebase.fcm.v1.Message", message))
  }
  const e1 = checkFields(message, MESSAGE_FIELDS, "message")
  if (e1) return fail(e1)

  let found: (typeof TARGETS)[number] | undefined
  let value = ""
  for (const name of TARGETS) {
    const v = message[name]
    if (v === undefined || v === null) continue
    if (typeof v !== "string") return fail(typeError(`message.${name}`, "TYPE_STRING", v))
    if (v === "") continue
    if (found !== undefined) {
      const description =
        `Invalid value at 'message' (oneof), oneof field 'target' is already set. Cannot set '${name}'`
      return fail(mappingError("message", description))
    }
    found = name
    value = v
  }
  if (found === undefined) return fail(missingRecipient)
  let target: M.Target
  let key: string
  switch (found) {
    case "token":
    case "fid":
      if (!TOKEN_RE.test(value)) return fail(invalidToken(`message.${found}`))
      target = { _tag: "Token", token: value }
      key = value
      break
    case "topic":
      if (!TOPIC_RE.test(value)) return fail(invalidArgument("message.topic", "Invalid topic name"))
      target = { _tag: "Topic", topic: value }
      key = `/topics/${value}`
      break
    case "condition": {
      const topics = value.match(CONDITION_TOPIC_RE)?.length ?? 0
      if (topics === 0 || topics > 5 || !CONDITION_RE.test(value)) {
        return fail(invalidArgument("message.condition", "Invalid condition expression provided."))
      }
      target = { _tag: "Condition", condition: value }
      key = value
      break
    }
  }

  if (message.data !== undefined && message.data !== null) {
    const e = stringMap(message.data, "message.data", true)
    if (e) return fail(e)
  }
  if (message.notification !== undefined && message.notification !== null) {
    const e = object(
      message.notification,
      "message.notification",
      "type.googleapis.com/google.firebase.fcm.v1.Notification",
      NOTIFICATION_FIELDS
    ) ?? strings(message.notification as Record<string, unknown>, "message.notification")
    if (e) return fail(e)
  }
  if (message.android !== undefined && message.android !== null) {
    const e = validateAndroid(message.android)
    if (e) return fail(e)
  }
  if (message.apns !== undefined && message.apns !== null) {
    const e = validateApns(message.apns)
    if (e) return fail(e)
  }
  if (message.webpush !== undefined && message.webpush !== null) {
    const e = validateWebpush(message.webpush)
    if (e) return fail(e)
  }
  const options = get(message, "fcm_options", "fcmOptions")
  if (options !== undefined) {
    const e = object(
      options,
      "message.fcm_options",
      "type.googleapis.com/google.firebase.fcm.v1.FcmOptions",
      FCM_OPTIONS_FIELDS
    )
    if (e) return fail(e)
    const label = (options as Record<string, unknown>).analytics_label ??
      (options as Record<string, unknown>).analyticsLabel
    if (label !== undefined && (typeof label !== "string" || !LABEL_RE.test(label))) {
      return fail(invalidArgument("message.fcm_options.analytics_label", "Analytics label is invalid"))
    }
  }
  const limit = target._tag === "Token" ? 4096 : 2048
  if ((message.data !== undefined || message.notification !== undefined) && payloadSize(message) > limit) {
    return fail(invalidArgument(undefined, "Message is too big"))
  }
  return { ok: true, body, target, key, validateOnly: validateOnly === true }
}
