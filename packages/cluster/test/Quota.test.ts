import { Quota } from "@effect-fcm/cluster"
import { Emulator, FcmFake } from "@effect-fcm/emulator"
import { FcmClient, FcmLegacy, Message } from "@effect-fcm/fcm"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted, TestClock } from "effect"

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

describe("Quota.governorStore", () => {
  // legacy requests of 1,000 tokens; the emulator's bucket allows two of the quota's seconds at once, as the SQL
  // limiter's one-second slots may let a second's budget go at the end of one slot and again at the start of the next
  const fcm = (governor: FcmLegacy.Options["governor"]) =>
    FcmLegacy.layer({ apiKey: Redacted.make("emulator-server-key"), governor, timeout: false }).pipe(
      Layer.provideMerge(FcmFake.layer({ quota: { perMinute: 120_000, burst: 4_000 }, record: false }))
    )
  const send = Effect.gen(function*() {
    yield* TestClock.setTime(10_000)
    const tokens = Array.from({ length: 10_000 }, (_, i) => `device-${i}`)
    const fiber = yield* Effect.fork(FcmClient.send(Message.multicast(tokens, { data: { ping: "1" } })))
    yield* TestClock.adjust("10 seconds")
    const result = yield* Fiber.join(fiber)
    const counters = yield* Effect.flatMap(Emulator.Emulator, (emulator) => emulator.counters)
    return { result, refused: counters.statuses["429"] ?? 0 }
  })

  it.effect("holds an FCM client to the shared budget: no 429 from a project quota at the same rate", () =>
    Effect.gen(function*() {
      const quota = yield* Quota.Quota
      const { refused, result } = yield* send.pipe(Effect.provide(fcm({ store: Quota.governorStore(quota) })))
      assert.strictEqual(refused, 0)
      assert.strictEqual(result.success.size, 10_000)
    }).pipe(Effect.provide(Shared(120_000))))

  it.effect("without it, the same send is refused beyond the emulator's burst", () =>
    Effect.gen(function*() {
      const { refused } = yield* send.pipe(Effect.provide(fcm({})))
      assert.isAtLeast(refused, 6)
    }))
})
