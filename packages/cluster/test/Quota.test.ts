import { Quota } from "@effect-fcm/cluster"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, TestClock } from "effect"

const Shared = (perMinute: number) =>
  Quota.layerSql({ perMinute }).pipe(Layer.provide(SqliteClient.layer({ filename: ":memory:" })))

describe("Quota.layerSql", () => {
  it.effect("lets a second's budget through, then waits for the next second", () =>
    Effect.gen(function*() {
      const quota = yield* Quota.Quota
      yield* TestClock.setTime(10_000)
      yield* quota.take(50)
      yield* quota.take(50) // 100 a second: this second is full
      const next = yield* Effect.fork(quota.take(1))
      yield* TestClock.adjust("500 millis")
      assert.strictEqual(next.unsafePoll(), null, "waits while the second is full")
      yield* TestClock.adjust("500 millis")
      yield* Fiber.join(next)
    }).pipe(Effect.provide(Shared(6_000))))

  it.effect("a shared pause holds every taker until it ends; an earlier pause does not shorten it", () =>
    Effect.gen(function*() {
      const quota = yield* Quota.Quota
      yield* TestClock.setTime(10_000)
      yield* quota.pauseUntil(70_000) // QUOTA_EXCEEDED with a minute's Retry-After
      yield* quota.pauseUntil(20_000)
      assert.strictEqual(yield* quota.pausedUntil, 70_000)
      const taker = yield* Effect.fork(quota.take(1))
      yield* TestClock.adjust("59 seconds")
      assert.strictEqual(taker.unsafePoll(), null, "still paused")
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(taker)
    }).pipe(Effect.provide(Shared(600_000))))
})
