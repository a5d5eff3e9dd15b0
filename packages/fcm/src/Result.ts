/**
 * What happened to each target of a send. Every target lands in exactly one bucket:
 *
 * - `success`: delivered (token → message id);
 * - `canonical`: delivered, but the device has a new token (token → new token): replace it in your database;
 * - `notRegistered`: the app was uninstalled or the token expired: delete it;
 * - `failed`: failed for good (token → FCM error code): fix or drop it;
 * - `retryable`: failed for now (token → reason): send again later, see {@link Result.retry} and {@link Result.delay};
 * - `unknown`: at-most-once delivery only (`delivery: "atMostOnce"`): the request may have reached FCM but no answer
 *   says what it did (token → reason). Never sent again: it was delivered once or not at all.
 *
 * @since 0.1.0
 */
import type * as Chunk from "effect/Chunk"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Sink from "effect/Sink"
import * as Backoff from "./Backoff.js"
import { ResultTypeId } from "./internal/resultId.js"
import * as Message from "./Message.js"

/**
 * The outcome of one target.
 *
 * @example
 * ```ts
 * import { Result } from "@effect-fcm/fcm"
 *
 * const outcome: Result.Outcome = Result.Outcome.Failed({ code: "InvalidRegistration" })
 * assert.ok(Result.Outcome.$is("Failed")(outcome))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = Data.TaggedEnum<{
  Delivered: { readonly messageId: string }
  Canonical: { readonly messageId: string; readonly newToken: string }
  NotRegistered: { readonly code: string }
  Failed: { readonly code: string }
  Retryable: {
    readonly reason: string
    /** A wait that holds back the whole send: the server's Retry-After, a project or topic quota's minute. */
    readonly retryAfterMillis: number | undefined
    /**
     * For a limit of this target alone (a device's message rate): the time (the `Clock`'s, in milliseconds) before
     * which this target is not sent again. It holds back no other target.
     */
    readonly notBefore?: number | undefined
  }
  /**
   * At-most-once delivery only: the request may have reached FCM (the connection broke after it was written, no answer
   * within the timeout, an answer that cannot be read), so the target may or may not have been delivered. It is never
   * sent again.
   */
  Unknown: { readonly reason: string }
}>

