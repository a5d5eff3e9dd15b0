import { FcmClient, FcmLegacy, Message } from "@effect-fcm/fcm"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, Random, Redacted, Schedule, TestClock } from "effect"
import { type Recorded, recorder, type Reply } from "./support/recorder.js"

/** A legacy server where each token fails `Unavailable` a given number of times, then is delivered. */
const flaky = (failures: Record<string, number>, headers?: Record<string, string>) => {
  const seen = new Map<string, number>()
  const fake = recorder((request: Recorded): Reply => {
    const ids: ReadonlyArray<string> = request.json.registration_ids
    const results = ids.map((id) => {
      const n = seen.get(id) ?? 0
      seen.set(id, n + 1)
      return n < (failures[id] ?? 0) ? { error: "Unavailable" } : { message_id: `m-${id}-${n}` }
    })
    return { body: { multicast_id: 1, results }, ...(headers ? { headers } : {}) }
  })
  const layer = FcmLegacy.layer({ apiKey: Redacted.make("k") }).pipe(Layer.provide(fake.layer))
  return { requests: fake.requests, layer }
}

const sentTokens = (requests: ReadonlyArray<Recorded>) => requests.map((r) => r.json.registration_ids)

describe("sendWithRetry", () => {
  it.effect("resends only the retryable token, after the schedule's delays, and merges every attempt", () => {
    const { layer, requests } = flaky({ B: 2 })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        FcmClient.sendWithRetry(Message.multicast(["A", "B", "C"]), { schedule: Schedule.exponential("1 second") })
      )
      yield* TestClock.adjust("999 millis")
      assert.strictEqual(requests.length, 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(requests.length, 2)
      yield* TestClock.adjust("1999 millis")
      assert.strictEqual(requests.length, 2)
      yield* TestClock.adjust("1 millis")
      const result = yield* Fiber.join(fiber)
      assert.deepStrictEqual(sentTokens(requests), [["A", "B", "C"], ["B"], ["B"]])
      assert.deepStrictEqual(Object.fromEntries(result.success), { A: "m-A-0", B: "m-B-2", C: "m-C-0" })
      assert.isFalse(result.needsRetry())
      assert.deepStrictEqual([...result.outcomes.keys()], ["A", "B", "C"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("the default schedule is the seed's backoff: 500 ms then 1500 ms with zero jitter", () => {
    const { layer, requests } = flaky({ B: 2 })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(FcmClient.sendWithRetry(Message.multicast(["A", "B"])))
      yield* TestClock.adjust("499 millis")
      assert.strictEqual(requests.length, 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(requests.length, 2)
      yield* TestClock.adjust("1499 millis")
      assert.strictEqual(requests.length, 2)
      yield* TestClock.adjust("1 millis")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.success.get("B"), "m-B-2")
    }).pipe(Effect.provide(layer), Effect.withRandom(Random.fixed([0])))
  })

  it.effect("Retry-After beats a shorter backoff", () => {
    const { layer, requests } = flaky({ B: 1 }, { "retry-after": "10" })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        FcmClient.sendWithRetry(Message.multicast(["A", "B"]), { schedule: Schedule.spaced("1 second") })
      )
      yield* TestClock.adjust("9999 millis")
      assert.strictEqual(requests.length, 1)
      yield* TestClock.adjust("1 millis")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(requests.length, 2)
      assert.deepStrictEqual(sentTokens(requests), [["A", "B"], ["B"]])
      assert.isFalse(result.needsRetry())
    }).pipe(Effect.provide(layer))
  })

  it.effect("stops when the schedule is exhausted and reports what is still retryable", () => {
    const { layer, requests } = flaky({ B: 100 })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        FcmClient.sendWithRetry(Message.multicast(["A", "B"]), { schedule: Schedule.recurs(2) })
      )
      yield* TestClock.adjust("1 minute")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(requests.length, 3)
      assert.deepStrictEqual(Object.fromEntries(result.retryable), { B: "Unavailable" })
      assert.deepStrictEqual(Object.fromEntries(result.success), { A: "m-A-0" })
    }).pipe(Effect.provide(layer))
  })

  it.effect("a retry that fails as a whole fails the send, carrying every attempt's results as partial", () => {
    const fake = recorder((request, i) =>
      i === 0
        ? {
          body: {
            multicast_id: 1,
            results: request.json.registration_ids.map((id: string) =>
              id === "A" ? { message_id: "m-A" } : { error: "Unavailable" }
            )
          }
        }
        : { status: 401, body: "Unauthorized" }
    )
    const layer = FcmLegacy.layer({ apiKey: Redacted.make("k") }).pipe(Layer.provide(fake.layer))
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        FcmClient.sendWithRetry(Message.multicast(["A", "B", "C"]), { schedule: Schedule.spaced("1 second") })
      )
      yield* TestClock.adjust("1 second")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual(fake.requests.length, 2)
      const result = error.partial!
      assert.strictEqual(result.success.get("A"), "m-A")
      assert.deepStrictEqual([...result.retryable.keys()], ["B", "C"])
      assert.include(result.retryable.get("B")!, "AuthenticationError")
      // what is left to do is the tokens of the failed attempt
      assert.deepStrictEqual(Option.map(result.retry(), Message.targets), Option.some(["B", "C"]))
    }).pipe(Effect.provide(layer))
  })

  it.effect("a send that fails as a whole after some requests were answered carries their outcomes as partial", () => {
    // 2,500 tokens: three legacy requests, one at a time; the second is refused.
    const fake = recorder((request, i) =>
      i === 1 ? { status: 401, body: "Unauthorized" } : {
        body: {
          multicast_id: 1,
          results: request.json.registration_ids.map((id: string) =>
            id.endsWith("7") ? { error: "NotRegistered" } : { message_id: `m-${id}` }
          )
        }
      }
    )
    const layer = FcmLegacy.layer({ apiKey: Redacted.make("k"), concurrency: 1 }).pipe(Layer.provide(fake.layer))
    const tokens = Array.from({ length: 2_500 }, (_, i) => `t${i}`)
    return Effect.gen(function*() {
      const error = yield* Effect.flip(FcmClient.send(Message.multicast(tokens, { data: { k: "v" } })))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual(fake.requests.length, 2, "the fan-out stops at the failure")
      const partial = error.partial!
      // every token in exactly one bucket: the first request's answers, the rest retryable with the error as reason
      assert.strictEqual(partial.counts.success + partial.counts.notRegistered, 1_000)
      assert.strictEqual(partial.counts.retryable, 1_500)
      assert.strictEqual(partial.success.get("t0"), "m-t0")
      assert.include(partial.notRegistered, "t7")
      assert.match(partial.retryable.get("t1000")!, /^AuthenticationError: /)
      assert.deepStrictEqual(Option.map(partial.retry(), (m) => Message.targets(m).length), Option.some(1_500))
    }).pipe(Effect.provide(layer))
  })

  it.effect("a message refused before anything is sent carries no partial result", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(FcmClient.send(Message.multicast(["a"], { timeToLive: -1 })))
      assert.strictEqual(error._tag, "InvalidMessage")
      assert.isUndefined(error.partial)
    }).pipe(
      Effect.provide(FcmLegacy.layer({ apiKey: Redacted.make("k") }).pipe(Layer.provide(recorder(() => ({})).layer)))
    ))

  it.effect("send alone never sleeps or retries (the job-queue style)", () => {
    const { layer, requests } = flaky({ B: 1 })
    return Effect.gen(function*() {
      const result = yield* FcmClient.send(Message.multicast(["A", "B"]))
      assert.strictEqual(requests.length, 1)
      assert.isTrue(result.needsRetry())
    }).pipe(Effect.provide(layer))
  })
})
