/**
 * `fcm send`: everything is read and checked first (targets, payload, files, credentials), so bad input never sends
 * anything; then the message goes out with the library's retries, and the outcomes stream through the report files,
 * the progress bar and the summary.
 */
import type { FcmServer } from "@effect-fcm/emulator"
import type { FcmError, MessageV1 } from "@effect-fcm/fcm"
import { Backoff, Credentials, FcmClient, FcmLegacy, FcmV1, Governor, Message, Result } from "@effect-fcm/fcm"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { CliError, ExitCode } from "./errors.js"
import { fromConfigError, fromFcmError, usage } from "./errors.js"
import * as Http from "./http.js"
import { startEmulator } from "./inProcess.js"
import * as Parse from "./parse.js"
import * as Progress from "./progress.js"
import * as Report from "./report.js"

/**
 * Attempts per target unless `--max-attempts` says otherwise: the first one and the library's default retries.
 *
 * @internal
 */
export const DEFAULT_MAX_ATTEMPTS = Backoff.DEFAULT_RETRIES + 1

/**
 * Messages a minute unless `--rate-limit` says otherwise: FCM's default project quota.
 *
 * @internal
 */
export const DEFAULT_RATE_LIMIT = Governor.DEFAULT_PER_MINUTE

/**
 * The flags of `fcm send`, as parsed.
 *
 * @internal
 */
export interface Input {
  readonly tokens: ReadonlyArray<string>
  readonly tokensFile: string | undefined
  readonly topic: string | undefined
  readonly condition: string | undefined
  readonly data: ReadonlyArray<string>
  readonly dataJson: string | undefined
  readonly title: string | undefined
  readonly body: string | undefined
  readonly image: string | undefined
  readonly messageFile: string | undefined
  readonly ttl: number | undefined
  readonly priority: "high" | "normal" | undefined
  readonly collapseKey: string | undefined
  readonly restrictedPackageName: string | undefined
  readonly contentAvailable: boolean
  readonly mutableContent: boolean
  readonly dryRun: boolean
  readonly credentials: string | undefined
  readonly project: string | undefined
  readonly apiKey: Redacted.Redacted<string> | undefined
  readonly legacy: boolean
  readonly baseUrl: string | undefined
  readonly ca: string | undefined
  readonly emulator: boolean
  readonly maxAttempts: number | undefined
  readonly noRetry: boolean
  /** At-most-once delivery: a target whose request may have reached FCM is reported unknown, never resent. */
  readonly atMostOnce?: boolean | undefined
  readonly concurrency: number | undefined
  /** Messages a minute at most (default {@link DEFAULT_RATE_LIMIT}). */
  readonly rateLimit?: number | undefined
  /** No rate limit at all. */
  readonly noRateLimit?: boolean | undefined
  readonly json: boolean
  readonly reportDir: string | undefined
}

/** The flag that sets a field of the multicast message, for error messages. */
const FLAGS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^tokens/, "--token / --tokens-file"],
  [/^topic/, "--topic"],
  [/^condition/, "--condition"],
  [/^data/, "--data / --data-json"],
  [/^notification\.title/, "--notification-title"],
  [/^notification\.body/, "--notification-body"],
  [/^notification\.image/, "--notification-image"],
  [/^notification/, "--notification-title / --notification-body"],
  [/^timeToLive/, "--ttl"],
  [/^priority/, "--priority"],
  [/^collapseKey/, "--collapse-key"],
  [/^restrictedPackageName/, "--restricted-package-name"]
]

/** @internal */
export const flagOf = (field: string): string | undefined => FLAGS.find(([re]) => re.test(field))?.[1]

/** Drops the `undefined` members of an object (the message model has exact optional fields). */
const compact = <A extends Record<string, unknown>>(a: A): { [K in keyof A]: Exclude<A[K], undefined> } => {
  const out: Record<string, unknown> = {}
  for (const key in a) if (a[key] !== undefined) out[key] = a[key]
  return out as { [K in keyof A]: Exclude<A[K], undefined> }
}

