/**
 * The governor's effects: the token bucket holds the configured rate to within one batch (under TestClock), the
 * concurrency limit bounds the requests in flight and follows the answers, its gauge shows it, and an interrupted
 * waiter gives its place back.
 */
import { Credentials, FcmClient, FcmLegacy, FcmV1, Governor, Message, Result } from "@effect-fcm/fcm"
import { InvalidMessage } from "@effect-fcm/fcm/FcmError"
import { HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Deferred, Duration, Effect, Fiber, Layer, Metric, Redacted, TestClock } from "effect"
import { clientOf, counted, countTurns, delivered, inFlight, names } from "./support/places.js"

const overloaded: ReadonlyArray<Result.Outcome> = [
  Result.Outcome.Retryable({ reason: "RESOURCE_EXHAUSTED", retryAfterMillis: 60_000 })
]
const deviceLimited: ReadonlyArray<Result.Outcome> = [
  Result.Outcome.Retryable({ reason: "QUOTA_EXCEEDED", retryAfterMillis: undefined, notBefore: 1_000 })
]

describe("Governor.unsafeMemoryStore", () => {
  it.effect("answers the waits that keep takes at the rate, after a full bucket's burst", () =>
    Effect.gen(function*() {
      const store = Governor.unsafeMemoryStore({ perMinute: 60_000, burst: 100 }) // 1 a millisecond
      assert.strictEqual(yield* store.take(100), 0)
      assert.strictEqual(yield* store.take(1), 1)
      assert.strictEqual(yield* store.take(10), 11)
      yield* TestClock.adjust(11)
      assert.strictEqual(yield* store.take(1), 1) // the bucket is empty again, not refilled past its reservations
      yield* TestClock.adjust(1_000)
      assert.strictEqual(yield* store.take(100), 0) // full again, never more than the burst
      assert.strictEqual(yield* store.take(1), 1)
    }))

  it.effect("lets a take larger than the burst go once the bucket is full", () =>
    Effect.gen(function*() {
      const store = Governor.unsafeMemoryStore({ perMinute: 60_000, burst: 10 })
      assert.strictEqual(yield* store.take(1_000), 990)
    }))
})

