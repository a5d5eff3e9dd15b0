/**
 * What happened to each target of a send. Every target lands in exactly one bucket:
 *
 * - `success`: delivered (token → message id);
 * - `canonical`: delivered, but the device has a new token (token → new token): replace it in your database;
 * - `notRegistered`: the app was uninstalled or the token expired: delete it;
 * - `failed`: failed for good (token → FCM error code): fix or drop it;
 * - `retryable`: failed for now (token → reason): send again later, see {@link Result.retry} and {@link Result.delay}.
 *
 * @since 0.1.0
 */
import type { Chunk } from "effect"
import { Data, Duration, Option, Sink } from "effect"
import * as Backoff from "./Backoff.js"
import { ResultTypeId } from "./internal/resultId.js"
import * as Message from "./Message.js"

/**
 * The outcome of one target.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = Data.TaggedEnum<{
  Delivered: { readonly messageId: string }
  Canonical: { readonly messageId: string; readonly newToken: string }
  NotRegistered: { readonly code: string }
  Failed: { readonly code: string }
  Retryable: { readonly reason: string; readonly retryAfterMillis: number | undefined }
}>

/**
 * Constructors and matchers for {@link Outcome}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Outcome = Data.taggedEnum<Outcome>()

/**
 * A target together with its outcome: what a streamed send emits.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenOutcome {
  readonly token: string
  readonly outcome: Outcome
}

/**
 * The outcome of a send, per target, in the message's order.
 *
 * @since 0.1.0
 * @category models
 */
export class Result {
  /**
   * @since 0.1.0
   */
  readonly [ResultTypeId]: ResultTypeId = ResultTypeId

  /**
   * @param message the message that was sent (for a merged result, the first attempt's message)
   * @param outcomes one outcome per target, in the message's order
   * @param backoffMillis the base `B` of the backoff {@link Result.delay} falls back to
   */
  constructor(
    readonly message: Message.Message,
    readonly outcomes: ReadonlyMap<string, Outcome>,
    readonly backoffMillis: number = Backoff.DEFAULT_BASE_MILLIS
  ) {}

  #success: ReadonlyMap<string, string> | undefined
  #canonical: ReadonlyMap<string, string> | undefined
  #notRegistered: ReadonlyArray<string> | undefined
  #failed: ReadonlyMap<string, string> | undefined
  #retryable: ReadonlyMap<string, string> | undefined

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
   * The longest Retry-After the server asked for among the retryable targets, in milliseconds.
   *
   * @since 0.1.0
   */
  get retryAfterMillis(): number | undefined {
    let max: number | undefined
    for (const outcome of this.outcomes.values()) {
      if (outcome._tag === "Retryable" && outcome.retryAfterMillis !== undefined) {
        max = max === undefined ? outcome.retryAfterMillis : Math.max(max, outcome.retryAfterMillis)
      }
    }
    return max
  }

  /**
   * Whether some targets failed recoverably and should be sent again.
   *
   * @since 0.1.0
   */
  needsRetry(): boolean {
    for (const outcome of this.outcomes.values()) if (outcome._tag === "Retryable") return true
    return false
  }

  /**
   * The message to send next: the same options and payload, with only the retryable tokens, in their original
   * order. `None` when nothing needs a retry.
   *
   * @since 0.1.0
   */
  retry(): Option.Option<Message.Message> {
    const tokens = [...this.retryable.keys()]
    if (tokens.length === 0) return Option.none()
    if (this.message.tokens === undefined) return Option.some(this.message)
    return Option.some(Message.withTokens(this.message, tokens))
  }

  /**
   * How long to wait before attempt `attempt + 1` (counting from 0): the server's Retry-After when it gave one,
   * otherwise the backoff `B·2^attempt − ⌊B/2⌋ + U[0, B)` milliseconds.
   *
   * @param random returns a uniform integer in `[0, bound)`; defaults to `Math.random`
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
   * @since 0.1.0
   */
  merge(next: Result): Result {
    const outcomes = new Map(this.outcomes)
    for (const [token, outcome] of next.outcomes) outcomes.set(token, outcome)
    return new Result(this.message, outcomes, this.backoffMillis)
  }

  /**
   * Counts per bucket.
   *
   * @since 0.1.0
   */
  get counts(): {
    readonly success: number
    readonly canonical: number
    readonly notRegistered: number
    readonly failed: number
    readonly retryable: number
  } {
    return {
      success: this.success.size,
      canonical: this.canonical.size,
      notRegistered: this.notRegistered.length,
      failed: this.failed.size,
      retryable: this.retryable.size
    }
  }

  /**
   * A plain JSON view of the buckets, for reports.
   *
   * @since 0.1.0
   */
  toJSON(): {
    readonly success: Record<string, string>
    readonly canonical: Record<string, string>
    readonly notRegistered: ReadonlyArray<string>
    readonly failed: Record<string, string>
    readonly retryable: Record<string, string>
    readonly retryAfterMillis: number | null
  } {
    return {
      success: Object.fromEntries(this.success),
      canonical: Object.fromEntries(this.canonical),
      notRegistered: this.notRegistered,
      failed: Object.fromEntries(this.failed),
      retryable: Object.fromEntries(this.retryable),
      retryAfterMillis: this.retryAfterMillis ?? null
    }
  }

  #collect<Tag extends Outcome["_tag"]>(
    tag: Tag,
    value: (outcome: Extract<Outcome, { _tag: Tag }>) => string
  ): ReadonlyMap<string, string> {
    const out = new Map<string, string>()
    for (const [token, outcome] of this.outcomes) {
      if (outcome._tag === tag) out.set(token, value(outcome as Extract<Outcome, { _tag: Tag }>))
    }
    return out
  }
}

/**
 * Builds a result from the outcomes of a message's targets, in the message's order.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  message: Message.Message,
  outcomes: Iterable<readonly [string, Outcome]>,
  backoffMillis?: number
): Result => new Result(message, new Map(outcomes), backoffMillis)

/**
 * Folds streamed outcomes into a result, in arrival order.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromOutcomes = (
  message: Message.Message,
  outcomes: Iterable<TokenOutcome>,
  backoffMillis?: number
): Result => {
  const map = new Map<string, Outcome>()
  for (const { outcome, token } of outcomes) map.set(token, outcome)
  return new Result(message, map, backoffMillis)
}

/**
 * A sink that folds streamed outcomes into a {@link Result} for the message `template` (its `retry()` is the template
 * for the retryable tokens). It holds one entry per token; use {@link summarySink} when only the counts matter.
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
  }
}

type MutableSummary = { -readonly [K in keyof Summary]: K extends "failedByCode" ? Record<string, number> : number }

/**
 * A sink that counts streamed outcomes per bucket, in constant memory.
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
      failedByCode: {}
    } as MutableSummary,
    (summary, chunk: Chunk.Chunk<TokenOutcome>) => {
      for (const { outcome } of chunk) addToSummary(summary, outcome)
      return summary
    }
  )
)
