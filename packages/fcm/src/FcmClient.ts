/**
 * The service that sends messages. Both protocols (`FcmV1`, `FcmLegacy`) provide it, so switching protocol is a
 * one-line layer change.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type * as Schedule from "effect/Schedule"
import type * as Stream from "effect/Stream"
import type { FcmError, InvalidMessage } from "./FcmError.js"
import type * as Governor from "./Governor.js"
import * as Client from "./internal/client.js"
import * as Engine from "./internal/engine.js"
import * as Streams from "./internal/stream.js"
import type * as Message from "./Message.js"
import type * as Result from "./Result.js"

/**
 * What a sender does with a target whose request may have reached FCM without an answer saying what FCM did with it
 * (the connection broke after the request was written, no answer within the timeout, an answer that cannot be read):
 *
 * - `atLeastOnce` (the default): the target is retryable, so `sendWithRetry` and `retry()` send it again; a device
 *   may then get the message twice.
 * - `atMostOnce`: the target lands in `Result.unknown` and is never sent again, by the retry schedule or by
 *   `retry()`; a device gets the message once or not at all. A target that provably never reached FCM (no connection,
 *   a refused stream, a 5xx or 429 answer) is still retried.
 *
 * Set it on the sender: `FcmV1.layer({ delivery: "atMostOnce" })`, `FcmLegacy.layer({ …, delivery })`, or
 * `FCM_DELIVERY=atMostOnce` with `layerConfig`.
 *
 * @example
 * ```ts
 * import { FcmClient, FcmV1 } from "@effect-fcm/fcm"
 *
 * // security alerts: a duplicate is worse than a miss
 * const delivery: FcmClient.Delivery = "atMostOnce"
 * const Alerts = FcmV1.layer({ delivery })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Delivery = "atLeastOnce" | "atMostOnce"

/**
 * How {@link FcmClient.sendWithRetry} retries.
 *
 * @example
 * ```ts
 * import { FcmClient, Message } from "@effect-fcm/fcm"
 * import { Schedule } from "effect"
 *
 * // at most three retries, half a second, one second, two seconds apart (or longer if FCM asks)
 * const options: FcmClient.RetryOptions = {
 *   schedule: Schedule.exponential("500 millis").pipe(Schedule.intersect(Schedule.recurs(3)))
 * }
 * const program = FcmClient.sendWithRetry(Message.multicast(["token-1"], { data: { ping: "1" } }), options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryOptions {
  /**
   * Decides whether and when to send the retryable targets again; its input is the merged result so far. A server's
   * Retry-After always wins over a shorter delay. Defaults to `Backoff.schedule`.
   */
  readonly schedule?: Schedule.Schedule<unknown, Result.Result> | undefined
}

/**
 * How {@link FcmClient.sendStream} sends.
 *
 * @example
 * ```ts
 * import { FcmClient, Result } from "@effect-fcm/fcm"
 * import { Stream } from "effect"
 *
 * // 64 requests in flight, retryable targets emitted as they are (a job queue retries them later)
 * const options: FcmClient.StreamOptions = { concurrency: 64, retry: false }
 * const tokens = Stream.fromIterable(["token-1", "token-2"])
 * const summary = FcmClient.sendStream(tokens, { data: { ping: "1" } }, options).pipe(Stream.run(Result.summarySink))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface StreamOptions {
  /** Requests in flight at once (defaults to the protocol's concurrency). */
  readonly concurrency?: number | undefined
  /** Retry each target's retryable failures with this schedule before emitting; `false` emits them as they are. */
  readonly retry?: Schedule.Schedule<unknown, Result.Result> | false | undefined
}

/**
 * @example
 * ```ts
 * import { FcmFake } from "@effect-fcm/emulator"
 * import { FcmClient, FcmLegacy, Message } from "@effect-fcm/fcm"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const Fcm = FcmLegacy.layer({ apiKey: Redacted.make("emulator-server-key") }).pipe(Layer.provide(FcmFake.layer()))
 * const program = Effect.gen(function*() {
 *   const fcm: FcmClient.FcmClient = yield* FcmClient.FcmClient
 *   const result = yield* fcm.send(Message.multicast(["phone-1"], { data: { ping: "1" } }))
 *   assert.deepStrictEqual([fcm.protocol, result.success.size], ["legacy", 1])
 * })
 * Effect.runPromise(program.pipe(Effect.provide(Fcm)))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface FcmClient {
  /** The wire protocol: `v1` or `legacy`. */
  readonly protocol: "v1" | "legacy"
  /**
   * Validates the message, then sends it once: one request per 1000 tokens (legacy) or per token (v1). Never
   * sleeps and never retries, so its running time is predictable (for job queues, which schedule the retry with
   * `result.delay(attempt)`).
   */
  readonly send: (message: Message.Message) => Effect.Effect<Result.Result, FcmError>
  /**
   * Sends, then sends the retryable targets again as the schedule allows (only those: delivered targets are never
   * sent twice), and returns one result merged over every attempt.
   */
  readonly sendWithRetry: (
    message: Message.Message,
    options?: RetryOptions
  ) => Effect.Effect<Result.Result, FcmError>
  /**
   * Sends one message (the options and payload of `template`) to every token of a stream, with bounded concurrency
   * and bounded memory whatever the stream's length, emitting each token's outcome as it completes.
   */
  readonly sendStream: <E, R>(
    tokens: Stream.Stream<string, E, R>,
    template: Message.Options,
    options?: StreamOptions
  ) => Stream.Stream<Result.TokenOutcome, FcmError | E, R>
}

