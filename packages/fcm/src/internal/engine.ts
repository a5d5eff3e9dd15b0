/**
 * The fan-out engine both protocols send through. A send is a list of units, each a target and its encoded payload;
 * a request is a run of consecutive units that share one payload, up to the protocol's batch size (1000 tokens a
 * legacy request, one message a v1 request). A pool of workers takes the requests in turn, and each request's
 * outcomes land in an array indexed by unit: under a governor's limit, workers that each hold a place among the
 * requests in flight and follow the limit as it moves; otherwise a fixed pool of `concurrency` workers. Retry rounds resend the retryable units whose time has come with the
 * payloads they already have: a message is validated and encoded once per send.
 *
 * Every request goes through {@link Engine.request} (acquire → send → report): the one place where a request starts
 * and ends.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricKey from "effect/MetricKey"
import type * as MetricKeyType from "effect/MetricKeyType"
import * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Tracer from "effect/Tracer"
import * as Backoff from "../Backoff.js"
import type { Delivery } from "../FcmClient.js"
import type { FcmError } from "../FcmError.js"
import type { Governor } from "../Governor.js"
import type { Result } from "../Result.js"
import { Outcome } from "../Result.js"
import * as DeliveryRules from "./delivery.js"
import { type Group, type Holder, type Places, registry as governorPlaces } from "./places.js"

// ---------------------------------------------------------------------------------------------------------------------
// metrics
// ---------------------------------------------------------------------------------------------------------------------

/** @internal */
export const outcomesKey = MetricKey.counter("fcm_outcomes_total", {
  description: "targets by outcome bucket",
  incremental: true
})

/** @internal */
export const retriesKey = MetricKey.counter("fcm_retries_total", {
  description: "targets sent again after a retryable failure",
  incremental: true
})

/** @internal */
export const targetsInFlightKey = MetricKey.gauge("fcm_targets_in_flight", {
  description: "targets whose request is in flight"
})

/** 1 ms to 33 s, doubling. @internal */
export const requestDurationKey = MetricKey.histogram(
  "fcm_request_duration_seconds",
  MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 16 }),
  "time from a request to its answer"
)

/** @internal */
export const failuresKey = MetricKey.counter("fcm_failures_total", {
  description: "targets that failed for good, by error code",
  incremental: true
})

/** @internal */
export const sendErrorsKey = MetricKey.counter("fcm_send_errors_total", {
  description: "sends that failed as a whole, by error",
  incremental: true
})

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

const NO_TAGS: ReadonlyArray<never> = []

/** What a request that did not go answers (its send failed while the governor held it back). */
const NOT_SENT: Effect.Effect<ReadonlyArray<Outcome>> = Effect.succeed([])

/** Counts outcomes into the per-bucket counters of one protocol, in one synchronous step. */
const outcomeRecorder = (protocol: string) => {
  const counters = Object.fromEntries(
    Object.entries(BUCKETS).map(([tag, bucket]) => [
      tag,
      withTags(outcomesKey, [["outcome", bucket], ["protocol", protocol]])
    ])
  ) as Record<Outcome["_tag"], Metric.Metric.Counter<number>>
  const failures = new Map<string, Metric.Metric.Counter<number>>()
  const failure = (code: string): Metric.Metric.Counter<number> => {
    let counter = failures.get(code)
    if (counter === undefined) {
      counter = withTags(failuresKey, [["code", code], ["protocol", protocol]])
      failures.set(code, counter)
    }
    return counter
  }
  return (outcomes: ReadonlyArray<Outcome>): void => {
    for (let i = 0; i < outcomes.length; i++) {
      const outcome = outcomes[i]!
      counters[outcome._tag]!.unsafeUpdate(1, NO_TAGS)
      if (outcome._tag === "Failed" || outcome._tag === "NotRegistered") failure(outcome.code).unsafeUpdate(1, NO_TAGS)
    }
  }
}

