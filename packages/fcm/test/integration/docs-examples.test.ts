import { Emulator, FcmFake, FcmServer, Scenario } from "@effect-fcm/emulator"
import { Credentials, FcmClient, FcmV1, Message } from "@effect-fcm/fcm"
import { FetchHttpClient } from "@effect/platform"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, Schedule, TestClock } from "effect"

// The code under test: sends a reminder, and says which tokens to delete and which to try again later.
const remind = (tokens: ReadonlyArray<string>, options?: FcmClient.RetryOptions) =>
  FcmClient.sendWithRetry(Message.multicast(tokens, { notification: { title: "Your order has shipped" } }), options)
    .pipe(Effect.map((result) => ({ remove: result.notRegistered, retryLater: [...result.retryable.keys()] })))

// FCM in memory: scenarios by token prefix, anything else is delivered.
const FakeFcm = FcmFake.layer({
  scenarios: {
    prefixes: {
      "stale-": Scenario.notRegistered,
      "flaky-": Scenario.unavailable({ times: 2 })
    }
  }
})

// The real v1 client on the fake's HttpClient, signing in with the service account the fake trusts.
const TestFcm = Layer.unwrapEffect(
  Effect.map(
    Emulator.Emulator,
    (emulator) => FcmV1.layer().pipe(Layer.provide(Credentials.layerServiceAccount(emulator.serviceAccount)))
  )
).pipe(Layer.provideMerge(FakeFcm))

// it.effect runs on a TestClock, on which sendWithRetry sleeps between attempts: run the effect in a fiber and
// move the clock on until it is done.
const withTimePassing = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    while (Option.isNone(yield* Fiber.poll(fiber))) yield* TestClock.adjust("1 second")
    return yield* Fiber.join(fiber)
  })

describe("remind, against the in-memory fake", () => {
  it.effect("resends to flaky devices and reports stale ones", () =>
    Effect.gen(function*() {
      const report = yield* withTimePassing(remind(["phone-1", "stale-1", "flaky-1"]))
      assert.deepStrictEqual(report, { remove: ["stale-1"], retryLater: [] })

      // What FCM received: one request per token and attempt (v1), each with its parsed body.
      const emulator = yield* Emulator.Emulator
      const received = yield* emulator.messages
      const attempts = (token: string) =>
        received.filter((r) => r.target?._tag === "Token" && r.target.token === token).length
      assert.deepStrictEqual([attempts("phone-1"), attempts("stale-1"), attempts("flaky-1")], [1, 1, 3])
      assert.deepStrictEqual(received.map((r) => r.status).sort((a, b) => a - b), [200, 200, 404, 503, 503])
      const body = received[0]!.body as { message: { notification: unknown } }
      assert.deepStrictEqual(body.message.notification, { title: "Your order has shipped" })
      assert.strictEqual((yield* emulator.counters).delivered, 2)
    }).pipe(Effect.provide(TestFcm)))
})

// A real server on 127.0.0.1 (a free port) with a throwaway service account; "stale-" tokens are not registered.
const LoopbackFcm = FcmServer.layer({ scenarios: { prefixes: { "stale-": Scenario.notRegistered } } })

// The real v1 client over a real HTTP stack (Node's fetch), pointed at the emulator.
const FcmOverHttp = Layer.unwrapEffect(
  Effect.map(
    FcmServer.FcmServer,
    (emulator) =>
      FcmV1.layer({ baseUrl: emulator.baseUrl, timeout: "500 millis" }).pipe(
        Layer.provide(Credentials.layerServiceAccount(emulator.serviceAccount))
      )
  )
).pipe(Layer.provideMerge(LoopbackFcm), Layer.provide(FetchHttpClient.layer))

// One server for the whole block, stopped after it; the tests run on the real clock.
layer(FcmOverHttp, { excludeTestServices: true })("remind, against the loopback emulator", (it) => {
  it.effect("gets through a reset, honours Retry-After, and gives up on a device that never answers", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.FcmServer
      yield* emulator.reset // forget earlier tests: records, counters, attempts; configured scenarios only
      yield* emulator.setToken("phone-1", Scenario.sequence(Scenario.reset, Scenario.delivered))
      yield* emulator.setToken("busy-1", Scenario.unavailable({ times: 1, retryAfter: 1 }))
      yield* emulator.setToken("stuck-1", Scenario.hang)

      const report = yield* remind(["phone-1", "stale-1", "busy-1", "stuck-1"], { schedule: Schedule.recurs(2) })
      assert.deepStrictEqual(report, { remove: ["stale-1"], retryLater: ["stuck-1"] })

      const received = yield* emulator.messages
      const seen = (token: string) => received.filter((r) => r.target?._tag === "Token" && r.target.token === token)
      assert.deepStrictEqual(seen("phone-1").map((r) => [r.fault, r.status]), [["Reset", 0], [undefined, 200]])
      const [unavailable, delivered] = seen("busy-1")
      assert.deepStrictEqual([unavailable!.status, delivered!.status], [503, 200])
      assert.isAtLeast(delivered!.time - unavailable!.time, 990) // Retry-After: 1 beats the schedule's 0 ms
      assert.strictEqual(seen("stuck-1").length, 3) // the first attempt and two retries, each timed out
      assert.strictEqual((yield* emulator.counters).delivered, 2)
    }))
})

describe("docs/testing.md", () => {
  it.effect("shows this file's code verbatim", () =>
    Effect.gen(function*() {
      const { readFile } = yield* Effect.promise(() => import("node:fs/promises"))
      const doc = yield* Effect.promise(() => readFile(new URL("../../../../docs/testing.md", import.meta.url), "utf8"))
      const source = yield* Effect.promise(() => readFile(new URL(import.meta.url), "utf8"))
      const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)
      assert.isAtLeast(blocks.length, 4)
      for (const block of blocks) assert.include(source, block)
    }))
})
