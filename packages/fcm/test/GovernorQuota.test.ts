/**
 * The governor against an emulator that answers the project-quota 429 above a configured rate: a send five times the
 * quota's burst (50,000 tokens over legacy) with the governor's bucket at that rate gets no 429 and delivers every
 * token in one attempt; the same send without it is refused beyond the burst. Under TestClock, the emulator's quota
 * and the client's bucket on the same clock. (How long each takes is measured by the bench, not here.)
 */
import { Emulator, FcmFake } from "@effect-fcm/emulator"
import { Credentials, FcmClient, FcmLegacy, FcmV1, Governor, Message } from "@effect-fcm/fcm"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Metric, Option, Redacted, TestClock } from "effect"

const tokens = (n: number) => Array.from({ length: n }, (_, i) => `device-${i}`)

// legacy: FCM's default quota (10,000 a second), a second's burst; 50,000 tokens in 50 requests
const LEGACY_QUOTA = { perMinute: 600_000, burst: 10_000 }
// v1, one request a token: the same shape scaled down tenfold (1,000 a second, 5,000 tokens), which keeps the
// emulator's work per test small
const V1_QUOTA = { perMinute: 60_000, burst: 1_000 }

const v1 = (governor: FcmV1.Options["governor"]) =>
  Layer.unwrapEffect(Effect.map(Emulator.Emulator, (emulator) =>
    FcmV1.layer({ governor, timeout: false }).pipe(
      Layer.provide(Credentials.layerServiceAccount(emulator.serviceAccount))
    ))).pipe(Layer.provideMerge(FcmFake.layer({ quota: V1_QUOTA, record: false })))

const legacy = (governor: FcmLegacy.Options["governor"]) =>
  FcmLegacy.layer({ apiKey: Redacted.make("emulator-server-key"), governor, timeout: false }).pipe(
    Layer.provideMerge(FcmFake.layer({ quota: LEGACY_QUOTA, record: false }))
  )

/** The governor's bucket wakes its requests on ticks of 10 ms. */
const TICK = 10

/**
 * Sends once, driving the test clock by events: before each tick, it waits until the emulator has received every
 * message the quota allows by then (`burst` and `perMinute`'s refill, in requests of `size` messages), or the send
 * is done. A request the bucket let go is then never left between the client and the emulator while the clock jumps
 * (a jump would refill the emulator's full bucket for nothing and refuse the late request). Without a bucket, every
 * request is sent at once and the first wait is already met.
 */
const sendOnce = (n: number, quota: { readonly perMinute: number; readonly burst: number }, size = 1) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    const fiber = yield* Effect.fork(FcmClient.send(Message.multicast(tokens(n), { data: { ping: "1" } })))
    const allowedBy = (millis: number) =>
      Math.min(n, Math.floor((quota.burst + millis * quota.perMinute / 60_000) / size) * size)
    for (let now = 0; now <= 60_000; now += TICK) {
      const allowed = allowedBy(now)
      while (Option.isNone(yield* fiber.poll) && (yield* emulator.counters).messages < allowed) {
        yield* Effect.yieldNow()
      }
      if (Option.isSome(yield* fiber.poll)) break
      yield* TestClock.adjust(TICK)
    }
    const result = yield* Fiber.join(fiber)
    const counters = yield* emulator.counters
    return { result, refused: counters.statuses["429"] ?? 0 }
  })

describe("the governor against a project quota", () => {
  it.effect("v1: 5,000 tokens, five times the quota's burst, get no 429", () =>
    Effect.gen(function*() {
      const { refused, result } = yield* sendOnce(5_000, V1_QUOTA)
      assert.strictEqual(refused, 0)
      assert.strictEqual(result.success.size, 5_000)
      // the bucket held the send back: the 4,000 requests beyond the burst waited for room
      const waits = yield* Metric.value(Governor.rateWait.pipe(Metric.tagged("protocol", "v1")))
      assert.isAtLeast(waits.count, 4_000)
    }).pipe(Effect.provide(v1({ perMinute: V1_QUOTA.perMinute }))), { timeout: 120_000 })

  it.effect("v1: the same send without the bucket is refused beyond the burst", () =>
    Effect.gen(function*() {
      const { refused, result } = yield* sendOnce(5_000, V1_QUOTA)
      assert.strictEqual(refused, 4_000)
      assert.strictEqual(result.retryable.size, refused)
    }).pipe(Effect.provide(v1({}))), { timeout: 120_000 })

  it.effect(
    "legacy: 50,000 tokens in requests of 1,000, five times the quota's burst, get no 429",
    () =>
      Effect.gen(function*() {
        const { refused, result } = yield* sendOnce(50_000, LEGACY_QUOTA, 1_000)
        assert.strictEqual(refused, 0)
        assert.strictEqual(result.success.size, 50_000)
      }).pipe(Effect.provide(legacy({ perMinute: LEGACY_QUOTA.perMinute }))),
    { timeout: 120_000 }
  )

  it.effect(
    "legacy: without the bucket, the requests beyond the burst are refused whole",
    () =>
      Effect.gen(function*() {
        const { refused, result } = yield* sendOnce(50_000, LEGACY_QUOTA, 1_000)
        assert.strictEqual(refused, 40)
        assert.strictEqual(result.retryable.size, refused * 1_000)
      }).pipe(Effect.provide(legacy(false))),
    { timeout: 120_000 }
  )
})