/**
 * Constructors and matchers for {@link Outcome}.
 *
 * @example
 * ```ts
 * import { Result } from "@effect-fcm/fcm"
 *
 * const advice = Result.Outcome.$match({
 *   Delivered: ({ messageId }) => `sent as ${messageId}`,
 *   Canonical: ({ newToken }) => `sent; store the new token ${newToken}`,
 *   NotRegistered: () => "delete the token",
 *   Failed: ({ code }) => `drop the token: ${code}`,
 *   Retryable: ({ reason }) => `send again later: ${reason}`,
 *   Unknown: ({ reason }) => `delivered once or not at all: ${reason}`
 * })
 * assert.strictEqual(advice(Result.Outcome.NotRegistered({ code: "UNREGISTERED" })), "delete the token")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const Outcome = Data.taggedEnum<Outcome>()

/**
 * A target together with its outcome: what a streamed send emits.
 *
 * @example
 * ```ts
 * import { FcmClient, Result } from "@effect-fcm/fcm"
 * import { Effect, Stream } from "effect"
 *
 * const log = ({ outcome, token }: Result.TokenOutcome) => Effect.log(`${token}: ${outcome._tag}`)
 * const tokens = Stream.fromIterable(["token-1", "token-2"])
 * const program = FcmClient.sendStream(tokens, { data: { ping: "1" } }).pipe(Stream.tap(log), Stream.runDrain)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenOutcome {
  readonly token: string
  readonly outcome: Outcome
}

/**
 * The outcome of a send, per target, in the message's order. `M` is the type of the message that was sent: a
 * multicast {@link Message.Message}, or a `MessageV1` for `FcmV1.send`; {@link Result.retry} gives back a message of
 * that type.
 *
 * Its buckets are read-only views: `success` (token → message id), `canonical` (token → new token), `notRegistered`,
 * `failed` (token → code), `retryable` (token → reason) and `unknown` (token → reason; at-most-once delivery only),
 * with `retryAfterMillis` (the longest Retry-After asked for) and `counts` (the size of each bucket).
 *
 * @example
 * ```ts
 * import { Message, Result } from "@effect-fcm/fcm"
 *
 * const result = Result.make(Message.multicast(["a", "b", "c", "d", "e"]), [
 *   ["a", Result.Outcome.Delivered({ messageId: "0:1" })],
 *   ["b", Result.Outcome.Canonical({ messageId: "0:2", newToken: "b2" })],
 *   ["c", Result.Outcome.NotRegistered({ code: "NotRegistered" })],
 *   ["d", Result.Outcome.Failed({ code: "InvalidRegistration" })],
 *   ["e", Result.Outcome.Retryable({ reason: "Unavailable", retryAfterMillis: undefined })]
 * ])
 * assert.deepStrictEqual(result.counts, {
 *   success: 1,
 *   canonical: 1,
 *   notRegistered: 1,
 *   failed: 1,
 *   retryable: 1,
 *   unknown: 0
 * })
 * assert.deepStrictEqual([...result.canonical], [["b", "b2"]]) // replace b with b2 in your database
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class Result<M = Message.Message> {
  /**
   * The brand by which errors recognise the `Result` they carry as `partial`.
   *
   * @since 0.1.0
   * @internal
   */
  readonly [ResultTypeId]: ResultTypeId = ResultTypeId

  /**
   * @param message the message that was sent (for a merged result, the first attempt's message)
   * @param outcomes one outcome per target, in the message's order
   * @param backoffMillis the base `B` of the backoff {@link Result.delay} falls back to
   */
  constructor(
    readonly message: M,
    outcomes: ReadonlyMap<string, Outcome>,
    readonly backoffMillis: number = Backoff.DEFAULT_BASE_MILLIS
  ) {
    this.#outcomes = outcomes
  }

  /**
   * A result over its outcomes in arrays, as a send produces them: target `keys[i]` (the index `i` as a string when
   * `keys` is `undefined`) has `values[i]`. The map of `outcomes` and each bucket are built when first read. The
   * keys must be distinct.
   *
   * @since 0.1.0
   * @internal
   */
  static fromArrays<M>(
    message: M,
    keys: ReadonlyArray<string> | undefined,
    values: ReadonlyArray<Outcome>,
    backoffMillis?: number
  ): Result<M> {
    const result = new Result<M>(message, EMPTY, backoffMillis)
    result.#outcomes = undefined
    result.#keys = keys
    result.#values = values
    return result
  }

  /** @internal */
  #outcomes: ReadonlyMap<string, Outcome> | undefined
  /** @internal */
  #keys: ReadonlyArray<string> | undefined
  /** @internal */
  #values: ReadonlyArray<Outcome> | undefined

  /**
   * One outcome per target, in the message's order.
   *
   * @since 0.1.0
   */
  get outcomes(): ReadonlyMap<string, Outcome> {
    if (this.#outcomes === undefined) {
      const map = new Map<string, Outcome>()
      this.#each((key, outcome) => map.set(key, outcome))
      this.#outcomes = map
    }
    return this.#outcomes
  }

  /** @internal */
  #each(f: (key: string, outcome: Outcome) => void): void {
    const values = this.#values
    if (this.#outcomes !== undefined || values === undefined) {
      for (const [key, outcome] of this.#outcomes!) f(key, outcome)
      return
    }
    const keys = this.#keys
    for (let i = 0; i < values.length; i++) f(keys === undefined ? String(i) : keys[i]!, values[i]!)
  }

  /** @internal */
  #eachOutcome(): Iterable<Outcome> {
    return this.#outcomes === undefined && this.#values !== undefined ? this.#values : this.#outcomes!.values()
  }

  /** @internal */
  #success: ReadonlyMap<string, string> | undefined
  /** @internal */
  #canonical: ReadonlyMap<string, string> | undefined
  /** @internal */
  #notRegistered: ReadonlyArray<string> | undefined
  /** @internal */
  #failed: ReadonlyMap<string, string> | undefined
  /** @internal */
  #retryable: ReadonlyMap<string, string> | undefined
  /** @internal */
  #unknown: ReadonlyMap<string, string> | undefined

  /**
   * Delivered targets: token → message id.
   *
   * @since 0.1.0
   */
  get success(): ReadonlyMap<string, string> {
    return this.#success ??= this.#collect("Delivered", (o) => o.messageId)
  }

  /**
   * Delivered targets whose device has a new token: token → new token. Replace them in your database.
   *
   * @since 0.1.0
   */
  get canonical(): ReadonlyMap<string, string> {
    return this.#canonical ??= this.#collect("Canonical", (o) => o.newToken)
  }

  /**
   * Targets that are no longer registered (app uninstalled, token expired). Delete them.
   *
   * @since 0.1.0
   */
  get notRegistered(): ReadonlyArray<string> {
    return this.#notRegistered ??= [...this.#collect("NotRegistered", (o) => o.code).keys()]
  }

  /**
   * Targets that failed for good: token → FCM error code. They are never retried.
   *
   * @since 0.1.0
   */
  get failed(): ReadonlyMap<string, string> {
    return this.#failed ??= this.#collect("Failed", (o) => o.code)
  }

  /**
   * Targets that failed for now: token → reason (`Unavailable`, `InternalServerError`, `HTTP 503`, a timeout…).
   *
   * @since 0.1.0
   */
  get retryable(): ReadonlyMap<string, string> {
    return this.#retryable ??= this.#collect("Retryable", (o) => o.reason)
  }

  /**
   * Targets whose request may have reached FCM without an answer saying what it did: token → reason (`NetworkError:
   * …`, a timeout, an answer that cannot be read). Only a sender with `delivery: "atMostOnce"` reports them; each was
   * delivered once or not at all, and is never sent again: {@link Result.retry} leaves it out.
   *
   * @example
   * ```ts
   * import { Message, Result } from "@effect-fcm/fcm"
   * import { Option } from "effect"
   *
   * const result = Result.make(Message.multicast(["a", "b"]), [
   *   ["a", Result.Outcome.Unknown({ reason: "NetworkError: the connection was reset" })],
   *   ["b", Result.Outcome.Retryable({ reason: "Unavailable", retryAfterMillis: undefined })]
   * ])
   * assert.deepStrictEqual([...result.unknown.keys()], ["a"])
   * assert.deepStrictEqual(result.retry(), Option.some(Message.multicast(["b"]))) // never "a"
   * ```
   *
   * @since 0.1.0
   */
  get unknown(): ReadonlyMap<string, string> {
    return this.#unknown ??= this.#collect("Unknown", (o) => o.reason)
  }

  /**
   * The longest Retry-After the server asked for among the retryable targets, in milliseconds: the wait that holds
   * back the whole send. A target limited alone (its outcome has `notBefore`) does not count.
   *
   * @since 0.1.0
   */
  get retryAfterMillis(): number | undefined {
    let max: number | undefined
    for (const outcome of this.#eachOutcome()) {
      if (outcome._tag === "Retryable" && outcome.retryAfterMillis !== undefined && outcome.notBefore === undefined) {
        max = max === undefined ? outcome.retryAfterMillis : Math.max(max, outcome.retryAfterMillis)
      }
    }
    return max
  }

  /**
   * Whether some targets failed recoverably and should be sent again.
   *
   * @example
   * ```ts
   * import { Message, Result } from "@effect-fcm/fcm"
   *
   * const result = Result.make(Message.multicast(["a"]), [
   *   ["a", Result.Outcome.Retryable({ reason: "Unavailable", retryAfterMillis: undefined })]
   * ])
   * assert.ok(result.needsRetry())
   * ```
   *
   * @since 0.1.0
   */
  needsRetry(): boolean {
    for (const outcome of this.#eachOutcome()) if (outcome._tag === "Retryable") return true
    return false
  }

  /**
   * The message to send next: the same options and payload, with only the retryable tokens, in their original
   * order; a message with a single target (a topic, a condition, a v1 message) is sent again as it is. `None` when
   * nothing needs a retry.
   *
   * @example
   * ```ts
   * import { Message, Result } from "@effect-fcm/fcm"
   * import { Option } from "effect"
   *
   * const result = Result.make(Message.multicast(["a", "b"], { data: { ping: "1" } }), [
   *   ["a", Result.Outcome.Delivered({ messageId: "0:1" })],
   *   ["b", Result.Outcome.Retryable({ reason: "Unavailable", retryAfterMillis: undefined })]
   * ])
   * assert.deepStrictEqual(result.retry(), Option.some(Message.multicast(["b"], { data: { ping: "1" } })))
   * ```
   *
   * @since 0.1.0
   */
  retry(): Option.Option<M> {
    const tokens = [...this.retryable.keys()]
    if (tokens.length === 0) return Option.none()
    if (Array.isArray(this.message)) {
      // a result of many messages (FcmV1.sendEach) is keyed by each message's index
      const messages = this.message as ReadonlyArray<unknown>
      return Option.some(tokens.map((index) => messages[Number(index)]) as M)
    }
    const message = this.message as Message.Message
    if (message === null || typeof message !== "object" || message.tokens === undefined) {
      return Option.some(this.message)
    }
    return Option.some(Message.withTokens(message, tokens) as M)
  }

  /**
   * How long to wait before attempt `attempt + 1` (counting from 0): the server's Retry-After when it gave one,
   * otherwise the backoff `B·2^attempt − ⌊B/2⌋ + U[0, B)` milliseconds.
   *
   * @param random returns a uniform integer in `[0, bound)`; defaults to `Math.random`
   * @example
   * ```ts
   * import { Message, Result } from "@effect-fcm/fcm"
   * import { Duration } from "effect"
   *
   * const busy = Result.make(Message.multicast(["a"]), [
   *   ["a", Result.Outcome.Retryable({ reason: "Unavailable", retryAfterMillis: 30_000 })]
   * ])
   * assert.strictEqual(Duration.toMillis(busy.delay(0)), 30_000) // the server's Retry-After
   * ```
   *
   * @since 0.1.0
   */
  delay(attempt: number = 0, random?: (bound: number) => number): Duration.Duration {
    const retryAfter = this.retryAfterMillis
    if (retryAfter !== undefined) return Duration.millis(retryAfter)
    return Duration.millis(Backoff.millis(this.backoffMillis, attempt, random))
  }

  /**
   * Merges a later attempt into this result: each target of `next` takes its new outcome, every other target keeps
   * the one it had. The order stays the order of the first message.
   *
   * @example
   * ```ts
   * import { Message, Result } from "@effect-fcm/fcm"
   *
   * const message = Message.multicast(["a", "b"])
   * const first = Result.make(message, [
   *   ["a", Result.Outcome.Delivered({ messageId: "0:1" })],
   *   ["b", Result.Outcome.Retryable({ reason: "Unavailable", retryAfterMillis: undefined })]
   * ])
   * const second = Result.make(Message.withTokens(message, ["b"]), [
   *   ["b", Result.Outcome.Delivered({ messageId: "0:2" })]
   * ])
   * assert.deepStrictEqual([...first.merge(second).success.keys()], ["a", "b"])
   * ```
   *
   * @since 0.1.0
   */
  merge(next: Result<unknown>): Result<M> {
    const outcomes = new Map(this.outcomes)
    for (const [token, outcome] of next.outcomes) outcomes.set(token, outcome)
    return new Result(this.message, outcomes, this.backoffMillis)
  }

  /**
   * Counts per bucket: a {@link Summary} without its `total` and `failedByCode`.
   *
   * @since 0.1.0
   */
  get counts(): Omit<Summary, "total" | "failedByCode"> {
    const values = this.#values
    if (this.#outcomes === undefined && values !== undefined) {
      // the array form's keys are distinct: a bucket's size is the number of outcomes of its tag, counted without
      // building the buckets (a 100,000-token send would build a map of 100,000 entries to read its size)
      const counts = { success: 0, canonical: 0, notRegistered: 0, failed: 0, retryable: 0, unknown: 0 }
      for (let i = 0; i < values.length; i++) {
        switch (values[i]!._tag) {
          case "Delivered":
            counts.success++
            break
          case "Canonical":
            counts.canonical++
            break
          case "NotRegistered":
            counts.notRegistered++
            break
          case "Failed":
            counts.failed++
            break
          case "Retryable":
            counts.retryable++
            break
          case "Unknown":
            counts.unknown++
        }
      }
      return counts
    }
    return {
      success: this.success.size,
      canonical: this.canonical.size,
      notRegistered: this.notRegistered.length,
      failed: this.failed.size,
      retryable: this.retryable.size,
      unknown: this.unknown.size
    }
  }

  /**
   * A plain JSON view of the buckets, for reports.
   *
   * @example
   * ```ts
   * import { Message, Result } from "@effect-fcm/fcm"
   *
   * const result = Result.make(Message.multicast(["a"]), [["a", Result.Outcome.Delivered({ messageId: "0:1" })]])
   * assert.strictEqual(
   *   JSON.stringify(result),
   *   `{"success":{"a":"0:1"},"canonical":{},"notRegistered":[],"failed":{},"retryable":{},"unknown":{},` +
   *     `"retryAfterMillis":null}`
   * )
   * ```
   *
   * @since 0.1.0
   */
  toJSON(): {
    readonly success: Record<string, string>
    readonly canonical: Record<string, string>
    readonly notRegistered: ReadonlyArray<string>
    readonly failed: Record<string, string>
    readonly retryable: Record<string, string>
    readonly unknown: Record<string, string>
    readonly retryAfterMillis: number | null
  } {
    return {
      success: Object.fromEntries(this.success),
      canonical: Object.fromEntries(this.canonical),
      notRegistered: this.notRegistered,
      failed: Object.fromEntries(this.failed),
      retryable: Object.fromEntries(this.retryable),
      unknown: Object.fromEntries(this.unknown),
      retryAfterMillis: this.retryAfterMillis ?? null
    }
  }

  /** @internal */
  #collect<Tag extends Outcome["_tag"]>(
    tag: Tag,
    value: (outcome: Extract<Outcome, { _tag: Tag }>) => string
  ): ReadonlyMap<string, string> {
    const out = new Map<string, string>()
    this.#each((token, outcome) => {
      if (outcome._tag === tag) out.set(token, value(outcome as Extract<Outcome, { _tag: Tag }>))
    })
    return out
  }
}

