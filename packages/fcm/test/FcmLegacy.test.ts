import { FcmClient, FcmLegacy, Message, Result } from "@effect-fcm/fcm"
import { HttpClientError, HttpClientRequest } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Deferred, Effect, Either, Fiber, Layer, Option, Redacted, TestClock } from "effect"
import * as Legacy from "../src/internal/legacy.js"
import { allDelivered, recorder, type Reply } from "./support/recorder.js"

const randomString = (n: number, alphabet: string) =>
  Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("")
const generateApiKey = () => randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
const generateRegId = () => randomString(152, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_/")

const clientWith = (answer: Parameters<typeof recorder>[0], apiKey = "my_api_key") => {
  const fake = recorder(answer)
  const layer = FcmLegacy.layer({ apiKey: Redacted.make(apiKey) }).pipe(Layer.provide(fake.layer))
  return { requests: fake.requests, layer }
}

const T2_RESPONSE = {
  multicast_id: 1,
  success: 2,
  failure: 3,
  canonical_ids: 1,
  results: [
    { message_id: "1:0408" },
    { error: "Unavailable" },
    { error: "InvalidRegistration" },
    { message_id: "1:2342", registration_id: "32" },
    { error: "NotRegistered" }
  ]
}

const T2_MESSAGE = Message.multicast(["A", "B", "C", "D", "E"], {
  data: { str: "string", int: 90, bool: true },
  collapseKey: "collapse.key",
  timeToLive: 90,
  delayWhileIdle: true,
  dryRun: true,
  priority: "high"
})

const classify = (status: number, body: unknown, targets: ReadonlyArray<string>, retryAfter?: string) =>
  Legacy.classify({
    status,
    body: typeof body === "string" ? body : JSON.stringify(body),
    retryAfter,
    nowMillis: Date.UTC(2026, 0, 1)
  }, targets)

describe("FcmLegacy", () => {
  it.effect("T1: sends one token end to end to the default URL with the API key", () => {
    const apiKey = generateApiKey()
    const regId = generateRegId()
    const { layer, requests } = clientWith(allDelivered, apiKey)
    return Effect.gen(function*() {
      const res = yield* FcmClient.send(Message.multicast([regId], { data: { foo: "bar" } }))
      assert.deepStrictEqual(Object.fromEntries(res.success), { [regId]: "1:0" })
      assert.strictEqual(res.canonical.size, 0)
      assert.strictEqual(res.failed.size, 0)
      assert.isTrue(Option.isNone(res.retry()))
      assert.strictEqual(requests.length, 1)
      assert.strictEqual(requests[0]!.url, "https://fcm.googleapis.com/fcm/send")
      assert.strictEqual(requests[0]!.method, "POST")
      assert.strictEqual(requests[0]!.headers["authorization"], `key=${apiKey}`)
      assert.strictEqual(requests[0]!.headers["content-type"], "application/json")
      assert.deepStrictEqual(requests[0]!.json, { data: { foo: "bar" }, registration_ids: [regId] })
    }).pipe(Effect.provide(layer))
  })

  it.effect("T2: parses the seed's fixture into the five buckets", () => {
    const { layer, requests } = clientWith(() => ({ body: T2_RESPONSE }))
    return Effect.gen(function*() {
      const rsp = yield* FcmClient.send(T2_MESSAGE)
      assert.deepStrictEqual(Object.fromEntries(rsp.canonical), { D: "32" })
      assert.deepStrictEqual(Object.fromEntries(rsp.failed), { C: "InvalidRegistration" })
      assert.strictEqual(rsp.message, T2_MESSAGE)
      assert.deepStrictEqual(Option.getOrThrow(rsp.retry()).tokens, ["B"])
      // Deliberate difference: the seed also listed D under success. Here every token lands in exactly one bucket,
      // so D (delivered with a new token) is only in canonical.
      assert.deepStrictEqual(Object.fromEntries(rsp.success), { A: "1:0408" })
      assert.deepStrictEqual(rsp.notRegistered, ["E"])
      assert.deepStrictEqual(Object.fromEntries(rsp.retryable), { B: "Unavailable" })
      // counted from the outcomes, without the buckets: the same sizes
      assert.deepStrictEqual(rsp.counts, {
        success: 1,
        canonical: 1,
        notRegistered: 1,
        failed: 1,
        retryable: 1,
        unknown: 0
      })
      assert.isTrue(rsp.needsRetry())
      assert.strictEqual(rsp.retryAfterMillis, undefined)
      const retry = Option.getOrThrow(rsp.retry())
      assert.deepStrictEqual({ ...retry, tokens: undefined }, { ...T2_MESSAGE, tokens: undefined })
      assert.deepStrictEqual(requests[0]!.json, {
        collapse_key: "collapse.key",
        delay_while_idle: true,
        registration_ids: ["A", "B", "C", "D", "E"],
        data: { str: "string", int: 90, bool: true },
        time_to_live: 90,
        dry_run: true,
        priority: "high"
      })
    }).pipe(Effect.provide(layer))
  })

  describe("error-code routing", () => {
    it("InternalServerError and the rate codes are retryable, NotRegistered is not registered, others fail", () => {
      const targets = ["a", "b", "c", "d", "e", "f"]
      const outcomes = Either.getOrThrow(classify(200, {
        multicast_id: 1,
        results: [
          { error: "InternalServerError" },
          { error: "NotRegistered" },
          { error: "unavailable" },
          { error: "DeviceMessageRateExceeded" },
          { error: "MismatchSenderId" },
          { message_id: "m", error: "Ignored" }
        ]
      }, targets))
      const result = Result.make(Message.multicast(targets), targets.map((t, i) => [t, outcomes[i]!]))
      assert.deepStrictEqual(Object.fromEntries(result.retryable), {
        a: "InternalServerError",
        d: "DeviceMessageRateExceeded"
      })
      assert.deepStrictEqual(result.notRegistered, ["b"])
      // Case-sensitive like the seed: lower-case "unavailable" is an unknown code, so it fails.
      assert.deepStrictEqual(Object.fromEntries(result.failed), { c: "unavailable", e: "MismatchSenderId" })
      assert.deepStrictEqual(Object.fromEntries(result.success), { f: "m" })
    })

    it("all delivered or not registered needs no retry", () => {
      const outcomes = Either.getOrThrow(
        classify(200, { multicast_id: 1, results: [{ message_id: "1" }, { error: "NotRegistered" }] }, ["a", "b"])
      )
      const result = Result.make(Message.multicast(["a", "b"]), [["a", outcomes[0]!], ["b", outcomes[1]!]])
      assert.isFalse(result.needsRetry())
      assert.isTrue(Option.isNone(result.retry()))
    })

    it("a missing multicast_id is tolerated (the seed raised KeyError for a value it discarded)", () => {
      assert.isTrue(Either.isRight(classify(200, { results: [{ message_id: "1" }] }, ["a"])))
    })

    it("a topic send answers with a top-level message_id or error", () => {
      const ok = Either.getOrThrow(classify(200, { message_id: 7 }, ["/topics/news"]))
      assert.deepStrictEqual(ok[0], Result.Outcome.Delivered({ messageId: "7" }))
      const rate = Either.getOrThrow(classify(200, { error: "TopicsMessageRateExceeded" }, ["/topics/news"]))
      assert.strictEqual(rate[0]!._tag, "Retryable")
    })
  })

  describe("statuses", () => {
    it("400 is an InvalidMessage carrying FCM's explanation and the field it names", () => {
      const error = Either.getLeft(classify(400, "Field \"time_to_live\" must be a JSON number: abc", ["a"]))
      const e = Option.getOrThrow(error)
      assert.strictEqual(e._tag, "InvalidMessage")
      if (e._tag !== "InvalidMessage") return
      assert.strictEqual(e.field, "time_to_live")
      assert.strictEqual(e.status, 400)
      assert.include(e.reason, "must be a JSON number")
    })

    it("401 is an AuthenticationError", () => {
      const e = Option.getOrThrow(Either.getLeft(classify(401, "<HTML>Unauthorized</HTML>", ["a"])))
      assert.strictEqual(e._tag, "AuthenticationError")
      assert.strictEqual((e as { status?: number }).status, 401)
    })

    for (const status of [201, 204, 302, 403, 404, 499, 600]) {
      it(`${status} is a TransportError that is not retryable (the seed raised RuntimeError)`, () => {
        const e = Option.getOrThrow(Either.getLeft(classify(status, "nope", ["a"])))
        assert.strictEqual(e._tag, "TransportError")
        if (e._tag !== "TransportError") return
        assert.strictEqual(e.status, status)
        assert.isFalse(e.retryable)
        assert.strictEqual(e.body, "nope")
      })
    }

    for (const status of [500, 503, 599]) {
      it(`${status} makes every token retryable, and the retry is the whole message`, () => {
        const outcomes = Either.getOrThrow(classify(status, "", ["a", "b"]))
        const result = Result.make(T2_MESSAGE, T2_MESSAGE.tokens!.map((t, i) => [t, outcomes[i % 2]!]))
        assert.strictEqual(result.retryable.size, 5)
        assert.deepStrictEqual(Option.getOrThrow(result.retry()), T2_MESSAGE)
        assert.strictEqual(result.success.size, 0)
      })
    }

    it("429 makes every token retryable no sooner than a minute, or the longer Retry-After", () => {
      const bare = Either.getOrThrow(classify(429, "", ["a", "b"]))
      assert.deepStrictEqual(bare, [
        Result.Outcome.Retryable({ reason: "HTTP 429", retryAfterMillis: 60_000 }),
        Result.Outcome.Retryable({ reason: "HTTP 429", retryAfterMillis: 60_000 })
      ])
      const longer = Either.getOrThrow(classify(429, "", ["a"], "90"))
      assert.strictEqual((longer[0] as { retryAfterMillis?: number }).retryAfterMillis, 90_000)
    })

    it("503 with Retry-After in seconds or as an HTTP-date sets the delay", () => {
      const seconds = Either.getOrThrow(classify(503, "", ["a"], "120"))
      assert.deepStrictEqual(seconds[0], Result.Outcome.Retryable({ reason: "HTTP 503", retryAfterMillis: 120_000 }))
      const date = Either.getOrThrow(classify(503, "", ["a"], new Date(Date.UTC(2026, 0, 1, 0, 1)).toUTCString()))
      assert.strictEqual((date[0] as { retryAfterMillis?: number }).retryAfterMillis, 60_000)
    })
  })

  describe("malformed 200 bodies are TransportErrors with an excerpt", () => {
    const cases: ReadonlyArray<readonly [string, unknown]> = [
      ["no results", { multicast_id: 1 }],
      ["fewer results than tokens", { multicast_id: 1, results: [{ message_id: "1" }] }],
      ["a result with neither message_id nor error", { multicast_id: 1, results: [{}, {}] }],
      ["a body that is not JSON", "<html>oops</html>"],
      ["JSON that is not an object", "42"]
    ]
    for (const [name, body] of cases) {
      it(name, () => {
        const e = Option.getOrThrow(Either.getLeft(classify(200, body, ["a", "b"])))
        assert.strictEqual(e._tag, "TransportError")
        if (e._tag !== "TransportError") return
        assert.isFalse(e.retryable)
        assert.strictEqual(e.status, 200)
        assert.isString(e.body)
      })
    }
  })

  it.effect("splits more than 1000 tokens into requests of at most 1000 and merges in order", () => {
    const tokens = Array.from({ length: 2500 }, (_, i) => `t${i}`)
    const { layer, requests } = clientWith((request) => {
      const ids: ReadonlyArray<string> = request.json.registration_ids
      return {
        body: {
          multicast_id: 1,
          results: ids.map((id) => id.endsWith("7") ? { error: "NotRegistered" } : { message_id: `m-${id}` })
        }
      }
    })
    return Effect.gen(function*() {
      const res = yield* FcmClient.send(Message.multicast(tokens, { data: { k: "v" } }))
      assert.deepStrictEqual(requests.map((r) => r.json.registration_ids.length).sort(), [1000, 1000, 500])
      assert.deepStrictEqual([...res.outcomes.keys()], tokens)
      assert.strictEqual(res.notRegistered.length, 250)
      assert.strictEqual(res.success.size, 2250)
      assert.strictEqual(res.success.get("t1234"), "m-t1234")
      for (const r of requests) assert.deepStrictEqual(r.json.data, { k: "v" })
    }).pipe(Effect.provide(layer))
  })

  it.effect("a network failure leaves the request's tokens retryable", () => {
    const { layer } = clientWith((_, i) =>
      Effect.fail(
        new HttpClientError.RequestError({
          request: HttpClientRequest.post("https://fcm.googleapis.com/fcm/send"),
          reason: "Transport",
          description: `ECONNRESET ${i}`
        })
      )
    )
    return Effect.gen(function*() {
      const res = yield* FcmClient.send(Message.multicast(["a", "b"]))
      assert.deepStrictEqual([...res.retryable.keys()], ["a", "b"])
      assert.include(res.retryable.get("a")!, "ECONNRESET")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a hung request ends as retryable after the timeout, never hanging the send", () => {
    const fake = recorder(() => Effect.never as Effect.Effect<Reply>)
    const layer = FcmLegacy.layer({ apiKey: Redacted.make("k"), timeout: "5 seconds" }).pipe(Layer.provide(fake.layer))
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(FcmClient.send(Message.multicast(["a", "b"])))
      yield* TestClock.adjust("5 seconds")
      const res = yield* Fiber.join(fiber)
      assert.deepStrictEqual([...res.retryable.keys()], ["a", "b"])
      assert.include(res.retryable.get("a")!, "Timeout")
    }).pipe(Effect.provide(layer))
  })

  describe("bad input is refused before anything is sent", () => {
    const bad: ReadonlyArray<readonly [string, unknown, string]> = [
      ["empty tokens", { tokens: [] }, "tokens"],
      ["duplicate tokens", { tokens: ["a", "a"] }, "tokens[1]"],
      ["empty token", { tokens: [""] }, "tokens[0]"],
      ["nested data", { tokens: ["a"], data: { x: { y: 1 } } }, "data.x"],
      ["reserved data key", { tokens: ["a"], data: { from: "me" } }, "data.from"],
      ["TTL out of range", { tokens: ["a"], timeToLive: 2_419_201 }, "timeToLive"],
      ["TTL not an integer", { tokens: ["a"], timeToLive: 0.5 }, "timeToLive"],
      ["unknown priority", { tokens: ["a"], priority: "max" }, "priority"],
      ["oversized payload", { tokens: ["a"], data: { x: "y".repeat(5000) } }, "data"],
      ["no target", {}, "tokens"]
    ]
    it.effect("a duplicate among thousands of tokens names both places", () => {
      const { layer, requests } = clientWith(allDelivered)
      const tokens = Array.from({ length: 2500 }, (_, i) => `token-${i}`)
      tokens[2400] = tokens[17]!
      return Effect.gen(function*() {
        const error = yield* Effect.flip(FcmClient.send(Message.multicast(tokens)))
        assert.strictEqual(error._tag, "InvalidMessage")
        assert.strictEqual((error as { field: string }).field, "tokens[2400]")
        assert.include(error.message, "duplicates tokens[17]")
        assert.strictEqual(requests.length, 0)
      }).pipe(Effect.provide(layer))
    })

    for (const [name, input, field] of bad) {
      it.effect(name, () => {
        const { layer, requests } = clientWith(allDelivered)
        return Effect.gen(function*() {
          const error = yield* Effect.flip(FcmClient.send(input as Message.Message))
          assert.strictEqual(error._tag, "InvalidMessage")
          assert.strictEqual((error as { field: string }).field, field)
          assert.strictEqual(requests.length, 0)
        }).pipe(Effect.provide(layer))
      })
    }
  })

  describe("configuration", () => {
    it.effect("the adaptive limit starts at 16 requests in flight", () =>
      Effect.gen(function*() {
        const release = yield* Deferred.make<void>()
        let inFlight = 0
        let most = 0
        const fake = recorder((request) =>
          Effect.gen(function*() {
            most = Math.max(most, ++inFlight)
            yield* Deferred.await(release)
            inFlight--
            return allDelivered(request)
          }), { record: false })
        const fcm = yield* Effect.provide(FcmLegacy.make({ apiKey: Redacted.make("k") }), fake.layer)
        const tokens = Array.from({ length: 40_000 }, (_, i) => `token-${i}`)
        const send = yield* Effect.fork(fcm.send(Message.multicast(tokens)))
        // every request that may start before an answer has started once the fibers have run
        for (let i = 0; i < 200; i++) yield* Effect.yieldNow()
        assert.strictEqual(inFlight, 16)
        yield* Deferred.succeed(release, undefined)
        const result = yield* Fiber.join(send)
        assert.strictEqual(result.counts.success, 40_000)
        assert.strictEqual(most, 16)
      }))

    it.effect("an empty API key is refused (the seed: 'Google API key is required')", () =>
      Effect.gen(function*() {
        const fake = recorder(allDelivered)
        const error = yield* Effect.flip(Effect.provide(FcmLegacy.make({ apiKey: Redacted.make("") }), fake.layer))
        assert.include(String(error), "apiKey")
      }))

    it.effect("a zero backoff, a bad URL and a bad concurrency are refused with the option's name", () =>
      Effect.gen(function*() {
        const fake = recorder(allDelivered)
        const make = (o: Partial<FcmLegacy.Options>) =>
          Effect.flip(Effect.provide(FcmLegacy.make({ apiKey: Redacted.make("k"), ...o }), fake.layer)).pipe(
            Effect.map(String)
          )
        assert.include(yield* make({ backoffMillis: 0 }), "backoffMillis")
        assert.include(yield* make({ baseUrl: "ftp://x" }), "baseUrl")
        assert.include(yield* make({ concurrency: -1 }), "concurrency")
        assert.include(yield* make({ timeout: "soon" as never }), "timeout")
      }))

    it.effect("layerConfig reads FCM_API_KEY and FCM_BASE_URL", () => {
      const fake = recorder(allDelivered)
      const layer = FcmLegacy.layerConfig().pipe(
        Layer.provide(fake.layer),
        Layer.provide(Layer.setConfigProvider(
          ConfigProvider.fromMap(new Map([["FCM_API_KEY", "env-key"], ["FCM_BASE_URL", "http://127.0.0.1:9/"]]))
        ))
      )
      return Effect.gen(function*() {
        yield* FcmClient.send(Message.multicast(["a"]))
        assert.strictEqual(fake.requests[0]!.url, "http://127.0.0.1:9/fcm/send")
        assert.strictEqual(fake.requests[0]!.headers["authorization"], "key=env-key")
      }).pipe(Effect.provide(layer))
    })
  })
})