/**
 * @example
 * ```ts
 * import { FcmClient, Message } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const notify = (tokens: ReadonlyArray<string>) =>
 *   Effect.flatMap(
 *     FcmClient.FcmClient,
 *     (fcm) => fcm.send(Message.multicast(tokens, { notification: { title: "Hi" } }))
 *   )
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const FcmClient: Context.Tag<FcmClient, FcmClient> = Context.GenericTag<FcmClient>("@effect-fcm/fcm/FcmClient")

/**
 * Sends a batch of targets with a message prepared once (its shared body encoded once); outcomes come back in the
 * targets' order.
 *
 * @example
 * ```ts
 * import { FcmClient, Result } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * // every target comes back retryable, asking for a minute's wait
 * const maintenance: FcmClient.SendBatch = (targets) =>
 *   Effect.succeed(targets.map(() => Result.Outcome.Retryable({ reason: "maintenance", retryAfterMillis: 60_000 })))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type SendBatch = (targets: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Result.Outcome>, FcmError>

/**
 * What a wire protocol provides to {@link make}.
 *
 * @example
 * ```ts
 * import { FcmClient, Result } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * // a protocol that delivers everything, for tests of code that takes an FcmClient
 * const deliverAll: FcmClient.Protocol = {
 *   name: "v1",
 *   batchSize: 1,
 *   concurrency: 16,
 *   backoffMillis: 1000,
 *   prepare: () =>
 *     Effect.succeed((targets) => Effect.succeed(targets.map(() => Result.Outcome.Delivered({ messageId: "1" }))))
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Protocol {
  readonly name: "v1" | "legacy"
  /** Targets per request: 1000 for legacy, 1 for v1. */
  readonly batchSize: number
  /** Requests in flight at once. */
  readonly concurrency: number
  /** The backoff base of results, in milliseconds. */
  readonly backoffMillis: number
  /**
   * Gates every request of the client's sends: the rate budget and the adaptive concurrency limit, with `concurrency`
   * as the cap. Without it, `concurrency` requests in flight and no rate budget.
   */
  readonly governor?: Governor.Governor | undefined
  /** Prepares a validated message for sending. */
  readonly prepare: (message: Message.Message) => Effect.Effect<SendBatch, InvalidMessage>
  /**
   * How the protocol recognises a configuration mistake (a wrong project id or base URL) from the first answers of a
   * send: when they are all `Failed` with one of `codes`, the send fails as a whole with `error` rather than report
   * every target as failed. v1 counts bare `NOT_FOUND` and `SENDER_ID_MISMATCH`.
   */
  /**
   * The delivery semantics the protocol's outcomes follow (default `atLeastOnce`). Under `atMostOnce` the protocol
   * reports targets whose request may have been processed as `Unknown`; the client does the same for the targets of
   * a request whose answer failed the send as a whole while saying FCM took it (a 200 that cannot be read).
   */
  readonly delivery?: Delivery | undefined
  readonly misconfiguration?: {
    readonly codes: ReadonlySet<string>
    readonly error: (code: string, answers: number) => FcmError
  } | undefined
}

