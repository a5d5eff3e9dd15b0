/**
 * FCM HTTP v1 (`POST /v1/projects/{project}/messages:send`, OAuth2 bearer tokens, one request per target): the
 * protocol Google serves. A multicast fans out into one request per token with bounded concurrency and comes back as
 * the same {@link Result} the legacy protocol gives.
 *
 * @since 0.1.0
 */
import type { FileSystem } from "@effect/platform"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import * as Backoff from "./Backoff.js"
import * as Credentials from "./Credentials.js"
import * as DirectExchange from "./DirectExchange.js"
import * as FcmClient from "./FcmClient.js"
import type * as FcmError from "./FcmError.js"
import type { AuthenticationError, TransportError } from "./FcmError.js"
import { InvalidMessage } from "./FcmError.js"
import type * as Governor from "./Governor.js"
import * as Client from "./internal/client.js"
import * as DeliveryRules from "./internal/delivery.js"
import * as Engine from "./internal/engine.js"
import * as Governed from "./internal/governed.js"
import {
  type Answer,
  checkBaseUrl,
  checkDelivery,
  checkPositiveInt,
  checkTimeout,
  DirectAnswer,
  type DirectError,
  directFailure,
  directWithin,
  exchange,
  type Failure
} from "./internal/http.js"
import { withPartial } from "./internal/partial.js"
import * as V1 from "./internal/v1.js"
import * as Message from "./Message.js"
import * as MessageV1 from "./MessageV1.js"
import type * as Result from "./Result.js"
import { Outcome, Result as ResultClass } from "./Result.js"

/**
 * Google's FCM origin.
 *
 * @example
 * ```ts
 * import { FcmV1 } from "@effect-fcm/fcm"
 *
 * const production = FcmV1.layer({ baseUrl: FcmV1.DEFAULT_BASE_URL }) // the same as FcmV1.layer()
 * const emulated = FcmV1.layer({ baseUrl: "http://127.0.0.1:8085" })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_URL = "https://fcm.googleapis.com"

/**
 * The default cap on requests in flight during a fan-out: the adaptive concurrency limit grows up to it while latency
 * stays flat (at 50 ms a round trip, 1,024 in flight is some 20,000 messages a second).
 *
 * @example
 * ```ts
 * import { FcmV1 } from "@effect-fcm/fcm"
 *
 * // a cap twice the default
 * const Fcm = FcmV1.layer({ concurrency: FcmV1.DEFAULT_CONCURRENCY * 2 })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CONCURRENCY = 1024

/**
 * The requests in flight a client starts with, before the adaptive limit has learnt from any answer.
 *
 * @example
 * ```ts
 * import { FcmV1 } from "@effect-fcm/fcm"
 *
 * // start at the cap: no growth to wait for (and no margin if FCM is slower than usual)
 * const Fcm = FcmV1.layer({ governor: { initial: FcmV1.DEFAULT_CONCURRENCY } })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_INITIAL_CONCURRENCY = 256

/**
 * @example
 * ```ts
 * import { FcmV1 } from "@effect-fcm/fcm"
 *
 * const options: FcmV1.Options = { projectId: "my-project", concurrency: 64, timeout: "10 seconds" }
 * const Fcm = FcmV1.layer(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The Firebase project to send as; defaults to the credentials' project. */
  readonly projectId?: string | undefined
  /** The origin to send to (default `https://fcm.googleapis.com`); point it at an emulator in tests. */
  readonly baseUrl?: string | undefined
  /**
   * The most requests in flight during a fan-out (default 1,024): the cap of the adaptive limit, or the number in
   * flight when `governor` is `false`.
   */
  readonly concurrency?: number | undefined
  /**
   * The send-rate governor ({@link Governor.Options}): by default (`{}`) the adaptive concurrency limit alone; add
   * `perMinute` to hold the client to the project's quota; `false` for a fixed `concurrency` and no rate budget.
   */
  readonly governor?: Governor.Options | false | undefined
  /**
   * The longest one request may take before its target counts as retryable (default 30 seconds). `false` leaves
   * timeouts to the `HttpClient` (as `@effect-fcm/node`'s enforces them), which saves a timer fiber per request.
   */
  readonly timeout?: Duration.DurationInput | false | undefined
  /** The backoff base `B` of results, in milliseconds (default 1000). */
  readonly backoffMillis?: number | undefined
  /**
   * `atLeastOnce` (default) resends a target whose request may have reached FCM; `atMostOnce` reports it in
   * `Result.unknown` and never sends it again (see {@link FcmClient.Delivery}).
   */
  readonly delivery?: FcmClient.Delivery | undefined
}

