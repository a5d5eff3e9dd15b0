/**
 * Topic management: subscribing registration tokens to topics and unsubscribing them, through the Instance ID API
 * (`iid/v1:batchAdd` and `iid/v1:batchRemove`) with the same `Credentials` and `HttpClient` as HTTP v1 sends.
 *
 * A call takes one topic or several and any number of tokens: each topic's tokens go out in requests of at most
 * {@link MAX_TOKENS_PER_REQUEST}, a bounded number in flight, and the answer is a {@link Result} with, for every topic,
 * each token in exactly one bucket: `ok`, `notRegistered`, `invalid` or `retryable`. A 429 or a 5xx answer to one
 * request makes that request's tokens retryable, the rest of the call goes on; {@link Service.subscribeWithRetry}
 * sends only those tokens again, on a `Schedule`.
 *
 * This module is the service, its results and its retries; the protocol, free of I/O, is `internal/topics.ts`, and
 * the sending of one call (requests of at most 1,000 tokens, the pace, the access token and its 401) is
 * `internal/topicsSend.ts`.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Backoff from "./Backoff.js"
import * as Credentials from "./Credentials.js"
import type { FcmError, InvalidMessage } from "./FcmError.js"
import * as Governor from "./Governor.js"
import { checkBaseUrl, checkPositiveInt, checkTimeout } from "./internal/http.js"
import * as Topics from "./internal/topics.js"
import * as Send from "./internal/topicsSend.js"

/**
 * The Instance ID API's origin.
 *
 * @example
 * ```ts
 * import { FcmTopics } from "@effect-fcm/fcm"
 *
 * const production = FcmTopics.layer({ baseUrl: FcmTopics.DEFAULT_BASE_URL }) // the same as FcmTopics.layer()
 * const emulated = FcmTopics.layer({ baseUrl: "http://127.0.0.1:8085" })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_URL = "https://iid.googleapis.com"

/**
 * The most tokens one request carries: the Instance ID API's limit.
 *
 * @example
 * ```ts
 * import { FcmTopics } from "@effect-fcm/fcm"
 *
 * assert.strictEqual(FcmTopics.MAX_TOKENS_PER_REQUEST, 1000)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_TOKENS_PER_REQUEST: number = Topics.MAX_TOKENS_PER_REQUEST

/**
 * The default number of requests in flight during a call.
 *
 * @example
 * ```ts
 * import { FcmTopics } from "@effect-fcm/fcm"
 *
 * const Topics = FcmTopics.layer({ concurrency: FcmTopics.DEFAULT_CONCURRENCY * 2 })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CONCURRENCY = 4

/**
 * The rate of subscription changes (one token added to or removed from one topic) a service keeps to by default:
 * FCM's documented limit of 3,000 per second per project. Above it FCM answers 429 `RESOURCE_EXHAUSTED`.
 *
 * @example
 * ```ts
 * import { FcmTopics } from "@effect-fcm/fcm"
 *
 * // a project sharing its limit with another service: half of it
 * const Topics = FcmTopics.layer({ changesPerSecond: FcmTopics.DEFAULT_CHANGES_PER_SECOND / 2 })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CHANGES_PER_SECOND = 3000

/**
 * @example
 * ```ts
 * import { FcmTopics } from "@effect-fcm/fcm"
 *
 * const options: FcmTopics.Options = { concurrency: 2, timeout: "10 seconds" }
 * const Topics = FcmTopics.layer(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The Instance ID API's origin (default `https://iid.googleapis.com`); point it at an emulator in tests. */
  readonly baseUrl?: string | undefined
  /** Requests in flight at once during a call (default 4). */
  readonly concurrency?: number | undefined
  /** The longest one request may take before its tokens count as retryable (default 30 seconds). */
  readonly timeout?: Duration.DurationInput | undefined
  /** The backoff base of the default retry schedule, in milliseconds (default 1000). */
  readonly backoffMillis?: number | undefined
  /**
   * Subscription changes (a token added to or removed from a topic) per second the service keeps to, retries
   * included, shared by every call of the service (default 3,000, FCM's limit per project): the governor's token
   * bucket ({@link Governor.memoryStore}), a burst of one second's worth (at least one full request) at once, then
   * each request waits its turn on the `Clock`, in whole milliseconds. `false` sends without pacing.
   */
  readonly changesPerSecond?: number | false | undefined
}