/**
 * What to send: the targets, the options shared by every target, and for a v1 message file its wire message.
 *
 * @internal
 */
export interface Plan {
  readonly targets: Parse.Targets
  readonly options: Message.Options
  /** The v1 message of a v1 message file, without its target. */
  readonly payload: FcmV1.Payload | undefined
}

const messageOf = (
  targets: Exclude<Parse.Targets, { _tag: "TokensFile" | "Messages" }>,
  options: Message.Options
) => {
  switch (targets._tag) {
    case "Tokens":
      return Message.multicast(targets.tokens, options)
    case "Topic":
      return Message.toTopic(targets.topic, options)
    case "Condition":
      return Message.toCondition(targets.condition, options)
  }
}

/**
 * Reads and checks the targets and the message; fails with a usage error naming the flag to fix.
 *
 * @internal
 */
export const plan = (input: Input): Effect.Effect<Plan, CliError> =>
  Effect.gen(function*() {
    const given: Array<Parse.FlagTargets> = []
    if (input.tokens.length > 0) given.push({ _tag: "Tokens", tokens: input.tokens })
    if (input.tokensFile !== undefined) given.push({ _tag: "TokensFile", path: input.tokensFile })
    if (input.topic !== undefined) given.push({ _tag: "Topic", topic: input.topic })
    if (input.condition !== undefined) given.push({ _tag: "Condition", condition: input.condition })
    if (given.length > 1) {
      return yield* usage(
        "conflicting targets: use only one of --token (repeatable), --tokens-file, --topic, --condition"
      )
    }

    let file: Parse.MessageFile | undefined
    if (input.messageFile !== undefined) {
      const payloadFlags = [
        input.data.length > 0 ? "--data" : undefined,
        input.dataJson !== undefined ? "--data-json" : undefined,
        input.title !== undefined ? "--notification-title" : undefined,
        input.body !== undefined ? "--notification-body" : undefined,
        input.image !== undefined ? "--notification-image" : undefined,
        input.ttl !== undefined ? "--ttl" : undefined,
        input.priority !== undefined ? "--priority" : undefined,
        input.collapseKey !== undefined ? "--collapse-key" : undefined,
        input.restrictedPackageName !== undefined ? "--restricted-package-name" : undefined,
        input.contentAvailable ? "--content-available" : undefined,
        input.mutableContent ? "--mutable-content" : undefined
      ].filter((flag) => flag !== undefined)
      if (payloadFlags.length > 0) {
        return yield* usage(
          `--message-file holds the whole message: drop ${payloadFlags.join(", ")} or put it in the file`
        )
      }
      file = yield* Parse.readMessageFile(input.messageFile)
      if (file._tag !== "Legacy" && input.legacy) {
        return yield* usage(
          `message file ${input.messageFile} is an HTTP v1 message: drop --legacy, or write the file in the legacy shape (registration_ids, snake_case options)`
        )
      }
    }

    if (file?._tag === "V1Messages") {
      if (given.length > 0) {
        return yield* usage(
          `conflicting targets: message file ${input.messageFile} already names its targets; drop the target flags or the file's targets`
        )
      }
      // Checked by the library's schema when the file was read; sent as they are.
      return {
        targets: { _tag: "Messages", messages: file.messages },
        options: input.dryRun || file.validateOnly ? { dryRun: true } : {},
        payload: undefined
      }
    }

    if (file?._tag === "V1" && file.targets !== undefined && given.length === 0) {
      const own = file.targets
      const message: MessageV1.MessageV1 | undefined = own._tag === "Topic"
        ? { ...file.payload, topic: own.topic }
        : own._tag === "Condition"
        ? { ...file.payload, condition: own.condition }
        : own._tag === "Tokens" && own.tokens.length === 1
        ? { ...file.payload, token: own.tokens[0]! }
        : undefined
      if (message !== undefined) {
        // A message that names its one target goes out as it is, by FcmV1.send.
        return {
          targets: { _tag: "Messages", messages: [message] },
          options: input.dryRun || file.validateOnly ? { dryRun: true } : {},
          payload: undefined
        }
      }
    }

    const fromFile = file?.targets
    if (fromFile !== undefined && given.length > 0) {
      return yield* usage(
        `conflicting targets: message file ${input.messageFile} already names its targets; drop the target flags or the file's targets`
      )
    }
    const targets = fromFile ?? given[0]
    if (targets === undefined) {
      return yield* usage("no target: give --token (repeatable), --tokens-file FILE, --topic or --condition")
    }

    let options: Message.Options
    if (file?._tag === "Legacy") {
      options = input.dryRun ? { ...file.options, dryRun: true } : file.options
    } else if (file?._tag === "V1") {
      options = input.dryRun || file.validateOnly ? { dryRun: true } : {}
    } else {
      const data = yield* Parse.parseData(input.data, input.dataJson)
      const notification = compact({ title: input.title, body: input.body, image: input.image })
      options = compact({
        data,
        notification: Object.keys(notification).length > 0 ? notification : undefined,
        timeToLive: input.ttl,
        priority: input.priority,
        collapseKey: input.collapseKey,
        restrictedPackageName: input.restrictedPackageName,
        contentAvailable: input.contentAvailable ? true : undefined,
        mutableContent: input.mutableContent ? true : undefined,
        dryRun: input.dryRun ? true : undefined
      })
    }

    const probe = targets._tag === "TokensFile" ? Message.multicast(["stand-in"], options) : messageOf(targets, options)
    yield* Either.mapLeft(Message.validateEither(probe), (error) => {
      const flag = file === undefined ? flagOf(error.field) : undefined
      return usage(`${error.message}${flag === undefined ? "" : ` (set by ${flag})`}`)
    })
    if (targets._tag === "TokensFile") yield* Parse.checkReadable(targets.path, "tokens file")
    return { targets, options, payload: file?._tag === "V1" ? file.payload : undefined }
  })

