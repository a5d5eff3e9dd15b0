/**
 * The service that sends messages. Both protocols (`FcmV1`, `FcmLegacy`) provide it, so switching protocol is a
 * one-line layer change.
 *
 * @since 0.1.0
 */
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricKey from "effect/MetricKey"
import type * as MetricKeyType from "effect/MetricKeyType"
import * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as Backoff from "./Backoff.js"
import type { FcmError } from "./FcmError.js"
import { AuthenticationError, InvalidMessage, TransportError } from "./FcmError.js"
import { withPartial } from "./internal/partial.js"
import { mapConcurrent } from "./internal/stream.js"
import * as Message from "./Message.js"
import * as Result from "./Result.js"

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
   * Retry-After always wins over a shorter delay. Defaults to {@link Backoff.schedule}.
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
  /** Prepares a validated message for sending. */
  readonly prepare: (message: Message.Message) => Effect.Effect<SendBatch, InvalidMessage>
  /**
   * How the protocol recognises a configuration mistake (a wrong project id or base URL) from the first answers of a
   * send: when they are all `Failed` with one of `codes`, the send fails as a whole with `error` rather than report
   * every target as failed. v1 counts bare `NOT_FOUND` and `SENDER_ID_MISMATCH`.
   */
  readonly misconfiguration?: {
    readonly codes: ReadonlySet<string>
    readonly error: (code: string, answers: number) => FcmError
  } | undefined
}

/**
 * The answers a send's configuration check waits for: a send whose first three answers (or all its answers, when it
 * has fewer targets) are configuration codes fails as a whole.
 */
const CONFIG_CHECK_ANSWERS = 3

/** The state of a send's configuration check; `settled` once an answer shows the configuration works. */
class ConfigProbe {
  seen = 0
  settled = false
  constructor(readonly threshold: number, readonly codes: ReadonlySet<string>) {}
  /** Notes a request's outcomes; returns the code that makes the send a configuration mistake, if they do. */
  note(outcomes: ReadonlyArray<Result.Outcome>): string | undefined {
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i]!
      if (o._tag === "Retryable" || o._tag === "Unknown") continue
      if (o._tag === "Failed" && this.codes.has(o.code)) {
        if (++this.seen >= this.threshold) return o.code
        continue
      }
      this.settled = true
      return undefined
    }
    return undefined
  }
}

const outcomesKey = MetricKey.counter("fcm_outcomes_total", {
  description: "targets by outcome bucket",
  incremental: true
})

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
export const outcomesTotal = Metric.fromMetricKey(outcomesKey)

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
export const retriesTotal = Metric.counter("fcm_retries_total", {
  description: "targets sent again after a retryable failure",
  incremental: true
})

const targetsInFlightKey = MetricKey.gauge("fcm_targets_in_flight", {
  description: "targets whose request is in flight"
})

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
export const targetsInFlight = Metric.fromMetricKey(targetsInFlightKey)

// 1 ms to 33 s, doubling
const requestDurationKey = MetricKey.histogram(
  "fcm_request_duration_seconds",
  MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 16 }),
  "time from a request to its answer"
)

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
export const requestDuration = Metric.fromMetricKey(requestDurationKey)

const failuresKey = MetricKey.counter("fcm_failures_total", {
  description: "targets that failed for good, by error code",
  incremental: true
})

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
export const failuresTotal = Metric.fromMetricKey(failuresKey)

const sendErrorsKey = MetricKey.counter("fcm_send_errors_total", {
  description: "sends that failed as a whole, by error",
  incremental: true
})

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
export const sendErrorsTotal = Metric.fromMetricKey(sendErrorsKey)

/**
 * A metric with its tags in its key. It is the same metric (the same registry entry) as the untagged one piped
 * through `Metric.tagged` for each label in order, but updating it looks nothing up: a `Metric.tagged` metric hashes
 * its key and searches the registry on every update, which costs more than sending a v1 message's bookkeeping.
 */
