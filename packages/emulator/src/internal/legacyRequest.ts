/**
 * Parsing of a legacy `/fcm/send` request body, JSON or plain text (form-encoded), into its target, the scenario
 * keys of each target, and the problems FCM reports per token (a missing or malformed token) or for the whole
 * message (TTL, reserved data keys, size), named by their legacy error codes.
 *
 * @internal
 */
import type * as M from "../Model.js"
import type * as Scenario from "../Scenario.js"
import { isRecord, show } from "./json.js"
import { isReservedDataKey, TOKEN_RE } from "./v1Fields.js"

/** @internal */
export type Parsed =
  | { readonly ok: false; readonly body: unknown; readonly text: string }
  | {
    readonly ok: true
    readonly mode: "json" | "text"
    readonly body: unknown
    readonly target: M.Target
    /** The scenario keys: tokens, `/topics/x`, or the condition. */
    readonly keys: ReadonlyArray<string>
    /** A syntactic problem of one key, by position. */
    readonly keyErrors: ReadonlyArray<Scenario.LegacyErrorCode | undefined> | undefined
    /** A problem of the message itself, reported for every key. */
    readonly messageError: Scenario.LegacyErrorCode | undefined
    readonly dryRun: boolean
    readonly topicLike: boolean
  }

const MAX_TTL = 2419200
const MAX_IDS = 1000

const mustBe = (field: string, type: string, value: unknown): Parsed => ({
  ok: false,
  body: undefined,
  text: `Field "${field}" must be a JSON ${type}: ${show(value)}\n`
})

const keyError = (key: string): Scenario.LegacyErrorCode | undefined =>
  key === "" ? "MissingRegistration" : TOKEN_RE.test(key) ? undefined : "InvalidRegistration"

const messageError = (
  ttl: unknown,
  data: unknown,
  notification: unknown,
  topicLike: boolean
): Scenario.LegacyErrorCode | undefined => {
  if (typeof ttl === "number" && (ttl < 0 || ttl > MAX_TTL || !Number.isInteger(ttl))) return "InvalidTtl"
  let size = 0
  if (isRecord(data)) {
    for (const key in data) {
      if (isReservedDataKey(key)) return "InvalidDataKey"
      const v = data[key]
      size += Buffer.byteLength(key) + Buffer.byteLength(typeof v === "string" ? v : show(v))
    }
  }
  if (isRecord(notification)) {
    for (const key in notification) {
      const v = notification[key]
      size += Buffer.byteLength(key) + Buffer.byteLength(typeof v === "string" ? v : show(v))
    }
  }
  return size > (topicLike ? 2048 : 4096) ? "MessageTooBig" : undefined
}

const TYPED_FIELDS: ReadonlyArray<readonly [string, "number" | "boolean" | "string"]> = [
  ["time_to_live", "number"],
  ["dry_run", "boolean"],
  ["delay_while_idle", "boolean"],
  ["content_available", "boolean"],
  ["mutable_content", "boolean"],
  ["collapse_key", "string"],
  ["priority", "string"],
  ["restricted_package_name", "string"]
]

