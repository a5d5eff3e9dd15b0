import { Credentials, FcmClient, FcmV1, Message, Result } from "@effect-fcm/fcm"
import { HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Metric, Option, Redacted, Schedule, Stream, TestClock } from "effect"
import { generateKeyPairSync } from "node:crypto"
import { fastFake } from "./support/fastFake.js"
import { type Recorded, recorder, type Reply } from "./support/recorder.js"

const rpc = (code: number, status: string, message: string, errorCode?: string, extra: ReadonlyArray<object> = []) => ({
  error: {
    code,
    message,
    status,
    details: [
      ...(errorCode ? [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode }] : []),
      ...extra
    ]
  }
})

/** A v1 server answering per token by its prefix. */
const byToken = (request: Recorded): Reply => {
  const token: string = request.json.message.token ?? request.json.message.topic ?? request.json.message.condition
  if (token.startsWith("gone")) return { status: 404, body: rpc(404, "NOT_FOUND", "not found", "UNREGISTERED") }
  if (token.startsWith("bad")) {
    return {
      status: 400,
      body: rpc(
        400,
        "INVALID_ARGUMENT",
        "The registration token is not a valid FCM registration token",
        "INVALID_ARGUMENT",
        [{
          "@type": "type.googleapis.com/google.rpc.BadRequest",
          fieldViolations: [{ field: "message.token", description: "Invalid registration token" }]
        }]
      )
    }
  }
  if (token.startsWith("other")) {
    return { status: 403, body: rpc(403, "PERMISSION_DENIED", "mismatch", "SENDER_ID_MISMATCH") }
  }
  if (token.startsWith("busy")) {
    return { status: 503, body: rpc(503, "UNAVAILABLE", "unavailable", "UNAVAILABLE"), headers: { "retry-after": "7" } }
  }
  return { body: { name: `projects/demo/messages/${token}` } }
}

const v1Layer = (answer: Parameters<typeof recorder>[0], options: FcmV1.Options = {}) => {
  const fake = recorder(answer)
  const layer = FcmV1.layer(options).pipe(
    Layer.provide(Credentials.layerStatic(Redacted.make("static-token"), { projectId: "demo" })),
    Layer.provide(fake.layer)
  )
  return { requests: fake.requests, layer }
}