/**
 * Why a token may succeed if sent again, and the server's Retry-After when it gave one.
 *
 * @example
 * ```ts
 * import type { FcmTopics } from "@effect-fcm/fcm"
 *
 * const retry: FcmTopics.Retry = { reason: "HTTP 503", retryAfterMillis: 30_000 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Retry {
  readonly reason: string
  readonly retryAfterMillis: number | undefined
}

/**
 * What happened to each token for one topic. Every token of the call is in exactly one bucket.
 *
 * - `ok`: subscribed (or unsubscribed).
 * - `notRegistered`: FCM does not know the token (`NOT_FOUND`): delete it.
 * - `invalid`: refused for this token, with FCM's code (`INVALID_ARGUMENT`, `TOO_MANY_TOPICS`,
 *   `PERMISSION_DENIED`, …): sending it again would meet the same refusal.
 * - `retryable`: may succeed later (a 429 or 5xx answer, a network failure, `INTERNAL`, `RESOURCE_EXHAUSTED`).
 *
 * @example
 * ```ts
 * import { FcmTopics } from "@effect-fcm/fcm"
 *
 * const news = new FcmTopics.TopicResult("news", ["token-1"], ["token-2"], new Map(), new Map())
 * assert.strictEqual(news.size, 2)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class TopicResult {
  constructor(
    /** The topic's name, without the `/topics/` prefix. */
    readonly topic: string,
    readonly ok: ReadonlyArray<string>,
    readonly notRegistered: ReadonlyArray<string>,
    /** Token → FCM's code. */
    readonly invalid: ReadonlyMap<string, string>,
    readonly retryable: ReadonlyMap<string, Retry>
  ) {}
  /**
   * The number of tokens, over the four buckets.
   *
   * @since 0.1.0
   */
  get size(): number {
    return this.ok.length + this.notRegistered.length + this.invalid.size + this.retryable.size
  }
}

/**
 * Subscribe or unsubscribe.
 *
 * @example
 * ```ts
 * import type { FcmTopics } from "@effect-fcm/fcm"
 *
 * const action: FcmTopics.Action = "subscribe"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Action = "subscribe" | "unsubscribe"

/**
 * The outcome of a call: a {@link TopicResult} per topic, in the order the call named them.
 *
 * @example
 * ```ts
 * import { FcmTopics } from "@effect-fcm/fcm"
 * import { Option } from "effect"
 *
 * const news = new FcmTopics.TopicResult("news", ["token-1"], [], new Map(), new Map())
 * const result = new FcmTopics.Result("subscribe", [news])
 * assert.ok(result.isComplete)
 * assert.deepStrictEqual(Option.map(result.get("/topics/news"), (t) => t.ok), Option.some(["token-1"]))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class Result {
  constructor(readonly action: Action, readonly topics: ReadonlyArray<TopicResult>) {}

  /**
   * The result of one topic, named with or without its `/topics/` prefix.
   *
   * @example
   * ```ts
   * import { FcmTopics } from "@effect-fcm/fcm"
   * import { Option } from "effect"
   *
   * const result = new FcmTopics.Result("unsubscribe", [])
   * assert.ok(Option.isNone(result.get("news")))
   * ```
   *
   * @since 0.1.0
   */
  get(topic: string): Option.Option<TopicResult> {
    const name = topic.startsWith("/topics/") ? topic.slice("/topics/".length) : topic
    return Option.fromNullable(this.topics.find((t) => t.topic === name))
  }

  /**
   * True when no token of any topic is retryable.
   *
   * @since 0.1.0
   */
  get isComplete(): boolean {
    return this.topics.every((t) => t.retryable.size === 0)
  }

  /**
   * The longest Retry-After among the retryable tokens, if any gave one.
   *
   * @since 0.1.0
   */
  get retryAfterMillis(): number | undefined {
    let longest: number | undefined
    for (const t of this.topics) {
      for (const retry of t.retryable.values()) {
        if (retry.retryAfterMillis !== undefined) longest = Math.max(longest ?? 0, retry.retryAfterMillis)
      }
    }
    return longest
  }
}

