/**
 * The HTTP v1 protocol over the loopback emulator and a real HTTP client, with a real service-account key that the
 * emulator trusts: the JWT-bearer exchange at the key's token_uri, token caching, 401 → refresh → resend, and
 * every per-token outcome.
 */
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import { Credentials, FcmClient, FcmV1, Message } from "@effect-fcm/fcm"
import { assert, describe, layer } from "@effect/vitest"
import { Chunk, Clock, Duration, Effect, Fiber, Layer, TestClock, TestContext } from "effect"
import {
  assertAgreesWithEmulator,
  emulatorLayer,
  fresh,
  perToken,
  quickRetries,
  realSleep,
  routeRecords,
  sends,
  serviceAccountCredentials,
  timesSent,
  v1Client,
  waitUntil
} from "./helpers.js"

const tokenRequests = Effect.map(routeRecords("token"), (rs) => rs.length)

layer(emulatorLayer(), { excludeTestServices: true })("FcmV1 over the loopback emulator", (it) => {
  describe("credentials", () => {
    it.effect("exchanges a signed JWT at the key's token_uri once, and reuses the token across sends", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        assert.strictEqual(emulator.serviceAccount.token_uri, `${emulator.baseUrl}/token`)
        yield* fresh
        const fcm = yield* v1Client()
        const tokens = Array.from({ length: 20 }, (_, i) => `t-${i}`)
        const first = yield* fcm.send(Message.multicast(tokens, { data: { n: 1 } }))
        assert.strictEqual(first.success.size, 20)
        for (const [token, name] of first.success) {
          assert.match(name, /^projects\/emulator-project\/messages\/0:\d+%[0-9a-f]{16}$/, token)
        }
        const second = yield* fcm.send(Message.multicast(["again"]))
        assert.strictEqual(second.success.size, 1)

        const records = yield* (yield* FcmServer.FcmServer).records
        const [exchange, ...rest] = records
        assert.deepStrictEqual([exchange!.route, exchange!.status, exchange!.outcomes], ["token", 200, ["issued"]])
        assert.strictEqual(rest.length, 21)
        for (const r of rest) {
          assert.strictEqual(r.route, "v1")
          assert.strictEqual(r.path, "/v1/projects/emulator-project/messages:send")
          assert.strictEqual(r.httpVersion, "1.1")
        }
        assert.deepStrictEqual((rest[0]!.body as { message: unknown }).message, {
          token: "t-0",
          data: { n: "1" },
          apns: { headers: { "apns-priority": "5" } }
        })
        assert.strictEqual((yield* emulator.counters).accessTokens, 1, "20 concurrent requests, one token")
      }))

    it.effect("the key as JSON text, through the layers a program uses", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* fresh
        const Fcm = FcmV1.layer({ baseUrl: emulator.baseUrl }).pipe(
          Layer.provide(Credentials.layerServiceAccount(JSON.stringify(emulator.serviceAccount, null, 2)))
        )
        const result = yield* FcmClient.send(Message.multicast(["t"])).pipe(Effect.provide(Fcm))
        assert.strictEqual(result.success.size, 1)
        assert.strictEqual(yield* tokenRequests, 1)
      }))

    it.effect("expired access tokens: 401 → one refresh, however many requests got the 401 → every token delivered once", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* fresh
        const credentials = yield* serviceAccountCredentials
        const fcm = yield* v1Client({}, credentials)
        assert.strictEqual((yield* fcm.send(Message.multicast(["warm-up"]))).success.size, 1)
        assert.strictEqual(yield* tokenRequests, 1)

        yield* fresh // forgets the records, not the access tokens issued
        yield* emulator.expireAccessTokens
        const tokens = Array.from({ length: 20 }, (_, i) => `t-${i}`)
        const result = yield* fcm.send(Message.multicast(tokens))
        assert.strictEqual(result.success.size, 20)
        assert.strictEqual(yield* tokenRequests, 1, "exactly one refresh")
        const unauthorized = (yield* sends).filter((r) => r.status === 401)
        // The 20 requests go out concurrently with the cached token: (nearly) all of them get the 401.
        assert.isAtLeast(unauthorized.length, 2)
        assert.isAtMost(unauthorized.length, 20)
        assertAgreesWithEmulator(result, (yield* sends).filter((r) => r.status !== 401))

        // The refreshed token is cached in turn.
        assert.strictEqual((yield* fcm.send(Message.multicast(["after"]))).success.size, 1)
        assert.strictEqual(yield* tokenRequests, 1)
      }))

    it.effect("a one-off 401: the token is refreshed and the message resent once", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* fresh
        const fcm = yield* v1Client()
        yield* emulator.enqueue("v1", Scenario.unauthenticated())
        const result = yield* fcm.send(Message.multicast(["t"]))
        assert.strictEqual(result.success.size, 1)
        const records = yield* emulator.records
        assert.deepStrictEqual(records.map((r) => [r.route, r.status]), [
          ["token", 200],
          ["v1", 401],
          ["token", 200],
          ["v1", 200]
        ])
      }))

    it.effect("a 401 that persists after the refresh is an AuthenticationError, after exactly one resend", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* fresh
        const fcm = yield* v1Client()
        yield* emulator.setToken("t", Scenario.unauthenticated({ expired: true }))
        const error = yield* Effect.flip(fcm.sendWithRetry(Message.multicast(["t"]), { schedule: quickRetries() }))
        assert.strictEqual(error._tag, "AuthenticationError")
        if (error._tag !== "AuthenticationError") return
        assert.strictEqual(error.status, 401)
        assert.include(error.hint ?? "", "expired")
        assert.deepStrictEqual((yield* emulator.records).map((r) => [r.route, r.status]), [
          ["token", 200],
          ["v1", 401],
          ["token", 200],
          ["v1", 401]
        ])
      }))

    it.effect("the token endpoint unavailable: the targets are retryable with its Retry-After; the next send succeeds", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* fresh
        const fcm = yield* v1Client()
        yield* emulator.enqueue("token", Scenario.unavailable({ retryAfter: 3 }))
        const down = yield* fcm.send(Message.multicast(["a", "b", "c"]))
        assert.strictEqual(down.retryable.size, 3)
        for (const reason of down.retryable.values()) assert.match(reason, /^Credentials: /)
        assert.strictEqual(down.retryAfterMillis, 3000)
        assert.strictEqual((yield* sends).length, 0, "nothing was sent without a token")
        assert.strictEqual(yield* tokenRequests, 1, "the waiting requests shared one failed refresh")

        const up = yield* fcm.send(Message.multicast(["a", "b", "c"]))
        assert.strictEqual(up.success.size, 3)
        assert.strictEqual(yield* tokenRequests, 2)
      }))

    it.effect("the token endpoint refusing the assertion (invalid_grant) is an AuthenticationError", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* fresh
        const fcm = yield* v1Client()
        yield* emulator.enqueue("token", Scenario.unauthenticated())
        const error = yield* Effect.flip(fcm.send(Message.multicast(["a"])))
        assert.strictEqual(error._tag, "AuthenticationError")
        assert.include(error.message, "invalid_grant")
        assert.strictEqual((yield* sends).length, 0)
      }))
  })

  describe("outcomes", () => {
    it.effect("every per-token outcome lands in its documented bucket", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* fresh
        const fcm = yield* v1Client()
        const scenarios: ReadonlyArray<readonly [string, Scenario.Scenario]> = [
          ["delivered", Scenario.delivered],
          ["canonical", Scenario.canonical("the-new-token")],
          ["gone", Scenario.notRegistered],
          ["invalid", Scenario.invalidToken],
          ["other-sender", Scenario.senderMismatch],
          ["apns", Scenario.thirdPartyAuthError],
          ["code-NotRegistered", Scenario.legacyError("NotRegistered")],
          ["code-InvalidRegistration", Scenario.legacyError("InvalidRegistration")],
          ["code-MismatchSenderId", Scenario.legacyError("MismatchSenderId")],
          ["code-InvalidApnsCredential", Scenario.legacyError("InvalidApnsCredential")],
          ["code-Unavailable", Scenario.legacyError("Unavailable")],
          ["code-InternalServerError", Scenario.legacyError("InternalServerError")]
        ]
        for (const [token, scenario] of scenarios) yield* emulator.setToken(token, scenario)
        const tokens = scenarios.map(([token]) => token)
        const result = yield* fcm.send(Message.multicast(tokens))

        assert.deepStrictEqual([...result.outcomes.keys()], tokens)
        // v1 has no canonical ids: a canonical token is a plain success.
        assert.deepStrictEqual([...result.success.keys()], ["delivered", "canonical"])
        assert.strictEqual(result.canonical.size, 0)
        assert.deepStrictEqual(result.notRegistered, ["gone", "code-NotRegistered"])
        assert.deepStrictEqual(Object.fromEntries(result.failed), {
          invalid: "INVALID_ARGUMENT",
          "other-sender": "SENDER_ID_MISMATCH",
          apns: "THIRD_PARTY_AUTH_ERROR",
          "code-InvalidRegistration": "INVALID_ARGUMENT",
          "code-MismatchSenderId": "SENDER_ID_MISMATCH",
          "code-InvalidApnsCredential": "THIRD_PARTY_AUTH_ERROR"
        })
        assert.deepStrictEqual(Object.fromEntries(result.retryable), {
          "code-Unavailable": "UNAVAILABLE",
          "code-InternalServerError": "INTERNAL"
        })
        assertAgreesWithEmulator(result, yield* sends)
        // THIRD_PARTY_AUTH_ERROR comes as a 401, but it is about APNs/web push: no access-token refresh.
        assert.strictEqual(yield* tokenRequests, 1)
        const statuses = new Map((yield* sends).map((r) => [perToken([r]).keys().next().value, r.status]))
        assert.strictEqual(statuses.get("apns"), 401)
        assert.strictEqual(statuses.get("gone"), 404)
        assert.strictEqual(statuses.get("other-sender"), 403)
      }))

    const payloadErrors = [
      ["MissingRegistration", "message"],
      ["InvalidPackageName", "message.android.restricted_package_name"],
      ["MessageTooBig", "message"],
      ["InvalidDataKey", "message.data"],
      ["InvalidTtl", "message.android.ttl"]
    ] as const
    for (const [code, field] of payloadErrors) {
      it.effect(`a payload error (${code}) fails the send as an InvalidMessage naming ${field}`, () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          yield* fresh
          const fcm = yield* v1Client()
          yield* emulator.setToken("t", Scenario.legacyError(code))
          const error = yield* Effect.flip(fcm.sendWithRetry(Message.multicast(["t"]), { schedule: quickRetries() }))
          assert.strictEqual(error._tag, "InvalidMessage")
          if (error._tag !== "InvalidMessage") return
          assert.strictEqual(error.status, 400)
          assert.strictEqual(error.field, field)
          assert.strictEqual((yield* sends).length, 1)
        }))
    }
  })

  describe("quota", () => {
    const variants = [
      ["message", "QUOTA_EXCEEDED"],
      ["project", "RESOURCE_EXHAUSTED"]
    ] as const

    it.effect("message quota (QUOTA_EXCEEDED, no QuotaFailure): a device's limit holds back that token alone", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* fresh
        const fcm = yield* v1Client()
        yield* emulator.setToken("hot", Scenario.quotaExceeded({ variant: "message" }))
        yield* emulator.setToken("hotter", Scenario.quotaExceeded({ variant: "message", retryAfter: 120 }))
        const before = yield* Clock.currentTimeMillis
        const result = yield* fcm.send(Message.multicast(["hot", "cold"]))
        assert.deepStrictEqual(Object.fromEntries(result.retryable), { hot: "QUOTA_EXCEEDED" })
        assert.strictEqual(result.retryAfterMillis, undefined, "nothing holds back the whole send")
        const hot = result.outcomes.get("hot")!
        assert.isTrue(hot._tag === "Retryable" && hot.notBefore !== undefined && hot.notBefore >= before)
        // A Retry-After is that token's own earliest time.
        const longer = yield* fcm.send(Message.multicast(["hotter"]))
        const hotter = longer.outcomes.get("hotter")!
        assert.isTrue(hotter._tag === "Retryable" && hotter.notBefore! >= before + 120_000)
      }))

    it.effect("message quota: sendWithRetry resends the device after its own backoff, not a minute (TestClock)", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* fresh
        yield* TestClock.setTime(Date.now())
        const fcm = yield* v1Client({ timeout: false })
        yield* emulator.setToken("hot", Scenario.quotaExceeded({ variant: "message", times: 1 }))
        const start = yield* Clock.currentTimeMillis
        const fiber = yield* Effect.fork(
          fcm.sendWithRetry(Message.multicast(["hot", "cold"]), { schedule: quickRetries() })
        )
        // the device's first backoff is B·2^0 − ⌊B/2⌋ + U[0, B) with B = 1 s: at most 1.5 s (the credentials'
        // deadline, also on the TestClock, ends much later)
        const wake = Effect.map(
          TestClock.sleeps(),
          (ends) => Chunk.toReadonlyArray(ends).some((e) => e - start <= 1_500)
        )
        yield* waitUntil(wake, "the retry loop sleeps for the device's backoff")
        yield* TestClock.adjust("1500 millis")
        const result = yield* Fiber.join(fiber)
        assert.strictEqual(result.success.size, 2)
        const records = yield* sends
        assert.deepStrictEqual(perToken(records).get("hot")!.map((s) => s.outcome), [
          "DeviceMessageRateExceeded",
          "delivered"
        ])
        assert.strictEqual(timesSent(records, "cold"), 1)
      }).pipe(Effect.provide(TestContext.TestContext)))

    for (const [variant, code] of variants.filter(([v]) => v === "project")) {
      it.effect(`${variant} quota (${code}): retryable, and the retry waits at least a minute`, () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          yield* fresh
          const fcm = yield* v1Client()
          yield* emulator.setToken("hot", Scenario.quotaExceeded({ variant }))
          yield* emulator.setToken("hotter", Scenario.quotaExceeded({ variant, retryAfter: 120 }))
          const result = yield* fcm.send(Message.multicast(["hot", "cold"]))
          assert.deepStrictEqual(Object.fromEntries(result.retryable), { hot: code })
          assert.strictEqual(result.retryAfterMillis, 60_000, "no Retry-After: Google's minimum of a minute")
          assert.strictEqual(Duration.toMillis(result.delay(0)), 60_000)
          // A longer Retry-After wins over the minimum.
          const longer = yield* fcm.send(Message.multicast(["hotter"]))
          assert.strictEqual(longer.retryAfterMillis, 120_000)
        }))

      it.effect(`${variant} quota: sendWithRetry sleeps a full minute (TestClock) before the one resend`, () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          yield* fresh
          // The emulator checks the JWT's iat against the wall clock: start the TestClock there.
          yield* TestClock.setTime(Date.now())
          const fcm = yield* v1Client({ timeout: false })
          yield* emulator.setToken("hot", Scenario.quotaExceeded({ variant, times: 1 }))
          const start = yield* Clock.currentTimeMillis
          const fiber = yield* Effect.fork(
            fcm.sendWithRetry(Message.multicast(["hot", "cold"]), { schedule: quickRetries() })
          )
          // Wait (in real time) until the retry loop sleeps on the TestClock.
          const wake = Effect.map(TestClock.sleeps(), (ends) => Math.max(0, ...Chunk.toReadonlyArray(ends)) - start)
          yield* waitUntil(Effect.map(wake, (w) => w >= 60_000), "the retry loop sleeps for a minute")
          assert.isBelow(yield* wake, 61_000, "the quick schedule's own 10 ms delay is replaced by the minute")
          assert.strictEqual(timesSent(yield* sends, "hot"), 1)

          yield* TestClock.adjust("59 seconds")
          yield* realSleep(100)
          assert.strictEqual(timesSent(yield* sends, "hot"), 1, "resent before the minute was up")

          yield* TestClock.adjust("1 second")
          const result = yield* Fiber.join(fiber)
          assert.strictEqual(result.success.size, 2)
          const records = yield* sends
          assertAgreesWithEmulator(result, records)
          assert.deepStrictEqual(perToken(records).get("hot")!.map((s) => s.outcome), [
            variant === "message" ? "DeviceMessageRateExceeded" : "ProjectQuotaExceeded",
            "delivered"
          ])
          assert.strictEqual(timesSent(records, "cold"), 1)
        }).pipe(Effect.provide(TestContext.TestContext)))
    }
  })
})