/** What a debug line says of a request's outcomes: `Delivered`, or `Delivered ×998, NotRegistered ×2`. */
const describeOutcomes = (outcomes: ReadonlyArray<Outcome>): string => {
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

// ---------------------------------------------------------------------------------------------------------------------
// the protocol's side
// ---------------------------------------------------------------------------------------------------------------------

/**
 * How a protocol recognises a configuration mistake (a wrong project id or base URL) from the first answers of a
 * send: when they are all `Failed` with one of `codes`, the send fails as a whole with `error`.
 *
 * @internal
 */
export interface Misconfiguration {
  readonly codes: ReadonlySet<string>
  readonly error: (code: string, answers: number) => FcmError
}

/**
 * What a wire protocol gives the engine: its limits, and the request of a payload to some targets.
 *
 * @internal
 */
export interface Wire<P> {
  readonly name: "v1" | "legacy"
  /** Targets per request: 1000 for legacy, 1 for v1. */
  readonly batchSize: number
  /** Requests in flight at once. */
  readonly concurrency: number
  /** The backoff base of results, in milliseconds. */
  readonly backoffMillis: number
  readonly misconfiguration?: Misconfiguration | undefined
  /**
   * The delivery semantics of the protocol's outcomes (default `atLeastOnce`). Under `atMostOnce` the engine reports
   * the targets of a request whose answer failed the send while saying FCM took it (a 200 that cannot be read) as
   * `Unknown`, not unanswered.
   */
  readonly delivery?: Delivery | undefined
  /** Gates every request: the rate budget and the adaptive concurrency limit (`concurrency` is its cap). */
  readonly governor?: Governor | undefined
  /** Sends `payload` to `targets` (one request); one outcome per target, in order. */
  readonly send: (payload: P, targets: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Outcome>, FcmError>
}

/**
 * The units of a send: unit `i` carries `payload(i)` to `targets[i]` (the target as the protocol writes it).
 *
 * @internal
 */
export interface Units<P> {
  readonly targets: ReadonlyArray<string>
  readonly payload: (unit: number) => P
}

/** Units that all carry one payload. @internal */
export const shared = <P>(targets: ReadonlyArray<string>, payload: P): Units<P> => ({ targets, payload: () => payload })

/**
 * A send that failed as a whole: its error, and every unit's outcome as far as it got (the unanswered ones
 * retryable, with the error as their reason).
 *
 * @internal
 */
export class SendFailure {
  constructor(readonly error: FcmError, readonly outcomes: ReadonlyArray<Outcome>) {}
}

/** A worker of a fan-out that follows the limit: its place, and the fiber's clock its requests are timed on. */
interface Worker extends Holder {
  readonly clock: Clock.Clock
  readonly slot: Slot
}

/**
 * The targets a worker has in flight, so that the gauge is kept without a finalizer per request: what is still
 * counted when the worker ends (failed or interrupted) is taken off once.
 *
 * @internal
 */
export class Slot {
  inFlight = 0
}

/**
 * The answers a send's configuration check waits for: a send whose first three answers (or all its answers, when it
 * has fewer targets) are configuration codes fails as a whole.
 */
const CONFIG_CHECK_ANSWERS = 3

/**
 * The state of a send's configuration check; `settled` once an answer shows the configuration works.
 *
 * @internal
 */
export class ConfigProbe {
  seen = 0
  settled = false
  constructor(readonly threshold: number, readonly codes: ReadonlySet<string>) {}
  /** Notes a request's outcomes; returns the code that makes the send a configuration mistake, if they do. */
  note(outcomes: ReadonlyArray<Outcome>): string | undefined {
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

// ---------------------------------------------------------------------------------------------------------------------
// schedules
// ---------------------------------------------------------------------------------------------------------------------

/**
 * The earliest `notBefore` of the retryable targets, or `undefined` when one of them (a target without `notBefore`)
 * may go with the next round.
 */
const earliestNotBefore = (result: Result<unknown>): number | undefined => {
  let earliest: number | undefined
  for (const outcome of result.outcomes.values()) {
    if (outcome._tag !== "Retryable") continue
    if (outcome.notBefore === undefined) return undefined
    if (earliest === undefined || outcome.notBefore < earliest) earliest = outcome.notBefore
  }
  return earliest
}

/**
 * The caller's schedule, with the server's Retry-After winning over any shorter delay it chooses; and when every
 * retryable target is held back on its own, the round waits until the first of them is due.
 *
 * @internal
 */
export const honourRetryAfter = <Out>(
  schedule: Schedule.Schedule<Out, Result>
): Schedule.Schedule<[Out, Result], Result> =>
  Schedule.intersect(schedule, Schedule.identity<Result>()).pipe(
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

/** The outcome of a target left unanswered by a send that failed as a whole. @internal */
export const retryableAfter = (error: FcmError): Outcome =>
  Outcome.Retryable({
    reason: `${error._tag}: ${error.message}`,
    retryAfterMillis: error._tag === "TransportError" ? error.retryAfterMillis : undefined
  })

/** @internal */
export const defaultSchedule = (backoffMillis: number) => Backoff.schedule({ baseMillis: backoffMillis })

/** Effect's built-in tracer: its spans are exported nowhere, so the engine opens none with it. */
const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

// ---------------------------------------------------------------------------------------------------------------------
// the engine
// ---------------------------------------------------------------------------------------------------------------------

/** @internal */
export interface Engine<P> {
  readonly name: "v1" | "legacy"
  readonly batchSize: number
  readonly concurrency: number
  readonly backoffMillis: number
  readonly misconfiguration: Misconfiguration | undefined
  /**
   * One request, acquire → send → report: the gauge, the protocol's request, the latency, the outcome counters and
   * the debug line. `debug` is whether the fiber logs at debug level (read once per send). With a governor, the
   * request waits for its turn first; if `stopped()` by then (the send failed meanwhile), it does not go and answers
   * no outcome.
   */
  readonly request: (
    slot: Slot,
    payload: P,
    targets: ReadonlyArray<string>,
    debug: boolean,
    stopped?: () => boolean
  ) => Effect.Effect<ReadonlyArray<Outcome>, FcmError>
  /**
   * The governor's places, when a caller can hold one across requests (a governor without a rate budget): see
   * {@link requestHeld}.
   */
  readonly places: Places | undefined
  /**
   * One request of a caller that holds a place of {@link places}: {@link request} without waiting for a turn, the
   * answer teaching the governor's limit (timed on `clock`).
   */
  readonly requestHeld: (
    slot: Slot,
    payload: P,
    targets: ReadonlyArray<string>,
    debug: boolean,
    clock: Clock.Clock
  ) => Effect.Effect<ReadonlyArray<Outcome>, FcmError>
  /** A new configuration check of a send of `units` units (`undefined` when the protocol has none). */
  readonly probe: (units: number) => ConfigProbe | undefined
  /**
   * One attempt at every unit, outcomes in unit order. Checks the configuration when `check`. Fails with a
   * {@link SendFailure}: the requests already on the wire are awaited first, so that every answer is in it.
   */
  readonly sendAll: (units: Units<P>, check: boolean) => Effect.Effect<Array<Outcome>, SendFailure>
  /**
   * Resends the retryable units of `outcomes` (updated in place) as the schedule allows, each no sooner than its
   * `notBefore`; `view` gives the schedule the result so far.
   */
  readonly retry: (
    units: Units<P>,
    outcomes: Array<Outcome>,
    schedule: Schedule.Schedule<unknown, Result>,
    view: (outcomes: ReadonlyArray<Outcome>) => Result<any>
  ) => Effect.Effect<Array<Outcome>, SendFailure>
  /** Takes what a slot still counts off the gauge (its requests ended without reporting: failed or interrupted). */
  readonly release: (slot: Slot) => void
  /** Counts a send that failed as a whole. */
  readonly countError: (error: FcmError) => void
  /** `effect` in a span named `name`, only when a tracer other than Effect's built-in one is installed. */
  readonly span: <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    name: string,
    attributes?: Record<string, unknown>
  ) => Effect.Effect<A, E, R>
}

/**
 * `effect` in a span, only when the fiber's tracer is enabled and is not Effect's built-in one (whose spans nobody
 * reads): without an installed tracer a send does no span work.
 *
 * @internal
 */
export const traced = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  name: string,
  attributes: Record<string, unknown>
): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) =>
    fiber.getFiberRef(FiberRef.currentTracerEnabled) && fiber.currentTracer !== nativeTracer
      ? Effect.withSpan(effect, name, { attributes })
      : effect
  )

/** Whether the fiber logs at debug level. @internal */
export const debugEnabled: Effect.Effect<boolean> = Effect.map(
  FiberRef.get(FiberRef.currentMinimumLogLevel),
  (minimum) => LogLevel.lessThanEqual(minimum, LogLevel.Debug)
)

/**
 * The engine of a protocol, with its metric handles built once.
 *
 * @internal
 */
export const make = <P>(wire: Wire<P>): Engine<P> => {
  const { backoffMillis, batchSize, misconfiguration, name } = wire
  const concurrency = wire.concurrency
  const atMostOnce = wire.delivery === "atMostOnce"
  const spanAttributes = { "fcm.protocol": name }

  const inFlight = withTags(targetsInFlightKey, [["protocol", name]])
  const recordOutcomes = outcomeRecorder(name)
  const latency = withTags(requestDurationKey, [["protocol", name]])
  const retries = withTags(retriesKey, [["protocol", name]])
  const sendErrors: Record<string, Metric.Metric.Counter<number>> = {
    AuthenticationError: withTags(sendErrorsKey, [["error", "AuthenticationError"], ["protocol", name]]),
    InvalidMessage: withTags(sendErrorsKey, [["error", "InvalidMessage"], ["protocol", name]]),
    TransportError: withTags(sendErrorsKey, [["error", "TransportError"], ["protocol", name]])
  }
  const countError = (error: FcmError): void => sendErrors[error._tag]?.unsafeUpdate(1, NO_TAGS)

  const span = <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    spanName: string,
    attributes?: Record<string, unknown>
  ): Effect.Effect<A, E, R> =>
    traced(effect, spanName, attributes === undefined ? spanAttributes : { ...spanAttributes, ...attributes })

  const governor = wire.governor
  /** The governor's places, when its workers can hold them (no rate budget): see {@link attempt}. */
  const places = governor === undefined ? undefined : governorPlaces.get(governor)

  const request = (
    slot: Slot,
    payload: P,
    targets: ReadonlyArray<string>,
    debug: boolean,
    stopped?: () => boolean
  ): Effect.Effect<ReadonlyArray<Outcome>, FcmError> =>
    governor === undefined
      ? direct(slot, payload, targets, debug)
      : governor.run(
        targets.length,
        Effect.suspend(() => stopped?.() === true ? NOT_SENT : direct(slot, payload, targets, debug))
      )

  const direct = (
    slot: Slot,
    payload: P,
    targets: ReadonlyArray<string>,
    debug: boolean,
    clock?: Clock.Clock
  ): Effect.Effect<ReadonlyArray<Outcome>, FcmError> =>
    Effect.suspend(() => {
      const n = targets.length
      acquire(slot, n)
      const inFlightAtStart = clock === undefined ? 0 : places!.held()
      const startedAt = clock === undefined ? 0 : clock.unsafeCurrentTimeMillis()
      const started = performance.now()
      // send
      return Effect.matchEffect(wire.send(payload, targets), {
        onFailure: (error) => {
          unacquire(slot, n)
          return Effect.fail(error)
        },
        onSuccess: (outcomes) => {
          const millis = report(slot, n, started, outcomes)
          if (clock !== undefined) {
            places!.learn(startedAt, clock.unsafeCurrentTimeMillis() - startedAt, inFlightAtStart, outcomes)
          }
          if (!debug) return Effect.succeed(outcomes)
          return Effect.as(Effect.logDebug(debugLine(n, outcomes, millis)), outcomes)
        }
      })
    })

  /** A request's start: its targets counted in flight, on the slot and the gauge. */
  const acquire = (slot: Slot, n: number): void => {
    slot.inFlight += n
    inFlight.unsafeModify(n, NO_TAGS)
  }

  /** A request's end without an answer: its targets no longer in flight. */
  const unacquire = (slot: Slot, n: number): void => {
    slot.inFlight -= n
    inFlight.unsafeModify(-n, NO_TAGS)
  }

  /** A request's answer: its targets no longer in flight, its latency and outcomes counted; answers the latency. */
  const report = (slot: Slot, n: number, started: number, outcomes: ReadonlyArray<Outcome>): number => {
    unacquire(slot, n)
    const millis = performance.now() - started
    latency.unsafeUpdate(millis / 1000, NO_TAGS)
    recordOutcomes(outcomes)
    return millis
  }

  const debugLine = (n: number, outcomes: ReadonlyArray<Outcome>, millis: number): string =>
    `FCM ${name} request: ${n} target${n === 1 ? "" : "s"}, ${describeOutcomes(outcomes)} in ${millis.toFixed(1)} ms`

  const release = (slot: Slot): void => {
    if (slot.inFlight !== 0) inFlight.unsafeModify(-slot.inFlight, NO_TAGS)
    slot.inFlight = 0
  }

  const probe = (units: number): ConfigProbe | undefined =>
    misconfiguration === undefined
      ? undefined
      : new ConfigProbe(Math.min(CONFIG_CHECK_ANSWERS, units), misconfiguration.codes)

  /**
   * Sends the units at `indices` (every unit when `undefined`), each request's outcomes into `out` at their units'
   * indices as they arrive. A fixed set of workers takes the requests in turn, so a fan-out costs `concurrency`
   * fibers rather than one per request.
   *
   * The first error that fails the send stops the fan-out: no worker starts another request, but the requests
   * already on the wire are awaited (each is bounded by the request timeout), so that the outcome of every target the
   * server may have processed lands in `out`; then the attempt fails with that first error. Interrupting them instead
   * would report targets the server delivered as unanswered, and a caller resending `partial.retry()` would deliver
   * them twice.
   */
  const attempt = (
    units: Units<P>,
    indices: ReadonlyArray<number> | undefined,
    out: Array<Outcome | undefined>,
    check: ConfigProbe | undefined
  ): Effect.Effect<void, FcmError> =>
    Effect.flatMap(debugEnabled, (debug) => {
      const count = indices === undefined ? units.targets.length : indices.length
      const unitAt = indices === undefined ? (k: number) => k : (k: number) => indices[k]!
      let next = 0
      let failure: FcmError | undefined
      const stopped = () => failure !== undefined

      /** The end of the request that starts at position `from`: units sharing its payload, up to the batch size. */
      const requestEnd = (from: number): number => {
        if (batchSize === 1) return from + 1
        const payload = units.payload(unitAt(from))
        let to = from + 1
        while (to < count && to - from < batchSize && units.payload(unitAt(to)) === payload) to++
        return to
      }

      /** The targets of the request over positions [from, to). */
      const targetsOf = (from: number, to: number): ReadonlyArray<string> => {
        if (to - from === 1) return [units.targets[unitAt(from)]!]
        if (indices === undefined) return units.targets.slice(from, to)
        const some = new Array<string>(to - from)
        for (let k = from; k < to; k++) some[k - from] = units.targets[indices[k]!]!
        return some
      }

      /** A request that failed the send: stops the fan-out; under at-most-once, what FCM may have taken is unknown. */
      const failed = (error: FcmError, from: number, to: number): void => {
        failure ??= error
        if (atMostOnce && DeliveryRules.mayHaveBeenProcessed(error)) {
          // FCM took the request but its answer cannot be read: its targets may have been delivered
          const outcome = DeliveryRules.unreadable(error)
          const outcomes = new Array<Outcome>(to - from)
          for (let k = from; k < to; k++) out[unitAt(k)] = outcomes[k - from] = outcome
          recordOutcomes(outcomes)
        }
      }

      /** A request answered: its outcomes land; answers whether the send goes on (the configuration holds). */
      const answered = (outcomes: ReadonlyArray<Outcome>, from: number, to: number): boolean => {
        for (let k = from; k < to; k++) out[unitAt(k)] = outcomes[k - from]
        if (check !== undefined && !check.settled) {
          const code = check.note(outcomes)
          if (code !== undefined) {
            failure ??= misconfiguration!.error(code, check.seen)
            return false
          }
        }
        return true
      }

      const maxWorkers = Math.min(concurrency, Math.ceil(count / batchSize))
      if (places !== undefined && maxWorkers > 0) {
        /**
         * A worker's requests, one after the other: the answer's handlers are built once per worker and read the
         * request in progress from the worker's own variables, so that a request allocates no closures of its own.
         */
        const requests = (self: Worker, after: () => Effect.Effect<void>): Effect.Effect<void> => {
          const slot = self.slot
          let from = 0
          let to = 0
          let started = 0
          let startedAt = 0
          let inFlightAtStart = 0
          const handlers = {
            onFailure: (error: FcmError): Effect.Effect<void> => {
              unacquire(slot, to - from)
              failed(error, from, to)
              return Effect.void
            },
            onSuccess: (outcomes: ReadonlyArray<Outcome>): Effect.Effect<void> => {
              const n = to - from
              const millis = report(slot, n, started, outcomes)
              places.learn(startedAt, self.clock.unsafeCurrentTimeMillis() - startedAt, inFlightAtStart, outcomes)
              const then = answered(outcomes, from, to) ? after() : Effect.void
              return debug ? Effect.zipRight(Effect.logDebug(debugLine(n, outcomes, millis)), then) : then
            }
          }
          return Effect.suspend(() => {
            from = next
            to = requestEnd(from)
            next = to
            const targets = targetsOf(from, to)
            acquire(slot, to - from)
            inFlightAtStart = places.held()
            startedAt = self.clock.unsafeCurrentTimeMillis()
            started = performance.now()
            // send, then report
            return Effect.matchEffect(wire.send(units.payload(unitAt(from)), targets), handlers)
          })
        }
        return Effect.flatMap(
          followLimit(places, maxWorkers, () => next < count && failure === undefined, requests),
          () => failure === undefined ? Effect.void : Effect.fail(failure)
        )
      }

      const worker = (): Effect.Effect<void> => {
        const slot = new Slot()
        const step: Effect.Effect<void> = Effect.suspend(() => {
          if (failure !== undefined || next >= count) return Effect.void
          const from = next
          const to = requestEnd(from)
          next = to
          return Effect.matchEffect(request(slot, units.payload(unitAt(from)), targetsOf(from, to), debug, stopped), {
            onFailure: (error) => {
              failed(error, from, to)
              return Effect.void
            },
            onSuccess: (outcomes) => answered(outcomes, from, to) ? step : Effect.void
          })
        })
        return Effect.ensuring(step, Effect.sync(() => release(slot)))
      }
      const all = maxWorkers <= 1
        ? worker()
        : Effect.all(Array.from({ length: maxWorkers }, worker), { concurrency: "unbounded", discard: true })
      return Effect.flatMap(all, () => failure === undefined ? Effect.void : Effect.fail(failure))
    })

  /**
   * Workers that follow the governor's limit: each holds a place among the requests in flight for as long as it
   * works, so that a request takes no place of its own (nothing to wait for, nothing to give back per request). The
   * fan-out starts as many workers as there are free places (at least one), and after each request a worker
   *
   * - gives its place back when the limit fell below the places held, or another send waits for a place (the
   *   places then go round the waiting sends in turn); a worker without a place takes one again if one is free, else
   *   waits for one when no other worker of the fan-out does, else ends;
   * - otherwise starts more workers when the limit rose (free places and requests left).
   *
   * Each worker's place is given back when it ends, however it ends (one finalizer per worker): an interrupted fan-out
   * leaks none. `more()` says whether a request is left to send; `send` sends the next one and answers whether the
   * fan-out goes on. The fan-out ends when every worker has.
   */
  const followLimit = (
    places: Places,
    maxWorkers: number,
    more: () => boolean,
    requests: (self: Worker, after: () => Effect.Effect<void>) => Effect.Effect<void>
  ): Effect.Effect<void> =>
    Effect.clockWith((clock) =>
      Effect.scopeWith((scope) => {
        const done = Deferred.unsafeMake<void>(FiberId.none)
        const group: Group = { held: 0 }
        let live = 0
        let waiting = false

        const spawn = (n: number): Effect.Effect<void> => {
          live += n
          if (n === 1) return Effect.asVoid(Effect.forkIn(worker(), scope))
          const forks = new Array<Effect.Effect<unknown>>(n)
          for (let i = 0; i < n; i++) forks[i] = Effect.forkIn(worker(), scope)
          return Effect.all(forks, { discard: true })
        }

        const worker = (): Effect.Effect<void> => {
          const self: Worker = { holding: false, group, clock, slot: new Slot() }
          /** After a request that leaves the fan-out going: give the place back, start more workers, or go on. */
          const after = (): Effect.Effect<void> => {
            if (places.yielding(group)) {
              places.give(self)
              return step
            }
            if (live < maxWorkers && more()) {
              const spare = places.spare()
              if (spare > 0) return Effect.zipRight(spawn(Math.min(spare, maxWorkers - live)), step)
            }
            return step
          }
          const request = requests(self, after)
          const step: Effect.Effect<void> = Effect.suspend(() => {
            if (!more()) return Effect.void
            if (self.holding) return request
            if (places.tryTake(self)) return request
            // no place free: one worker of the fan-out waits for one while the fan-out holds less than its share
            if (waiting || !places.wanting(group)) return Effect.void
            waiting = true
            return Effect.flatMap(
              Effect.ensuring(places.take(self), Effect.sync(() => void (waiting = false))),
              // with a place, and still under its share: another worker waits for the next
              () => !waiting && live < maxWorkers && places.wanting(group) ? Effect.zipRight(spawn(1), step) : step
            )
          })
          return Effect.ensuring(
            step,
            Effect.sync(() => {
              places.give(self)
              release(self.slot)
              if (--live === 0) Deferred.unsafeDone(done, Exit.void)
            })
          )
        }

        const leave = places.join()
        return Effect.ensuring(
          Effect.zipRight(spawn(Math.max(1, Math.min(maxWorkers, places.spare()))), Deferred.await(done)),
          Effect.sync(leave)
        )
      })
    ).pipe(Effect.scoped)

  const sendAll = (units: Units<P>, check: boolean): Effect.Effect<Array<Outcome>, SendFailure> =>
    Effect.suspend(() => {
      const out = new Array<Outcome | undefined>(units.targets.length)
      return Effect.matchEffect(attempt(units, undefined, out, check ? probe(units.targets.length) : undefined), {
        onFailure: (error) => {
          const unanswered = retryableAfter(error)
          for (let i = 0; i < out.length; i++) out[i] ??= unanswered
          return Effect.fail(new SendFailure(error, out as Array<Outcome>))
        },
        onSuccess: () => Effect.succeed(out as Array<Outcome>)
      })
    })

  const retry = (
    units: Units<P>,
    outcomes: Array<Outcome>,
    schedule: Schedule.Schedule<unknown, Result>,
    view: (outcomes: ReadonlyArray<Outcome>) => Result<any>
  ): Effect.Effect<Array<Outcome>, SendFailure> =>
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
      const limited: Array<number | undefined> = []
      const backOff = (indices: ReadonlyArray<number> | undefined, now: number): void => {
        const count = indices === undefined ? outcomes.length : indices.length
        for (let k = 0; k < count; k++) {
          const i = indices === undefined ? k : indices[k]!
          const outcome = outcomes[i]!
          if (outcome._tag !== "Retryable" || outcome.notBefore === undefined) continue
          const times = limited[i] ?? 0
          limited[i] = times + 1
          outcomes[i] = Outcome.Retryable({
            reason: outcome.reason,
            retryAfterMillis: undefined,
            notBefore: Math.max(outcome.notBefore, now + Backoff.millis(backoffMillis, times))
          })
        }
      }
      backOff(undefined, yield* Clock.currentTimeMillis)
      let round = 0
      while (true) {
        let any = false
        for (let i = 0; i < outcomes.length; i++) {
          if (outcomes[i]!._tag === "Retryable") {
            any = true
            break
          }
        }
        if (!any) return outcomes
        const decided = yield* Clock.currentTimeMillis
        const proceed = yield* driver.next(view(outcomes)).pipe(Effect.option)
        if (Option.isNone(proceed)) return outcomes
        // the round resends the targets whose time has come
        const now = Math.max(yield* Clock.currentTimeMillis, decided + waited)
        const ready: Array<number> = []
        for (let i = 0; i < outcomes.length; i++) {
          const outcome = outcomes[i]!
          if (outcome._tag === "Retryable" && (outcome.notBefore === undefined || outcome.notBefore <= now)) {
            ready.push(i)
          }
        }
        if (ready.length === 0) continue
        round++
        retries.unsafeUpdate(ready.length, NO_TAGS)
        yield* Effect.logDebug(
          `FCM ${name} retry ${round}: ${ready.length} target${ready.length === 1 ? "" : "s"} sent again`
        )
        const answered = new Array<Outcome | undefined>(outcomes.length)
        const failed = yield* span(attempt(units, ready, answered, undefined), "FcmClient.retry", {
          "fcm.attempt": round
        }).pipe(Effect.flip, Effect.option)
        // A round that fails as a whole fails the send with what every round achieved: its unanswered targets
        // retryable with the error as their reason.
        const unanswered = Option.isSome(failed) ? retryableAfter(failed.value) : undefined
        for (const i of ready) outcomes[i] = answered[i] ?? unanswered ?? outcomes[i]!
        if (Option.isSome(failed)) return yield* Effect.fail(new SendFailure(failed.value, outcomes))
        backOff(ready, yield* Clock.currentTimeMillis)
      }
    })

  return {
    name,
    batchSize,
    concurrency,
    backoffMillis,
    misconfiguration,
    request,
    places,
    requestHeld: direct,
    probe,
    sendAll,
    retry,
    release,
    countError,
    span
  }
}
