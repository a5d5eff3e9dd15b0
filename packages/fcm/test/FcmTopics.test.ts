import { Emulator, FcmFake, Scenario } from "@effect-fcm/emulator"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Layer, Option, Redacted, Schedule, TestClock } from "effect"
import { Credentials, FcmTopics, FcmV1 } from "../src/index.js"
import type { Recorded, Reply } from "./support/recorder.js"
import { recorder } from "./support/recorder.js"

const tokensOf = (n: number, prefix = "t") => Array.from({ length: n }, (_, i) => `${prefix}-${i}`)

const allOk = (request: Recorded): Reply => ({
  body: { results: (request.json.registration_tokens as Array<string>).map(() => ({})) }
})

const topicsWith = (
  answer: (request: Recorded, index: number) => Reply | Effect.Effect<Reply>,
  options: FcmTopics.Options = {}
) => {
  const http = recorder(answer)
  const credentials = Credentials.layerStatic(Redacted.make("ya29.secret"), { projectId: "demo" })
  const layer = FcmTopics.layer({ baseUrl: "https://iid.test", ...options }).pipe(
    Layer.provide(Layer.merge(http.layer, credentials))
  )
  return { requests: http.requests, layer }
}

const topic = (result: FcmTopics.Result, name: string) => Option.getOrThrow(result.get(name))

/**
 * Moves the test clock on in steps of 100 ms until `fiber` is done and at least `atLeast` has passed: a sleep the
 * fiber starts late (its request still on its way when a step began) is reached by a later step, where one jump of
 * the whole span would leave it behind.
 */
const untilDone = <A, E>(fiber: Fiber.Fiber<A, E>, atLeast: Duration.DurationInput = 0) =>
  Effect.gen(function*() {
    const step = Duration.millis(100)
    let left = Duration.toMillis(atLeast)
    while (left > 0 || Option.isNone(yield* fiber.poll)) {
      yield* TestClock.adjust(step)
      left -= Duration.toMillis(step)
    }
    return yield* Fiber.join(fiber)
  })

/**
 * Runs `effect` while the test clock moves a second on, and on until it is done: the pacing of more than 3,000
 * changes waits on it.
 */
const withinASecond = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.fork(effect), (fiber) => untilDone(fiber, "1 second"))