const parseJson = (text: string): Parsed => {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (e) {
    const detail = e instanceof Error ? e.message : "Unexpected token"
    return { ok: false, body: text, text: `JSON_PARSING_ERROR: ${detail}\n` }
  }
  if (!isRecord(body)) {
    return { ok: false, body, text: "JSON_PARSING_ERROR: Unexpected token, the request body must be a JSON object.\n" }
  }
  const fail = (p: Parsed): Parsed => (p.ok ? p : { ...p, body })
  const ids = body.registration_ids
  const to = body.to
  const condition = body.condition
  if (ids !== undefined && !Array.isArray(ids)) return fail(mustBe("registration_ids", "array", ids))
  if (to !== undefined && typeof to !== "string") return fail(mustBe("to", "string", to))
  if (condition !== undefined && typeof condition !== "string") return fail(mustBe("condition", "string", condition))
  for (let i = 0; i < TYPED_FIELDS.length; i++) {
    const [field, type] = TYPED_FIELDS[i]!
    const v = body[field]
    if (v !== undefined && typeof v !== type) return fail(mustBe(field, type, v))
  }
  if (body.data !== undefined && !isRecord(body.data)) return fail(mustBe("data", "object", body.data))
  if (body.notification !== undefined && !isRecord(body.notification)) {
    return fail(mustBe("notification", "object", body.notification))
  }
  const count = (ids !== undefined ? 1 : 0) + (to !== undefined ? 1 : 0) + (condition !== undefined ? 1 : 0)
  if (count === 0) {
    return { ok: false, body, text: "Missing \"to\", \"registration_ids\" or \"condition\" field.\n" }
  }
  if (count > 1) {
    return { ok: false, body, text: "Must use either \"registration_ids\" field or \"to\", not both\n" }
  }
  const dryRun = body.dry_run === true
  if (ids !== undefined) {
    if (ids.length === 0) return { ok: false, body, text: "\"registration_ids\" field cannot be empty\n" }
    if (ids.length > MAX_IDS) {
      return {
        ok: false,
        body,
        text: `Number of messages on bulk (${ids.length}) exceeds maximum allowed (${MAX_IDS})\n`
      }
    }
    const keys: Array<string> = new Array(ids.length)
    let errors: Array<Scenario.LegacyErrorCode | undefined> | undefined
    for (let i = 0; i < ids.length; i++) {
      const id: unknown = ids[i]
      if (typeof id !== "string") return fail(mustBe("registration_ids", "array of strings", ids))
      keys[i] = id
      const e = keyError(id)
      if (e !== undefined) {
        errors ??= new Array(ids.length)
        errors[i] = e
      }
    }
    return {
      ok: true,
      mode: "json",
      body,
      target: { _tag: "Tokens", tokens: keys },
      keys,
      keyErrors: errors,
      messageError: messageError(body.time_to_live, body.data, body.notification, false),
      dryRun,
      topicLike: false
    }
  }
  if (to !== undefined) {
    const topic = to.startsWith("/topics/") ? to.slice("/topics/".length) : undefined
    if (topic !== undefined) {
      return {
        ok: true,
        mode: "json",
        body,
        target: { _tag: "Topic", topic },
        keys: [to],
        keyErrors: topic === "" ? ["InvalidRegistration"] : undefined,
        messageError: messageError(body.time_to_live, body.data, body.notification, true),
        dryRun,
        topicLike: true
      }
    }
    const e = keyError(to)
    return {
      ok: true,
      mode: "json",
      body,
      target: { _tag: "Token", token: to },
      keys: [to],
      keyErrors: e === undefined ? undefined : [e],
      messageError: messageError(body.time_to_live, body.data, body.notification, false),
      dryRun,
      topicLike: false
    }
  }
  const cond = condition as string
  return {
    ok: true,
    mode: "json",
    body,
    target: { _tag: "Condition", condition: cond },
    keys: [cond],
    keyErrors: /'[^']+'\s+in\s+topics/i.test(cond) ? undefined : ["InvalidRegistration"],
    messageError: messageError(body.time_to_live, body.data, body.notification, true),
    dryRun,
    topicLike: true
  }
}

const parseText = (text: string): Parsed => {
  const params = new URLSearchParams(text)
  const data: Record<string, string> = {}
  const body: Record<string, unknown> = {}
  for (const [k, v] of params) {
    if (k.startsWith("data.")) data[k.slice(5)] = v
    else body[k] = v
  }
  if (Object.keys(data).length > 0) body.data = data
  const token = params.get("registration_id") ?? ""
  const ttlText = params.get("time_to_live")
  const ttl = ttlText === null ? undefined : Number(ttlText)
  if (ttl !== undefined && !Number.isFinite(ttl)) {
    return { ok: false, body, text: `Field "time_to_live" must be a number: ${ttlText}\n` }
  }
  const dry = params.get("dry_run")
  const e = keyError(token)
  return {
    ok: true,
    mode: "text",
    body,
    target: { _tag: "Token", token },
    keys: [token],
    keyErrors: e === undefined ? undefined : [e],
    messageError: messageError(ttl, data, undefined, false),
    dryRun: dry === "1" || dry === "true",
    topicLike: false
  }
}

/** Parses a legacy request body, JSON or plain text (form-encoded). @internal */
export const parse = (text: string, contentType: string | undefined): Parsed =>
  contentType !== undefined && contentType.includes("application/x-www-form-urlencoded")
    ? parseText(text)
    : parseJson(text)