/**
 * Outcomes per bucket, tagged `outcome` (`success`, `canonical`, `not_registered`, `failed`, `retryable`,
 * `unknown`) and `protocol`.
 *
 * @example
 * ```ts
 * import { FcmFake } from "@effect-fcm/emulator"
 * import { FcmClient, FcmLegacy, Message } from "@effect-fcm/fcm"
 * import { Effect, Layer, Metric, Redacted } from "effect"
 *
 * const Fcm = FcmLegacy.layer({ apiKey: Redacted.make("emulator-server-key") }).pipe(Layer.provide(FcmFake.layer()))
 * const delivered = FcmClient.outcomesTotal.pipe(
 *   Metric.tagged("outcome", "success"),
 *   Metric.tagged("protocol", "legacy")
 * )
 * const program = Effect.gen(function*() {
 *   yield* FcmClient.send(Message.multicast(["phone-1", "phone-2"], { data: { ping: "1" } }))
 *   assert.ok((yield* Metric.value(delivered)).count >= 2)
 * })
 * Effect.runPromise(program.pipe(Effect.provide(Fcm)))
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const outcomesTotal = Metric.fromMetricKey(Engine.outcomesKey)

/**
 * Retries: targets sent again after a retryable failure.
 *
 * @example
 * ```ts
 * import { FcmClient } from "@effect-fcm/fcm"
 * import { Effect, Metric } from "effect"
 *
 * const retriedOverV1 = Metric.value(FcmClient.retriesTotal.pipe(Metric.tagged("protocol", "v1"))).pipe(
 *   Effect.map((state) => state.count)
 * )
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const retriesTotal = Metric.fromMetricKey(Engine.retriesKey)

/**
 * Targets whose request is in flight.
 *
 * @example
 * ```ts
 * import { FcmClient } from "@effect-fcm/fcm"
 * import { Effect, Metric } from "effect"
 *
 * const inFlight = Metric.value(FcmClient.targetsInFlight.pipe(Metric.tagged("protocol", "v1"))).pipe(
 *   Effect.map((state) => state.value)
 * )
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const targetsInFlight = Metric.fromMetricKey(Engine.targetsInFlightKey)

/**
 * The time from a request's start to its answer, in seconds, tagged `protocol`: one observation per HTTP request
 * answered (a v1 target, a legacy request of up to 1,000 tokens), retries included, a token refresh included.
 *
 * @example
 * ```ts
 * import { FcmClient } from "@effect-fcm/fcm"
 * import { Effect, Metric } from "effect"
 *
 * const meanSeconds = Metric.value(FcmClient.requestDuration.pipe(Metric.tagged("protocol", "v1"))).pipe(
 *   Effect.map((histogram) => histogram.count === 0 ? 0 : histogram.sum / histogram.count)
 * )
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const requestDuration = Metric.fromMetricKey(Engine.requestDurationKey)

/**
 * Targets that failed for good, tagged with FCM's `code` (`UNREGISTERED`, `NotRegistered`, `INVALID_ARGUMENT`,
 * `InvalidRegistration`, `MALFORMED_RESPONSE`…) and `protocol`.
 *
 * @example
 * ```ts
 * import { FcmClient } from "@effect-fcm/fcm"
 * import { Effect, Metric } from "effect"
 *
 * const unregistered = FcmClient.failuresTotal.pipe(
 *   Metric.tagged("code", "UNREGISTERED"),
 *   Metric.tagged("protocol", "v1")
 * )
 * const count = Effect.map(Metric.value(unregistered), (state) => state.count)
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const failuresTotal = Metric.fromMetricKey(Engine.failuresKey)

/**
 * Sends that failed as a whole, tagged `error` (`AuthenticationError`, `InvalidMessage`, `TransportError`) and
 * `protocol`.
 *
 * @example
 * ```ts
 * import { FcmClient } from "@effect-fcm/fcm"
 * import { Effect, Metric } from "effect"
 *
 * const rejected = FcmClient.sendErrorsTotal.pipe(
 *   Metric.tagged("error", "AuthenticationError"),
 *   Metric.tagged("protocol", "v1")
 * )
 * const count = Effect.map(Metric.value(rejected), (state) => state.count)
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const sendErrorsTotal = Metric.fromMetricKey(Engine.sendErrorsKey)

/**
 * The effective schedule of a retry loop: the caller's schedule, with the server's Retry-After (a wait that holds back
 * the whole send) winning over any shorter delay it chooses; and when every retryable target is held back on its own
 * (a device's rate limit: its outcome has `notBefore`), the round waits until the first of them is due.
 *
 * @example
 * ```ts
 * import { FcmClient } from "@effect-fcm/fcm"
 * import { Schedule } from "effect"
 *
 * // what sendWithRetry runs for Schedule.spaced("1 second"): a Retry-After of 30 s waits 30 s
 * const effective = FcmClient.honourRetryAfter(Schedule.spaced("1 second"))
 * ```
 *
 * @since 0.1.0
 * @category schedules
 */
export const honourRetryAfter: <Out>(
  schedule: Schedule.Schedule<Out, Result.Result>
) => Schedule.Schedule<[Out, Result.Result], Result.Result> = Engine.honourRetryAfter

