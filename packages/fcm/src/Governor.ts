/**
 * The send-rate governor: what a client may send, and when. One mechanism with two parts, both fed by the answers:
 *
 * - **A rate budget** (opt-in): a token bucket at the project's quota (FCM's default is 600,000 messages a minute),
 *   so that a large send slows down before FCM answers 429. The bucket lives in a {@link Store}: in memory by
 *   default, or anywhere a store is written for (a SQL table shared by several processes, Redis), so that every
 *   sender of a project draws from the same budget.
 * - **An adaptive concurrency limit** (on by default in `FcmV1` and `FcmLegacy`): the requests in flight grow, in
 *   steps, while each step raises throughput and the limit is what holds the sender back, and shrink at once on a
 *   project's 429, a 5xx, a reset connection or a timeout, and in proportion when latency rises. The protocol's
 *   `concurrency` is its cap. A client's sends share the limit.
 *
 * The current limit is the gauge {@link concurrencyLimit}; the bucket's waits are the histogram {@link rateWait}.
 *
 * @since 0.1.0
 */
import type * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricKey from "effect/MetricKey"
import * as MetricLabel from "effect/MetricLabel"
import { AdaptiveLimit, defaults } from "./internal/adaptiveLimit.js"
import { type Holder, type Places, registry } from "./internal/places.js"
import type * as Result from "./Result.js"

/**
 * FCM's default project quota: 600,000 messages a minute.
 *
 * @example
 * ```ts
 * import { FcmV1, Governor } from "@effect-fcm/fcm"
 *
 * // at most the default quota, whatever the latency
 * const Fcm = FcmV1.layer({ governor: { perMinute: Governor.DEFAULT_PER_MINUTE } })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_PER_MINUTE = 600_000

/**
 * Where a rate budget is kept. `take(messages)` counts `messages` against the budget and answers how long, in
 * milliseconds, the caller must wait before sending them (0: now). Takes are reservations: a store answers waits
 * that keep the messages it has counted within its rate, in the order they were taken, so a caller that waits what
 * it is told never exceeds it. A store may also wait itself and answer 0.
 *
 * A store that can fail (a database, Redis) decides what a failure means: retry, or answer 0 and let the adaptive
 * limit react to FCM's answers.
 *
 * @example
 * ```ts
 * import { Governor } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * // a budget kept elsewhere, e.g. a service that answers how long to wait for n messages
 * declare const askBudget: (n: number) => Promise<number>
 * const store: Governor.Store = {
 *   take: (messages) => Effect.promise(() => askBudget(messages)).pipe(Effect.orElseSucceed(() => 0))
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Store {
  readonly take: (messages: number) => Effect.Effect<number>
}

/**
 * @example
 * ```ts
 * import type { Governor } from "@effect-fcm/fcm"
 *
 * // 1,000 messages a second, at most 1,000 at once
 * const options: Governor.BucketOptions = { perMinute: 60_000, burst: 1_000 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface BucketOptions {
  /** Messages a minute. */
  readonly perMinute: number
  /** Messages that may go at once when the bucket is full. Defaults to a second's worth (`perMinute / 60`). */
  readonly burst?: number | undefined
}

