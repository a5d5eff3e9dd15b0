/**
 * Reading what `fcm send` is given: `--data` pairs, `--data-json`, message files (the HTTP v1 shape of
 * firebase-admin, or the legacy API's JSON), and tokens files.
 */
import type { FcmError, FcmV1 } from "@effect-fcm/fcm"
import { Message, MessageV1 } from "@effect-fcm/fcm"
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import type { CliError } from "./errors.js"
import { usage } from "./errors.js"

// -----------------------------------------------------------------------------
// targets
// -----------------------------------------------------------------------------

/**
 * Who a send goes to.
 *
 * @internal
 */
export type Targets =
  | { readonly _tag: "Tokens"; readonly tokens: ReadonlyArray<string> }
  | { readonly _tag: "TokensFile"; readonly path: string }
  | { readonly _tag: "Topic"; readonly topic: string }
  | { readonly _tag: "Condition"; readonly condition: string }
  | { readonly _tag: "Messages"; readonly messages: ReadonlyArray<MessageV1.MessageV1> }

/**
 * The targets flags (or a message file for many targets) name.
 *
 * @internal
 */
export type FlagTargets = Exclude<Targets, { readonly _tag: "Messages" }>

/**
 * The target of a v1 message as a send's report names it: its token or fid, its topic as `/topics/name`, or its
 * condition.
 *
 * @internal
 */
export const targetOf = (message: MessageV1.MessageV1): string =>
  message.token ?? message.fid ??
    (message.topic !== undefined ? Message.topicPath(message.topic) : message.condition ?? "")

/** @internal */
export const describeTargets = (targets: Targets): string => {
  switch (targets._tag) {
    case "Tokens":
      return `${targets.tokens.length} token${targets.tokens.length === 1 ? "" : "s"}`
    case "TokensFile":
      return targets.path === "-" ? "the tokens read from stdin" : `the tokens of ${targets.path}`
    case "Topic":
      return `topic ${Message.topicName(targets.topic)}`
    case "Condition":
      return `condition ${targets.condition}`
    case "Messages": {
      if (targets.messages.length !== 1) return `${targets.messages.length} messages`
      const { condition, fid, token, topic } = targets.messages[0]!
      return token !== undefined
        ? "1 token"
        : fid !== undefined
        ? `fid ${fid}`
        : topic !== undefined
        ? `topic ${Message.topicName(topic)}`
        : `condition ${condition}`
    }
  }
}

// -----------------------------------------------------------------------------
// --data
// -----------------------------------------------------------------------------

/**
 * Parses `--data key=value` pairs (split at the first `=`; the value may be empty) and merges `--data-json`, refusing
 * a key given twice.
 *
 * @internal
 */
export const parseData = (
  pairs: ReadonlyArray<string>,
  json: string | undefined
): Either.Either<Record<string, Message.DataValue> | undefined, CliError> => {
  const data: Record<string, Message.DataValue> = {}
  let any = false
  if (json !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(json)
    } catch {
      return Either.left(usage(`--data-json is not valid JSON: expected an object such as '{"kind":"news"}'`))
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return Either.left(usage(`--data-json must be a JSON object of key/value pairs, such as '{"kind":"news"}'`))
    }
    for (const [key, value] of Object.entries(parsed)) {
      if (Message.isReservedDataKey(key)) {
        return Either.left(
          usage(`--data-json: ${JSON.stringify(key)} is a reserved key (from, message_type, google…, gcm…)`)
        )
      }
      data[key] = value as Message.DataValue
      any = true
    }
  }
  for (const pair of pairs) {
    const eq = pair.indexOf("=")
    if (eq <= 0) {
      return Either.left(usage(`--data ${JSON.stringify(pair)}: expected key=value, such as --data kind=news`))
    }
    const key = pair.slice(0, eq)
    if (Message.isReservedDataKey(key)) {
      return Either.left(
        usage(
          `--data ${JSON.stringify(pair)}: ${JSON.stringify(key)} is a reserved key (from, message_type, google…, gcm…)`
        )
      )
    }
    if (Object.prototype.hasOwnProperty.call(data, key)) {
      return Either.left(usage(`--data ${JSON.stringify(pair)}: the key ${JSON.stringify(key)} is given twice`))
    }
    data[key] = pair.slice(eq + 1)
    any = true
  }
  return Either.right(any ? data : undefined)
}