const withTags = <Type extends MetricKeyType.MetricKeyType<any, any>>(
  key: MetricKey.MetricKey<Type>,
  tags: ReadonlyArray<readonly [string, string]>
) => Metric.fromMetricKey(MetricKey.taggedWithLabels(key, tags.map(([k, v]) => MetricLabel.make(k, v))))

const BUCKETS = {
  Delivered: "success",
  Canonical: "canonical",
  NotRegistered: "not_registered",
  Failed: "failed",
  Retryable: "retryable",
  Unknown: "unknown"
} as const

/** Counts outcomes into the per-bucket counters of one protocol, in one synchronous step. */
const outcomeRecorder = (protocol: string) => {
  const counters = Object.fromEntries(
    Object.entries(BUCKETS).map(([tag, bucket]) => [
      tag,
      withTags(outcomesKey, [["outcome", bucket], ["protocol", protocol]])
    ])
  ) as Record<Result.Outcome["_tag"], Metric.Metric.Counter<number>>
  const failures = new Map<string, Metric.Metric.Counter<number>>()
  const failure = (code: string): Metric.Metric.Counter<number> => {
    let counter = failures.get(code)
    if (counter === undefined) {
      counter = withTags(failuresKey, [["code", code], ["protocol", protocol]])
      failures.set(code, counter)
    }
    return counter
  }
  return (outcomes: ReadonlyArray<Result.Outcome>): void => {
    for (let i = 0; i < outcomes.length; i++) {
      const outcome = outcomes[i]!
      counters[outcome._tag].unsafeUpdate(1, NO_TAGS)
      if (outcome._tag === "Failed" || outcome._tag === "NotRegistered") failure(outcome.code).unsafeUpdate(1, NO_TAGS)
    }
  }
}

/** What a debug line says of a request's outcomes: `Delivered`, or `Delivered ×998, NotRegistered ×2`. */
const describeOutcomes = (outcomes: ReadonlyArray<Result.Outcome>): string => {
  if (outcomes.length === 1) {
    const o = outcomes[0]!
    return o._tag === "Failed" || o._tag === "NotRegistered"
      ? `${o._tag} (${o.code})`
      : o._tag === "Retryable"
      ? `Retryable (${o.reason})`
      : o._tag
  }
  const counts = new Map<string, number>()
  for (const o of outcomes) counts.set(o._tag, (counts.get(o._tag) ?? 0) + 1)
  return Array.from(counts, ([tag, n]) => `${tag} ×${n}`).join(", ")
}

const NO_TAGS: ReadonlyArray<never> = []