/**
 * A token bucket in memory, on the fiber's `Clock`: it starts full (`burst` messages), refills at `perMinute`, and
 * answers each take with the wait that keeps the messages within the rate. A take larger than the burst waits until
 * the bucket is full, then goes.
 *
 * @example
 * ```ts
 * import { Governor } from "@effect-fcm/fcm"
 * import { Effect, TestContext } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const store = Governor.unsafeMemoryStore({ perMinute: 60_000 }) // 1,000 a second
 *   assert.strictEqual(yield* store.take(1_000), 0) // the burst
 *   assert.strictEqual(yield* store.take(500), 500) // half a second later
 * })
 * // on a test clock, whose time stands still
 * Effect.runPromise(program.pipe(Effect.provide(TestContext.TestContext)))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMemoryStore = (options: BucketOptions): Store => {
  const perMillis = options.perMinute / 60_000
  const burst = Math.max(1, options.burst ?? options.perMinute / 60)
  let tokens = burst
  let last: number | undefined
  return {
    take: (messages) =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          const now = clock.unsafeCurrentTimeMillis()
          if (last !== undefined && now > last) tokens = Math.min(burst, tokens + (now - last) * perMillis)
          if (last === undefined || now > last) last = now
          tokens -= messages
          return tokens >= 0 ? 0 : Math.ceil(-tokens / perMillis)
        })
      )
  }
}

/**
 * {@link unsafeMemoryStore} as an effect: a budget to share between clients, given to each as `store`.
 *
 * @example
 * ```ts
 * import { FcmV1, Governor } from "@effect-fcm/fcm"
 * import { Effect, Layer } from "effect"
 *
 * // one budget for two clients of the same project
 * const Clients = Layer.unwrapEffect(Effect.map(Governor.memoryStore({ perMinute: 600_000 }), (store) =>
 *   Layer.mergeAll(
 *     FcmV1.layer({ governor: { store } }),
 *     FcmV1.layer({ governor: { store } })
 *   )
 * ))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const memoryStore = (options: BucketOptions): Effect.Effect<Store> =>
  Effect.sync(() => unsafeMemoryStore(options))

/**
 * How a client's requests are governed. Everything is optional: `{}` is the adaptive limit alone, with no rate
 * budget.
 *
 * @example
 * ```ts
 * import { FcmV1, Governor } from "@effect-fcm/fcm"
 *
 * // the project's quota as a budget, the adaptive limit between 16 and 2,000 requests in flight
 * const options: Governor.Options = { perMinute: Governor.DEFAULT_PER_MINUTE, min: 16 }
 * const Fcm = FcmV1.layer({ concurrency: 2_000, governor: options })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Messages a minute for the project: a token bucket in memory holds the client to it. Unset (the default), no rate
   * budget unless `store` is given.
   */
  readonly perMinute?: number | undefined
  /** Messages that may go at once when the bucket is full. Defaults to a second's worth (`perMinute / 60`). */
  readonly burst?: number | undefined
  /** The rate budget's store, e.g. one shared by every sender of the project. Takes precedence over `perMinute`. */
  readonly store?: Store | undefined
  /** Adapt the requests in flight to the answers (default `true`); `false` keeps them at the cap. */
  readonly adaptive?: boolean | undefined
  /** Requests in flight at first (defaults to the protocol's starting point, never above the cap). */
  readonly initial?: number | undefined
  /** The fewest requests in flight the limit shrinks to (default 1). */
  readonly min?: number | undefined
}

/**
 * A client's governor: {@link run} sends a request when the rate budget and the concurrency limit allow it, and learns
 * from its answer.
 *
 * @example
 * ```ts
 * import { Governor, Result } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const governor = Governor.unsafeMake({ cap: 64, initial: 8 })
 * const request = Effect.succeed([Result.Outcome.Delivered({ messageId: "1" })])
 * const program = Effect.gen(function*() {
 *   yield* governor.run(1, request)
 *   assert.strictEqual(yield* governor.limit, 8)
 * })
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Governor {
  /**
   * Runs `request`, for `messages` messages, once the rate budget has room for them and fewer requests than the limit
   * are in flight; then learns from its outcomes. A request that answers no outcome (it did not go) teaches nothing.
   */
  readonly run: <E, R>(
    messages: number,
    request: Effect.Effect<ReadonlyArray<Result.Outcome>, E, R>
  ) => Effect.Effect<ReadonlyArray<Result.Outcome>, E, R>
  /** The requests that may be in flight now. */
  readonly limit: Effect.Effect<number>
  /** The requests in flight now. */
  readonly inFlight: Effect.Effect<number>
}

/**
 * What a governor is made of: the options, the cap (the protocol's `concurrency`) and the `protocol` that tags its
 * metrics.
 *
 * @example
 * ```ts
 * import type { Governor } from "@effect-fcm/fcm"
 *
 * const config: Governor.MakeOptions = { cap: 800, initial: 256, perMinute: 600_000, protocol: "v1" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface MakeOptions extends Options {
  /** The most requests in flight. */
  readonly cap: number
  /** The `protocol` tag of the metrics (default `"none"`). */
  readonly protocol?: string | undefined
}

const limitKey = MetricKey.gauge("fcm_concurrency_limit", {
  description: "requests a client may have in flight now (its adaptive concurrency limit)"
})

/**
 * The requests a client may have in flight now, tagged `protocol`: its adaptive concurrency limit (or its cap, when
 * the limit does not adapt).
 *
 * @example
 * ```ts
 * import { Governor } from "@effect-fcm/fcm"
 * import { Effect, Metric } from "effect"
 *
 * const limit = Metric.value(Governor.concurrencyLimit.pipe(Metric.tagged("protocol", "v1"))).pipe(
 *   Effect.map((gauge) => gauge.value)
 * )
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const concurrencyLimit = Metric.fromMetricKey(limitKey)

// 1 ms to 33 s, doubling
const waitKey = MetricKey.histogram(
  "fcm_rate_limit_wait_seconds",
  MetricBoundaries.exponential({ start: 0.001, factor: 2, count: 16 }),
  "waits for room in the rate budget"
)

/**
 * The waits for room in the rate budget, in seconds, tagged `protocol`: one observation per request that had to wait
 * (`count` is how many waited, `sum` the time they waited).
 *
 * @example
 * ```ts
 * import { Governor } from "@effect-fcm/fcm"
 * import { Effect, Metric } from "effect"
 *
 * const waited = Metric.value(Governor.rateWait.pipe(Metric.tagged("protocol", "v1"))).pipe(
 *   Effect.map((histogram) => ({ waits: histogram.count, seconds: histogram.sum }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const rateWait = Metric.fromMetricKey(waitKey)

const NO_TAGS: ReadonlyArray<never> = []

/** The granularity of the bucket's waits, in milliseconds: waits end on a multiple of it. */
const TICK_MILLIS = 10