/**
 * A v1 message without its target: what {@link Service.withMessage} sends to each target of a send.
 *
 * @example
 * ```ts
 * import type { FcmV1 } from "@effect-fcm/fcm"
 *
 * const goal: FcmV1.Payload = {
 *   notification: { title: "Goal!", body: "Arsenal 3-0" },
 *   android: { priority: "high", notification: { channelId: "scores" } },
 *   apns: { headers: { "apns-priority": "10" }, payload: { aps: { sound: "default" } } }
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Payload = Omit<MessageV1.MessageV1, "token" | "fid" | "topic" | "condition">

/**
 * How {@link Service.send} and {@link Service.sendEach} send.
 *
 * @example
 * ```ts
 * import { FcmV1 } from "@effect-fcm/fcm"
 *
 * // FCM checks the messages (validate_only) without delivering them
 * const check: FcmV1.SendOptions = { dryRun: true }
 * const program = FcmV1.sendEach([{ token: "token-1", data: { kind: "sync" } }], check)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SendOptions {
  /** Sends the requests with `validate_only`: FCM checks each message and delivers none (firebase-admin's `dryRun`). */
  readonly dryRun?: boolean | undefined
}

/**
 * How {@link Service.sendWithRetry} and {@link Service.sendEachWithRetry} send: the retry schedule (as
 * `FcmClient.sendWithRetry`'s) and `dryRun`.
 *
 * @example
 * ```ts
 * import { FcmV1 } from "@effect-fcm/fcm"
 * import { Schedule } from "effect"
 *
 * const options: FcmV1.RetryOptions = { schedule: Schedule.recurs(3), dryRun: false }
 * const program = FcmV1.sendWithRetry({ topic: "news", notification: { title: "Launch day" } }, options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryOptions extends FcmClient.RetryOptions, SendOptions {}

/**
 * What the v1 sender offers beyond {@link FcmClient.FcmClient}: sending messages in the v1 shape firebase-admin
 * users write (`android`, `apns`, `webpush` and `fcmOptions` blocks included), with the same fan-out, retries,
 * streams, metrics and result model.
 *
 * @example
 * ```ts
 * import { FcmV1 } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const sendGoal = (v1: FcmV1.Service, token: string) =>
 *   v1.send({ token, notification: { title: "Goal!" }, android: { priority: "high" } })
 * const program = Effect.flatMap(FcmV1.FcmV1, (v1) => sendGoal(v1, "token-1"))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Sends a v1 message to its own target (token, fid, topic or condition), once. The result has one outcome, keyed
   * by the target, and its `retry()` is the message itself when that outcome is retryable.
   */
  readonly send: (
    message: MessageV1.MessageV1,
    options?: SendOptions
  ) => Effect.Effect<Result.Result<MessageV1.MessageV1>, FcmError.FcmError>
  /**
   * Sends a v1 message, then sends it again as the schedule allows while its outcome is retryable. The message is
   * validated and encoded once.
   */
  readonly sendWithRetry: (
    message: MessageV1.MessageV1,
    options?: RetryOptions
  ) => Effect.Effect<Result.Result<MessageV1.MessageV1>, FcmError.FcmError>
  /**
   * Sends distinct v1 messages (any number, each to its own target) once, through the sender's worker pool: one
   * request per message. Every message is validated first: an invalid one fails the whole call with
   * `InvalidMessage` naming it (`[3].android.ttl`) and nothing is sent. The result is keyed by each message's index
   * (`"0"`, `"1"`, …), in input order; its `retry()` gives back the messages whose outcome is retryable.
   */
  readonly sendEach: (
    messages: Iterable<MessageV1.MessageV1>,
    options?: SendOptions
  ) => Effect.Effect<Result.Result<ReadonlyArray<MessageV1.MessageV1>>, FcmError.FcmError>
  /**
   * {@link Service.sendEach}, then sends the messages whose outcome is retryable again as the schedule allows (only
   * those: a delivered message is never sent twice), each with the body it was encoded into once.
   */
  readonly sendEachWithRetry: (
    messages: Iterable<MessageV1.MessageV1>,
    options?: RetryOptions
  ) => Effect.Effect<Result.Result<ReadonlyArray<MessageV1.MessageV1>>, FcmError.FcmError>
  /**
   * An `FcmClient` whose every send carries `payload` to the targets the send names: `send`, `sendWithRetry` and
   * `sendStream` of `Message.multicast(tokens)`, `Message.toTopic(topic)` or `Message.toCondition(condition)`. Those
   * messages name targets only (and `dryRun`, sent as `validate_only`); a payload option on them is refused with
   * `InvalidMessage`. Fails with `InvalidMessage` naming the field when `payload` breaks one of FCM's rules.
   */
  readonly withMessage: (payload: Payload) => Effect.Effect<FcmClient.FcmClient, InvalidMessage>
}