const chunksOf = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> => {
  if (items.length <= size) return [items]
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * The earliest `notBefore` of the retryable targets, or `undefined` when one of them (a target without `notBefore`)
 * may go with the next round.
 */
const earliestNotBefore = (result: Result.Result<unknown>): number | undefined => {
  let earliest: number | undefined
  for (const outcome of result.outcomes.values()) {
    if (outcome._tag !== "Retryable") continue
    if (outcome.notBefore === undefined) return undefined
    if (earliest === undefined || outcome.notBefore < earliest) earliest = outcome.notBefore
  }
  return earliest
}

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
export const honourRetryAfter = <Out>(
  schedule: Schedule.Schedule<Out, Result.Result>
): Schedule.Schedule<[Out, Result.Result], Result.Result> =>
  Schedule.intersect(schedule, Schedule.identity<Result.Result>()).pipe(
    Schedule.modifyDelayEffect(([, result], delay) => {
      const retryAfter = result.retryAfterMillis
      const wait = retryAfter === undefined ? delay : Duration.max(delay, Duration.millis(retryAfter))
      const earliest = earliestNotBefore(result)
      if (earliest === undefined) return Effect.succeed(wait)
      return Effect.map(
        Clock.currentTimeMillis,
        (now) => Duration.max(wait, Duration.millis(Math.max(0, earliest - now)))
      )
    })
  )

/** The outcome of a target left unanswered by a send that failed as a whole. */
const retryableAfter = (error: FcmError): Result.Outcome =>
  Result.Outcome.Retryable({
    reason: `${error._tag}: ${error.message}`,
    retryAfterMillis: error._tag === "TransportError" ? error.retryAfterMillis : undefined
  })

const defaultSchedule = (backoffMillis: number) => Backoff.schedule({ baseMillis: backoffMillis })

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
export const make = (protocol: Protocol): FcmClient => {
  const { backoffMillis, batchSize, misconfiguration, name } = protocol
  const spanAttributes = { "fcm.protocol": name }

  const inFlight = withTags(targetsInFlightKey, [["protocol", name]])
  const recordOutcomes = outcomeRecorder(name)
  const latency = withTags(requestDurationKey, [["protocol", name]])
  const sendErrors = {
    AuthenticationError: withTags(sendErrorsKey, [["error", "AuthenticationError"], ["protocol", name]]),
    InvalidMessage: withTags(sendErrorsKey, [["error", "InvalidMessage"], ["protocol", name]]),
    TransportError: withTags(sendErrorsKey, [["error", "TransportError"], ["protocol", name]])
  }

  /**
   * A prepared batch that observes each request: its latency into the histogram and, when the fiber logs at debug,
   * one line per request (the number of targets, the outcomes, the time; never a token). The log level is read once
   * per fan-out, so a fan-out that does not log debug lines pays for a clock read per request only.
   */
  const observe = (batch: SendBatch): Effect.Effect<SendBatch> =>
    Effect.map(FiberRef.get(FiberRef.currentMinimumLogLevel), (minimum) => {
      const debug = LogLevel.lessThanEqual(minimum, LogLevel.Debug)
      return (targets) => {
        const started = performance.now()
        return Effect.flatMap(batch(targets), (outcomes) => {
          const millis = performance.now() - started
          latency.unsafeUpdate(millis / 1000, NO_TAGS)
          if (!debug) return Effect.succeed(outcomes)
          return Effect.as(
            Effect.logDebug(
              `FCM ${name} request: ${targets.length} target${targets.length === 1 ? "" : "s"}, ` +
                `${describeOutcomes(outcomes)} in ${millis.toFixed(1)} ms`
            ),
            outcomes
          )
        })
      }
    })

  const sendTargets = (
    batch: SendBatch,
    targets: ReadonlyArray<string>
  ): Effect.Effect<ReadonlyArray<Result.Outcome>, FcmError> =>
    Effect.suspend(() => {
      inFlight.unsafeModify(targets.length, NO_TAGS)
      return batch(targets).pipe(
        Effect.tap((outcomes) => recordOutcomes(outcomes)),
        Effect.ensuring(Effect.sync(() => inFlight.unsafeModify(-targets.length, NO_TAGS)))
      )
    })

  /**
   * Sends every chunk with at most `concurrency` requests in flight, each chunk's outcomes into `results` at its index
   * as they arrive. A fixed set of workers takes the chunks in turn, so a fan-out costs `concurrency` fibers rather
   * than one per chunk (what `Effect.forEach` with concurrency forks); each worker tracks the targets it has in
   * flight, so the gauge is kept without a finalizer per request.
   *
   * The first error that fails the send stops the fan-out: no worker starts another request, but the requests
   * already on the wire are awaited (each is bounded by the request timeout), so that the outcome of every target the
   * server may have processed lands in `results`; then the send fails with that first error. Interrupting them instead
   * would report targets the server delivered as unanswered, and a caller resending `partial.retry()` would deliver
   * them twice.
   */
  const sendChunks = (
    batch: SendBatch,
    chunks: ReadonlyArray<ReadonlyArray<string>>,
    results: Array<ReadonlyArray<Result.Outcome> | undefined>,
    probe: ConfigProbe | undefined
  ): Effect.Effect<void, FcmError> =>
    Effect.suspend(() => {
      let next = 0
      let failure: FcmError | undefined
      const worker = (): Effect.Effect<void> => {
        let current = 0
        const done = (): void => {
          inFlight.unsafeModify(-current, NO_TAGS)
          current = 0
        }
        const step: Effect.Effect<void> = Effect.suspend(() => {
          if (failure !== undefined || next >= chunks.length) return Effect.void
          const index = next++
          const targets = chunks[index]!
          current = targets.length
          inFlight.unsafeModify(current, NO_TAGS)
          return Effect.matchEffect(batch(targets), {
            onFailure: (error) => {
              done()
              failure ??= error
              return Effect.void
            },
            onSuccess: (outcomes) => {
              done()
              recordOutcomes(outcomes)
              results[index] = outcomes
              if (probe !== undefined && !probe.settled) {
                const code = probe.note(outcomes)
                if (code !== undefined) {
                  failure ??= misconfiguration!.error(code, probe.seen)
                  return Effect.void
                }
              }
              return step
            }
          })
        })
        return Effect.ensuring(
          step,
          Effect.sync(() => {
            if (current !== 0) done()
          })
        )
      }
      const workers = Math.min(protocol.concurrency, chunks.length)
      const all = workers <= 1
        ? worker()
        : Effect.all(Array.from({ length: workers }, worker), { concurrency: "unbounded", discard: true })
      return Effect.flatMap(all, () => failure === undefined ? Effect.void : Effect.fail(failure))
    })

  /**
   * One attempt at every target of a valid message. When the fan-out fails as a whole, the error carries the
   * outcomes so far as `partial`: the answered targets' outcomes, and every other target retryable with the error as
   * its reason.
   */
  const sendValidated = (message: Message.Message, first: boolean): Effect.Effect<Result.Result, FcmError> =>
    Effect.flatMap(Effect.flatMap(protocol.prepare(message), observe), (batch) => {
      const targets = Message.targets(message)
      // only a send's first attempt is checked: a retry round follows answers that already showed the configuration
      const probe = first && misconfiguration !== undefined
        ? new ConfigProbe(Math.min(CONFIG_CHECK_ANSWERS, targets.length), misconfiguration.codes)
        : undefined
      const chunks = chunksOf(targets, batchSize)
      const results = new Array<ReadonlyArray<Result.Outcome> | undefined>(chunks.length)
      const assemble = (unanswered?: Result.Outcome): Result.Result => {
        const outcomes = new Map<string, Result.Outcome>()
        for (let c = 0; c < chunks.length; c++) {
          const chunk = chunks[c]!
          const chunkOutcomes = results[c]
          for (let i = 0; i < chunk.length; i++) outcomes.set(chunk[i]!, chunkOutcomes?.[i] ?? unanswered!)
        }
        return new Result.Result(message, outcomes, backoffMillis)
      }
      return sendChunks(batch, chunks, results, probe).pipe(
        Effect.matchEffect({
          onFailure: (error) => Effect.fail(withPartial(error, assemble(retryableAfter(error)))),
          onSuccess: () => Effect.succeed(assemble())
        })
      )
    })

  const countError = (error: FcmError) => Effect.sync(() => sendErrors[error._tag].unsafeUpdate(1, NO_TAGS))

  const sendOnce = (message: Message.Message): Effect.Effect<Result.Result, FcmError> =>
    Message.validate(message).pipe(
      Effect.tap(() => Effect.annotateCurrentSpan("fcm.targets", Message.targets(message).length)),
      Effect.zipRight(Effect.suspend(() => sendValidated(message, true))),
      Effect.withSpan("FcmClient.send", { attributes: spanAttributes })
    )

  const send = (message: Message.Message): Effect.Effect<Result.Result, FcmError> =>
    Effect.tapError(sendOnce(message), countError)

  const retryLoop = (
    first: Result.Result,
    schedule: Schedule.Schedule<unknown, Result.Result>
  ): Effect.Effect<Result.Result, FcmError> =>
    Effect.gen(function*() {
      // the delay of the last round, so that a target due by the end of that wait counts as due even on a clock
      // whose sleeps and time disagree (a test clock that sleeps faster than time goes)
      let waited = 0
      const driver = yield* Schedule.driver(
        honourRetryAfter(schedule).pipe(Schedule.modifyDelay((_, delay) => {
          waited = Duration.toMillis(delay)
          return delay
        }))
      )
      // Targets held back on their own (a device's rate limit) back off exponentially, each by its own count.
      const limited = new Map<string, number>()
      const backOff = (attempted: Result.Result, now: number): Result.Result => {
        let outcomes: Map<string, Result.Outcome> | undefined
        for (const [target, outcome] of attempted.outcomes) {
          if (outcome._tag !== "Retryable" || outcome.notBefore === undefined) continue
          const times = limited.get(target) ?? 0
          limited.set(target, times + 1)
          outcomes ??= new Map(attempted.outcomes)
          outcomes.set(
            target,
            Result.Outcome.Retryable({
              reason: outcome.reason,
              retryAfterMillis: undefined,
              notBefore: Math.max(outcome.notBefore, now + Backoff.millis(backoffMillis, times))
            })
          )
        }
        return outcomes === undefined ? attempted : new Result.Result(attempted.message, outcomes, backoffMillis)
      }
      let result = backOff(first, yield* Clock.currentTimeMillis)
      let attempt = 0
      while (true) {
        const retry = result.retry()
        if (Option.isNone(retry)) return result
        const decided = yield* Clock.currentTimeMillis
        const proceed = yield* driver.next(result).pipe(Effect.option)
        if (Option.isNone(proceed)) return result
        // the round resends the targets whose time has come
        const now = Math.max(yield* Clock.currentTimeMillis, decided + waited)
        let due: Message.Message = retry.value
        if (due.tokens !== undefined) {
          const ready: Array<string> = []
          for (const [target, outcome] of result.outcomes) {
            if (outcome._tag === "Retryable" && (outcome.notBefore === undefined || outcome.notBefore <= now)) {
              ready.push(target)
            }
          }
          if (ready.length === 0) continue
          if (ready.length !== due.tokens.length) due = Message.withTokens(due, ready)
        }
        const next = { value: due }
        attempt++
        const tokens = Message.targets(next.value)
        yield* Metric.incrementBy(retriesTotal.pipe(Metric.tagged("protocol", name)), tokens.length)
        yield* Effect.logDebug(
          `FCM ${name} retry ${attempt}: ${tokens.length} target${tokens.length === 1 ? "" : "s"} sent again`
        )
        const attemptResult = yield* sendValidated(next.value, false).pipe(
          Effect.withSpan("FcmClient.retry", { attributes: { ...spanAttributes, "fcm.attempt": attempt } }),
          Effect.either
        )
        if (attemptResult._tag === "Left") {
          // A later attempt that fails as a whole fails the send with what every attempt achieved: the earlier
          // results merged with this attempt's partial one (its unanswered targets retryable).
          const error = attemptResult.left
          const partial = error.partial ?? Result.make(
            next.value,
            tokens.map((t) => [t, retryableAfter(error)] as const),
            backoffMillis
          )
          return yield* Effect.fail(withPartial(error, result.merge(partial)))
        }
        result = result.merge(backOff(attemptResult.right, yield* Clock.currentTimeMillis))
      }
    })

  const sendWithRetry = (message: Message.Message, options?: RetryOptions) =>
    sendOnce(message).pipe(
      Effect.flatMap((first) => retryLoop(first, options?.schedule ?? defaultSchedule(backoffMillis))),
      Effect.tapError(countError),
      Effect.withSpan("FcmClient.sendWithRetry", { attributes: spanAttributes })
    )

  const sendStream = <E, R>(
    tokens: Stream.Stream<string, E, R>,
    template: Message.Options,
    options?: StreamOptions
  ): Stream.Stream<Result.TokenOutcome, FcmError | E, R> => {
    const concurrency = options?.concurrency ?? protocol.concurrency
    const retry = options?.retry === undefined ? defaultSchedule(backoffMillis) : options.retry
    const probe = Message.multicast(["token"], template)
    return Stream.unwrap(
      Message.validate(probe).pipe(
        Effect.flatMap((validated) => Effect.flatMap(protocol.prepare(validated), observe)),
        Effect.map((batch) => {
          const isToken = (t: unknown): t is string => typeof t === "string" && t.length > 0
          const missing = Result.Outcome.Failed({ code: "MissingRegistration" })
          const resend = (targets: ReadonlyArray<string>, outcomes: ReadonlyArray<Result.Outcome>) =>
            retryLoop(
              Result.make(
                Message.withTokens(probe, targets),
                targets.map((t, i) => [t, outcomes[i]!] as const),
                backoffMillis
              ),
              retry as Schedule.Schedule<unknown, Result.Result>
            ).pipe(
              Effect.map((r) => Array.from(r.outcomes, ([token, outcome]): Result.TokenOutcome => ({ token, outcome })))
            )
          if (batchSize === 1) {
            // One outcome per token, emitted as it is. The gauge is kept without a finalizer per request: what is
            // still counted when the stream ends (failed or interrupted) is taken off once, at the end.
            let pending = 0
            const probe = misconfiguration === undefined
              ? undefined
              : new ConfigProbe(CONFIG_CHECK_ANSWERS, misconfiguration.codes)
            const sendToken = (token: string): Effect.Effect<Result.TokenOutcome, FcmError> => {
              if (!isToken(token)) return Effect.succeed({ token, outcome: missing })
              const targets = [token]
              pending++
              inFlight.unsafeModify(1, NO_TAGS)
              return Effect.flatMap(batch(targets), (outcomes) => {
                pending--
                inFlight.unsafeModify(-1, NO_TAGS)
                recordOutcomes(outcomes)
                if (probe !== undefined && !probe.settled) {
                  const code = probe.note(outcomes)
                  if (code !== undefined) return Effect.fail(misconfiguration!.error(code, probe.seen))
                }
                const outcome = outcomes[0]!
                return retry !== false && outcome._tag === "Retryable"
                  ? Effect.map(resend(targets, outcomes), (emitted) => emitted[0]!)
                  : Effect.succeed({ token, outcome })
              })
            }
            return mapConcurrent(tokens, sendToken, concurrency).pipe(
              Stream.ensuring(Effect.sync(() => {
                if (pending !== 0) inFlight.unsafeModify(-pending, NO_TAGS)
                pending = 0
              }))
            )
          }
          const sendChunk = (chunk: Chunk.Chunk<string>) => {
            const all = Chunk.toReadonlyArray(chunk)
            const targets = all.filter(isToken)
            const local: Array<Result.TokenOutcome> = all.length === targets.length
              ? []
              : all.filter((t) => !isToken(t)).map((token) => ({ token, outcome: missing }))
            if (targets.length === 0) return Effect.succeed(local)
            return Effect.flatMap(
              sendTargets(batch, targets),
              (outcomes) =>
                retry !== false && outcomes.some((o) => o._tag === "Retryable")
                  ? Effect.map(resend(targets, outcomes), (emitted) => local.concat(emitted))
                  : Effect.succeed(local.concat(targets.map((token, i) => ({ token, outcome: outcomes[i]! }))))
            )
          }
          return mapConcurrent(Stream.grouped(tokens, batchSize), sendChunk, concurrency).pipe(Stream.flattenIterables)
        })
      )
    ).pipe(
      Stream.tapError((error) =>
        error instanceof AuthenticationError || error instanceof InvalidMessage || error instanceof TransportError
          ? countError(error)
          : Effect.void
      )
    )
  }

  return { protocol: name, send, sendWithRetry, sendStream }
}

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
  Stream.unwrap(Effect.map(FcmClient, (client) => client.sendStream(tokens, template, options)))
