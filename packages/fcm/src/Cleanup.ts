/**
 * Token cleanup: the loop every sender writes after a send, as a sink. Tokens whose app is gone (`notRegistered`) are
 * handed to your delete, tokens that FCM replaced (`canonical`) to your update, in batches (e.g. 500 tokens per
 * `DELETE`), while the outcomes stream in.
 *
 * @since 0.1.0
 */
import type * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Sink from "effect/Sink"
import type * as Result from "./Result.js"

/**
 * A token FCM replaced, and the token to store instead.
 *
 * @example
 * ```ts
 * import type { Cleanup } from "@effect-fcm/fcm"
 *
 * const replacement: Cleanup.Replacement = { token: "old-token", newToken: "new-token" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Replacement {
  readonly token: string
  readonly newToken: string
}

/**
 * What to do with dead and replaced tokens. Each callback gets a batch of at most `batchSize` tokens (500 by
 * default; a value below 1 counts as 1, a fraction is rounded down); batches are handed over one at a time, in the
 * order of the outcomes, and a kind without a callback is ignored. A failing callback fails the sink with its error,
 * and the batches not yet handed over are not.
 *
 * @example
 * ```ts
 * import type { Cleanup } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const options: Cleanup.Options<never, never> = {
 *   onNotRegistered: (tokens) => Effect.log(`delete ${tokens.length} tokens`),
 *   onCanonical: (replacements) => Effect.log(`replace ${replacements.length} tokens`),
 *   batchSize: 1000
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<E, R> {
  readonly onNotRegistered?: ((tokens: ReadonlyArray<string>) => Effect.Effect<unknown, E, R>) | undefined
  readonly onCanonical?:
    | ((replacements: ReadonlyArray<Replacement>) => Effect.Effect<unknown, E, R>)
    | undefined
  readonly batchSize?: number | undefined
}

/**
 * What a cleanup handed over: tokens to delete, tokens replaced, and the number of callback calls.
 *
 * @example
 * ```ts
 * import type { Cleanup } from "@effect-fcm/fcm"
 *
 * const report = (done: Cleanup.Summary) =>
 *   `${done.deleted} deleted and ${done.replaced} replaced in ${done.batches} batches`
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Summary {
  readonly deleted: number
  readonly replaced: number
  readonly batches: number
}

/**
 * The default number of tokens per callback call.
 *
 * @example
 * ```ts
 * import { Cleanup } from "@effect-fcm/fcm"
 *
 * assert.strictEqual(Cleanup.DEFAULT_BATCH_SIZE, 500)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BATCH_SIZE = 500

const batchSizeOf = (n: number | undefined): number =>
  n === undefined || Number.isNaN(n) ? DEFAULT_BATCH_SIZE : Math.max(1, Math.floor(n))

/** The batches of one cleanup run: what is waiting, what was handed over. */
const batcher = <E, R>(options: Options<E, R>) => {
  const size = batchSizeOf(options.batchSize)
  const { onCanonical, onNotRegistered } = options
  let dead: Array<string> = []
  let moved: Array<Replacement> = []
  let deleted = 0
  let replaced = 0
  let batches = 0
  const take = <A>(from: Array<A>): readonly [batch: Array<A>, rest: Array<A>] =>
    from.length > size ? [from.slice(0, size), from.slice(size)] : [from, []]
  // hands over the full batches, and with `all` the partial ones too, one after the other
  const flush = (all: boolean): Effect.Effect<void, E, R> =>
    Effect.suspend(() => {
      if (onNotRegistered !== undefined && (dead.length >= size || (all && dead.length > 0))) {
        const [batch, rest] = take(dead)
        dead = rest
        deleted += batch.length
        batches++
        return Effect.zipRight(onNotRegistered(batch), flush(all))
      }
      if (onCanonical !== undefined && (moved.length >= size || (all && moved.length > 0))) {
        const [batch, rest] = take(moved)
        moved = rest
        replaced += batch.length
        batches++
        return Effect.zipRight(onCanonical(batch), flush(all))
      }
      return Effect.void
    })
  return {
    dead: (token: string) => {
      if (onNotRegistered !== undefined) dead.push(token)
    },
    moved: (token: string, newToken: string) => {
      if (onCanonical !== undefined) moved.push({ token, newToken })
    },
    flush,
    summary: (): Summary => ({ deleted, replaced, batches })
  }
}

