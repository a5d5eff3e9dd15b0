/**
 * Delivery semantics: under `atMostOnce` a target whose request may have reached FCM (the transport says so, a
 * timeout, a 200 that cannot be read) lands in `unknown` and is never sent again, by the retry schedule or by
 * `retry()`; a target that provably never reached FCM is still retried. `atLeastOnce`, the default, resends both.
 */
import { Cleanup, Credentials, FcmClient, FcmLegacy, FcmV1, Message, Result } from "@effect-fcm/fcm"
import { HttpClientError } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import {
  ConfigProvider,
  Effect,
  Either,
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
import { type Recorded, recorder, type Reply } from "./support/recorder.js"

/** What node's WireError looks like to the core: a cause with `mayHaveBeenProcessed`. */
const wireFailure = (mayHaveBeenProcessed: boolean, code: string) =>
  Object.assign(new Error(`wire failure ${code}`), { _tag: "WireError", mayHaveBeenProcessed, code })

const fail = (request: Recorded, cause: unknown) =>
  Effect.fail(
    new HttpClientError.RequestError({
      request: { url: request.url } as never,
      reason: "Transport",
      cause
    })
  )

type Answer = (request: Recorded, index: number) => Reply | Effect.Effect<Reply, HttpClientError.HttpClientError>

const v1Layer = (answer: Answer, options: FcmV1.Options = {}) => {
  const fake = recorder(answer)
  const layer = FcmV1.layer({ concurrency: 1, ...options }).pipe(
    Layer.provide(Credentials.layerStatic(Redacted.make("access-token"), { projectId: "demo" })),
    Layer.provide(fake.layer)
  )
  return { layer, requests: fake.requests }
}

const tokenOf = (request: Recorded): string => request.json.message.token

/** Answers delivered, except that the requests of `reset` tokens fail on the wire the first time they are sent. */
const resetOnce = (reset: ReadonlySet<string>, mayHaveBeenProcessed: boolean): Answer => {
  const seen = new Set<string>()
  return (request) => {
    const token = tokenOf(request)
    if (reset.has(token) && !seen.has(token)) {
      seen.add(token)
      return fail(request, wireFailure(mayHaveBeenProcessed, mayHaveBeenProcessed ? "ECONNRESET" : "REFUSED_STREAM"))
    }
    return { body: { name: `projects/demo/messages/${token}` } }
  }
}

const tokens = ["t-0", "t-1", "t-2", "t-3", "t-4"]
const retries = Schedule.recurs(3)
const sent = (requests: ReadonlyArray<Recorded>, token: string) => requests.filter((r) => tokenOf(r) === token).length

describe("at-most-once delivery (v1)", () => {
  it.effect("a reset after the request was written: unknown, never resent by the schedule or by retry()", () => {
    const { layer, requests } = v1Layer(resetOnce(new Set(["t-1", "t-3"]), true), { delivery: "atMostOnce" })
    return Effect.gen(function*() {
      const result = yield* FcmClient.sendWithRetry(Message.multicast(tokens), { schedule: retries })
      assert.deepStrictEqual([...result.unknown.keys()], ["t-1", "t-3"])
      assert.match(result.unknown.get("t-1")!, /NetworkError/)
      assert.deepStrictEqual([...result.success.keys()], ["t-0", "t-2", "t-4"])
      assert.strictEqual(result.retryable.size, 0)
      assert.deepStrictEqual(result.counts, {
        success: 3,
        canonical: 0,
        notRegistered: 0,
        failed: 0,
        retryable: 0,
        unknown: 2
      })
      assert.isTrue(Option.isNone(result.retry()))
      assert.isFalse(result.needsRetry())
      for (const t of tokens) assert.strictEqual(sent(requests, t), 1, `${t} sent once`)
      assert.deepInclude(result.toJSON().unknown, { "t-1": result.unknown.get("t-1") })
    }).pipe(Effect.provide(layer))
  })

  it.effect("the default, at-least-once: the same resets are retried and delivered", () => {
    const { layer, requests } = v1Layer(resetOnce(new Set(["t-1", "t-3"]), true))
    return Effect.gen(function*() {
      const result = yield* FcmClient.sendWithRetry(Message.multicast(tokens), { schedule: retries })
      assert.strictEqual(result.success.size, 5)
      assert.strictEqual(result.unknown.size, 0)
      assert.strictEqual(sent(requests, "t-1"), 2)
      assert.strictEqual(sent(requests, "t-3"), 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a request that provably never reached FCM is retried under at-most-once too", () => {
    const { layer, requests } = v1Layer(resetOnce(new Set(["t-2"]), false), { delivery: "atMostOnce" })
    return Effect.gen(function*() {
      const once = yield* FcmClient.send(Message.multicast(tokens))
      assert.deepStrictEqual([...once.retryable.keys()], ["t-2"])
      assert.deepStrictEqual(once.retry(), Option.some(Message.multicast(["t-2"])))
      const result = yield* FcmClient.sendWithRetry(Message.multicast(["t-2"]), { schedule: retries })
      assert.deepStrictEqual([...result.success.keys()], ["t-2"])
      assert.strictEqual(sent(requests, "t-2"), 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("the sender's timeout: unknown under at-most-once, retryable under at-least-once", () =>
    Effect.gen(function*() {
      for (const delivery of ["atMostOnce", "atLeastOnce"] as const) {
        const { layer, requests } = v1Layer(() => Effect.never, { delivery, timeout: "1 second" })
        const fiber = yield* Effect.fork(FcmClient.send(Message.multicast(["slow"])).pipe(Effect.provide(layer)))
        yield* TestClock.adjust("1 second")
        const result = yield* Fiber.join(fiber)
        assert.strictEqual(requests.length, 1)
        if (delivery === "atMostOnce") {
          assert.match(result.unknown.get("slow")!, /Timeout/)
          assert.strictEqual(result.retryable.size, 0)
        } else {
          assert.match(result.retryable.get("slow")!, /Timeout/)
          assert.strictEqual(result.unknown.size, 0)
        }
      }
    }))

  it.effect("a 200 without a message name: unknown under at-most-once, failed (MALFORMED_RESPONSE) by default", () =>
    Effect.gen(function*() {
      const garbled = () => ({ body: "<html>ok</html>" })
      const most = yield* FcmClient.send(Message.multicast(["a"])).pipe(
        Effect.provide(v1Layer(garbled, { delivery: "atMostOnce" }).layer)
      )
      assert.match(most.unknown.get("a")!, /MALFORMED_RESPONSE/)
      assert.strictEqual(most.failed.size, 0)
      const least = yield* FcmClient.send(Message.multicast(["a"])).pipe(Effect.provide(v1Layer(garbled).layer))
      assert.strictEqual(least.failed.get("a"), "MALFORMED_RESPONSE")
      assert.strictEqual(least.unknown.size, 0)
    }))

  it.effect("answers that say FCM did not deliver stay retryable: a 503 is resent", () => {
    let first = true
    const { layer, requests } = v1Layer((request) => {
      if (first) {
        first = false
        return { status: 503 }
      }
      return { body: { name: `projects/demo/messages/${tokenOf(request)}` } }
    }, { delivery: "atMostOnce" })
    return Effect.gen(function*() {
      const result = yield* FcmClient.sendWithRetry(Message.multicast(["a"]), { schedule: retries })
      assert.deepStrictEqual([...result.success.keys()], ["a"])
      assert.strictEqual(requests.length, 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("unknown targets are counted in fcm_outcomes_total{outcome=unknown}", () => {
    const { layer } = v1Layer(resetOnce(new Set(["m-0", "m-1"]), true), { delivery: "atMostOnce" })
    const unknown = FcmClient.outcomesTotal.pipe(Metric.tagged("outcome", "unknown"), Metric.tagged("protocol", "v1"))
    return Effect.gen(function*() {
      const before = (yield* Metric.value(unknown)).count
      yield* FcmClient.send(Message.multicast(["m-0", "m-1", "m-2"]))
      assert.strictEqual((yield* Metric.value(unknown)).count - before, 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a delivery that is neither is refused with a ConfigError naming delivery", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        FcmV1.make({ delivery: "exactlyOnce" as never }).pipe(
          Effect.provide(Credentials.layerStatic(Redacted.make("t"), { projectId: "demo" })),
          Effect.provide(recorder(() => ({})).layer)
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.match(String(Exit.isFailure(exit) ? exit.cause : ""), /delivery/)
    }))

  it.effect("FCM_DELIVERY configures it from the environment", () =>
    Effect.gen(function*() {
      const env = ConfigProvider.fromMap(new Map([["FCM_DELIVERY", "atMostOnce"]]))
      const options = yield* Effect.withConfigProvider(FcmV1.config, env)
      assert.strictEqual(options.delivery, "atMostOnce")
      const wrong = ConfigProvider.fromMap(new Map([["FCM_DELIVERY", "twice"]]))
      assert.isTrue(Either.isLeft(yield* Effect.either(Effect.withConfigProvider(FcmV1.config, wrong))))
    }))
})

describe("at-most-once delivery (legacy)", () => {
  const API_KEY = Redacted.make("server-key")
  const ids = (request: Recorded): ReadonlyArray<string> => request.json.registration_ids
  const delivered = (request: Recorded): Reply => ({
    body: { results: ids(request).map((_, i) => ({ message_id: `1:${i}` })) }
  })
  const many = Array.from({ length: 2500 }, (_, i) => `p-${i}`)

  it.effect("a garbled 200 fails the send; its request's tokens are unknown in partial, never in retry()", () =>
    Effect.gen(function*() {
      const fake = recorder((request, index) => index === 1 ? { body: "{\"results\": [" } : delivered(request))
      const fcm = yield* FcmLegacy.make({ apiKey: API_KEY, concurrency: 1, delivery: "atMostOnce" }).pipe(
        Effect.provide(fake.layer)
      )
      const error = yield* Effect.flip(fcm.sendWithRetry(Message.multicast(many), { schedule: retries }))
      assert.strictEqual(error._tag, "TransportError")
      const partial = error.partial!
      assert.strictEqual(partial.success.size, 1000, "the first request's tokens")
      assert.deepStrictEqual([...partial.unknown.keys()], many.slice(1000, 2000), "the garbled request's tokens")
      assert.deepStrictEqual([...partial.retryable.keys()], many.slice(2000), "never sent")
      assert.strictEqual(partial.outcomes.size, many.length)
      const retry = partial.retry()
      assert.deepStrictEqual(Option.map(retry, (m) => m.tokens), Option.some(many.slice(2000)))
      assert.strictEqual(fake.requests.length, 2, "the send stopped at the garbled answer")
    }))

  it.effect("by default the garbled request's tokens are retryable in partial", () =>
    Effect.gen(function*() {
      const fake = recorder((request, index) => index === 1 ? { body: "not json" } : delivered(request))
      const fcm = yield* FcmLegacy.make({ apiKey: API_KEY, concurrency: 1 }).pipe(Effect.provide(fake.layer))
      const error = yield* Effect.flip(fcm.send(Message.multicast(many)))
      assert.strictEqual(error.partial!.unknown.size, 0)
      assert.strictEqual(error.partial!.retryable.size, 1500)
    }))

  it.effect("a reset on the wire: the request's tokens are unknown", () =>
    Effect.gen(function*() {
      const fake = recorder((request, index) =>
        index === 0 ? fail(request, wireFailure(true, "ECONNRESET")) : delivered(request)
      )
      const fcm = yield* FcmLegacy.make({ apiKey: API_KEY, delivery: "atMostOnce" }).pipe(Effect.provide(fake.layer))
      const result = yield* fcm.sendWithRetry(Message.multicast(["a", "b"]), { schedule: retries })
      assert.deepStrictEqual([...result.unknown.keys()], ["a", "b"])
      assert.strictEqual(fake.requests.length, 1)
    }))
})

describe("unknown targets elsewhere", () => {
  it.effect("the cleanup sink does not delete an unknown token; the summary counts it", () =>
    Effect.gen(function*() {
      const deleted: Array<string> = []
      const outcomes = Stream.make(
        { token: "gone", outcome: Result.Outcome.NotRegistered({ code: "UNREGISTERED" }) },
        { token: "maybe", outcome: Result.Outcome.Unknown({ reason: "NetworkError: reset" }) }
      )
      const cleaned = yield* Stream.run(
        outcomes,
        Cleanup.sink({ onNotRegistered: (tokens) => Effect.sync(() => deleted.push(...tokens)) })
      )
      assert.deepStrictEqual(deleted, ["gone"])
      assert.strictEqual(cleaned.deleted, 1)
      const summary = yield* Stream.run(outcomes, Result.summarySink)
      assert.deepStrictEqual([summary.total, summary.notRegistered, summary.unknown], [2, 1, 1])
    }))
})
