/**
 * A streamed send with retries that fails as a whole while some of its targets wait for a retry: the stream ends with
 * the failure, after the outcomes completed before it, and leaves nothing behind (no request, no retry sent later, no
 * target counted in flight, no place of the governor held).
 *
 * The server is scripted by event (the n-th request), the retry waits run on the `TestClock`, and a stream that never
 * ends is caught deterministically: nothing is left to answer, no timer is due, and the stream is still not done.
 */
import { FcmClient, FcmLegacy, Governor, Result } from "@effect-fcm/fcm"
import { AuthenticationError } from "@effect-fcm/fcm/FcmError"
import type { FcmError } from "@effect-fcm/fcm/FcmError"
import type { HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import {
  Cause,
  Chunk,
  Deferred,
  Effect,
  Exit,
  Fiber,
  Layer,
  Metric,
  Option,
  Redacted,
  Schedule,
  Stream,
  TestClock
} from "effect"
import { legacyServer } from "./support/legacyServer.js"

/** A legacy client without a request timeout: the test clock's timers are the retry waits alone. */
const legacy = (httpLayer: Layer.Layer<HttpClient.HttpClient>, concurrency: number) =>
  FcmLegacy.layer({ apiKey: Redacted.make("k"), concurrency, timeout: false }).pipe(Layer.provide(httpLayer))

/** 1000 tokens a legacy request: `requests` requests' worth. */
const tokens = (requests: number) => Stream.range(0, requests * 1000 - 1).pipe(Stream.map((i) => `t${i}`))

/** Retries one second apart, at most twice. */
const retry = Schedule.intersect(Schedule.spaced("1 second"), Schedule.recurs(2))

const inFlight = Metric.value(FcmClient.targetsInFlight.pipe(Metric.tagged("protocol", "legacy")))

/** A turn of the event loop (the stream's pool hands its results over on the next turn): an order, not a time. */
const nextTurn = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))

/** Lets every fiber run until `until` holds, for at most 100 turns of the event loop; answers whether it held. */
const settle = (until: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    for (let turn = 0; turn < 100; turn++) {
      if (yield* until) return true
      yield* nextTurn
    }
    return yield* until
  })

/**
 * Runs the stream to its end, or fails the test when it waits for nothing: the test clock still (no retry is due
 * before the test moves it), and the stream not done after the fibers ran for 100 turns of the event loop.
 */
const awaitEnd = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, stats: { readonly open: number }) =>
  Effect.gen(function*() {
    const done = Effect.sync(() => fiber.unsafePoll() !== null)
    if (!(yield* settle(done))) {
      assert.fail(`the stream waits for nothing: ${stats.open} requests open, the clock still, and it is not done`)
    }
    return yield* Fiber.await(fiber)
  })