// -----------------------------------------------------------------------------
// message files
// -----------------------------------------------------------------------------

/**
 * A message read from `--message-file`: either the legacy API's JSON, decoded by the library's legacy wire schema
 * into the multicast message, or HTTP v1 messages, decoded into the library's `MessageV1` (from its wire form or
 * from firebase-admin's camelCase form): a message naming its own target (or a JSON array of such messages) is sent
 * as it is by `FcmV1.send` (`sendEach`), a message without one or with a multicast's `tokens` by the v1 client to
 * every target.
 *
 * @internal
 */
export type MessageFile =
  | {
    readonly _tag: "Legacy"
    readonly targets: FlagTargets | undefined
    readonly options: Message.Options
  }
  | {
    readonly _tag: "V1"
    readonly targets: FlagTargets | undefined
    /** The v1 message, without its target. */
    readonly payload: FcmV1.Payload
    readonly validateOnly: boolean
  }
  | {
    readonly _tag: "V1Messages"
    /** The messages name their own targets. */
    readonly targets?: undefined
    /** Whole v1 messages, each with its own target: sent with `FcmV1.send` (one) or `FcmV1.sendEach` (many). */
    readonly messages: ReadonlyArray<MessageV1.MessageV1>
    readonly validateOnly: boolean
  }

/** The legacy body's fields that mark a file as the legacy API's JSON rather than a v1 message. */
const LEGACY_MARKERS = new Set([
  "registration_ids",
  "to",
  "collapse_key",
  "priority",
  "time_to_live",
  "delay_while_idle",
  "restricted_package_name",
  "dry_run",
  "content_available",
  "mutable_content"
])

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const decodeLegacy = (path: string, json: Record<string, unknown>): Either.Either<MessageFile, CliError> => {
  const fail = (what: string) => Either.left(usage(`message file ${path}: ${what}`))
  let targets: FlagTargets | undefined
  const body: Record<string, unknown> = { ...json }
  if (json.registration_ids !== undefined && json.to !== undefined) {
    return fail("set only one of registration_ids, to and condition")
  }
  if (typeof json.to === "string" && json.to.length > 0 && !json.to.startsWith("/topics/")) {
    // The legacy API's `to` also names a single token: the same as a one-token registration_ids.
    delete body.to
    body.registration_ids = [json.to]
  }
  const notification = json.notification
  if (isObject(notification) && notification.text !== undefined && notification.body === undefined) {
    // The legacy API names the notification's body `text`.
    const { text, ...rest } = notification
    body.notification = { ...rest, body: text }
  }
  const named = body.registration_ids !== undefined || body.to !== undefined || body.condition !== undefined
  // Decoded with a stand-in target when the file names none, so the payload is checked before anything else.
  return Either.match(Message.fromLegacy(named ? body : { ...body, registration_ids: ["stand-in"] }), {
    onLeft: (e) => fail(`${e.field}: ${e.reason}`),
    onRight: ({ condition, tokens, topic, ...options }) => {
      if (named) {
        targets = tokens !== undefined
          ? { _tag: "Tokens", tokens }
          : topic !== undefined
          ? { _tag: "Topic", topic }
          : { _tag: "Condition", condition: condition! }
      }
      return Either.right({ _tag: "Legacy", targets, options })
    }
  })
}

/** Free-form objects, where keys are the caller's own and say nothing about the form of the file. */
const FREE_FORM = new Set(["data", "headers", "payload", "notification"])

/** Whether a v1 message file is written in firebase-admin's camelCase (a camelCase field name outside free-form keys). */
const isCamelCase = (value: unknown, parent = "", depth = 0): boolean => {
  if (!isObject(value) || depth > 3) return false
  for (const [key, member] of Object.entries(value)) {
    if (/[A-Z]/.test(key)) return true
    const freeForm = FREE_FORM.has(key) && (key !== "notification" || parent === "webpush")
    if (!freeForm && isCamelCase(member, key, depth + 1)) return true
  }
  return false
}

/**
 * A v1 message in its wire form (the REST API's snake_case JSON) or in firebase-admin's camelCase form, decoded by
 * the library's schema: the form whose decoding succeeds wins; when neither does, the error is the one of the form the
 * file is written in.
 */
