import { FcmClient, FcmLegacy, Governor, Message, Result } from "@effect-fcm/fcm"
import type { HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Fiber, Layer, Metric, Queue, Redacted, Stream } from "effect"
import { legacyServer } from "./support/legacyServer.js"
import { clientOf, counted, countTurns, delivered, inFlight, names } from "./support/places.js"
import { type Recorded, recorder } from "./support/recorder.js"

/** A legacy server that tracks how many requests are in flight at once. */
const tracked = (answer: (token: string) => object) => {
  const stats = { inFlight: 0, maxInFlight: 0 }
  const fake = recorder((request: Recorded) =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        stats.inFlight++
        stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
      }),
      () =>
        Effect.yieldNow().pipe(Effect.as({
          body: { multicast_id: 1, results: (request.json.registration_ids as Array<string>).map(answer) }
        })),
      () => Effect.sync(() => stats.inFlight--)
    )
  )
  return { stats, requests: fake.requests, httpLayer: fake.layer }
}

const answer = (token: string) =>
  token.endsWith("3")
    ? { error: "NotRegistered" }
    : token.endsWith("5")
    ? { message_id: "m", registration_id: `${token}-new` }
    : token.endsWith("7")
    ? { error: "InvalidRegistration" }
    : { message_id: `m-${token}` }