describe("a streamed send that fails as a whole while targets wait for a retry", () => {
  it.effect("a request's failure ends the stream with it, after the outcomes completed before it", () =>
    Effect.gen(function*() {
      // request 0: retryable (its targets wait for a retry); request 1: delivered; request 2: held, then fails
      const go = yield* Deferred.make<void>()
      const fake = legacyServer(
        (index) => index === 0 ? "retryable" : index === 1 ? "ok" : "unauthorized",
        (index) => index === 2 ? go : undefined
      )
      yield* Effect.gen(function*() {
        const emitted: Array<string> = []
        const fiber = yield* FcmClient.sendStream(tokens(3), {}, { retry }).pipe(
          Stream.tap(({ token }) => Effect.sync(() => void emitted.push(token))),
          Stream.runDrain,
          Effect.forkDaemon
        )
        // the first request's targets wait for their retry, the second's are out, the third is on the wire
        const waiting = Effect.map(TestClock.sleeps(), (sleeps) => Chunk.size(sleeps) === 1)
        assert.isTrue(yield* settle(Effect.map(waiting, (w) => w && emitted.length === 1000 && fake.stats.open === 1)))
        yield* Deferred.succeed(go, void 0)

        const exit = yield* awaitEnd(fiber, fake.stats)
        assert.isTrue(Exit.isFailure(exit))
        const error = Option.getOrThrow(Cause.failureOption((exit as Exit.Failure<void, unknown>).cause))
        assert.strictEqual((error as { _tag: string })._tag, "AuthenticationError")
        // the outcomes of the request answered before the failure, none of the targets waiting for a retry
        assert.deepStrictEqual(emitted, [...fake.stats.requests[1]!])
        // nothing left behind: no request, no target counted in flight, and no retry when the clock moves on
        assert.strictEqual(fake.stats.open, 0)
        assert.strictEqual((yield* inFlight).value, 0)
        yield* TestClock.adjust("10 seconds")
        assert.strictEqual(fake.stats.requests.length, 3)
      }).pipe(Effect.provide(legacy(fake.layer, 3)))
    }))

  it.effect("a retry round's failure ends the stream with it while other targets wait for theirs", () =>
    Effect.gen(function*() {
      // requests 0 and 1: retryable; request 2 (the first retry round) fails; anything after it never answers
      const fake = legacyServer((index) => index < 2 ? "retryable" : index === 2 ? "unauthorized" : "hang")
      yield* Effect.gen(function*() {
        const emitted: Array<string> = []
        const fiber = yield* FcmClient.sendStream(tokens(2), {}, { retry }).pipe(
          Stream.tap(({ token }) => Effect.sync(() => void emitted.push(token))),
          Stream.runDrain,
          Effect.forkDaemon
        )
        const bothWaiting = Effect.map(TestClock.sleeps(), (sleeps) => Chunk.size(sleeps) === 2)
        assert.isTrue(yield* settle(bothWaiting))
        // both rounds are due: the first to go out fails as a whole, the other is interrupted (on the wire or not)
        yield* TestClock.adjust("1 second")

        const exit = yield* awaitEnd(fiber, fake.stats)
        assert.isTrue(Exit.isFailure(exit))
        const error = Option.getOrThrow(Cause.failureOption((exit as Exit.Failure<void, unknown>).cause))
        assert.strictEqual((error as { _tag: string })._tag, "AuthenticationError")
        assert.deepStrictEqual(emitted, [])
        assert.strictEqual(fake.stats.open, 0)
        assert.strictEqual(fake.stats.interrupted, fake.stats.requests.length - 3)
        assert.strictEqual((yield* inFlight).value, 0)
        yield* TestClock.adjust("10 seconds")
        assert.isAtMost(fake.stats.requests.length, 4)
      }).pipe(Effect.provide(legacy(fake.layer, 2)))
    }))

  it.effect("the stream's workers give the governor's places back when it fails", () =>
    Effect.gen(function*() {
      // one target a request: requests 0 and 1 retryable, request 2 held, then fails as a whole
      const governor = Governor.unsafeMake({ cap: 8, initial: 4, protocol: "stream-failure" })
      const go = yield* Deferred.make<void>()
      const stats = { requests: 0, open: 0 }
      const unavailable = Result.Outcome.Retryable({ reason: "UNAVAILABLE", retryAfterMillis: undefined })
      const client = FcmClient.make({
        name: "v1",
        batchSize: 1,
        concurrency: 8,
        backoffMillis: 10,
        governor,
        prepare: () =>
          Effect.succeed((targets) => {
            const index = stats.requests++
            const answer: Effect.Effect<ReadonlyArray<Result.Outcome>, FcmError> = index < 2
              ? Effect.succeed(targets.map(() => unavailable))
              : index === 2
              ? Effect.zipRight(Deferred.await(go), Effect.fail(new AuthenticationError({ reason: "scripted" })))
              : Effect.never
            return Effect.acquireUseRelease(
              Effect.sync(() => stats.open++),
              () => answer,
              () => Effect.sync(() => stats.open--)
            )
          })
      })
      const fiber = yield* client.sendStream(Stream.make("a", "b", "c"), {}, { retry }).pipe(
        Stream.runDrain,
        Effect.forkDaemon
      )
      const waiting = Effect.map(TestClock.sleeps(), (sleeps) => Chunk.size(sleeps) === 2 && stats.open === 1)
      assert.isTrue(yield* settle(waiting))
      yield* Deferred.succeed(go, void 0)

      const exit = yield* awaitEnd(fiber, stats)
      assert.isTrue(Exit.isFailure(exit))
      const error = Option.getOrThrow(Cause.failureOption((exit as Exit.Failure<void, FcmError>).cause))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual(stats.open, 0)
      assert.strictEqual(yield* governor.inFlight, 0)
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(stats.requests, 3)
    }))
})