/**
 * The v1 sender's own service, provided by {@link layer} and {@link layerConfig} next to `FcmClient`.
 *
 * @example
 * ```ts
 * import { FcmV1, Message } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const v1 = yield* FcmV1.FcmV1
 *   const fcm = yield* v1.withMessage({ notification: { title: "Hello" }, android: { priority: "high" } })
 *   return yield* fcm.sendWithRetry(Message.multicast(["token-1", "token-2"]))
 * })
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class FcmV1 extends Context.Tag("@effect-fcm/fcm/FcmV1")<FcmV1, Service>() {}

/** The options a send through {@link Service.withMessage} may carry: its targets, and `dryRun`. */
const TARGET_ONLY: ReadonlySet<string> = new Set(["tokens", "topic", "condition", "dryRun"])

const payloadOnly = (message: Message.Message): InvalidMessage | undefined => {
  for (const key in message) {
    if (!TARGET_ONLY.has(key) && (message as Record<string, unknown>)[key] !== undefined) {
      return new InvalidMessage({
        field: key,
        reason: "a send through FcmV1.withMessage names its targets only: put the payload in the v1 message"
      })
    }
  }
  return undefined
}

type Fatal = AuthenticationError | InvalidMessage | TransportError

/** The wire key of a message's target. */
type TargetKey = "token" | "fid" | "topic" | "condition"

const targetKey = (message: Message.Message): TargetKey =>
  message.tokens !== undefined ? "token" : message.topic !== undefined ? "topic" : "condition"

/**
 * A send's request body without its target, encoded once: each request writes its target between `prefix` and
 * `suffix`. `topic` says that targets are written without their `/topics/` prefix; `clock` is the clock the send
 * started with (read once per send, not once per answer).
 *
 * @internal
 */
export class Body {
  constructor(
    readonly prefix: string,
    readonly suffix: string,
    readonly topic: boolean,
    readonly clock: Clock.Clock
  ) {}
  /** The request body for one target. */
  of(target: string): string {
    return this.prefix + JSON.stringify(this.topic ? Message.topicName(target) : target) + this.suffix
  }
}

/**
 * Encodes the request body of a wire message without its target once per send; each target only fills in its own
 * value.
 *
 * @internal
 */
export const bodyOf = (
  key: TargetKey,
  wire: Record<string, unknown>,
  validateOnly: boolean,
  clock: Clock.Clock,
  topic = false
): Body => {
  const json = JSON.stringify(wire)
  return new Body(
    `{"message":{"${key}":`,
    (json.length > 2 ? `,${json.slice(1)}` : "}") + (validateOnly ? `,"validate_only":true}` : "}"),
    topic,
    clock
  )
}

/** The v1 sender: the `FcmClient` of multicast messages and the {@link Service} of v1-shaped ones, one protocol. */
const build = (
  options: Options
): Effect.Effect<
  { readonly client: FcmClient.FcmClient; readonly service: Service },
  ConfigError.ConfigError,
  HttpClient.HttpClient | Credentials.Credentials