const EMPTY: ReadonlyMap<string, Outcome> = new Map()

/**
 * Builds a result from the outcomes of a message's targets, in the message's order.
 *
 * @example
 * ```ts
 * import { Message, Result } from "@effect-fcm/fcm"
 *
 * const message = Message.multicast(["a", "b"])
 * const result = Result.make(message, [
 *   ["a", Result.Outcome.Delivered({ messageId: "0:1" })],
 *   ["b", Result.Outcome.NotRegistered({ code: "NotRegistered" })]
 * ])
 * assert.deepStrictEqual(result.notRegistered, ["b"])
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <M = Message.Message>(
  message: M,
  outcomes: Iterable<readonly [string, Outcome]>,
  backoffMillis?: number
): Result<M> => new Result(message, new Map(outcomes), backoffMillis)

/**
 * Folds streamed outcomes into a result, in arrival order.
 *
 * @example
 * ```ts
 * import { Message, Result } from "@effect-fcm/fcm"
 *
 * const streamed: ReadonlyArray<Result.TokenOutcome> = [
 *   { token: "b", outcome: Result.Outcome.Delivered({ messageId: "0:2" }) },
 *   { token: "a", outcome: Result.Outcome.Failed({ code: "InvalidRegistration" }) }
 * ]
 * const result = Result.fromOutcomes(Message.multicast(["a", "b"]), streamed)
 * assert.deepStrictEqual([...result.failed], [["a", "InvalidRegistration"]])
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromOutcomes = <M = Message.Message>(
  message: M,
  outcomes: Iterable<TokenOutcome>,
  backoffMillis?: number
): Result<M> => {
  const map = new Map<string, Outcome>()
  for (const { outcome, token } of outcomes) map.set(token, outcome)
  return new Result(message, map, backoffMillis)
}

/**
 * A sink that folds streamed outcomes into a {@link Result} for the message `template` (its `retry()` is the template
 * for the retryable tokens). It holds one entry per token; use {@link summarySink} when only the counts matter.
 *
 * @example
 * ```ts
 * import { Result } from "@effect-fcm/fcm"
 * import { Effect, Option, Stream } from "effect"
 *
 * const outcomes = Stream.make(
 *   { token: "a", outcome: Result.Outcome.Delivered({ messageId: "0:1" }) },
 *   { token: "b", outcome: Result.Outcome.Retryable({ reason: "Unavailable", retryAfterMillis: undefined }) }
 * )
 * const result = Effect.runSync(Stream.run(outcomes, Result.sink({ data: { ping: "1" } })))
 * assert.deepStrictEqual(result.retry(), Option.some({ data: { ping: "1" }, tokens: ["b"] }))
 * ```
 *
 * @since 0.1.0
 * @category sinks
 */