/**
 * Whether an answer says the server or the network could not take the request: a target retryable for the whole
 * send (a project's 429, a 5xx, a reset, a timeout) or whose fate is unknown (a connection lost mid-request). A
 * device's own rate limit (`notBefore`) is that device's, not the sender's.
 */
const isDropped = (outcomes: ReadonlyArray<Result.Outcome>): boolean => {
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i]!
    if ((o._tag === "Retryable" && o.notBefore === undefined) || o._tag === "Unknown") return true
  }
  return false
}

interface Waiter {
  readonly resume: (effect: Effect.Effect<number>) => void
  granted: boolean
  /** Who holds the place once granted (a worker of the engine), when not the waiter itself. */
  readonly holder: Holder | undefined
}

/**
 * Builds a governor. Its state (the limit, the in-memory bucket) lives as long as the value: a client keeps one for
 * all its sends.
 *
 * @example
 * ```ts
 * import { Governor } from "@effect-fcm/fcm"
 *
 * // the adaptive limit between 1 and 800, starting at 256, and the project's quota
 * const governor = Governor.unsafeMake({ cap: 800, initial: 256, perMinute: Governor.DEFAULT_PER_MINUTE })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake = (options: MakeOptions): Governor => {
  const cap = Math.max(1, Math.floor(options.cap))
  const min = Math.min(cap, Math.max(1, Math.floor(options.min ?? 1)))
  const adaptive = options.adaptive !== false
    ? new AdaptiveLimit({
      initial: Math.min(cap, Math.max(min, options.initial ?? cap)),
      min,
      max: cap,
      ...defaults
    })
    : undefined
  const store = options.store ??
    (options.perMinute === undefined ? undefined : unsafeMemoryStore({
      perMinute: options.perMinute,
      burst: options.burst
    }))
  const tags = [MetricLabel.make("protocol", options.protocol ?? "none")]
  const gauge = Metric.fromMetricKey(MetricKey.taggedWithLabels(limitKey, tags))
  const waits = Metric.fromMetricKey(MetricKey.taggedWithLabels(waitKey, tags))

  let inFlight = 0
  let limit = adaptive?.current ?? cap
  gauge.unsafeUpdate(limit, NO_TAGS)
  const waiters: Array<Waiter> = []

  const grant = (): void => {
    while (inFlight < limit && waiters.length > 0) {
      const waiter = waiters.shift()!
      waiter.granted = true
      if (waiter.holder !== undefined) {
        waiter.holder.holding = true
        waiter.holder.group.held++
      }
      inFlight++
      waiter.resume(Effect.succeed(inFlight))
    }
  }

  const release = (): void => {
    inFlight--
    grant()
  }

  /** Waits for a place among the requests in flight; answers the number in flight, itself included. */
  const waitTurn: Effect.Effect<number> = Effect.async<number>((resume) => {
    const waiter: Waiter = { resume, granted: false, holder: undefined }
    waiters.push(waiter)
    // places may have been given back since the caller looked
    grant()
    return Effect.sync(() => {
      if (waiter.granted) return release()
      const i = waiters.indexOf(waiter)
      if (i >= 0) waiters.splice(i, 1)
    })
  })

  const learn = (
    startedAt: number,
    latencyMillis: number,
    inFlightAtStart: number,
    outcomes: ReadonlyArray<Result.Outcome>
  ) => {
    if (adaptive === undefined || outcomes.length === 0) return
    const change = adaptive.update({
      startedAt,
      latencyMillis,
      inFlight: inFlightAtStart,
      dropped: isDropped(outcomes)
    })
    if (change === "none") return
    limit = adaptive.current
    gauge.unsafeUpdate(limit, NO_TAGS)
  }

  /** The groups (fan-outs) holding or wanting places: each one's share is the limit divided among them. */
  let groups = 0
  const share = (): number => Math.ceil(limit / Math.max(1, groups))
  const places: Places = {
    join: () => {
      groups++
      let joined = true
      return () => {
        if (joined) groups--
        joined = false
      }
    },
    tryTake: (holder) => {
      if (inFlight >= limit || waiters.length > 0) return false
      inFlight++
      holder.holding = true
      holder.group.held++
      return true
    },
    take: (holder) =>
      Effect.async<number>((resume) => {
        const waiter: Waiter = { resume, granted: false, holder }
        waiters.push(waiter)
        grant()
        return Effect.sync(() => {
          // a granted place is the holder's to give back
          if (waiter.granted) return
          const i = waiters.indexOf(waiter)
          if (i >= 0) waiters.splice(i, 1)
        })
      }),
    give: (holder) => {
      if (!holder.holding) return
      holder.holding = false
      holder.group.held--
      release()
    },
    yielding: (group) => inFlight > limit || (waiters.length > 0 && group.held > share()),
    wanting: (group) => group.held < share(),
    spare: () => (waiters.length === 0 && limit > inFlight ? limit - inFlight : 0),
    held: () => inFlight,
    learn
  }

  /**
   * The requests waiting for a tick share one timer: the first sleeps, the others await its wake-up; each checks the
   * time again when it wakes (a timer may fire early by the clock, and a first one interrupted early wakes the others
   * early), and one of them sleeps the rest.
   */
  const ticks = new Map<number, Deferred.Deferred<void>>()
  const sleepUntil = (wakeAt: number, clock: Clock.Clock): Effect.Effect<void> =>
    Effect.suspend(() => {
      const now = clock.unsafeCurrentTimeMillis()
      if (now >= wakeAt) return Effect.void
      const shared = ticks.get(wakeAt)
      if (shared !== undefined) return Effect.zipRight(Deferred.await(shared), sleepUntil(wakeAt, clock))
      const tick = Deferred.unsafeMake<void>(FiberId.none)
      ticks.set(wakeAt, tick)
      return Effect.ensuring(
        Effect.sleep(wakeAt - now),
        Effect.sync(() => {
          ticks.delete(wakeAt)
          Deferred.unsafeDone(tick, Exit.void)
        })
      ).pipe(
        // a timer may fire before the clock reads its time (an event loop's cached time): look again
        Effect.zipRight(Effect.suspend(() => sleepUntil(wakeAt, clock)))
      )
    })

  const takeRate = (messages: number, clock: Clock.Clock): Effect.Effect<void> =>
    store === undefined ? Effect.void : Effect.flatMap(store.take(messages), (millis) => {
      if (millis <= 0) return Effect.void
      // wake on the next tick after the wait
      const now = clock.unsafeCurrentTimeMillis()
      const wakeAt = Math.ceil((now + millis) / TICK_MILLIS) * TICK_MILLIS
      waits.unsafeUpdate((wakeAt - now) / 1000, NO_TAGS)
      return sleepUntil(wakeAt, clock)
    })

  const run = <E, R>(
    messages: number,
    request: Effect.Effect<ReadonlyArray<Result.Outcome>, E, R>
  ): Effect.Effect<ReadonlyArray<Result.Outcome>, E, R> =>
    Effect.clockWith((clock) => {
      const use = (atStart: number, restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>) => {
        const startedAt = clock.unsafeCurrentTimeMillis()
        return Effect.matchCauseEffect(restore(request), {
          onFailure: (cause) => {
            release()
            return Effect.failCause(cause)
          },
          onSuccess: (outcomes) => {
            learn(startedAt, clock.unsafeCurrentTimeMillis() - startedAt, atStart, outcomes)
            release()
            return Effect.succeed(outcomes)
          }
        })
      }
      // the place is taken and given back within one uninterruptible region: an interruption cannot leak it
      const gated = Effect.uninterruptibleMask((restore) =>
        inFlight < limit && waiters.length === 0
          ? use(++inFlight, restore)
          : Effect.flatMap(restore(waitTurn), (atStart) => use(atStart, restore))
      )
      return store === undefined ? gated : Effect.zipRight(takeRate(messages, clock), gated)
    })

  const governor: Governor = {
    run,
    limit: Effect.sync(() => limit),
    inFlight: Effect.sync(() => inFlight)
  }
  if (store === undefined) registry.set(governor, places)
  return governor
}

/**
 * {@link unsafeMake} as an effect.
 *
 * @example
 * ```ts
 * import { Governor } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const governor = yield* Governor.make({ cap: 100, adaptive: false })
 *   assert.strictEqual(yield* governor.limit, 100)
 * })
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: MakeOptions): Effect.Effect<Governor> => Effect.sync(() => unsafeMake(options))