/**
 * A sink that runs the outcomes of a send (e.g. `FcmClient.sendStream`) into your token store: `notRegistered`
 * tokens to `onNotRegistered`, `canonical` ones to `onCanonical`, in batches of `batchSize`, the last partial
 * batches when the stream ends. It holds at most one batch of each kind, whatever the number of outcomes, and
 * results in what it handed over.
 *
 * @example
 * ```ts
 * import { Cleanup, Result } from "@effect-fcm/fcm"
 * import { Effect, Stream } from "effect"
 *
 * const deleted: Array<ReadonlyArray<string>> = []
 * const outcomes = Stream.make(
 *   { token: "a", outcome: Result.Outcome.NotRegistered({ code: "UNREGISTERED" }) },
 *   { token: "b", outcome: Result.Outcome.Delivered({ messageId: "0:1" }) },
 *   { token: "c", outcome: Result.Outcome.NotRegistered({ code: "UNREGISTERED" }) },
 *   { token: "d", outcome: Result.Outcome.NotRegistered({ code: "UNREGISTERED" }) }
 * )
 * const summary = Effect.runSync(
 *   Stream.run(
 *     outcomes,
 *     Cleanup.sink({ onNotRegistered: (tokens) => Effect.sync(() => deleted.push(tokens)), batchSize: 2 })
 *   )
 * )
 * assert.deepStrictEqual(deleted, [["a", "c"], ["d"]])
 * assert.deepStrictEqual(summary, { deleted: 3, replaced: 0, batches: 2 })
 * ```
 *
 * @since 0.1.0
 * @category sinks
 */
export const sink = <E = never, R = never>(
  options: Options<E, R>
): Sink.Sink<Summary, Result.TokenOutcome, never, E, R> =>
  Sink.suspend(() => {
    const batches = batcher(options)
    return Sink.forEachChunk((chunk: Chunk.Chunk<Result.TokenOutcome>) => {
      for (const { outcome, token } of chunk) {
        if (outcome._tag === "NotRegistered") batches.dead(token)
        else if (outcome._tag === "Canonical") batches.moved(token, outcome.newToken)
      }
      return batches.flush(false)
    }).pipe(Sink.mapEffect(() => Effect.map(batches.flush(true), batches.summary)))
  })

/**
 * The same cleanup for the {@link Result.Result} of a `send`: its `notRegistered` and `canonical` buckets, in
 * batches.
 *
 * @example
 * ```ts
 * import { Cleanup, Message, Result } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const result = Result.make(Message.multicast(["a", "b"]), [
 *   ["a", Result.Outcome.Canonical({ messageId: "0:1", newToken: "a2" })],
 *   ["b", Result.Outcome.NotRegistered({ code: "NotRegistered" })]
 * ])
 * const replaced: Array<Cleanup.Replacement> = []
 * const summary = Effect.runSync(
 *   Cleanup.fromResult(result, { onCanonical: (batch) => Effect.sync(() => replaced.push(...batch)) })
 * )
 * assert.deepStrictEqual(replaced, [{ token: "a", newToken: "a2" }])
 * assert.deepStrictEqual(summary, { deleted: 0, replaced: 1, batches: 1 })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromResult = <E = never, R = never>(
  result: Result.Result,
  options: Options<E, R>
): Effect.Effect<Summary, E, R> =>
  Effect.suspend(() => {
    const batches = batcher(options)
    for (const token of result.notRegistered) batches.dead(token)
    for (const [token, newToken] of result.canonical) batches.moved(token, newToken)
    return Effect.map(batches.flush(true), batches.summary)
  })