export const sink = (
  template: Message.Options,
  backoffMillis?: number
): Sink.Sink<Result, TokenOutcome> =>
  Sink.foldLeftChunks(new Map<string, Outcome>(), (map, chunk: Chunk.Chunk<TokenOutcome>) => {
    for (const { outcome, token } of chunk) map.set(token, outcome)
    return map
  }).pipe(Sink.map((map) => new Result(Message.multicast([...map.keys()], template), map, backoffMillis)))

/**
 * Counts of a streamed send: per bucket, and failures per error code. Constant memory whatever the number of tokens.
 *
 * @example
 * ```ts
 * import type { Result } from "@effect-fcm/fcm"
 *
 * const report = (summary: Result.Summary): string =>
 *   `${summary.success} of ${summary.total} delivered, ${summary.notRegistered} to delete, ` +
 *   Object.entries(summary.failedByCode).map(([code, n]) => `${n} × ${code}`).join(", ")
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Summary {
  readonly total: number
  readonly success: number
  readonly canonical: number
  readonly notRegistered: number
  readonly failed: number
  readonly retryable: number
  /** Targets that may or may not have been delivered (at-most-once delivery only). */
  readonly unknown: number
  readonly failedByCode: Readonly<Record<string, number>>
}

const addToSummary = (summary: MutableSummary, outcome: Outcome): void => {
  summary.total++
  switch (outcome._tag) {
    case "Delivered":
      summary.success++
      break
    case "Canonical":
      summary.canonical++
      break
    case "NotRegistered":
      summary.notRegistered++
      break
    case "Failed":
      summary.failed++
      summary.failedByCode[outcome.code] = (summary.failedByCode[outcome.code] ?? 0) + 1
      break
    case "Retryable":
      summary.retryable++
      break
    case "Unknown":
      summary.unknown++
  }
}

