/**
 * What the HTTP v1 API accepts, as the emulator checks it: the field names of each object of a
 * `SendMessageRequest` (snake_case; the camelCase forms are accepted too), the syntax of tokens and topics, and the
 * reserved data keys. An unknown field is refused as FCM refuses it (`Unknown name "…"`).
 *
 * This is the one place the emulator's accepted v1 field list lives: a contract test compares it with the fields
 * the core's wire schema can send.
 *
 * @internal
 */
const fields = (...names: ReadonlyArray<string>): ReadonlySet<string> => new Set(names)

/** @internal */
export const REQUEST_FIELDS = fields("message", "validate_only")
/** @internal */
export const MESSAGE_FIELDS = fields(
  "name",
  "data",
  "notification",
  "android",
  "webpush",
  "apns",
  "fcm_options",
  "token",
  "topic",
  "condition",
  "fid"
)
/** @internal */
export const NOTIFICATION_FIELDS = fields("title", "body", "image")
/** @internal */
export const ANDROID_FIELDS = fields(
  "collapse_key",
  "priority",
  "ttl",
  "restricted_package_name",
  "data",
  "notification",
  "fcm_options",
  "direct_boot_ok",
  "bandwidth_constrained_ok",
  "restricted_satellite_ok"
)
/** @internal */
export const ANDROID_NOTIFICATION_FIELDS = fields(
  "title",
  "body",
  "icon",
  "color",
  "sound",
  "tag",
  "click_action",
  "body_loc_key",
  "body_loc_args",
  "title_loc_key",
  "title_loc_args",
  "channel_id",
  "ticker",
  "sticky",
  "event_time",
  "local_only",
  "notification_priority",
  "default_sound",
  "default_vibrate_timings",
  "default_light_settings",
  "vibrate_timings",
  "visibility",
  "notification_count",
  "light_settings",
  "image",
  "proxy",
  "bypass_proxy_notification"
)
/** @internal */
export const APNS_FIELDS = fields("headers", "payload", "fcm_options", "live_activity_token")
/** @internal */
export const WEBPUSH_FIELDS = fields("headers", "data", "notification", "fcm_options")
/** @internal */
export const FCM_OPTIONS_FIELDS = fields("analytics_label")
/** @internal */
export const APNS_FCM_OPTIONS_FIELDS = fields("analytics_label", "image")
/** @internal */
export const WEBPUSH_FCM_OPTIONS_FIELDS = fields("link", "analytics_label")

/** `collapseKey` → `collapse_key`. @internal */
export const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase())

/** Registration tokens: printable ASCII without spaces, at most 4 KiB. @internal */
export const TOKEN_RE = /^[\x21-\x7e]{1,4096}$/
/** @internal */
export const TOPIC_RE = /^[a-zA-Z0-9\-_.~%]{1,900}$/

/** Reserved keys of `data`. @internal */
export const isReservedDataKey = (key: string): boolean =>
  key === "from" || key === "message_type" || key.startsWith("google") || key.startsWith("gcm")

/**
 * Every accepted field, by the path of its object in a `SendMessageRequest` (`""` is the request itself).
 *
 * @internal
 */
export const acceptedFields: Readonly<Record<string, ReadonlySet<string>>> = {
  "": REQUEST_FIELDS,
  message: MESSAGE_FIELDS,
  "message.notification": NOTIFICATION_FIELDS,
  "message.android": ANDROID_FIELDS,
  "message.android.notification": ANDROID_NOTIFICATION_FIELDS,
  "message.android.fcm_options": FCM_OPTIONS_FIELDS,
  "message.apns": APNS_FIELDS,
  "message.apns.fcm_options": APNS_FCM_OPTIONS_FIELDS,
  "message.webpush": WEBPUSH_FIELDS,
  "message.webpush.fcm_options": WEBPUSH_FCM_OPTIONS_FIELDS,
  "message.fcm_options": FCM_OPTIONS_FIELDS
}