describe("FcmTopics", () => {
  it.effect("2,500 tokens to two topics: three requests per topic, every token in its topic's body once", () => {
    const { layer, requests } = topicsWith(allOk)
    const tokens = tokensOf(2500)
    return Effect.gen(function*() {
      const result = yield* withinASecond(FcmTopics.subscribe(["news", "/topics/scores"], tokens))
      assert.strictEqual(requests.length, 6)
      for (const to of ["/topics/news", "/topics/scores"]) {
        const bodies = requests.filter((r) => r.json.to === to)
        assert.deepStrictEqual(bodies.map((r) => r.json.registration_tokens.length).sort(), [1000, 1000, 500])
        assert.deepStrictEqual(bodies.flatMap((r) => r.json.registration_tokens).sort(), [...tokens].sort())
      }
      for (const r of requests) {
        assert.strictEqual(r.url, "https://iid.test/iid/v1:batchAdd")
        assert.strictEqual(r.headers["authorization"], "Bearer ya29.secret")
        assert.strictEqual(r.headers["access_token_auth"], "true")
        assert.deepStrictEqual(Object.keys(r.json).sort(), ["registration_tokens", "to"])
      }
      assert.deepStrictEqual(result.topics.map((t) => t.topic), ["news", "scores"])
      assert.deepStrictEqual(topic(result, "news").ok, tokens)
      assert.deepStrictEqual(topic(result, "scores").ok, tokens)
      assert.ok(result.isComplete)
    }).pipe(Effect.provide(layer))
  })

  it.effect("unsubscribe speaks batchRemove", () => {
    const { layer, requests } = topicsWith(allOk)
    return Effect.gen(function*() {
      const result = yield* FcmTopics.unsubscribe("news", ["a", "b"])
      assert.deepStrictEqual(requests.map((r) => r.url), ["https://iid.test/iid/v1:batchRemove"])
      assert.deepStrictEqual(topic(result, "news").ok, ["a", "b"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("per-token errors land in their buckets, in token order", () => {
    const codes: Record<string, string> = {
      gone: "NOT_FOUND",
      bad: "INVALID_ARGUMENT",
      full: "TOO_MANY_TOPICS",
      busy: "INTERNAL",
      slow: "RESOURCE_EXHAUSTED"
    }
    const { layer } = topicsWith((request) => ({
      body: {
        results: (request.json.registration_tokens as Array<string>).map((t) =>
          codes[t] === undefined ? {} : { error: codes[t] }
        )
      }
    }))
    return Effect.gen(function*() {
      const result = yield* FcmTopics.subscribe("news", ["ok-1", "gone", "bad", "full", "busy", "ok-2", "slow"])
      const news = topic(result, "news")
      assert.deepStrictEqual(news.ok, ["ok-1", "ok-2"])
      assert.deepStrictEqual(news.notRegistered, ["gone"])
      assert.deepStrictEqual([...news.invalid], [["bad", "INVALID_ARGUMENT"], ["full", "TOO_MANY_TOPICS"]])
      assert.deepStrictEqual([...news.retryable.keys()], ["busy", "slow"])
      assert.strictEqual(news.retryable.get("busy")!.reason, "INTERNAL")
      assert.strictEqual(news.size, 7)
      assert.isFalse(result.isComplete)
    }).pipe(Effect.provide(layer))
  })

  it.effect("bad topic names and tokens are refused naming the field, nothing sent", () => {
    const { layer, requests } = topicsWith(allOk)
    return Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [string | ReadonlyArray<string>, ReadonlyArray<string>, string]> = [
        ["news!", ["a"], "topic"],
        ["/topics/", ["a"], "topic"],
        [["news", "bad name"], ["a"], "topics[1]"],
        [["news", "/topics/news"], ["a"], "topics[1]"],
        [[], ["a"], "topics"],
        ["news", ["a", ""], "tokens[1]"],
        ["news", ["a", "b", "a"], "tokens[2]"],
        ["news", ["a", "b c"], "tokens[1]"],
        ["news", ["a", 42 as unknown as string], "tokens[1]"]
      ]
      for (const [topics, tokens, field] of cases) {
        const error = yield* Effect.flip(FcmTopics.subscribe(topics, tokens))
        assert.strictEqual(error._tag, "InvalidMessage")
        assert.strictEqual(error._tag === "InvalidMessage" ? error.field : "", field)
      }
      assert.strictEqual(requests.length, 0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("no tokens: an empty result per topic, nothing sent", () => {
    const { layer, requests } = topicsWith(allOk)
    return Effect.gen(function*() {
      const result = yield* FcmTopics.subscribe(["news", "scores"], [])
      assert.deepStrictEqual(result.topics.map((t) => [t.topic, t.size]), [["news", 0], ["scores", 0]])
      assert.strictEqual(requests.length, 0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a 503 on one chunk makes that chunk's tokens retryable, and only those are sent again", () => {
    const tokens = tokensOf(2500)
    // the second request of the call (whichever chunk it carries) fails once
    const { layer, requests } = topicsWith(
      (request, index) => index === 1 ? { status: 503, headers: { "retry-after": "7" } } : allOk(request),
      { concurrency: 1 }
    )
    return Effect.gen(function*() {
      const first = yield* FcmTopics.subscribe("news", tokens)
      const failed = requests[1]!.json.registration_tokens as Array<string>
      const news = topic(first, "news")
      assert.deepStrictEqual([...news.retryable.keys()], failed)
      assert.strictEqual(news.retryable.get(failed[0]!)!.retryAfterMillis, 7000)
      assert.strictEqual(news.ok.length, 2500 - failed.length)
    }).pipe(Effect.provide(layer))
  })

  it.effect("subscribeWithRetry resends a 429'd chunk's tokens only, after the schedule and Retry-After", () => {
    const tokens = tokensOf(2500)
    const { layer, requests } = topicsWith(
      (request, index) => index === 2 ? { status: 429, headers: { "retry-after": "30" } } : allOk(request),
      { concurrency: 1, changesPerSecond: false }
    )
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        FcmTopics.subscribeWithRetry(["news", "scores"], tokens, { schedule: Schedule.spaced("1 second") })
      )
      yield* TestClock.adjust("29 seconds")
      assert.strictEqual(requests.length, 6) // waiting for the Retry-After
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(requests.length, 7)
      assert.strictEqual(requests[6]!.json.to, requests[2]!.json.to)
      assert.deepStrictEqual(requests[6]!.json.registration_tokens, requests[2]!.json.registration_tokens)
      assert.ok(result.isComplete)
      assert.deepStrictEqual(topic(result, "news").ok, tokens)
      assert.deepStrictEqual(topic(result, "scores").ok, tokens)
    }).pipe(Effect.provide(layer))
  })

  it.effect("retries stop when the schedule ends, the tokens left retryable", () => {
    const { layer, requests } = topicsWith((request) => ({
      body: { results: (request.json.registration_tokens as Array<string>).map(() => ({ error: "INTERNAL" })) }
    }))
    return Effect.gen(function*() {
      const result = yield* FcmTopics.subscribeWithRetry("news", ["a", "b"], { schedule: Schedule.recurs(2) })
      assert.strictEqual(requests.length, 3)
      assert.deepStrictEqual([...topic(result, "news").retryable.keys()], ["a", "b"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("an HTML 502 to one topic's request makes its tokens retryable, the other topic goes on", () => {
    const { layer } = topicsWith((request) =>
      request.json.to === "/topics/scores" ? { status: 502, body: "<html>Bad Gateway</html>" } : allOk(request)
    )
    return Effect.gen(function*() {
      const result = yield* FcmTopics.subscribe(["news", "scores"], ["a"])
      assert.deepStrictEqual(topic(result, "news").ok, ["a"])
      assert.strictEqual(topic(result, "scores").retryable.get("a")!.reason, "HTTP 502")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a 401 refreshes the access token once; a second 401 fails the call", () => {
    const { layer, requests } = topicsWith(() => ({ status: 401, body: { error: "Unauthorized" } }))
    return Effect.gen(function*() {
      const error = yield* Effect.flip(FcmTopics.subscribe("news", ["a"]))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual(requests.length, 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a 401 cured by a fresh token goes on", () => {
    const { layer, requests } = topicsWith((request, index) => index === 0 ? { status: 401 } : allOk(request))
    return Effect.gen(function*() {
      const result = yield* FcmTopics.subscribe("news", ["a"])
      assert.deepStrictEqual(topic(result, "news").ok, ["a"])
      assert.strictEqual(requests.length, 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a 400 fails the call with InvalidMessage, the server's text scrubbed of the access token", () => {
    const { layer } = topicsWith(() => ({ status: 400, body: { error: "InvalidTopicName ya29.secret" } }))
    return Effect.gen(function*() {
      const error = yield* Effect.flip(FcmTopics.subscribe("news", ["a"]))
      assert.strictEqual(error._tag, "InvalidMessage")
      assert.strictEqual(error.status, 400)
      assert.notInclude(error.message, "ya29.secret")
      assert.include(error.message, "InvalidTopicName")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a 403 fails with AuthenticationError, a 404 with a TransportError, each after one request", () => {
    const forbidden = topicsWith(() => ({ status: 403, body: { error: "PERMISSION_DENIED" } }))
    const missing = topicsWith(() => ({ status: 404, body: "Not Found" }))
    return Effect.gen(function*() {
      const denied = yield* Effect.flip(FcmTopics.subscribe("news", ["a"]).pipe(Effect.provide(forbidden.layer)))
      assert.strictEqual(denied._tag, "AuthenticationError")
      const lost = yield* Effect.flip(FcmTopics.subscribe("news", ["a"]).pipe(Effect.provide(missing.layer)))
      assert.strictEqual(lost._tag, "TransportError")
      assert.strictEqual(forbidden.requests.length + missing.requests.length, 2)
    })
  })

  it.effect("a 200 whose results do not match the tokens leaves them retryable", () => {
    const { layer } = topicsWith(() => ({ body: { results: [{}] } }))
    return Effect.gen(function*() {
      const result = yield* FcmTopics.subscribe("news", ["a", "b"])
      assert.deepStrictEqual([...topic(result, "news").retryable.keys()], ["a", "b"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("requests in flight never exceed the concurrency", () => {
    let inFlight = 0
    let peak = 0
    return Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const { layer, requests } = topicsWith((request) =>
        Effect.gen(function*() {
          inFlight++
          peak = Math.max(peak, inFlight)
          if (inFlight === 2) yield* Deferred.succeed(gate, undefined)
          yield* Deferred.await(gate)
          inFlight--
          return allOk(request)
        }), { concurrency: 2, changesPerSecond: false })
      yield* FcmTopics.subscribe(["a", "b", "c"], tokensOf(1500)).pipe(Effect.provide(layer))
      assert.strictEqual(requests.length, 6)
      assert.strictEqual(peak, 2)
    })
  })
})

describe("FcmTopics keeps to FCM's rate of subscription changes", () => {
  /** The changes sent so far: the tokens of the requests made. */
  const changes = (requests: ReadonlyArray<Recorded>) =>
    requests.reduce((n, r) => n + (r.json.registration_tokens as Array<string>).length, 0)

  it.effect("3,000 changes a second by default: a second's worth at once, then each request waits its turn", () => {
    const { layer, requests } = topicsWith(allOk)
    return Effect.gen(function*() {
      assert.strictEqual(FcmTopics.DEFAULT_CHANGES_PER_SECOND, 3000)
      // 5,000 changes: news 1000 + 1000 + 500, scores 1000 + 1000 + 500, four requests in flight at most
      // each request waits until the bucket (3,000, refilled at 3 a millisecond) has its changes, rounded up to the
      // millisecond: 500 over the bucket wait 166.7 ms (167), 1,500 over 500 ms, 2,000 over 666.7 ms (667)
      const fiber = yield* Effect.fork(FcmTopics.subscribe(["news", "scores"], tokensOf(2500)))
      yield* TestClock.adjust("0 millis")
      assert.strictEqual(changes(requests), 2500, "the first 2,500 fit the bucket; the next 1,000 would not")
      yield* TestClock.adjust("166 millis")
      assert.strictEqual(changes(requests), 2500)
      yield* TestClock.adjust("1 millis") // 167 ms
      assert.strictEqual(changes(requests), 3500)
      yield* TestClock.adjust("332 millis") // 499 ms
      assert.strictEqual(changes(requests), 3500)
      yield* TestClock.adjust("1 millis") // 500 ms
      assert.strictEqual(changes(requests), 4500)
      yield* TestClock.adjust("166 millis") // 666 ms
      assert.strictEqual(changes(requests), 4500)
      yield* TestClock.adjust("1 millis") // 667 ms
      assert.strictEqual(changes(requests), 5000)
      const result = yield* Fiber.join(fiber)
      assert.ok(result.isComplete)
    }).pipe(Effect.provide(layer))
  })

  it.effect("the rate is shared by the calls of a service and configurable; false sends without waiting", () =>
    Effect.gen(function*() {
      const paced = topicsWith(allOk, { changesPerSecond: 1000 })
      yield* Effect.gen(function*() {
        const first = yield* Effect.fork(FcmTopics.subscribe("news", tokensOf(1000, "a")))
        const second = yield* Effect.fork(FcmTopics.unsubscribe("sport", tokensOf(1000, "b")))
        yield* TestClock.adjust("0 millis")
        assert.strictEqual(paced.requests.length, 1)
        yield* TestClock.adjust("999 millis")
        assert.strictEqual(paced.requests.length, 1, "the second call's 1,000 changes wait a second at 1,000 a second")
        yield* TestClock.adjust("1 millis")
        assert.strictEqual(paced.requests.length, 2)
        yield* Fiber.join(first)
        yield* Fiber.join(second)
      }).pipe(Effect.provide(paced.layer))

      const free = topicsWith(allOk, { changesPerSecond: false })
      yield* FcmTopics.subscribe(["a", "b", "c"], tokensOf(3000)).pipe(Effect.provide(free.layer))
      assert.strictEqual(free.requests.length, 9)
    }))

  it.effect("below 1,000 a second the bucket holds one full request: the first goes at once, the next waits", () => {
    const { layer, requests } = topicsWith(allOk, { changesPerSecond: 100 })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(FcmTopics.subscribe("news", tokensOf(2000)))
      yield* TestClock.adjust("0 millis")
      assert.strictEqual(changes(requests), 1000)
      yield* TestClock.adjust("9999 millis")
      assert.strictEqual(changes(requests), 1000, "1,000 more changes at 100 a second: 10 seconds")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(changes(requests), 2000)
      assert.ok((yield* Fiber.join(fiber)).isComplete)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a rate that is not a positive integer is refused naming changesPerSecond", () =>
    Effect.gen(function*() {
      const { layer } = topicsWith(allOk, { changesPerSecond: 0 })
      const error = yield* Effect.flip(Layer.build(layer).pipe(Effect.scoped))
      assert.match(String(error), /changesPerSecond/)
    }))
})

describe("FcmTopics against the emulator", () => {
  const Live = Layer.mergeAll(FcmTopics.layer(), FcmV1.layer()).pipe(
    Layer.provide(
      Layer.unwrapEffect(Effect.map(Emulator.Emulator, (e) => Credentials.layerServiceAccount(e.serviceAccount)))
    ),
    Layer.provideMerge(
      FcmFake.layer({ scenarios: { prefixes: { "stale-": Scenario.notRegistered, "bad-": Scenario.invalidToken } } })
    )
  )
  const topicSend = (topic: string) =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const before = (yield* emulator.records).length
      yield* FcmV1.send({ topic, data: { headline: "launch" } })
      const sent = (yield* emulator.records).slice(before).filter((r) => r.route === "v1")
      assert.strictEqual(sent.length, 1)
      return [...(sent[0]!.reached ?? [])].sort()
    })

  it.effect("2,500 tokens to two topics in one call: three requests per topic; a topic send reaches exactly them", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const tokens = tokensOf(2500, "phone")
      const result = yield* withinASecond(FcmTopics.subscribe(["news", "scores"], tokens))
      const calls = (yield* emulator.records).filter((r) => r.route === "topics")
      assert.deepStrictEqual(calls.map((r) => r.path), Array.from({ length: 6 }, () => "/iid/v1:batchAdd"))
      assert.deepStrictEqual(
        calls.map((r) => r.target?._tag === "Topic" ? r.target.topic : "").sort(),
        ["news", "news", "news", "scores", "scores", "scores"]
      )
      assert.deepStrictEqual(topic(result, "news").ok, tokens)
      assert.deepStrictEqual(emulator.model.subscribers("news"), tokens)
      assert.deepStrictEqual(yield* topicSend("news"), [...tokens].sort())
      assert.deepStrictEqual(yield* topicSend("scores"), [...tokens].sort())

      yield* FcmTopics.unsubscribe("news", tokens.slice(0, 500))
      assert.deepStrictEqual(yield* topicSend("news"), tokens.slice(500).sort())
      assert.deepStrictEqual(yield* topicSend("weather"), [])
    }).pipe(Effect.provide(Live)))

  it.effect("invalid and unknown tokens are reported per token and never subscribed", () =>
    Effect.gen(function*() {
      const result = yield* FcmTopics.subscribe("news", ["phone-1", "stale-1", "bad-1", "phone-2"])
      const news = topic(result, "news")
      assert.deepStrictEqual(news.ok, ["phone-1", "phone-2"])
      assert.deepStrictEqual(news.notRegistered, ["stale-1"])
      assert.deepStrictEqual([...news.invalid], [["bad-1", "INVALID_ARGUMENT"]])
      assert.deepStrictEqual(yield* topicSend("news"), ["phone-1", "phone-2"])
    }).pipe(Effect.provide(Live)))

  it.effect("bad topic names are refused with nothing sent to the emulator", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const error = yield* Effect.flip(FcmTopics.subscribe(["news", "no spaces"], ["phone-1"]))
      assert.strictEqual(error._tag === "InvalidMessage" ? error.field : error._tag, "topics[1]")
      assert.strictEqual((yield* emulator.records).filter((r) => r.route === "topics").length, 0)
    }).pipe(Effect.provide(Live)))

  it.effect("a 503 mid-way: subscribeWithRetry resends that request's tokens only", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const tokens = tokensOf(2500, "phone")
      // the first request to reach the route answers 503, the others are served
      yield* emulator.enqueue("topics", Scenario.unavailable())
      const fiber = yield* Effect.fork(
        FcmTopics.subscribeWithRetry("news", tokens, { schedule: Schedule.spaced("1 second") })
      )
      const result = yield* untilDone(fiber)
      const calls = (yield* emulator.records).filter((r) => r.route === "topics")
      assert.deepStrictEqual(calls.map((r) => r.status).sort(), [200, 200, 200, 503])
      const failed = calls.find((r) => r.status === 503)!
      assert.deepStrictEqual(calls.at(-1)!.body, failed.body) // the retry carries the same 1,000 tokens, no other
      assert.ok(result.isComplete)
      assert.deepStrictEqual(yield* topicSend("news"), [...tokens].sort())
    }).pipe(Effect.provide(Live)))
})