const decodeV1Message = (
  json: Record<string, unknown>
): Either.Either<MessageV1.MessageV1, FcmError.InvalidMessage> => {
  const wire = MessageV1.fromWire(json)
  if (Either.isRight(wire)) return wire
  const camel = MessageV1.validateEither(json)
  if (Either.isRight(camel)) return camel
  return isCamelCase(json) ? camel : wire
}

const decodeV1 = (
  path: string,
  json: Record<string, unknown>,
  validateOnly: boolean
): Either.Either<MessageFile, CliError> => {
  const fail = (what: string) => Either.left(usage(`message file ${path}: ${what}`))
  const { tokens, ...message } = json
  let targets: FlagTargets | undefined
  if (tokens !== undefined) {
    if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== "string")) {
      return fail("tokens must be an array of registration tokens")
    }
    if (message.token !== undefined || message.topic !== undefined || message.condition !== undefined) {
      return fail("tokens conflicts with token/topic/condition: set only one target")
    }
    targets = { _tag: "Tokens", tokens: tokens as Array<string> }
  } else if (typeof message.token === "string") {
    targets = { _tag: "Tokens", tokens: [message.token] }
  } else if (typeof message.topic === "string") {
    targets = { _tag: "Topic", topic: message.topic }
  } else if (typeof message.condition === "string") {
    targets = { _tag: "Condition", condition: message.condition }
  }
  if (tokens === undefined && message.fid !== undefined) {
    // A message to a Firebase installation goes out as it is, by FcmV1.send.
    return Either.match(decodeV1Message(message), {
      onLeft: (e) => fail(`${e.field}: ${e.reason}`),
      onRight: (decoded) => Either.right({ _tag: "V1Messages", messages: [decoded], validateOnly })
    })
  }
  const probe = targets === undefined || targets._tag === "Tokens" && tokens !== undefined
    ? { ...message, token: "stand-in" }
    : message
  return Either.match(decodeV1Message(probe), {
    onLeft: (e) => fail(`${e.field}: ${e.reason}`),
    onRight: ({ condition: _c, fid: _f, token: _t, topic: _p, ...payload }) => {
      if (targets?._tag === "Tokens") {
        const bad = targets.tokens.findIndex((t) => t.length === 0)
        if (bad >= 0) return fail(`tokens[${bad}]: must be a non-empty registration token`)
      }
      return Either.right({ _tag: "V1", targets, payload, validateOnly })
    }
  })
}

/**
 * A JSON array of v1 messages, each naming its own target (`token`, `fid`, `topic` or `condition`), in the wire form
 * or the camelCase form: every one is checked before anything is sent, and an error names the message by its index.
 */
const decodeList = (path: string, list: ReadonlyArray<unknown>): Either.Either<MessageFile, CliError> => {
  const fail = (i: number, what: string) => Either.left(usage(`message file ${path}: [${i}]${what}`))
  if (list.length === 0) return Either.left(usage(`message file ${path}: the array holds no message`))
  const messages = new Array<MessageV1.MessageV1>(list.length)
  for (let i = 0; i < list.length; i++) {
    const item = list[i]
    if (!isObject(item)) return fail(i, ": must be a JSON object (an HTTP v1 message)")
    if (item.tokens !== undefined) {
      return fail(i, ".tokens: a list holds one message per target: set token (or fid, topic, condition)")
    }
    if (Object.keys(item).some((key) => LEGACY_MARKERS.has(key))) {
      return fail(i, ": a list of messages is sent over HTTP v1: write each message in the v1 shape")
    }
    const decoded = decodeV1Message(item)
    if (Either.isLeft(decoded)) return fail(i, `.${decoded.left.field}: ${decoded.left.reason}`)
    messages[i] = decoded.right
  }
  return Either.right({ _tag: "V1Messages", messages, validateOnly: false })
}

/**
 * Decodes a message file. The legacy API's JSON is recognised by its snake_case fields (`registration_ids`, `to`,
 * `collapse_key`, `time_to_live`, `priority`, …) or a notification `text`; anything else is an HTTP v1 message, in the
 * REST API's wire form (`collapse_key`, `"ttl": "3.5s"`, `"priority": "HIGH"`) or in firebase-admin's camelCase form
 * (`collapseKey`, `"ttl": 3500`, `"priority": "high"`): `token`/`topic`/`condition` or a multicast's `tokens`,
 * `data`, `notification`, `android`, `apns`, `webpush`, `fcm_options`, bare or wrapped as the REST body
 * `{ "message": …, "validate_only" }`.
 *
 * @internal
 */