> =>
  Effect.gen(function*() {
    const credentials = yield* Credentials.Credentials
    const projectId = options.projectId ?? Option.getOrUndefined(credentials.projectId)
    if (projectId === undefined || !/^[a-z0-9][a-z0-9\-:.]*$/i.test(projectId)) {
      return yield* Effect.fail(
        ConfigError.InvalidData(
          ["projectId"],
          projectId === undefined
            ? "no project id: set projectId (FCM_PROJECT_ID) or use a service-account key that has project_id"
            : `projectId is not a valid Firebase project id: ${projectId}`
        )
      )
    }
    const baseUrl = yield* checkBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL)
    const timeout = options.timeout === false ? undefined : yield* checkTimeout(options.timeout ?? Duration.seconds(30))
    const concurrency = yield* checkPositiveInt("concurrency", options.concurrency ?? DEFAULT_CONCURRENCY)
    const backoffMillis = yield* checkPositiveInt("backoffMillis", options.backoffMillis ?? Backoff.DEFAULT_BASE_MILLIS)
    const delivery = yield* checkDelivery(options.delivery)
    const atMostOnce = delivery === "atMostOnce"
    const governor = yield* Governed.fromOptions(options.governor, {
      cap: concurrency,
      initial: DEFAULT_INITIAL_CONCURRENCY,
      protocol: "v1"
    })
    const http = yield* HttpClient.HttpClient
    const url = `${baseUrl}/v1/projects/${encodeURIComponent(projectId)}/messages:send`
    const endpoint = HttpClientRequest.post(url)
    // The transport's direct exchange, when the client offers one (a derived or wrapped client does not).
    const direct = DirectExchange.get(http)

    /** A credentials failure: a retryable one makes the target's outcome retryable, any other fails the send. */
    const tokenFailed = (error: Credentials.CredentialsError): Effect.Effect<Outcome, Fatal> =>
      error._tag === "TransportError" && error.retryable
        ? Effect.succeed(
          Outcome.Retryable({ reason: `Credentials: ${error.reason}`, retryAfterMillis: error.retryAfterMillis })
        )
        : Effect.fail(error)

    // The request with its bearer token (or, for a direct exchange, its headers), rebuilt only when the access token
    // changes (not once per message).
    let authorisedToken: Redacted.Redacted<string> | undefined
    let authorisedValue: string | undefined
    let authorisedRequest = endpoint
    const authorised = (token: Redacted.Redacted<string>): HttpClientRequest.HttpClientRequest => {
      if (token !== authorisedToken) {
        const value = Redacted.value(token)
        if (value !== authorisedValue) {
          authorisedRequest = HttpClientRequest.bearerToken(endpoint, value)
          authorisedValue = value
        }
        authorisedToken = token
      }
      return authorisedRequest
    }
    let headersToken: Redacted.Redacted<string> | undefined
    let headersValue: string | undefined
    let headers: DirectExchange.Headers = {}
    const headersFor = (token: Redacted.Redacted<string>): DirectExchange.Headers => {
      if (token !== headersToken) {
        const value = Redacted.value(token)
        if (value !== headersValue) {
          headers = { authorization: `Bearer ${value}`, "content-type": "application/json" }
          headersValue = value
        }
        headersToken = token
      }
      return headers
    }

    /** A request that got no answer: a fatal failure fails the send, any other leaves the target to its rules. */
    const unanswered = (failure: Failure): Effect.Effect<ReadonlyArray<Outcome>, Fatal> =>
      failure._tag === "Fatal"
        ? Effect.fail(failure.error)
        : Effect.succeed([DeliveryRules.unanswered(failure.reason, failure.mayHaveBeenProcessed, delivery)])

    // The failure handlers of an attempt, made once per sender rather than once per message.
    const noToken = (error: Credentials.CredentialsError) => Effect.map(tokenFailed(error), (outcome) => [outcome])
    const directFailed = (error: DirectError) => unanswered(directFailure(error, timeout))

    /** An answer, classified; a 401 on the first attempt invalidates the token and sends once more. */
    const answered = (
      answer: Answer,
      token: Redacted.Redacted<string>,
      body: string,
      clock: Clock.Clock,
      first: boolean
    ): Effect.Effect<ReadonlyArray<Outcome>, Fatal> => {
      const classified = V1.classify(answer, token)
      switch (classified._tag) {
        case "Outcome":
          return Effect.succeed([
            atMostOnce ? DeliveryRules.answered(classified.outcome, delivery) : classified.outcome
          ])
        case "Fatal":
          return Effect.fail(classified.error)
        case "Unauthenticated":
          // The token may have expired or been revoked early: refresh it once and resend.
          return first
            ? Effect.zipRight(credentials.invalidate(token), attempt(body, clock, false))
            : Effect.fail(classified.error)
      }
    }

    /**
     * One attempt; a 401 on the first one invalidates the token and sends once more with a fresh one. Written with
     * `flatMap`/`succeed` rather than `Effect.gen` and `Effect.map`: this runs once per target of a fan-out. Over a
     * direct exchange, the message is one effect of the transport: no request or response objects.
     */
    const attempt = (
      body: string,
      clock: Clock.Clock,
      first: boolean
    ): Effect.Effect<ReadonlyArray<Outcome>, Fatal> =>
      Effect.matchEffect(credentials.accessToken, {
        onFailure: noToken,
        onSuccess: direct === undefined
          ? (token) =>
            Effect.flatMap(
              exchange(http, HttpClientRequest.bodyText(authorised(token), body, "application/json"), timeout, clock),
              (answer) =>
                answer._tag === "Left"
                  ? unanswered(answer.left)
                  : answered(answer.right, token, body, clock, first)
            )
          : (token) =>
            Effect.matchEffect(directWithin(direct(url, headersFor(token), body), timeout), {
              onFailure: directFailed,
              onSuccess: (answer) =>
                answered(new DirectAnswer(answer, clock.unsafeCurrentTimeMillis()), token, body, clock, first)
            })
      })

    const misconfiguration = {
      codes: V1.CONFIGURATION_CODES,
      error: (code: string, answers: number) => V1.misconfigured(code, answers, projectId, baseUrl)
    }

    // One engine for every send of this sender: the multicast client, the clients of withMessage, send and sendEach.
    const engine = Engine.make<Body>({
      name: "v1",
      batchSize: 1,
      concurrency,
      backoffMillis,
      delivery,
      misconfiguration,
      governor,
      send: (body, targets) => attempt(body.of(targets[0]!), body.clock, true)
    })

    const client = Client.make(engine, (message) =>
      Effect.clockWith((clock) => {
        const { message: wire, validateOnly } = MessageV1.fromMessage(message, clock.unsafeCurrentTimeMillis())
        return Effect.succeed(bodyOf(targetKey(message), wire, validateOnly, clock, message.topic !== undefined))
      }))

    /** The client of a payload that passed validation, over the sender's engine. */
    const clientFor = (valid: Payload): FcmClient.FcmClient => {
      const wire = MessageV1.toWire(valid)
      return Client.make(engine, (message) => {
        const refused = payloadOnly(message)
        if (refused !== undefined) return Effect.fail(refused)
        if (message.tokens === undefined) {
          const target = message.topic !== undefined ? { topic: message.topic } : { condition: message.condition! }
          const checked = MessageV1.validateEither({ ...valid, ...target })
          if (Either.isLeft(checked)) return Effect.fail(checked.left)
        }
        return Effect.clockWith((clock) =>
          Effect.succeed(
            bodyOf(targetKey(message), wire, message.dryRun === true, clock, message.topic !== undefined)
          )
        )
      })
    }

    const withMessage = (payload: Payload): Effect.Effect<FcmClient.FcmClient, InvalidMessage> =>
      Effect.map(
        // checked with a token as its target; a topic's lower size limit is checked when a send names a topic
        MessageV1.validate({ ...payload, token: "token" }),
        ({ token: _, ...valid }) => clientFor(valid)
      )

    const countError = (error: FcmError.FcmError) => Effect.sync(() => engine.countError(error))

    /**
     * Validates and encodes v1 messages, each once, into the engine's units: unit `i` is message `i`, its target
     * as the wire writes it and its body. The messages are all checked before anything is sent.
     */
    const unitsOf = (
      messages: ReadonlyArray<MessageV1.MessageV1>,
      field: (i: number, field: string) => string,
      validateOnly: boolean,
      clock: Clock.Clock
    ): Either.Either<Engine.Units<Body> & { readonly keys: ReadonlyArray<string> }, InvalidMessage> => {
      const targets = new Array<string>(messages.length)
      const keys = new Array<string>(messages.length)
      const bodies = new Array<Body>(messages.length)
      for (let i = 0; i < messages.length; i++) {
        const checked = MessageV1.validateEither(messages[i])
        if (Either.isLeft(checked)) {
          return Either.left(new InvalidMessage({ ...checked.left, field: field(i, checked.left.field) }))
        }
        const { condition, fid, token, topic, ...payload } = checked.right
        const key: TargetKey = token !== undefined
          ? "token"
          : fid !== undefined
          ? "fid"
          : topic !== undefined
          ? "topic"
          : "condition"
        const target = token ?? fid ?? (topic !== undefined ? Message.topicName(topic) : condition!)
        targets[i] = target
        keys[i] = topic !== undefined ? Message.topicPath(topic) : target
        bodies[i] = bodyOf(key, MessageV1.toWire(payload), validateOnly, clock)
      }
      return Either.right({ targets, keys, payload: (i) => bodies[i]! })
    }

    /** Sends units once, then as `schedule` allows (when given), into the result `view` makes. */
    const sendUnits = <M>(
      units: Engine.Units<Body>,
      view: (outcomes: ReadonlyArray<Outcome>) => Result.Result<M>,
      schedule: Schedule.Schedule<unknown, Result.Result> | undefined,
      targets: number
    ): Effect.Effect<Result.Result<M>, FcmError.FcmError> => {
      const first = engine.span(
        Effect.zipRight(Effect.annotateCurrentSpan("fcm.targets", targets), engine.sendAll(units, true)),
        "FcmClient.send"
      )
      const all = schedule === undefined
        ? first
        : Effect.flatMap(first, (outcomes) => engine.retry(units, outcomes, schedule, view))
      return Effect.mapBoth(all, {
        onFailure: (failure) => withPartial(failure.error, view(failure.outcomes)),
        onSuccess: view
      }).pipe(Effect.tapError(countError))
    }

    /** The result of one v1 message, keyed by its target, with that message as the one `retry()` gives back. */
    const sendMessage = (
      message: MessageV1.MessageV1,
      options: SendOptions | undefined,
      schedule: Schedule.Schedule<unknown, Result.Result> | undefined
    ): Effect.Effect<Result.Result<MessageV1.MessageV1>, FcmError.FcmError> =>
      Effect.clockWith((clock) => {
        const units = unitsOf([message], (_, field) => field, options?.dryRun === true, clock)
        if (Either.isLeft(units)) return Effect.tapError(Effect.fail(units.left), countError)
        const key = units.right.keys[0]!
        const view = (outcomes: ReadonlyArray<Outcome>) =>
          ResultClass.fromArrays(message, [key], [outcomes[0]!], backoffMillis)
        return sendUnits(units.right, view, schedule, 1)
      })

    /** The result of many v1 messages, keyed by each message's index. */
    const sendMessages = (
      input: Iterable<MessageV1.MessageV1>,
      options: SendOptions | undefined,
      schedule: Schedule.Schedule<unknown, Result.Result> | undefined
    ): Effect.Effect<Result.Result<ReadonlyArray<MessageV1.MessageV1>>, FcmError.FcmError> =>
      Effect.clockWith((clock) => {
        const messages = Array.isArray(input) ? input as ReadonlyArray<MessageV1.MessageV1> : Array.from(input)
        const units = unitsOf(messages, (i, field) => `[${i}].${field}`, options?.dryRun === true, clock)
        if (Either.isLeft(units)) return Effect.tapError(Effect.fail(units.left), countError)
        // keyed by index: the keys are made only if the result's map or buckets are read
        const view = (outcomes: ReadonlyArray<Outcome>) =>
          ResultClass.fromArrays(messages, undefined, outcomes.slice(), backoffMillis)
        return sendUnits(units.right, view, schedule, messages.length)
      })

    const send = (message: MessageV1.MessageV1, options?: SendOptions) => sendMessage(message, options, undefined)
    const sendWithRetry = (message: MessageV1.MessageV1, options?: RetryOptions) =>
      engine.span(
        sendMessage(message, options, options?.schedule ?? Engine.defaultSchedule(backoffMillis)),
        "FcmClient.sendWithRetry"
      )
    const sendEach = (messages: Iterable<MessageV1.MessageV1>, options?: SendOptions) =>
      sendMessages(messages, options, undefined)
    const sendEachWithRetry = (messages: Iterable<MessageV1.MessageV1>, options?: RetryOptions) =>
      engine.span(
        sendMessages(messages, options, options?.schedule ?? Engine.defaultSchedule(backoffMillis)),
        "FcmClient.sendWithRetry"
      )

    return { client, service: { send, sendWithRetry, sendEach, sendEachWithRetry, withMessage } }
  })