/**
 * How {@link Service.subscribeWithRetry} and {@link Service.unsubscribeWithRetry} retry: a `Schedule` fed the result
 * so far (default: `Backoff.schedule` at the layer's `backoffMillis`). A Retry-After longer than the schedule's delay
 * is waited for.
 *
 * @example
 * ```ts
 * import { FcmTopics } from "@effect-fcm/fcm"
 * import { Schedule } from "effect"
 *
 * const program = FcmTopics.subscribeWithRetry("news", ["token-1"], {
 *   schedule: Schedule.exponential("500 millis").pipe(Schedule.intersect(Schedule.recurs(3)))
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryOptions {
  readonly schedule?: Schedule.Schedule<unknown, Result> | undefined
}

/**
 * The errors that fail a call as a whole: a topic name or token refused before anything was sent
 * (`InvalidMessage` naming the field: `topic`, `topics[1]`, `tokens[3]`), a 400 answer (`InvalidMessage`), a 401
 * that persisted after one token refresh or a 403 (`AuthenticationError`), an answer that cannot be trusted
 * (`TransportError`).
 *
 * @example
 * ```ts
 * import type { FcmTopics } from "@effect-fcm/fcm"
 *
 * const explain = (error: FcmTopics.TopicsError) => error._tag
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export type TopicsError = FcmError

/**
 * Topic management.
 *
 * @example
 * ```ts
 * import { FcmTopics } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const topics = yield* FcmTopics.FcmTopics
 *   const result = yield* topics.subscribe(["news", "scores"], ["token-1", "token-2"])
 *   return result.topics.map((t) => `${t.topic}: ${t.ok.length} subscribed`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Subscribes every token to every topic, once. */
  readonly subscribe: (
    topics: string | ReadonlyArray<string>,
    tokens: ReadonlyArray<string>
  ) => Effect.Effect<Result, TopicsError>
  /** Unsubscribes every token from every topic, once. */
  readonly unsubscribe: (
    topics: string | ReadonlyArray<string>,
    tokens: ReadonlyArray<string>
  ) => Effect.Effect<Result, TopicsError>
  /** {@link Service.subscribe}, then the retryable tokens of each topic sent again on a schedule. */
  readonly subscribeWithRetry: (
    topics: string | ReadonlyArray<string>,
    tokens: ReadonlyArray<string>,
    options?: RetryOptions
  ) => Effect.Effect<Result, TopicsError>
  /** {@link Service.unsubscribe}, then the retryable tokens of each topic sent again on a schedule. */
  readonly unsubscribeWithRetry: (
    topics: string | ReadonlyArray<string>,
    tokens: ReadonlyArray<string>,
    options?: RetryOptions
  ) => Effect.Effect<Result, TopicsError>
}

