import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as Emulator from "../src/Emulator.js"
import * as FcmFake from "../src/FcmFake.js"
import * as Scenario from "../src/Scenario.js"
import * as ServiceAccount from "../src/ServiceAccount.js"
import { account } from "./helpers.js"

const V1_URL = "https://fcm.googleapis.com/v1/projects/proj-a/messages:send"

const config: FcmFake.Config = { projectId: "proj-a", serviceAccounts: [account] }

/** The JWT-bearer exchange, as a client library does it. */
const accessToken = Effect.gen(function*() {
  const client = yield* HttpClient.HttpClient
  const now = yield* Clock.currentTimeMillis
  const assertion = ServiceAccount.signAssertion(account, { issuedAt: Math.floor(now / 1000) })
  const res = yield* HttpClientRequest.post("https://oauth2.googleapis.com/token").pipe(
    HttpClientRequest.bodyUrlParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }),
    client.execute
  )
  assert.strictEqual(res.status, 200)
  const body = (yield* res.json) as { access_token: string; expires_in: number; token_type: string }
  return body.access_token
})

const sendV1 = (token: string, message: unknown) =>
  Effect.flatMap(HttpClient.HttpClient, (client) =>
    HttpClientRequest.post(V1_URL).pipe(
      HttpClientRequest.bearerToken(token),
      HttpClientRequest.bodyUnsafeJson({ message }),
      client.execute
    ))

const retryAfterMillis = (res: HttpClientResponse.HttpClientResponse, now: number): number => {
  const value = res.headers["retry-after"]
  if (value === undefined) return 0
  const seconds = Number(value)
  return Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now
}

/** Retries 503s, honouring Retry-After, and reports the waits. */
const sendWithRetries = (token: string, message: unknown) =>
  Effect.gen(function*() {
    const waits: Array<number> = []
    for (let attempt = 0; attempt < 5; attempt++) {
      const res = yield* sendV1(token, message)
      if (res.status !== 503) return { res, waits }
      const wait = retryAfterMillis(res, yield* Clock.currentTimeMillis)
      waits.push(wait)
      yield* Effect.sleep(wait)
    }
    return yield* Effect.die("too many attempts")
  })