/**
 * Builds the client from a wire protocol: validation, batching, fan-out, retries and streams are shared by both
 * protocols.
 *
 * @example
 * ```ts
 * import { FcmClient, Message, Result } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const client = FcmClient.make({
 *   name: "v1",
 *   batchSize: 1,
 *   concurrency: 16,
 *   backoffMillis: 1000,
 *   prepare: () =>
 *     Effect.succeed((targets) => Effect.succeed(targets.map((t) => Result.Outcome.Delivered({ messageId: t }))))
 * })
 * Effect.runPromise(client.send(Message.multicast(["a", "b"]))).then((result) =>
 *   assert.strictEqual(result.success.size, 2)
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (protocol: Protocol): FcmClient =>
  Client.make(
    Engine.make<SendBatch>({
      name: protocol.name,
      batchSize: protocol.batchSize,
      concurrency: protocol.concurrency,
      backoffMillis: protocol.backoffMillis,
      misconfiguration: protocol.misconfiguration,
      delivery: protocol.delivery,
      governor: protocol.governor,
      send: (batch, targets) => batch(targets)
    }),
    protocol.prepare
  )

/**
 * Sends a message once with the `FcmClient` in context.
 *
 * @example
 * ```ts
 * import { FcmFake } from "@effect-fcm/emulator"
 * import { FcmClient, FcmLegacy, Message } from "@effect-fcm/fcm"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const Fcm = FcmLegacy.layer({ apiKey: Redacted.make("emulator-server-key") }).pipe(Layer.provide(FcmFake.layer()))
 * const program = Effect.gen(function*() {
 *   const result = yield* FcmClient.send(Message.multicast(["phone-1", "phone-2"], { data: { ping: "1" } }))
 *   if (result.needsRetry()) yield* Effect.log(`retry in ${result.delay(0)}`) // e.g. from a job queue
 *   assert.strictEqual(result.success.size, 2)
 * })
 * Effect.runPromise(program.pipe(Effect.provide(Fcm)))
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const send = (message: Message.Message): Effect.Effect<Result.Result, FcmError, FcmClient> =>
  Effect.flatMap(FcmClient, (client) => client.send(message))

/**
 * Sends a message with retries with the `FcmClient` in context.
 *
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 * import { FcmClient, FcmLegacy, Message } from "@effect-fcm/fcm"
 * import { Effect, Layer, Redacted, Schedule } from "effect"
 *
 * const Fake = FcmFake.layer({ scenarios: { prefixes: { "flaky-": Scenario.unavailable({ times: 1 }) } } })
 * const Fcm = FcmLegacy.layer({ apiKey: Redacted.make("emulator-server-key") }).pipe(Layer.provide(Fake))
 *
 * const message = Message.multicast(["phone-1", "flaky-1"], { data: { ping: "1" } })
 * const program = FcmClient.sendWithRetry(message, { schedule: Schedule.recurs(2) })
 * Effect.runPromise(program.pipe(Effect.provide(Fcm))).then((result) => assert.strictEqual(result.success.size, 2))
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const sendWithRetry = (
  message: Message.Message,
  options?: RetryOptions
): Effect.Effect<Result.Result, FcmError, FcmClient> =>
  Effect.flatMap(FcmClient, (client) => client.sendWithRetry(message, options))

/**
 * Streams a message to every token of a stream with the `FcmClient` in context.
 *
 * @example
 * ```ts
 * import { FcmFake } from "@effect-fcm/emulator"
 * import { FcmClient, FcmLegacy, Result } from "@effect-fcm/fcm"
 * import { Effect, Layer, Redacted, Stream } from "effect"
 *
 * const Fcm = FcmLegacy.layer({ apiKey: Redacted.make("emulator-server-key") }).pipe(Layer.provide(FcmFake.layer()))
 * const tokens = Stream.range(1, 2500).pipe(Stream.map((i) => `phone-${i}`)) // e.g. read from a file
 * const program = FcmClient.sendStream(tokens, { data: { ping: "1" } }).pipe(Stream.run(Result.summarySink))
 * Effect.runPromise(program.pipe(Effect.provide(Fcm))).then((summary) => assert.strictEqual(summary.success, 2500))
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const sendStream = <E, R>(
  tokens: Stream.Stream<string, E, R>,
  template: Message.Options,
  options?: StreamOptions
): Stream.Stream<Result.TokenOutcome, FcmError | E, R | FcmClient> =>
  Streams.unwrap(Effect.map(FcmClient, (client) => client.sendStream(tokens, template, options)))