describe("Governor.run", () => {
  it.effect("holds the configured rate within one batch", () =>
    Effect.gen(function*() {
      const perMinute = 120_000 // 2 a millisecond
      const burst = 500
      const batch = 10
      const governor = Governor.unsafeMake({ cap: 1_000, adaptive: false, perMinute, burst })
      const started: Array<number> = []
      const request = Effect.map(Clock.currentTimeMillis, (now) => {
        started.push(now)
        return delivered
      })
      const requests = 200
      const fiber = yield* Effect.fork(
        Effect.forEach(Array.from({ length: requests }), () => governor.run(batch, request), {
          concurrency: 64,
          discard: true
        })
      )
      yield* TestClock.adjust(60_000) // wakes each sleep at its time, in order
      yield* Fiber.join(fiber)
      assert.strictEqual(started.length, requests)
      // at any time t, the messages sent so far fit in the burst plus the rate × t, to within one batch
      const perMillis = perMinute / 60_000
      started.forEach((t, i) => assert.isAtMost((i + 1) * batch, burst + perMillis * t + batch, `at ${t} ms`))
      // and the bucket did not hold them back longer than the rate asks: the last went when its tokens were there
      const last = started[started.length - 1]!
      const due = (requests * batch - burst) / perMillis
      assert.isAtLeast(last, due - batch / perMillis)
      assert.isAtMost(last, due + 10) // waits end on a 10 ms tick
      const waits = yield* Metric.value(Governor.rateWait.pipe(Metric.tagged("protocol", "none")))
      assert.isAtLeast(waits.count, requests - burst / batch)
    }))

  it.effect("never has more requests in flight than the limit", () =>
    Effect.gen(function*() {
      const governor = Governor.unsafeMake({ cap: 100, initial: 5, protocol: "test-bound" })
      const gate = yield* Deferred.make<void>()
      const fifth = yield* Deferred.make<void>()
      let inFlight = 0
      let most = 0
      const request = Effect.gen(function*() {
        most = Math.max(most, ++inFlight)
        if (inFlight === 5) yield* Deferred.succeed(fifth, undefined)
        yield* Deferred.await(gate)
        inFlight--
        return delivered
      })
      const fiber = yield* Effect.fork(
        Effect.forEach(Array.from({ length: 20 }), () => governor.run(1, request), {
          concurrency: "unbounded",
          discard: true
        })
      )
      yield* Deferred.await(fifth)
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow() // a sixth would have started by now
      assert.strictEqual(yield* governor.inFlight, 5)
      assert.strictEqual(inFlight, 5)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(fiber)
      assert.strictEqual(most, 5)
      assert.strictEqual(yield* governor.inFlight, 0)
    }))

  it.effect("shrinks on a project's 429 and shows it in its gauge; a device's limit does not count", () =>
    Effect.gen(function*() {
      const governor = Governor.unsafeMake({ cap: 100, initial: 40, protocol: "test-shrink" })
      const gauge = Governor.concurrencyLimit.pipe(Metric.tagged("protocol", "test-shrink"))
      assert.strictEqual((yield* Metric.value(gauge)).value, 40)
      yield* governor.run(1, Effect.succeed(deviceLimited))
      assert.strictEqual(yield* governor.limit, 40)
      yield* governor.run(1, Effect.succeed(overloaded))
      assert.strictEqual(yield* governor.limit, 20)
      assert.strictEqual((yield* Metric.value(gauge)).value, 20)
    }))

  it.effect("grows while the limit is full and answers are flat, up to the cap", () =>
    Effect.gen(function*() {
      const governor = Governor.unsafeMake({ cap: 12, initial: 4, protocol: "test-grow" })
      // far more requests than the limit, each answered 100 ms after it started: the limit is always full and the
      // latency flat, so each step up raises throughput
      const request = Effect.as(Effect.sleep(100), delivered)
      const requests = yield* Effect.fork(
        Effect.forEach(Array.from({ length: 5_000 }), () => governor.run(1, request), {
          concurrency: "unbounded",
          discard: true
        })
      )
      for (let i = 0; i < 200 && (yield* governor.limit) < 12; i++) yield* TestClock.adjust(100)
      assert.strictEqual(yield* governor.limit, 12)
      yield* Fiber.interrupt(requests)
      assert.strictEqual(yield* governor.inFlight, 0)
    }))

  it.effect("gives back the place of a request interrupted while it waits", () =>
    Effect.gen(function*() {
      const governor = Governor.unsafeMake({ cap: 1, adaptive: false })
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(governor.run(1, Effect.as(Deferred.await(gate), delivered)))
      yield* Effect.yieldNow()
      const waiter = yield* Effect.fork(governor.run(1, Effect.succeed(delivered)))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(waiter)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      assert.strictEqual(yield* governor.inFlight, 0)
      // the place is free: the next request goes
      assert.deepStrictEqual(yield* governor.run(1, Effect.succeed(delivered)), delivered)
    }))

  it.effect("gives back the place of a request interrupted in flight", () =>
    Effect.gen(function*() {
      const governor = Governor.unsafeMake({ cap: 1, adaptive: false })
      const running = yield* Effect.fork(governor.run(1, Effect.never))
      yield* Effect.yieldNow()
      assert.strictEqual(yield* governor.inFlight, 1)
      yield* Fiber.interrupt(running)
      assert.strictEqual(yield* governor.inFlight, 0)
    }))
})