export const decodeMessageFile = (path: string, text: string): Either.Either<MessageFile, CliError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    const position = cause instanceof Error ? /position (\d+)/.exec(cause.message)?.[1] : undefined
    return Either.left(
      usage(`message file ${path} is not valid JSON${position === undefined ? "" : ` (at position ${position})`}`)
    )
  }
  if (Array.isArray(json)) return decodeList(path, json)
  if (!isObject(json)) return Either.left(usage(`message file ${path} must hold a JSON object or an array of them`))
  if (isObject(json.message)) {
    const { message, validate_only, ...rest } = json
    const extra = Object.keys(rest)
    if (extra.length > 0) return Either.left(usage(`message file ${path}: unexpected field ${extra[0]}`))
    return decodeV1(path, message as Record<string, unknown>, validate_only === true)
  }
  const notification = json.notification
  const isLegacy = Object.keys(json).some((key) => LEGACY_MARKERS.has(key)) ||
    isObject(notification) && notification.text !== undefined
  return isLegacy ? decodeLegacy(path, json) : decodeV1(path, json, false)
}

/**
 * Reads and decodes a message file.
 *
 * @internal
 */
export const readMessageFile = (path: string): Effect.Effect<MessageFile, CliError> =>
  Effect.flatMap(readText(path, "message file"), (text) => decodeMessageFile(path, text))

// -----------------------------------------------------------------------------
// files
// -----------------------------------------------------------------------------

const describeFsError = (error: unknown): string => {
  const code = isObject(error) && typeof error.code === "string" ? error.code : undefined
  switch (code) {
    case "ENOENT":
      return "no such file"
    case "EACCES":
    case "EPERM":
      return "permission denied"
    case "EISDIR":
      return "is a directory"
    default:
      return code ?? (error instanceof Error ? error.message : String(error))
  }
}

/** @internal */
export const readText = (path: string, what: string): Effect.Effect<string, CliError> =>
  Effect.tryPromise({
    try: () => fs.promises.readFile(path, "utf8"),
    catch: (error) => usage(`cannot read ${what} ${path}: ${describeFsError(error)}`)
  })

/**
 * Checks that a tokens file can be read before anything is sent (`-` is stdin).
 *
 * @internal
 */
export const checkReadable = (path: string, what: string): Effect.Effect<void, CliError> =>
  path === "-" ? Effect.void : Effect.tryPromise({
    try: async () => {
      const stat = await fs.promises.stat(path)
      if (stat.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" })
      await fs.promises.access(path, fs.constants.R_OK)
    },
    catch: (error) => usage(`cannot read ${what} ${path}: ${describeFsError(error)}`)
  })

/**
 * The tokens of a tokens file (`-` for stdin), one per line: surrounding blanks are trimmed and empty lines skipped.
 * The file is read as it is sent, so its size does not matter.
 *
 * @internal
 */
export const tokensOf = (path: string): Stream.Stream<string, CliError> =>
  NodeStream.fromReadable<CliError>(
    () => path === "-" ? process.stdin : fs.createReadStream(path, { highWaterMark: 256 * 1024 }),
    (error) => usage(`cannot read tokens file ${path === "-" ? "(stdin)" : path}: ${describeFsError(error)}`)
  ).pipe(
    Stream.decodeText(),
    Stream.splitLines,
    Stream.map((line) => line.trim()),
    Stream.filter((line) => line.length > 0)
  )

/**
 * Counts the non-empty lines of a regular file (for the progress bar's total); `undefined` for stdin.
 *
 * @internal
 */
export const countLines = (path: string): Effect.Effect<number | undefined> =>
  path === "-" ? Effect.succeed(undefined) : Effect.async<number | undefined>((resume) => {
    let count = 0
    let blank = true
    const stream = fs.createReadStream(path, { highWaterMark: 1024 * 1024 })
    stream.on("data", (chunk) => {
      const bytes = chunk as Buffer
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i]!
        if (b === 10) {
          if (!blank) count++
          blank = true
        } else if (b !== 13 && b !== 32 && b !== 9) {
          blank = false
        }
      }
    })
    stream.on("end", () => resume(Effect.succeed(blank ? count : count + 1)))
    stream.on("error", () => resume(Effect.succeed(undefined)))
    return Effect.sync(() => stream.destroy())
  })
