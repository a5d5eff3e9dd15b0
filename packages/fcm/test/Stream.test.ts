import { FcmClient, FcmLegacy, Result } from "@effect-fcm/fcm"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Redacted, Stream } from "effect"
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
})