/**
 * The topic management service.
 *
 * @example
 * ```ts
 * import { FcmTopics } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const program = Effect.flatMap(FcmTopics.FcmTopics, (topics) => topics.unsubscribe("news", ["token-1"]))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class FcmTopics extends Context.Tag("@effect-fcm/fcm/FcmTopics")<FcmTopics, Service>() {}

type Fatal = Send.Fatal
type Outcomes = Send.Outcomes

const resultOf = (action: Action, outcomes: Outcomes): Result =>
  new Result(
    action,
    Array.from(outcomes, ([wire, byToken]) => {
      const ok: Array<string> = []
      const notRegistered: Array<string> = []
      const invalid = new Map<string, string>()
      const retryable = new Map<string, Retry>()
      for (const [token, outcome] of byToken) {
        switch (outcome._tag) {
          case "Ok":
            ok.push(token)
            break
          case "NotRegistered":
            notRegistered.push(token)
            break
          case "Invalid":
            invalid.set(token, outcome.code)
            break
          case "Retryable":
            retryable.set(token, { reason: outcome.reason, retryAfterMillis: outcome.retryAfterMillis })
        }
      }
      return new TopicResult(wire.slice("/topics/".length), ok, notRegistered, invalid, retryable)
    })
  )

/**
 * Builds the service over the `HttpClient` and the `Credentials` in context.
 *
 * @example
 * ```ts
 * import { Credentials, FcmTopics } from "@effect-fcm/fcm"
 * import { FetchHttpClient } from "@effect/platform"
 * import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const topics = yield* FcmTopics.make()
 *   return yield* topics.subscribe("news", ["token-1"])
 * }).pipe(
 *   Effect.provide(Credentials.layerFile("service-account.json")),
 *   Effect.provide(FetchHttpClient.layer),
 *   Effect.provide(NodeFileSystem.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, ConfigError.ConfigError, HttpClient.HttpClient | Credentials.Credentials> =>
  Effect.gen(function*() {
    const credentials = yield* Credentials.Credentials
    const http = yield* HttpClient.HttpClient
    const baseUrl = yield* checkBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL)
    const timeout = yield* checkTimeout(options.timeout ?? Duration.seconds(30))
    const concurrency = yield* checkPositiveInt("concurrency", options.concurrency ?? DEFAULT_CONCURRENCY)
    const backoffMillis = yield* checkPositiveInt("backoffMillis", options.backoffMillis ?? Backoff.DEFAULT_BASE_MILLIS)
    const changesPerSecond = options.changesPerSecond === false
      ? undefined
      : yield* checkPositiveInt("changesPerSecond", options.changesPerSecond ?? DEFAULT_CHANGES_PER_SECOND)
    // the governor's token bucket, a second's worth at once (one full request when the rate is lower)
    const pace = changesPerSecond === undefined ? undefined : yield* Governor.memoryStore({
      perMinute: changesPerSecond * 60,
      burst: Math.max(changesPerSecond, Topics.MAX_TOKENS_PER_REQUEST)
    })
    const sendAll = Send.make({ credentials, http, baseUrl, timeout, concurrency, pace })

    const once = (
      action: Action,
      topics: string | ReadonlyArray<string>,
      tokens: ReadonlyArray<string>
    ): Effect.Effect<readonly [Result, Outcomes], Fatal> =>
      Effect.suspend(() => {
        const checked = Topics.check(topics, tokens)
        if (!Array.isArray(checked)) return Effect.fail(checked as InvalidMessage)
        const wires = checked as ReadonlyArray<string>
        // every token holds a place in its topic's map from the start, so buckets keep the call's token order
        const unsent = Topics.retryable("not sent", undefined)
        const outcomes: Outcomes = new Map(wires.map((wire) => [wire, new Map(tokens.map((t) => [t, unsent]))]))
        return sendAll(action, wires.map((wire) => [wire, tokens] as const), outcomes).pipe(
          Effect.map(() => [resultOf(action, outcomes), outcomes] as const)
        )
      })

    const withRetry = (
      action: Action,
      topics: string | ReadonlyArray<string>,
      tokens: ReadonlyArray<string>,
      retryOptions?: RetryOptions
    ): Effect.Effect<Result, Fatal> =>
      Effect.gen(function*() {
        const [first, outcomes] = yield* once(action, topics, tokens)
        const schedule = retryOptions?.schedule ?? Backoff.schedule({ baseMillis: backoffMillis })
        const driver = yield* Schedule.driver(honourRetryAfter(schedule))
        let result = first
        while (!result.isComplete) {
          const proceed = yield* driver.next(result).pipe(Effect.option)
          if (Option.isNone(proceed)) break
          const work: Array<readonly [string, ReadonlyArray<string>]> = []
          for (const t of result.topics) {
            if (t.retryable.size > 0) work.push([`/topics/${t.topic}`, [...t.retryable.keys()]])
          }
          yield* sendAll(action, work, outcomes)
          result = resultOf(action, outcomes)
        }
        return result
      })

    return {
      subscribe: (topics, tokens) =>
        Effect.map(once("subscribe", topics, tokens), ([result]) => result).pipe(
          Effect.withSpan("FcmTopics.subscribe")
        ),
      unsubscribe: (topics, tokens) =>
        Effect.map(once("unsubscribe", topics, tokens), ([result]) => result).pipe(
          Effect.withSpan("FcmTopics.unsubscribe")
        ),
      subscribeWithRetry: (topics, tokens, retryOptions) =>
        withRetry("subscribe", topics, tokens, retryOptions).pipe(Effect.withSpan("FcmTopics.subscribeWithRetry")),
      unsubscribeWithRetry: (topics, tokens, retryOptions) =>
        withRetry("unsubscribe", topics, tokens, retryOptions).pipe(Effect.withSpan("FcmTopics.unsubscribeWithRetry"))
    }
  })

/** The schedule's delay, lengthened to the longest Retry-After of the result it is fed. */
const honourRetryAfter = <Out>(
  schedule: Schedule.Schedule<Out, Result>
): Schedule.Schedule<[Out, Result], Result> =>
  Schedule.intersect(schedule, Schedule.identity<Result>()).pipe(
    Schedule.modifyDelay(([, result], delay) => {
      const retryAfter = result.retryAfterMillis
      return retryAfter === undefined ? delay : Duration.max(delay, Duration.millis(retryAfter))
    })
  )