/**
 * A client ready to send, and what the report says about it.
 *
 * @internal
 */
export interface Connection {
  readonly client: FcmClient.FcmClient
  /** The v1 sender of whole messages (`FcmV1.send`, `sendEach`), for a message file that names its targets. */
  readonly v1: FcmV1.Service | undefined
  readonly protocol: "v1" | "legacy"
  readonly project: string | undefined
}

const readCa = (path: string | undefined): Effect.Effect<ReadonlyArray<string> | undefined, CliError> =>
  path === undefined ? Effect.succeed(undefined) : Effect.map(Parse.readText(path, "certificate file"), (pem) => [pem])

/**
 * Reads a service-account key file and prepares its credentials. A missing or malformed key is a usage error (2);
 * a key that the token endpoint refuses shows up later, when sending, as an authentication failure (3).
 *
 * @internal
 */
export const credentialsFromFile = (
  path: string,
  options: { readonly projectId?: string | undefined } = {}
): Effect.Effect<Credentials.Service, CliError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const text = yield* Parse.readText(path, "service account key file")
    const key = yield* Credentials.decodeServiceAccountKey(Redacted.make(text)).pipe(
      Effect.mapError((e) => usage(`${e.reason.replace(/^service account key/, `service account key ${path}`)}`))
    )
    return yield* Credentials.serviceAccount(key, compact({ projectId: options.projectId })).pipe(
      Effect.mapError((e) => usage(e.reason.replace(/^service account key/, `service account key ${path}`)))
    )
  })

/** The key file named by `--credentials`, else by `GOOGLE_APPLICATION_CREDENTIALS`. */
export const credentialsPath = (flag: string | undefined): Effect.Effect<string | undefined> =>
  flag !== undefined ?
    Effect.succeed(flag) :
    Config.option(Config.nonEmptyString("GOOGLE_APPLICATION_CREDENTIALS")).pipe(
      Effect.map(Option.getOrUndefined),
      Effect.orElseSucceed(() => undefined)
    )