describe("FcmFake", () => {
  it.effect("exchanges a signed JWT for a token and sends through HttpClient", () =>
    Effect.gen(function*() {
      const token = yield* accessToken
      const res = yield* sendV1(token, { token: "device-1", data: { k: "v" } })
      assert.strictEqual(res.status, 200)
      const body = (yield* res.json) as { name: string }
      assert.match(body.name, /^projects\/proj-a\/messages\/0:/)
      const emulator = yield* Emulator.Emulator
      const messages = yield* emulator.messages
      assert.strictEqual(messages.length, 1)
      assert.deepStrictEqual(messages[0]!.target, { _tag: "Token", token: "device-1" })
      assert.deepStrictEqual(messages[0]!.body, { message: { token: "device-1", data: { k: "v" } } })
      assert.strictEqual(messages[0]!.httpVersion, "fake")
      const counters = yield* emulator.counters
      assert.deepStrictEqual(counters.routes, { token: 1, v1: 1 })
      assert.strictEqual(counters.delivered, 1)
    }).pipe(Effect.provide(FcmFake.layer(config))))

  it.effect("answers any host: metadata server and legacy", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const emulator = yield* Emulator.Emulator
      const project = yield* HttpClientRequest.get(
        "http://metadata.google.internal/computeMetadata/v1/project/project-id"
      ).pipe(HttpClientRequest.setHeader("Metadata-Flavor", "Google"), client.execute, Effect.flatMap((r) => r.text))
      assert.strictEqual(project, "proj-a")
      const tokenRes = yield* HttpClientRequest.get(
        "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token"
      ).pipe(HttpClientRequest.setHeader("Metadata-Flavor", "Google"), client.execute)
      const { access_token } = (yield* tokenRes.json) as { access_token: string }
      assert.strictEqual((yield* sendV1(access_token, { topic: "news" })).status, 200)

      yield* emulator.setToken("gone", Scenario.notRegistered)
      const legacy = yield* HttpClientRequest.post("https://fcm.googleapis.com/fcm/send").pipe(
        HttpClientRequest.setHeader("Authorization", `key=${emulator.apiKey}`),
        HttpClientRequest.bodyUnsafeJson({ registration_ids: ["a", "gone"] }),
        client.execute,
        Effect.flatMap((r) => r.json)
      )
      assert.deepStrictEqual((legacy as any).results[1], { error: "NotRegistered" })
      const text = yield* HttpClientRequest.post("https://fcm.googleapis.com/fcm/send").pipe(
        HttpClientRequest.setHeader("Authorization", `key=${emulator.apiKey}`),
        HttpClientRequest.bodyText("registration_id=gone", "application/x-www-form-urlencoded"),
        client.execute,
        Effect.flatMap((r) => r.text)
      )
      assert.strictEqual(text, "Error=NotRegistered\n")
    }).pipe(Effect.provide(FcmFake.layer(config))))

  it.effect("unavailable N times then delivered, with Retry-After in seconds", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.setPrefix("flaky-", Scenario.unavailable({ times: 2, retryAfter: 3 }))
      const token = yield* emulator.issueAccessToken
      const fiber = yield* Effect.fork(sendWithRetries(token, { token: "flaky-1" }))
      yield* TestClock.adjust("2999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("3001 millis")
      const { res, waits } = yield* Fiber.join(fiber)
      assert.strictEqual(res.status, 200)
      assert.deepStrictEqual(waits, [3000, 3000])
      const records = yield* emulator.messages
      assert.deepStrictEqual(records.map((r) => r.status), [503, 503, 200])
      assert.deepStrictEqual(records.map((r) => r.time), [0, 3000, 6000])
    }).pipe(Effect.provide(FcmFake.layer(config))))

  it.effect("unavailable with Retry-After as an HTTP-date", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* TestClock.setTime(1_700_000_000_000)
      yield* emulator.setToken("d", Scenario.unavailable({ times: 1, retryAfter: Scenario.retryAfterDate(10) }))
      const token = yield* emulator.issueAccessToken
      const first = yield* sendV1(token, { token: "d" })
      assert.strictEqual(first.status, 503)
      assert.strictEqual(first.headers["retry-after"], new Date(1_700_000_010_000).toUTCString())
      const fiber = yield* Effect.fork(sendWithRetries(token, { token: "d" }))
      yield* TestClock.adjust("10 seconds")
      const { res, waits } = yield* Fiber.join(fiber)
      assert.strictEqual(res.status, 200)
      assert.deepStrictEqual(waits, [])
    }).pipe(Effect.provide(FcmFake.layer(config))))

  it.effect("a hung request never answers and is interrupted by a timeout", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.enqueue("v1", Scenario.hang)
      const token = yield* emulator.issueAccessToken
      const fiber = yield* Effect.fork(sendV1(token, { token: "t" }).pipe(Effect.timeout("15 seconds"), Effect.either))
      yield* TestClock.adjust("14 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      assert.isTrue(Either.isLeft(result))
      assert.strictEqual(Either.isLeft(result) && result.left._tag, "TimeoutException")
      assert.strictEqual((yield* sendV1(token, { token: "t" })).status, 200)
    }).pipe(Effect.provide(FcmFake.layer(config))))

  it.effect("latency is driven by the clock", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.setDefault(Scenario.latency(500))
      const token = yield* emulator.issueAccessToken
      const fiber = yield* Effect.fork(sendV1(token, { token: "t" }))
      yield* TestClock.adjust("499 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Fiber.join(fiber)).status, 200)
      assert.strictEqual(yield* Clock.currentTimeMillis, 500)
    }).pipe(Effect.provide(FcmFake.layer(config))))

  it.effect("reset and GOAWAY fail with a transport RequestError; malformed bodies fail decoding", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const token = yield* emulator.issueAccessToken
      yield* emulator.enqueue("v1", Scenario.reset)
      const reset = yield* Effect.flip(sendV1(token, { token: "t" }))
      assert.strictEqual(reset._tag, "RequestError")
      assert.strictEqual(reset._tag === "RequestError" && reset.reason, "Transport")
      yield* emulator.enqueue("v1", Scenario.goAway())
      const goaway = yield* Effect.flip(sendV1(token, { token: "t" }))
      assert.strictEqual(goaway._tag === "RequestError" && goaway.reason, "Transport")
      yield* emulator.enqueue("v1", Scenario.goAway({ respond: true }))
      assert.strictEqual((yield* sendV1(token, { token: "t" })).status, 200)
      yield* emulator.enqueue("v1", Scenario.malformedJson())
      const malformed = yield* sendV1(token, { token: "t" })
      assert.strictEqual(malformed.status, 200)
      const decode = yield* Effect.flip(malformed.json)
      assert.strictEqual(decode._tag, "ResponseError")
      yield* emulator.enqueue("v1", Scenario.htmlBadGateway)
      const html = yield* sendV1(token, { token: "t" })
      assert.strictEqual(html.status, 502)
      assert.match(html.headers["content-type"]!, /text\/html/)
      yield* emulator.enqueue("v1", Scenario.emptyBody({ status: 500 }))
      const empty = yield* sendV1(token, { token: "t" })
      assert.strictEqual(empty.status, 500)
      assert.strictEqual(yield* empty.text, "")
      const counters = yield* emulator.counters
      assert.deepStrictEqual(counters.faults, { Reset: 1, GoAway: 2 })
    }).pipe(Effect.provide(FcmFake.layer(config))))

  it.effect("expired access tokens are rejected with ACCESS_TOKEN_EXPIRED", () =>
    Effect.gen(function*() {
      const token = yield* accessToken
      yield* TestClock.adjust("3600 seconds")
      const res = yield* sendV1(token, { token: "t" })
      assert.strictEqual(res.status, 401)
      const body = (yield* res.json) as any
      assert.strictEqual(body.error.details[0].reason, "ACCESS_TOKEN_EXPIRED")
      const fresh = yield* accessToken
      assert.strictEqual((yield* sendV1(fresh, { token: "t" })).status, 200)
    }).pipe(Effect.provide(FcmFake.layer(config))))

  it.effect("generates and trusts a default service account when none is configured", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const key = emulator.serviceAccount
      assert.strictEqual(key.type, "service_account")
      assert.strictEqual(key.project_id, "other")
      assert.match(key.private_key, /^-----BEGIN PRIVATE KEY-----/)
      const client = yield* HttpClient.HttpClient
      const res = yield* HttpClientRequest.post(key.token_uri).pipe(
        HttpClientRequest.bodyText(
          ServiceAccount.tokenRequestBody(ServiceAccount.signAssertion(key, { issuedAt: 0 })),
          "application/x-www-form-urlencoded"
        ),
        client.execute
      )
      assert.strictEqual(res.status, 200)
    }).pipe(Effect.provide(FcmFake.layer({ projectId: "other" }))))
})