type MutableSummary = { -readonly [K in keyof Summary]: K extends "failedByCode" ? Record<string, number> : number }

/**
 * A sink that counts streamed outcomes per bucket, in constant memory.
 *
 * @example
 * ```ts
 * import { Result } from "@effect-fcm/fcm"
 * import { Effect, Stream } from "effect"
 *
 * const outcomes = Stream.make(
 *   { token: "a", outcome: Result.Outcome.Delivered({ messageId: "0:1" }) },
 *   { token: "b", outcome: Result.Outcome.Failed({ code: "InvalidRegistration" }) }
 * )
 * const summary = Effect.runSync(Stream.run(outcomes, Result.summarySink))
 * assert.deepStrictEqual([summary.total, summary.success, summary.failedByCode], [2, 1, { InvalidRegistration: 1 }])
 * ```
 *
 * @since 0.1.0
 * @category sinks
 */
export const summarySink: Sink.Sink<Summary, TokenOutcome> = Sink.suspend(() =>
  Sink.foldLeftChunks(
    {
      total: 0,
      success: 0,
      canonical: 0,
      notRegistered: 0,
      failed: 0,
      retryable: 0,
      unknown: 0,
      failedByCode: {}
    } as MutableSummary,
    (summary, chunk: Chunk.Chunk<TokenOutcome>) => {
      for (const { outcome } of chunk) addToSummary(summary, outcome)
      return summary
    }
  )
)