/**
 * The HTTP v1 credentials of a command: the in-process emulator's key when it runs, else the key file named by
 * `--credentials` or `GOOGLE_APPLICATION_CREDENTIALS`. `otherwise` ends the usage error when there is none (the
 * other ways the command can authenticate).
 *
 * @internal
 */
export const v1Credentials = (options: {
  readonly emulatorKey: FcmServer.Service["serviceAccount"] | undefined
  readonly flag: string | undefined
  readonly projectId: string | undefined
  readonly otherwise: string
}): Effect.Effect<Credentials.Service, CliError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    if (options.emulatorKey !== undefined) {
      return yield* Credentials.serviceAccount(options.emulatorKey).pipe(Effect.mapError((e) => usage(e.reason)))
    }
    const path = yield* credentialsPath(options.flag)
    if (path === undefined) {
      return yield* usage(
        `no credentials: pass --credentials service-account.json or set GOOGLE_APPLICATION_CREDENTIALS (${options.otherwise})`
      )
    }
    return yield* credentialsFromFile(path, { projectId: options.projectId })
  })

/**
 * Builds the client: an in-process emulator, the legacy API with an API key, or HTTP v1 with a service account.
 *
 * @internal
 */
export const connect = (
  input: Input,
  payload: FcmV1.Payload | undefined
): Effect.Effect<Connection, CliError, Scope.Scope> =>
  Effect.gen(function*() {
    if (input.concurrency !== undefined && (!Number.isInteger(input.concurrency) || input.concurrency < 1)) {
      return yield* usage(`--concurrency must be a positive integer, got ${input.concurrency}`)
    }
    if (input.rateLimit !== undefined && (!Number.isInteger(input.rateLimit) || input.rateLimit < 1)) {
      return yield* usage(`--rate-limit must be a positive integer (messages a minute), got ${input.rateLimit}`)
    }
    if (input.rateLimit !== undefined && input.noRateLimit === true) {
      return yield* usage("--rate-limit and --no-rate-limit contradict each other: give one")
    }
    const governor: Governor.Options = input.noRateLimit === true
      ? {}
      : { perMinute: input.rateLimit ?? DEFAULT_RATE_LIMIT }
    const concurrency = {
      ...compact({
        concurrency: input.concurrency,
        delivery: input.atMostOnce === true ? "atMostOnce" as const : undefined
      }),
      governor
    }
    let ca = yield* readCa(input.ca)
    let baseUrl = input.baseUrl
    let apiKey = input.apiKey
    let project = input.project
    let emulatorKey: FcmServer.Service["serviceAccount"] | undefined

    if (input.emulator) {
      const emulator = yield* startEmulator([
        ["--credentials", input.credentials],
        ["--api-key", input.apiKey],
        ["--base-url", input.baseUrl],
        ["--ca", input.ca]
      ], input.project)
      baseUrl = emulator.baseUrl
      apiKey = Redacted.make(emulator.apiKey)
      project = emulator.projectId
      emulatorKey = emulator.serviceAccount
      ca = emulator.certificatePem === undefined ? undefined : [emulator.certificatePem]
    }

    // the in-process emulator speaks HTTP/2 without TLS too; a server named by --base-url may not
    const http = Context.get(yield* Layer.build(Http.layer({ ca, h2c: input.emulator })), HttpClient.HttpClient)

    if (input.legacy) {
      if (!input.emulator && input.credentials !== undefined) {
        return yield* usage("--credentials is for HTTP v1; the legacy API (--legacy) takes --api-key or FCM_API_KEY")
      }
      if (apiKey === undefined) {
        apiKey = yield* Config.option(Config.redacted("FCM_API_KEY")).pipe(
          Effect.map(Option.getOrUndefined),
          Effect.orElseSucceed(() => undefined)
        )
      }
      if (apiKey === undefined) {
        return yield* usage("--legacy needs a server key: pass --api-key KEY or set FCM_API_KEY")
      }
      const client = yield* FcmLegacy.make(compact({ apiKey, baseUrl, ...concurrency })).pipe(
        Effect.provideService(HttpClient.HttpClient, http),
        Effect.mapError(fromConfigError)
      )
      return { client, v1: undefined, protocol: "legacy" as const, project: undefined }
    }

    if (input.apiKey !== undefined) {
      return yield* usage("--api-key is for the legacy API: add --legacy, or use --credentials for HTTP v1")
    }
    const credentials = yield* v1Credentials({
      emulatorKey,
      flag: input.credentials,
      projectId: input.project,
      otherwise: "or use --legacy --api-key KEY, or --emulator"
    }).pipe(Effect.provideService(HttpClient.HttpClient, http))
    const v1Options = compact({ projectId: project, baseUrl, ...concurrency })
    // One v1 sender: its FcmClient for multicast sends; a v1 message file goes out through its v1 service, whole
    // messages by FcmV1.send/sendEach, a payload for many targets by a client of that payload (withMessage).
    const sender = yield* Layer.build(FcmV1.layer(v1Options)).pipe(
      Effect.mapError(fromConfigError),
      Effect.provideService(HttpClient.HttpClient, http),
      Effect.provideService(Credentials.Credentials, credentials)
    )
    const multicast = Context.get(sender, FcmClient.FcmClient)
    const v1 = Context.get(sender, FcmV1.FcmV1)
    const client = payload === undefined ? multicast : yield* v1.withMessage(payload).pipe(
      Effect.mapError((e) => usage(`message file: ${e.field}: ${e.reason}`))
    )
    return { client, v1, protocol: "v1" as const, project: project ?? Option.getOrUndefined(credentials.projectId) }
  })