describe("FcmV1", () => {
  it.effect("fans a multicast out into one request per token and fills the same buckets as legacy", () => {
    const { layer, requests } = v1Layer(byToken)
    const tokens = ["ok-1", "gone-1", "bad-1", "other-1", "busy-1", "ok-2"]
    return Effect.gen(function*() {
      const result = yield* FcmClient.send(Message.multicast(tokens, { data: { n: 1, flag: true }, collapseKey: "k" }))
      assert.deepStrictEqual(Object.fromEntries(result.success), {
        "ok-1": "projects/demo/messages/ok-1",
        "ok-2": "projects/demo/messages/ok-2"
      })
      assert.deepStrictEqual(result.notRegistered, ["gone-1"])
      assert.deepStrictEqual(Object.fromEntries(result.failed), {
        "bad-1": "INVALID_ARGUMENT",
        "other-1": "SENDER_ID_MISMATCH"
      })
      assert.deepStrictEqual(Object.fromEntries(result.retryable), { "busy-1": "UNAVAILABLE" })
      assert.strictEqual(result.retryAfterMillis, 7000)
      assert.deepStrictEqual([...result.outcomes.keys()], tokens)
      assert.strictEqual(requests.length, tokens.length)
      for (const r of requests) {
        assert.strictEqual(r.url, "https://fcm.googleapis.com/v1/projects/demo/messages:send")
        assert.strictEqual(r.headers["authorization"], "Bearer static-token")
        assert.deepStrictEqual(r.json.message.data, { n: "1", flag: "true" })
        assert.strictEqual(r.json.message.android.collapse_key, "k")
        assert.strictEqual(r.json.validate_only, undefined)
      }
      assert.deepStrictEqual(requests.map((r) => r.json.message.token).sort(), [...tokens].sort())
    }).pipe(Effect.provide(layer))
  })

  it.effect("sends topics without the /topics/ prefix, conditions as they are, and dry runs as validate_only", () => {
    const { layer, requests } = v1Layer(byToken)
    return Effect.gen(function*() {
      const topic = yield* FcmClient.send(Message.toTopic("/topics/news", { dryRun: true }))
      assert.deepStrictEqual([...topic.success.keys()], ["/topics/news"])
      assert.strictEqual(requests[0]!.json.message.topic, "news")
      assert.strictEqual(requests[0]!.json.validate_only, true)
      yield* FcmClient.send(Message.toCondition("'a' in topics && 'b' in topics"))
      assert.strictEqual(requests[1]!.json.message.condition, "'a' in topics && 'b' in topics")
    }).pipe(Effect.provide(layer))
  })

  it.effect("an INVALID_ARGUMENT about the payload fails the whole send with InvalidMessage", () => {
    const { layer } = v1Layer(() => ({
      status: 400,
      body: rpc(400, "INVALID_ARGUMENT", "Invalid JSON payload received.", undefined, [{
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        fieldViolations: [{ field: "message.android.ttl", description: "Invalid duration" }]
      }])
    }))
    return Effect.gen(function*() {
      const error = yield* Effect.flip(FcmClient.send(Message.multicast(["a", "b", "c"])))
      assert.strictEqual(error._tag, "InvalidMessage")
      assert.strictEqual((error as { field: string }).field, "message.android.ttl")
    }).pipe(Effect.provide(layer))
  })

  it.effect("on a 401 it refreshes the access token once and resends", () => {
    let issued = 0
    const fake = recorder((request) =>
      request.headers["authorization"] === "Bearer token-1"
        ? { status: 401, body: rpc(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.") }
        : { body: { name: "projects/demo/messages/1" } }
    )
    const layer = FcmV1.layer({ projectId: "demo" }).pipe(
      Layer.provide(Credentials.layerEffect(Effect.sync(() => Redacted.make(`token-${++issued}`)))),
      Layer.provide(fake.layer)
    )
    return Effect.gen(function*() {
      const result = yield* FcmClient.send(Message.multicast(["a", "b", "c", "d"]))
      assert.strictEqual(result.success.size, 4)
      assert.strictEqual(issued, 2)
      assert.strictEqual(fake.requests.filter((r) => r.headers["authorization"] === "Bearer token-1").length, 4)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a 401 that persists after a refresh is an AuthenticationError", () => {
    const { layer } = v1Layer(() => ({ status: 401, body: rpc(401, "UNAUTHENTICATED", "invalid credentials") }))
    return Effect.gen(function*() {
      const error = yield* Effect.flip(FcmClient.send(Message.multicast(["a"])))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual((error as { status?: number }).status, 401)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a service-account key is all it needs: one token request for a 2,000-token fan-out", () => {
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" }
    })
    const key = {
      type: "service_account",
      project_id: "from-key",
      private_key_id: "kid",
      private_key: privateKey,
      client_email: "sender@from-key.iam.gserviceaccount.com",
      client_id: "1",
      token_uri: "https://oauth2.googleapis.com/token"
    }
    const fake = recorder((request) =>
      request.url === key.token_uri
        ? { body: { access_token: "ya29.fresh", expires_in: 3600, token_type: "Bearer" } }
        : { body: { name: `projects/from-key/messages/${request.json.message.token}` } }
    )
    const layer = FcmV1.layer().pipe(
      Layer.provide(Credentials.layerServiceAccount(key)),
      Layer.provide(fake.layer)
    )
    const tokens = Array.from({ length: 2000 }, (_, i) => `t${i}`)
    return Effect.gen(function*() {
      const result = yield* FcmClient.send(Message.multicast(tokens))
      assert.strictEqual(result.success.size, 2000)
      assert.strictEqual(fake.requests.filter((r) => r.url === key.token_uri).length, 1)
      const sends = fake.requests.filter((r) => r.url !== key.token_uri)
      assert.strictEqual(sends[0]!.url, "https://fcm.googleapis.com/v1/projects/from-key/messages:send")
      assert.strictEqual(sends[0]!.headers["authorization"], "Bearer ya29.fresh")
    }).pipe(Effect.provide(layer))
  })

  it.effect("keeps at most `concurrency` requests in flight", () => {
    let inFlight = 0
    let max = 0
    const { layer } = v1Layer(
      (request) =>
        Effect.acquireUseRelease(
          Effect.sync(() => (max = Math.max(max, ++inFlight))),
          () => Effect.yieldNow().pipe(Effect.as(byToken(request))),
          () => Effect.sync(() => inFlight--)
        ),
      { concurrency: 7 }
    )
    return Effect.gen(function*() {
      const result = yield* FcmClient.send(Message.multicast(Array.from({ length: 300 }, (_, i) => `ok-${i}`)))
      assert.strictEqual(result.success.size, 300)
      assert.isAtMost(max, 7)
      assert.isAtLeast(max, 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("quota errors are retried no sooner than a minute later, and only for the throttled token", () => {
    let throttled = true
    const { layer, requests } = v1Layer((request) => {
      if (request.json.message.token === "hot" && throttled) {
        throttled = false
        const quotaFailure = { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [] }
        return { status: 429, body: rpc(429, "RESOURCE_EXHAUSTED", "quota", "QUOTA_EXCEEDED", [quotaFailure]) }
      }
      return byToken(request)
    })
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        FcmClient.sendWithRetry(Message.multicast(["ok", "hot"]), { schedule: Schedule.spaced("1 second") })
      )
      yield* TestClock.adjust("59 seconds")
      assert.strictEqual(requests.length, 2)
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(requests.length, 3)
      assert.strictEqual(requests[2]!.json.message.token, "hot")
      assert.strictEqual(result.success.size, 2)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a missing project id is refused when the layer is built", () =>
    Effect.gen(function*() {
      const fake = recorder(byToken)
      const error = yield* FcmV1.make().pipe(
        Effect.provide(Credentials.layerStatic(Redacted.make("t"))),
        Effect.provide(fake.layer),
        Effect.flip
      )
      assert.include(String(error), "projectId")
      const bad = yield* FcmV1.make({ projectId: "has space" }).pipe(
        Effect.provide(Credentials.layerStatic(Redacted.make("t"))),
        Effect.provide(fake.layer),
        Effect.flip
      )
      assert.include(String(bad), "projectId")
    }))

  it.effect("the seed's example runs over v1 unchanged but for the layer", () => {
    const { layer } = v1Layer(byToken)
    return Effect.gen(function*() {
      const fcm = yield* FcmClient.FcmClient
      const res = yield* fcm.send(
        Message.multicast(["ok-registration_id_1", "busy-registration_id_2"], {
          data: { str: "string", int: 10 },
          collapseKey: "my.key",
          dryRun: true
        })
      )
      assert.deepStrictEqual([...res.success.keys()], ["ok-registration_id_1"])
      assert.isTrue(res.needsRetry())
      assert.deepStrictEqual(Option.getOrThrow(res.retry()).tokens, ["busy-registration_id_2"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("a stream over a server that answers without I/O still lets timers and sockets run", () => {
    // Every answer here completes in microtasks; without a yield to the event loop the whole stream would run before
    // any timer, socket or IPC message of the host process.
    let timerFired = false
    let requests = 0
    let sentBeforeTimer = 0
    const client = fastFake(() => {
      if (!timerFired) sentBeforeTimer = ++requests
      else requests++
      return [200, "{\"name\":\"projects/demo/messages/1\"}"]
    })
    const layer = FcmV1.layer({ concurrency: 16, timeout: false }).pipe(
      Layer.provide(Credentials.layerStatic(Redacted.make("t"), { projectId: "demo" })),
      Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
    )
    const total = 20_000
    return Effect.gen(function*() {
      setTimeout(() => (timerFired = true), 0)
      const summary = yield* FcmClient.sendStream(
        Stream.range(1, total).pipe(Stream.map((i) => `token-${i}`)),
        { data: { k: "v" } },
        { retry: false }
      ).pipe(Stream.run(Result.summarySink))
      assert.strictEqual(summary.success, total)
      assert.isTrue(timerFired)
      // the timer ran while the stream was going, within its first few thousand tokens
      assert.isBelow(sentBeforeTimer, 5_000)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a 1,000,000-token stream completes with a bounded number of tokens in flight", () => {
    let inFlight = 0
    let max = 0
    let requests = 0
    const delivered = "{\"name\":\"projects/demo/messages/1\"}"
    const client = fastFake(() => {
      requests++
      return [200, delivered]
    }).pipe(
      // Count each request while it is in flight, across a real asynchronous boundary.
      HttpClient.transformResponse((response) =>
        Effect.acquireUseRelease(
          Effect.sync(() => (max = Math.max(max, ++inFlight))),
          () => Effect.zipLeft(response, Effect.yieldNow()),
          () => Effect.sync(() => inFlight--)
        )
      )
    )
    const layer = FcmV1.layer({ concurrency: 64, timeout: false }).pipe(
      Layer.provide(Credentials.layerStatic(Redacted.make("t"), { projectId: "demo" })),
      Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
    )
    const total = Number(process.env.STREAM_TOKENS ?? 1_000_000)
    return Effect.gen(function*() {
      const summary = yield* FcmClient.sendStream(
        Stream.range(1, total).pipe(Stream.map((i) => `token-${i}`)),
        { data: { k: "v" } },
        { retry: false }
      ).pipe(Stream.run(Result.summarySink))
      assert.strictEqual(summary.total, total)
      assert.strictEqual(summary.success, total)
      assert.strictEqual(requests, total)
      assert.isAtMost(max, 64)
      assert.isAtLeast(max, 2)
      const gauge = yield* Metric.value(FcmClient.targetsInFlight.pipe(Metric.tagged("protocol", "v1")))
      assert.strictEqual(gauge.value, 0)
    }).pipe(Effect.provide(layer))
  }, 900_000)
})