describe("sendStream", () => {
  it.effect("emits exactly one outcome per token, with bounded concurrency", () => {
    const server = tracked(answer)
    const layer = FcmLegacy.layer({ apiKey: Redacted.make("k"), concurrency: 3 }).pipe(Layer.provide(server.httpLayer))
    const tokens = Array.from({ length: 10_500 }, (_, i) => `t${i}`)
    return Effect.gen(function*() {
      const outcomes = yield* FcmClient.sendStream(Stream.fromIterable(tokens), { data: { k: "v" } }).pipe(
        Stream.runCollect,
        Effect.map(Chunk.toReadonlyArray)
      )
      assert.strictEqual(outcomes.length, tokens.length)
      assert.strictEqual(new Set(outcomes.map((o) => o.token)).size, tokens.length)
      assert.strictEqual(server.requests.length, 11)
      assert.isAtMost(server.stats.maxInFlight, 3)
      const byToken = new Map(outcomes.map((o) => [o.token, o.outcome]))
      assert.strictEqual(byToken.get("t13")!._tag, "NotRegistered")
      assert.deepStrictEqual(byToken.get("t15"), Result.Outcome.Canonical({ messageId: "m", newToken: "t15-new" }))
      assert.strictEqual(byToken.get("t17")!._tag, "Failed")
      assert.strictEqual(byToken.get("t10")!._tag, "Delivered")
      for (const r of server.requests) assert.deepStrictEqual(r.json.data, { k: "v" })
    }).pipe(Effect.provide(layer))
  })

  it.effect("folds into a Result or a constant-memory summary", () => {
    const server = tracked(answer)
    const layer = FcmLegacy.layer({ apiKey: Redacted.make("k") }).pipe(Layer.provide(server.httpLayer))
    const tokens = Array.from({ length: 40 }, (_, i) => `t${i}`)
    return Effect.gen(function*() {
      const result = yield* FcmClient.sendStream(Stream.fromIterable(tokens), { collapseKey: "c" }).pipe(
        Stream.run(Result.sink({ collapseKey: "c" }))
      )
      assert.strictEqual(result.outcomes.size, 40)
      assert.deepStrictEqual(result.notRegistered.length, 4)
      assert.strictEqual(result.canonical.get("t5"), "t5-new")
      const summary = yield* FcmClient.sendStream(Stream.fromIterable(tokens), {}).pipe(Stream.run(Result.summarySink))
      assert.deepStrictEqual(summary, {
        total: 40,
        success: 28,
        canonical: 4,
        notRegistered: 4,
        failed: 4,
        retryable: 0,
        unknown: 0,
        failedByCode: { InvalidRegistration: 4 }
      })
    }).pipe(Effect.provide(layer))
  })

  it.effect("an empty token in the stream fails locally without a request", () => {
    const server = tracked(answer)
    const layer = FcmLegacy.layer({ apiKey: Redacted.make("k") }).pipe(Layer.provide(server.httpLayer))
    return Effect.gen(function*() {
      const outcomes = yield* FcmClient.sendStream(Stream.make("", "t1"), {}).pipe(Stream.runCollect)
      const byToken = new Map(Chunk.toReadonlyArray(outcomes).map((o) => [o.token, o.outcome]))
      assert.deepStrictEqual(byToken.get(""), Result.Outcome.Failed({ code: "MissingRegistration" }))
      assert.deepStrictEqual(server.requests[0]!.json.registration_ids, ["t1"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("an invalid template fails the stream before anything is sent", () => {
    const server = tracked(answer)
    const layer = FcmLegacy.layer({ apiKey: Redacted.make("k") }).pipe(Layer.provide(server.httpLayer))
    return Effect.gen(function*() {
      const error = yield* FcmClient.sendStream(Stream.make("t1"), { timeToLive: -5 }).pipe(
        Stream.runDrain,
        Effect.flip
      )
      assert.strictEqual(error._tag, "InvalidMessage")
      assert.strictEqual((error as { field: string }).field, "timeToLive")
      assert.strictEqual(server.requests.length, 0)
    }).pipe(Effect.provide(layer))
  })

  describe("the worker pool", () => {
    const legacy = (httpLayer: Layer.Layer<HttpClient.HttpClient>, concurrency: number) =>
      FcmLegacy.layer({ apiKey: Redacted.make("k"), concurrency }).pipe(Layer.provide(httpLayer))
    const tokens = (n: number) => Stream.range(0, n - 1).pipe(Stream.map((i) => `t${i}`))
    const inFlight = Metric.value(FcmClient.targetsInFlight.pipe(Metric.tagged("protocol", "legacy")))
    /** Lets the event loop turn: a slow consumer. */
    const nextTurn = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))

    it.effect("requests carry 1000 tokens whatever the chunks of the input", () => {
      const fake = legacyServer(() => "ok")
      return Effect.gen(function*() {
        const outcomes = yield* FcmClient.sendStream(tokens(2_500).pipe(Stream.rechunk(7)), {}).pipe(Stream.runCollect)
        assert.strictEqual(outcomes.length, 2_500)
        assert.deepStrictEqual(fake.stats.requests.map((ids) => ids.length).sort(), [1000, 1000, 500])
        assert.strictEqual(new Set(fake.stats.requests.flat()).size, 2_500)
      }).pipe(Effect.provide(legacy(fake.layer, 3)))
    })

    it.effect("a consumer that stops pulling holds the sending back: what is read ahead of it stays bounded", () => {
      const fake = legacyServer(() => "ok")
      let read = 0
      const input = tokens(400_000).pipe(Stream.rechunk(100), Stream.tap(() => Effect.sync(() => void read++)))
      return Effect.gen(function*() {
        yield* Effect.scoped(Effect.gen(function*() {
          const pull = yield* Stream.toPull(FcmClient.sendStream(input, {}))
          const first = yield* pull
          assert.isAbove(first.length, 0)
          // the consumer holds on to its first chunk while the event loop turns 200 times: unchecked, the pool would
          // read ~1024 tokens a turn and send them all
          for (let turn = 0; turn < 200; turn++) yield* nextTurn
        }))
        // two requests in flight, then the workers wait with their outcomes for the consumer: a handful of requests,
        // and the input buffer (64 requests' worth) read ahead
        assert.isAtMost(fake.stats.requests.length, 8)
        assert.isAtMost(read, 80_000)
        assert.strictEqual((yield* inFlight).value, 0)
      }).pipe(Effect.provide(legacy(fake.layer, 2)))
    })

    it.effect("a failed request fails the stream after the outcomes completed before it", () => {
      const fake = legacyServer((index) => index === 3 ? "unreachable" : "ok")
      const emitted: Array<string> = []
      return Effect.gen(function*() {
        const error = yield* FcmClient.sendStream(tokens(10_000), {}).pipe(
          Stream.tap(({ token }) => Effect.sync(() => emitted.push(token))),
          Stream.runDrain,
          Effect.flip
        )
        assert.strictEqual(error._tag, "TransportError")
        // one request at a time: the three requests answered before the failure, all of their tokens
        assert.strictEqual(emitted.length, 3_000)
        assert.deepStrictEqual(emitted.slice(0, 2), ["t0", "t1"])
        assert.strictEqual(fake.stats.requests.length, 4)
        assert.strictEqual((yield* inFlight).value, 0)
      }).pipe(Effect.provide(legacy(fake.layer, 1)))
    })

    it.effect("a failing input fails the stream with its error", () => {
      const fake = legacyServer(() => "ok")
      return Effect.gen(function*() {
        const error = yield* FcmClient.sendStream(Stream.concat(tokens(5), Stream.fail("no more tokens")), {}).pipe(
          Stream.runDrain,
          Effect.flip
        )
        assert.strictEqual(error, "no more tokens")
      }).pipe(Effect.provide(legacy(fake.layer, 2)))
    })

    it.effect("interrupting the stream interrupts the requests in flight", () =>
      Effect.gen(function*() {
        const allHanging = yield* Deferred.make<void>()
        const fake = legacyServer((index) => {
          if (index < 2) return "ok"
          if (index === 4) Deferred.unsafeDone(allHanging, Effect.void)
          return "hang"
        })
        const emitted: Array<string> = []
        yield* Effect.gen(function*() {
          const fiber = yield* FcmClient.sendStream(tokens(20_000), {}).pipe(
            Stream.tap(({ token }) => Effect.sync(() => emitted.push(token))),
            Stream.runDrain,
            Effect.fork
          )
          yield* Deferred.await(allHanging)
          yield* Fiber.interrupt(fiber)
          assert.strictEqual(fake.stats.interrupted, 3)
          assert.strictEqual(fake.stats.requests.length, 5)
          assert.strictEqual((yield* inFlight).value, 0)
        }).pipe(Effect.provide(legacy(fake.layer, 3)))
      }))
  })

  describe("the governor's places", () => {
    it.effect("keeps the limit in flight, its requests taking no turn of their own", () =>
      Effect.gen(function*() {
        const governor = Governor.unsafeMake({ cap: 8, adaptive: false })
        const counter = countTurns(governor)
        const stats = inFlight()
        const client = clientOf(governor, counted(stats))
        const outcomes = yield* client.sendStream(Stream.fromIterable(names("t", 300)), {}).pipe(Stream.runCollect)
        assert.strictEqual(outcomes.length, 300)
        assert.strictEqual(stats.most, 8)
        assert.strictEqual(counter.runs, 0)
        assert.strictEqual(counter.waits, 0)
        assert.strictEqual(yield* governor.inFlight, 0)
      }))

    it.effect("an idle stream holds no place: a send meanwhile has the whole limit at once", () =>
      Effect.gen(function*() {
        const governor = Governor.unsafeMake({ cap: 8, adaptive: false })
        const counter = countTurns(governor)
        const stats = inFlight()
        const client = clientOf(governor, counted(stats))
        const input = yield* Queue.unbounded<string>()
        const outcomes = yield* Queue.unbounded<Result.TokenOutcome>()
        const stream = yield* client.sendStream(Stream.fromQueue(input), {}).pipe(
          Stream.runForEach((outcome) => Queue.offer(outcomes, outcome)),
          Effect.fork
        )
        yield* Queue.offerAll(input, names("s", 40))
        assert.strictEqual((yield* Queue.takeN(outcomes, 40)).length, 40)
        for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
        // the stream is open, its input empty: its workers wait without a place
        assert.strictEqual(yield* governor.inFlight, 0)
        stats.most = 0
        const result = yield* client.send(Message.multicast(names("a", 64)))
        assert.strictEqual(result.success.size, 64)
        assert.strictEqual(stats.most, 8)
        assert.strictEqual(counter.waits, 0)
        // input again: the stream takes places again
        yield* Queue.offerAll(input, names("s2", 40))
        assert.strictEqual((yield* Queue.takeN(outcomes, 40)).length, 40)
        yield* Queue.shutdown(input)
        yield* Fiber.join(stream)
        assert.strictEqual(counter.runs, 0)
        assert.strictEqual(yield* governor.inFlight, 0)
      }))

    it.effect("a send and a stream share the limit, never exceed it together, and both progress", () =>
      Effect.gen(function*() {
        const governor = Governor.unsafeMake({ cap: 8, adaptive: false })
        const stats = inFlight()
        const client = clientOf(governor, counted(stats))
        const [sent, streamed] = yield* Effect.all([
          client.send(Message.multicast(names("a", 400))),
          client.sendStream(Stream.fromIterable(names("b", 400)), {}).pipe(Stream.runCollect)
        ], { concurrency: "unbounded" })
        assert.strictEqual(sent.success.size, 400)
        assert.strictEqual(streamed.length, 400)
        assert.strictEqual(stats.most, 8)
        const started = stats.started
        // the one that ended first did not have the limit to itself: the other one sent about its share meanwhile
        const end = Math.min(started.lastIndexOf("a-399"), started.lastIndexOf("b-399"))
        const other = started[end]!.startsWith("a-") ? "b-" : "a-"
        assert.isAtLeast(started.slice(0, end).filter((t) => t.startsWith(other)).length, 100)
        assert.strictEqual(yield* governor.inFlight, 0)
      }))

    it.effect("follows the limit down: after a 429 halves it, no request starts above it", () =>
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
              ? Effect.as(Deferred.await(sixteen), [
                Result.Outcome.Retryable({ reason: "RESOURCE_EXHAUSTED", retryAfterMillis: 60_000 })
              ])
              : Effect.as(Deferred.await(gate), delivered)
            return Effect.ensuring(answer, Effect.sync(() => inFlight--))
          }))
        const stream = yield* client.sendStream(Stream.fromIterable(names("t", 100)), {}, { retry: false }).pipe(
          Stream.runCollect,
          Effect.fork
        )
        for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
        assert.strictEqual(yield* governor.limit, 8)
        assert.strictEqual(inFlight, 15) // started under the old limit
        opened = true
        yield* Deferred.succeed(gate, undefined)
        const outcomes = yield* Fiber.join(stream)
        assert.strictEqual(outcomes.length, 100)
        assert.isAtMost(mostAfter, 8)
        assert.isAbove(mostAfter, 0)
        assert.strictEqual(yield* governor.inFlight, 0)
      }))

    it.effect("an interrupted stream gives back every place", () =>
      Effect.gen(function*() {
        const governor = Governor.unsafeMake({ cap: 8, adaptive: false })
        const eighth = yield* Deferred.make<void>()
        let started = 0
        const client = clientOf(governor, () =>
          Effect.suspend(() => {
            if (++started === 8) Deferred.unsafeDone(eighth, Effect.void)
            return Effect.never
          }))
        const stream = yield* client.sendStream(Stream.fromIterable(names("t", 100)), {}).pipe(
          Stream.runDrain,
          Effect.fork
        )
        yield* Deferred.await(eighth)
        assert.strictEqual(yield* governor.inFlight, 8)
        yield* Fiber.interrupt(stream)
        assert.strictEqual(yield* governor.inFlight, 0)
        assert.strictEqual(started, 8)
      }))
  })
})