/**
 * The retry schedule of `--max-attempts` / `--no-retry`, or `false` for none.
 *
 * @internal
 */
export const retryPolicy = (
  input: Pick<Input, "maxAttempts" | "noRetry">
): Effect.Effect<Schedule.Schedule<unknown, Result.Result> | false, CliError> => {
  if (input.noRetry && input.maxAttempts !== undefined && input.maxAttempts !== 1) {
    return Effect.fail(usage("--no-retry conflicts with --max-attempts: use one of them"))
  }
  const attempts = input.noRetry ? 1 : input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
  if (!Number.isInteger(attempts) || attempts < 1) {
    return Effect.fail(usage(`--max-attempts must be a positive integer, got ${attempts}`))
  }
  return Effect.succeed(attempts === 1 ? false : Backoff.schedule({ retries: attempts - 1 }))
}

interface Collected {
  readonly delivered: Record<string, string>
  readonly canonical: Record<string, string>
  readonly notRegistered: Array<string>
  readonly failed: Record<string, string>
  readonly retryable: Record<string, string>
  readonly unknown: Record<string, string>
}

const collect = (into: Collected, outcomes: Iterable<Result.TokenOutcome>) => {
  for (const { outcome, token } of outcomes) {
    switch (outcome._tag) {
      case "Delivered":
        into.delivered[token] = outcome.messageId
        break
      case "Canonical":
        into.canonical[token] = outcome.newToken
        break
      case "NotRegistered":
        into.notRegistered.push(token)
        break
      case "Failed":
        into.failed[token] = outcome.code
        break
      case "Retryable":
        into.retryable[token] = outcome.reason
        break
      case "Unknown":
        into.unknown[token] = outcome.reason
    }
  }
}

/**
 * Sends whole v1 messages: one with `FcmV1.sendWithRetry`, many with `FcmV1.sendEachWithRetry`; each outcome is
 * reported under its message's target.
 */