describe("the governor in a client", () => {
  const deliverAfter = (gate: Deferred.Deferred<void>, sent: Array<string>): FcmClient.Protocol["prepare"] => () =>
    Effect.succeed((targets) =>
      Effect.suspend(() => {
        sent.push(targets[0]!)
        return targets[0] === "bad"
          ? Effect.fail(new InvalidMessage({ field: "message", reason: "rejected" }))
          : Effect.as(Deferred.await(gate), [Result.Outcome.Delivered({ messageId: "1" })])
      })
    )

  it.effect("requests held back when the send fails do not go", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const sent: Array<string> = []
      // one request at a time: the first fails the send while the others wait for their turn
      const client = FcmClient.make({
        name: "v1",
        batchSize: 1,
        concurrency: 8,
        backoffMillis: 1000,
        governor: Governor.unsafeMake({ cap: 8, initial: 1 }),
        prepare: deliverAfter(gate, sent)
      })
      const error = yield* Effect.flip(client.send(Message.multicast(["bad", "t-1", "t-2", "t-3"])))
      assert.strictEqual(error._tag, "InvalidMessage")
      assert.deepStrictEqual(sent, ["bad"])
      assert.deepStrictEqual(error.partial?.retryable.size, 4) // nothing answered: every target may go again
    }))

  it.effect("a fan-out keeps the limit in flight, its requests taking their places without waiting", () =>
    Effect.gen(function*() {
      const governor = Governor.unsafeMake({ cap: 8, adaptive: false })
      const counter = countTurns(governor)
      const stats = inFlight()
      const client = clientOf(governor, counted(stats))
      const result = yield* client.send(Message.multicast(names("t", 100)))
      assert.strictEqual(result.success.size, 100)
      assert.strictEqual(stats.most, 8)
      assert.strictEqual(counter.runs, 0)
      assert.strictEqual(counter.waits, 0)
      assert.strictEqual(yield* governor.inFlight, 0)
    }))

  it.effect("concurrent fan-outs share the limit, never exceed it together, and both progress", () =>
    Effect.gen(function*() {
      const governor = Governor.unsafeMake({ cap: 8, adaptive: false })
      const stats = inFlight()
      const { started } = stats
      const client = clientOf(governor, counted(stats))
      const [a, b] = yield* Effect.all([
        client.send(Message.multicast(names("a", 200))),
        client.send(Message.multicast(names("b", 200)))
      ], { concurrency: "unbounded" })
      assert.strictEqual(a.success.size + b.success.size, 400)
      assert.strictEqual(stats.most, 8)
      // the second fan-out did not wait for the first to end, and got about its share while both ran
      const lastA = started.lastIndexOf("a-199")
      const firstB = started.findIndex((t) => t.startsWith("b-"))
      assert.isBelow(firstB, lastA)
      const bWhileA = started.slice(0, lastA).filter((t) => t.startsWith("b-")).length
      assert.isAtLeast(bWhileA, 100)
      assert.strictEqual(yield* governor.inFlight, 0)
    }))

  it.effect("an interrupted fan-out gives back every place", () =>
    Effect.gen(function*() {
      const governor = Governor.unsafeMake({ cap: 8, adaptive: false })
      const eighth = yield* Deferred.make<void>()
      let started = 0
      const client = clientOf(governor, () =>
        Effect.suspend(() => {
          if (++started === 8) Deferred.unsafeDone(eighth, Effect.void)
          return Effect.never
        }))
      const send = yield* Effect.fork(client.send(Message.multicast(names("t", 100))))
      yield* Deferred.await(eighth)
      assert.strictEqual(yield* governor.inFlight, 8)
      yield* Fiber.interrupt(send)
      assert.strictEqual(yield* governor.inFlight, 0)
      assert.strictEqual(started, 8)
    }))

  it.effect("a fan-out follows the limit down: after a 429 halves it, no request starts above it", () =>
    Effect.gen(function*() {
      const governor = Governor.unsafeMake({ cap: 64, initial: 16 })
      const gate = yield* Deferred.make<void>()
      const sixteen = yield* Deferred.make<void>()
      let inFlight = 0
      let mostAfter = 0
      let opened = false
      const client = clientOf(governor, (target) =>
        Effect.suspend(() => {
          if (++inFlight === 16) Deferred.unsafeDone(sixteen, Effect.void)
          if (opened) mostAfter = Math.max(mostAfter, inFlight)
          // the first answer, a 429, comes once 16 are in flight
          const answer = target === "t-0"
            ? Effect.as(Deferred.await(sixteen), overloaded)
            : Effect.as(Deferred.await(gate), delivered)
          return Effect.ensuring(answer, Effect.sync(() => inFlight--))
        }))
      const send = yield* Effect.fork(client.send(Message.multicast(names("t", 100))))
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      assert.strictEqual(yield* governor.limit, 8)
      assert.strictEqual(inFlight, 15) // started under the old limit
      opened = true
      yield* Deferred.succeed(gate, undefined)
      const result = yield* Fiber.join(send)
      assert.strictEqual(result.success.size, 99)
      assert.isAtMost(mostAfter, 8)
      assert.isAbove(mostAfter, 0)
    }))

  it.effect("v1 and legacy adapt by default, from their starting points; `false` keeps the cap", () =>
    Effect.gen(function*() {
      const limit = (protocol: string) =>
        Effect.map(Metric.value(Governor.concurrencyLimit.pipe(Metric.tagged("protocol", protocol))), (g) => g.value)
      const http = Layer.succeed(HttpClient.HttpClient, HttpClient.make(() => Effect.never))
      const credentials = Credentials.layerStatic(Redacted.make("t"), { projectId: "demo" })
      yield* Layer.build(FcmV1.layer().pipe(Layer.provide(credentials), Layer.provide(http)))
      assert.strictEqual(yield* limit("v1"), FcmV1.DEFAULT_INITIAL_CONCURRENCY)
      yield* Layer.build(FcmLegacy.layer({ apiKey: Redacted.make("k") }).pipe(Layer.provide(http)))
      assert.strictEqual(yield* limit("legacy"), 16)
      yield* Layer.build(
        FcmV1.layer({ governor: false, concurrency: 99 }).pipe(Layer.provide(credentials), Layer.provide(http))
      )
      assert.strictEqual(yield* limit("v1"), FcmV1.DEFAULT_INITIAL_CONCURRENCY) // no governor: the gauge is not touched
      yield* Layer.build(
        FcmV1.layer({ governor: { adaptive: false }, concurrency: 99 }).pipe(
          Layer.provide(credentials),
          Layer.provide(http)
        )
      )
      assert.strictEqual(yield* limit("v1"), 99)
    }).pipe(Effect.scoped))

  it.effect("refuses bad governor options naming the field, before anything is sent", () =>
    Effect.gen(function*() {
      const http = Layer.succeed(HttpClient.HttpClient, HttpClient.make(() => Effect.die("nothing is sent")))
      const error = yield* Effect.flip(
        Layer.build(
          FcmLegacy.layer({ apiKey: Redacted.make("k"), governor: { perMinute: -1 } }).pipe(Layer.provide(http))
        )
      )
      assert.include(String(error), "governor.perMinute")
    }).pipe(Effect.scoped))
})

describe("Governor.run on a clock whose timers fire early", () => {
  it.effect("waits again until the clock reads the time its turn comes", () => {
    // timers fire 3 ms before the clock reads their time (as an event loop's cached time can make them)
    let now = 0
    const early: Clock.Clock = {
      [Clock.ClockTypeId]: Clock.ClockTypeId,
      unsafeCurrentTimeMillis: () => now,
      currentTimeMillis: Effect.sync(() => now),
      unsafeCurrentTimeNanos: () => BigInt(now) * 1_000_000n,
      currentTimeNanos: Effect.sync(() => BigInt(now) * 1_000_000n),
      sleep: (duration) => Effect.sync(() => void (now += Math.max(1, Duration.toMillis(duration) - 3)))
    }
    return Effect.gen(function*() {
      const governor = Governor.unsafeMake({ cap: 1, adaptive: false, perMinute: 60_000, burst: 1 }) // 1 a millisecond
      const started: Array<number> = []
      const request = Effect.sync(() => {
        started.push(now)
        return delivered
      })
      yield* governor.run(1, request)
      yield* governor.run(5, request) // due 5 ms later, on the 10 ms tick
      assert.deepStrictEqual(started, [0, 10])
    }).pipe(Effect.withClock(early))
  })
})