/**
 * A layer of the topic management service; provide `Credentials` and an `HttpClient` to it.
 *
 * @example
 * ```ts
 * import { Credentials, FcmTopics, FcmV1 } from "@effect-fcm/fcm"
 * import { FetchHttpClient } from "@effect/platform"
 * import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
 * import { Layer } from "effect"
 *
 * const Fcm = Layer.mergeAll(FcmV1.layer(), FcmTopics.layer()).pipe(
 *   Layer.provide(Credentials.layerFile("service-account.json")),
 *   Layer.provide(FetchHttpClient.layer),
 *   Layer.provide(NodeFileSystem.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<FcmTopics, ConfigError.ConfigError, HttpClient.HttpClient | Credentials.Credentials> =>
  Layer.effect(FcmTopics, make(options))

/**
 * Subscribes the tokens to the topics once, with the service in context.
 *
 * @example
 * ```ts
 * import { FcmTopics } from "@effect-fcm/fcm"
 *
 * const program = FcmTopics.subscribe(["news", "scores"], ["token-1", "token-2"])
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const subscribe = (
  topics: string | ReadonlyArray<string>,
  tokens: ReadonlyArray<string>
): Effect.Effect<Result, TopicsError, FcmTopics> => Effect.flatMap(FcmTopics, (s) => s.subscribe(topics, tokens))

/**
 * Unsubscribes the tokens from the topics once, with the service in context.
 *
 * @example
 * ```ts
 * import { FcmTopics } from "@effect-fcm/fcm"
 *
 * const program = FcmTopics.unsubscribe("news", ["token-1"])
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const unsubscribe = (
  topics: string | ReadonlyArray<string>,
  tokens: ReadonlyArray<string>
): Effect.Effect<Result, TopicsError, FcmTopics> => Effect.flatMap(FcmTopics, (s) => s.unsubscribe(topics, tokens))

/**
 * Subscribes with retries of the retryable tokens only, with the service in context.
 *
 * @example
 * ```ts
 * import { Backoff, FcmTopics } from "@effect-fcm/fcm"
 *
 * const program = FcmTopics.subscribeWithRetry("news", ["token-1"], { schedule: Backoff.schedule({ retries: 3 }) })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const subscribeWithRetry = (
  topics: string | ReadonlyArray<string>,
  tokens: ReadonlyArray<string>,
  options?: RetryOptions
): Effect.Effect<Result, TopicsError, FcmTopics> =>
  Effect.flatMap(FcmTopics, (s) => s.subscribeWithRetry(topics, tokens, options))

/**
 * Unsubscribes with retries of the retryable tokens only, with the service in context.
 *
 * @example
 * ```ts
 * import { FcmTopics } from "@effect-fcm/fcm"
 *
 * const program = FcmTopics.unsubscribeWithRetry("news", ["token-1"])
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const unsubscribeWithRetry = (
  topics: string | ReadonlyArray<string>,
  tokens: ReadonlyArray<string>,
  options?: RetryOptions
): Effect.Effect<Result, TopicsError, FcmTopics> =>
  Effect.flatMap(FcmTopics, (s) => s.unsubscribeWithRetry(topics, tokens, options))