const sendMessages = (
  v1: FcmV1.Service,
  messages: ReadonlyArray<MessageV1.MessageV1>,
  options: FcmV1.RetryOptions
): Effect.Effect<Stream.Stream<Result.TokenOutcome>, FcmError.FcmError> =>
  messages.length === 1
    ? Effect.map(
      v1.sendWithRetry(messages[0]!, options),
      (result) => Stream.fromIterable(Array.from(result.outcomes, ([token, outcome]) => ({ token, outcome })))
    )
    : Effect.map(
      v1.sendEachWithRetry(messages, options),
      (result) =>
        Stream.fromIterable(
          Array.from(result.outcomes, ([index, outcome]) => ({
            token: Parse.targetOf(messages[Number(index)]!),
            outcome
          }))
        )
    )

/**
 * Runs `fcm send` and returns its exit code.
 *
 * @internal
 */
export const run = (input: Input): Effect.Effect<ExitCode, CliError> =>
  Effect.scoped(Effect.gen(function*() {
    const { options, payload, targets } = yield* plan(input)
    const retry = yield* retryPolicy(input)
    const connection = yield* connect(input, payload)
    const writer = input.reportDir === undefined ? undefined : yield* Report.open(input.reportDir)
    const { client } = connection
    const started = Date.now()

    // Outcomes held in memory only for sends whose targets were given in full (not a tokens file).
    const details: Collected | undefined = targets._tag === "TokensFile"
      ? undefined
      : { delivered: {}, canonical: {}, notRegistered: [], failed: {}, retryable: {}, unknown: {} }

    const total = targets._tag === "Tokens"
      ? targets.tokens.length
      : targets._tag === "Messages"
      ? targets.messages.length
      : targets._tag === "TokensFile"
      ? process.stderr.isTTY === true ? yield* Parse.countLines(targets.path) : undefined
      : 1
    const progress = yield* Progress.make({ total })

    const streamOptions = compact({ concurrency: input.concurrency, retry })
    const outcomes: Stream.Stream<Result.TokenOutcome, CliError | FcmError.FcmError> = targets._tag === "Messages"
      ? Stream.unwrap(sendMessages(connection.v1!, targets.messages, {
        dryRun: options.dryRun === true,
        schedule: retry === false ? Schedule.stop : retry
      }))
      : targets._tag === "TokensFile"
      ? client.sendStream(Parse.tokensOf(targets.path), options, streamOptions)
      : targets._tag === "Tokens"
      ? client.sendStream(Stream.fromIterable(targets.tokens), options, streamOptions)
      : Stream.unwrap(
        client.sendWithRetry(messageOf(targets, options), {
          schedule: retry === false ? Schedule.stop : retry
        }).pipe(
          Effect.map((result) =>
            Stream.fromIterable(Array.from(result.outcomes, ([token, outcome]) => ({ token, outcome })))
          )
        )
      )

    const summary = yield* outcomes.pipe(
      Stream.mapChunksEffect((chunk) =>
        Effect.gen(function*() {
          if (writer !== undefined) yield* writer.write(chunk)
          if (details !== undefined) collect(details, chunk)
          progress.advance(chunk.length)
          return chunk
        })
      ),
      Stream.run(Result.summarySink),
      Effect.mapError((e) => e._tag === "CliError" ? e : fromFcmError(e, flagOf))
    )
    yield* progress.finish

    if (summary.total === 0) {
      return yield* usage(
        `no tokens in ${targets._tag === "TokensFile" && targets.path !== "-" ? targets.path : "stdin"}`
      )
    }
    const report = Report.jsonReport({
      summary,
      protocol: connection.protocol,
      project: connection.project,
      dryRun: options.dryRun === true,
      target: Parse.describeTargets(targets),
      elapsedMillis: Date.now() - started,
      reportDir: writer?.dir,
      details
    })
    if (writer !== undefined) yield* writer.close(report)
    yield* Console.log(input.json ? JSON.stringify(report, null, 2) : Report.summaryText(report))
    return Report.exitCodeOf(summary)
  }))