/**
 * Builds a v1 `FcmClient` over the `HttpClient` and the `Credentials` in context.
 *
 * @example
 * ```ts
 * import { Emulator, FcmFake } from "@effect-fcm/emulator"
 * import { Credentials, FcmV1, Message } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const emulator = yield* Emulator.Emulator
 *   const credentials = Credentials.layerServiceAccount(emulator.serviceAccount)
 *   const fcm = yield* FcmV1.make().pipe(Effect.provide(credentials))
 *   const result = yield* fcm.send(Message.multicast(["phone-1"], { data: { ping: "1" } }))
 *   assert.deepStrictEqual([...result.success.keys()], ["phone-1"])
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(FcmFake.layer())))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<
  FcmClient.FcmClient,
  ConfigError.ConfigError,
  HttpClient.HttpClient | Credentials.Credentials
> => Effect.map(build(options), ({ client }) => client)

/**
 * Builds the v1 sender's {@link Service} (v1-shaped messages) over the `HttpClient` and the `Credentials` in context.
 *
 * @example
 * ```ts
 * import { Credentials, FcmV1 } from "@effect-fcm/fcm"
 * import { FetchHttpClient } from "@effect/platform"
 * import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const v1 = yield* FcmV1.makeService()
 *   return yield* v1.send({ topic: "news", notification: { title: "Launch day" }, android: { priority: "high" } })
 * }).pipe(
 *   Effect.provide(Credentials.layerFile("service-account.json")),
 *   Effect.provide(FetchHttpClient.layer),
 *   Effect.provide(NodeFileSystem.layer) // reads the key file
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeService = (
  options: Options = {}
): Effect.Effect<Service, ConfigError.ConfigError, HttpClient.HttpClient | Credentials.Credentials> =>
  Effect.map(build(options), ({ service }) => service)

const makeContext = (options: Options) =>
  Effect.map(
    build(options),
    ({ client, service }) => Context.make(FcmClient.FcmClient, client).pipe(Context.add(FcmV1, service))
  )

/**
 * Sends a v1 message (firebase-admin's shape: `token`, `topic` or `condition`, with `android`, `apns`, `webpush`,
 * `fcmOptions`) to its target once, with the v1 sender in context.
 *
 * @example
 * ```ts
 * import { FcmV1 } from "@effect-fcm/fcm"
 *
 * const program = FcmV1.send({
 *   token: "registration-token",
 *   notification: { title: "Match update", body: "Arsenal goal in added time" },
 *   android: { ttl: 3_600_000, notification: { channelId: "scores" } },
 *   apns: { payload: { aps: { badge: 42 } } }
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const send = (
  message: MessageV1.MessageV1,
  options?: SendOptions
): Effect.Effect<Result.Result<MessageV1.MessageV1>, FcmError.FcmError, FcmV1> =>
  Effect.flatMap(FcmV1, (v1) => v1.send(message, options))

/**
 * Sends a v1 message with retries, with the v1 sender in context: its outcome, once no longer retryable or when the
 * schedule ends.
 *
 * @example
 * ```ts
 * import { FcmV1 } from "@effect-fcm/fcm"
 * import { Schedule } from "effect"
 *
 * const program = FcmV1.sendWithRetry(
 *   { token: "registration-token", data: { kind: "sync" } },
 *   { schedule: Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(3))) }
 * )
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const sendWithRetry = (
  message: MessageV1.MessageV1,
  options?: RetryOptions
): Effect.Effect<Result.Result<MessageV1.MessageV1>, FcmError.FcmError, FcmV1> =>
  Effect.flatMap(FcmV1, (v1) => v1.sendWithRetry(message, options))

/**
 * Sends distinct v1 messages once each, with the v1 sender in context (firebase-admin's `sendEach`, without its
 * limit of 500): the result is keyed by each message's index, in input order.
 *
 * @example
 * ```ts
 * import { Emulator, FcmFake } from "@effect-fcm/emulator"
 * import { Credentials, FcmV1, Result } from "@effect-fcm/fcm"
 * import { Effect, Layer } from "effect"
 *
 * const EmulatorCredentials = Layer.unwrapEffect(
 *   Effect.map(Emulator.Emulator, (emulator) => Credentials.layerServiceAccount(emulator.serviceAccount))
 * )
 * const Fcm = FcmV1.layer().pipe(Layer.provide(EmulatorCredentials), Layer.provideMerge(FcmFake.layer()))
 * const program = Effect.gen(function*() {
 *   const result = yield* FcmV1.sendEach([
 *     { token: "phone-1", notification: { title: "Your order shipped" } },
 *     { token: "phone-2", data: { kind: "sync" } },
 *     { topic: "news", notification: { title: "Launch day" } }
 *   ])
 *   assert.deepStrictEqual([...result.success.keys()], ["0", "1", "2"])
 *   assert.ok(Result.Outcome.$is("Delivered")(result.outcomes.get("2")!))
 * })
 * Effect.runPromise(program.pipe(Effect.provide(Fcm)))
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const sendEach = (
  messages: Iterable<MessageV1.MessageV1>,
  options?: SendOptions
): Effect.Effect<Result.Result<ReadonlyArray<MessageV1.MessageV1>>, FcmError.FcmError, FcmV1> =>
  Effect.flatMap(FcmV1, (v1) => v1.sendEach(messages, options))

/**
 * Sends distinct v1 messages with retries, with the v1 sender in context: the retryable ones are sent again (and
 * only those) as the schedule allows.
 *
 * @example
 * ```ts
 * import { FcmV1 } from "@effect-fcm/fcm"
 * import { Schedule } from "effect"
 *
 * const messages = ["phone-1", "phone-2"].map((token) => ({ token, data: { kind: "sync" } }))
 * const program = FcmV1.sendEachWithRetry(messages, { schedule: Schedule.recurs(3) })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const sendEachWithRetry = (
  messages: Iterable<MessageV1.MessageV1>,
  options?: RetryOptions
): Effect.Effect<Result.Result<ReadonlyArray<MessageV1.MessageV1>>, FcmError.FcmError, FcmV1> =>
  Effect.flatMap(FcmV1, (v1) => v1.sendEachWithRetry(messages, options))

/**
 * An `FcmClient` whose sends carry a v1 payload to the targets they name, with the v1 sender in context: the way to
 * send firebase-admin's `sendEachForMulticast` messages, with retries and streams.
 *
 * @example
 * ```ts
 * import { FcmV1, Message } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const fcm = yield* FcmV1.withMessage({ data: { kind: "news" }, android: { priority: "high" } })
 *   return yield* fcm.sendWithRetry(Message.multicast(["token-1", "token-2", "token-3"]))
 * })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const withMessage = (payload: Payload): Effect.Effect<FcmClient.FcmClient, InvalidMessage, FcmV1> =>
  Effect.flatMap(FcmV1, (v1) => v1.withMessage(payload))

/**
 * A layer of a v1 `FcmClient`; provide `Credentials` and an `HttpClient` to it.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
 * import { Layer } from "effect"
 * import { Credentials, FcmV1 } from "@effect-fcm/fcm"
 *
 * const Fcm = FcmV1.layer().pipe(
 *   Layer.provide(Credentials.layerFile("service-account.json")),
 *   Layer.provide(FetchHttpClient.layer),
 *   Layer.provide(NodeFileSystem.layer) // reads the key file
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  FcmClient.FcmClient | FcmV1,
  ConfigError.ConfigError,
  HttpClient.HttpClient | Credentials.Credentials
> => Layer.effectContext(makeContext(options))

const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.map(Config.option(config), Option.getOrUndefined)

/**
 * The options read from the environment: `FCM_PROJECT_ID`, `FCM_BASE_URL`, `FCM_CONCURRENCY`, `FCM_TIMEOUT`,
 * `FCM_DELIVERY` (`atLeastOnce` or `atMostOnce`).
 *
 * @example
 * ```ts
 * import { FcmV1 } from "@effect-fcm/fcm"
 * import { ConfigProvider, Effect } from "effect"
 *
 * const env = ConfigProvider.fromMap(new Map([["FCM_PROJECT_ID", "my-project"], ["FCM_CONCURRENCY", "64"]]))
 * const options = Effect.runSync(Effect.withConfigProvider(FcmV1.config, env))
 * assert.strictEqual(options.projectId, "my-project")
 * assert.strictEqual(options.concurrency, 64)
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Options> = Config.all({
  projectId: optional(Config.string("FCM_PROJECT_ID")),
  baseUrl: optional(Config.string("FCM_BASE_URL")),
  concurrency: optional(Config.integer("FCM_CONCURRENCY")),
  timeout: optional(Config.duration("FCM_TIMEOUT")),
  delivery: optional(Config.literal("atLeastOnce", "atMostOnce")("FCM_DELIVERY"))
})

/**
 * A v1 `FcmClient` configured from the environment: credentials from `GOOGLE_APPLICATION_CREDENTIALS`, the options
 * from {@link config}. Provide an `HttpClient` and a `FileSystem` (to read the key file).
 *
 * @example
 * ```ts
 * import { FcmV1 } from "@effect-fcm/fcm"
 * import { FetchHttpClient } from "@effect/platform"
 * import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
 * import { Layer } from "effect"
 *
 * // GOOGLE_APPLICATION_CREDENTIALS=/secrets/key.json FCM_CONCURRENCY=64 node server.js
 * const Fcm = FcmV1.layerConfig().pipe(Layer.provide(FetchHttpClient.layer), Layer.provide(NodeFileSystem.layer))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config<Options> = config
): Layer.Layer<
  FcmClient.FcmClient | FcmV1,
  ConfigError.ConfigError | Credentials.CredentialsError,
  HttpClient.HttpClient | FileSystem.FileSystem
> =>
  Layer.effectContext(Effect.flatMap(options, makeContext)).pipe(
    Layer.provide(Credentials.layerConfig())
  )
