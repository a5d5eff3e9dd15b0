/**
 * The legacy protocol (`POST /fcm/send`, `Authorization: key=…`) over the loopback emulator and a real HTTP client.
 */
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import { FcmLegacy, Message } from "@effect-fcm/fcm"
import { assert, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import {
  assertAgreesWithEmulator,
  emulatorLayer,
  fresh,
  legacyClient,
  perToken,
  quickRetries,
  sends
} from "./helpers.js"

layer(emulatorLayer(), { excludeTestServices: true })("FcmLegacy over the loopback emulator", (it) => {
  it.effect("delivers a multicast in one request, in the legacy wire format, over HTTP/1.1", () =>
    Effect.gen(function*() {
      const fcm = yield* legacyClient()
      yield* fresh
      const tokens = ["t-1", "t-2", "t-3"]
      const result = yield* fcm.send(
        Message.multicast(tokens, { data: { str: "string", int: 10 }, collapseKey: "my.key", timeToLive: 60 })
      )
      assert.deepStrictEqual([...result.success.keys()], tokens)
      for (const id of result.success.values()) assert.match(id, /^0:\d+%[0-9a-f]{16}$/)
      assert.strictEqual(new Set(result.success.values()).size, 3, "one message id per token")
      assert.isFalse(result.needsRetry())

      const [record, ...rest] = yield* sends
      assert.strictEqual(rest.length, 0)
      assert.strictEqual(record!.route, "legacy")
      assert.strictEqual(record!.httpVersion, "1.1")
      assert.strictEqual(record!.status, 200)
      assert.deepStrictEqual(record!.body, {
        collapse_key: "my.key",
        time_to_live: 60,
        data: { str: "string", int: 10 },
        registration_ids: tokens
      })
      assert.strictEqual(record!.delivered, 3)
    }))

  it.effect("a wrong API key is an AuthenticationError (401), and nothing is retried", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.FcmServer
      const fcm = yield* FcmLegacy.make({ apiKey: Redacted.make("not-the-key"), baseUrl: emulator.baseUrl })
      yield* fresh
      const error = yield* Effect.flip(fcm.sendWithRetry(Message.multicast(["t"]), { schedule: quickRetries() }))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual(error._tag === "AuthenticationError" && error.status, 401)
      assert.deepStrictEqual((yield* sends).map((r) => r.status), [401])
    }))

  it.effect("the unauthenticated scenario: AuthenticationError, one request", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.FcmServer
      const fcm = yield* legacyClient()
      yield* fresh
      yield* emulator.setToken("t", Scenario.unauthenticated())
      const error = yield* Effect.flip(fcm.sendWithRetry(Message.multicast(["ok", "t"]), { schedule: quickRetries() }))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual((yield* sends).length, 1)
    }))

  it.effect("every per-token outcome lands in its documented bucket", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.FcmServer
      const fcm = yield* legacyClient()
      yield* fresh
      const scenarios: ReadonlyArray<readonly [string, Scenario.Scenario]> = [
        ["delivered", Scenario.delivered],
        ["canonical", Scenario.canonical("the-new-token")],
        ["canonical-default", Scenario.canonical()],
        ["gone", Scenario.notRegistered],
        ["invalid", Scenario.invalidToken],
        ["other-sender", Scenario.senderMismatch],
        ["apns", Scenario.thirdPartyAuthError],
        ...Scenario.legacyErrorCodes.map((code) => [`code-${code}`, Scenario.legacyError(code)] as const)
      ]
      for (const [token, scenario] of scenarios) yield* emulator.setToken(token, scenario)
      const tokens = scenarios.map(([token]) => token)
      const result = yield* fcm.send(Message.multicast(tokens))

      assert.deepStrictEqual([...result.outcomes.keys()], tokens)
      assert.deepStrictEqual([...result.success.keys()], ["delivered"])
      assert.deepStrictEqual(Object.fromEntries(result.canonical), {
        canonical: "the-new-token",
        "canonical-default": "canonical-default:canonical"
      })
      assert.deepStrictEqual(result.notRegistered, ["gone", "code-NotRegistered"])
      assert.deepStrictEqual(Object.fromEntries(result.failed), {
        invalid: "InvalidRegistration",
        "other-sender": "MismatchSenderId",
        apns: "InvalidApnsCredential",
        "code-MissingRegistration": "MissingRegistration",
        "code-InvalidRegistration": "InvalidRegistration",
        "code-InvalidPackageName": "InvalidPackageName",
        "code-MismatchSenderId": "MismatchSenderId",
        "code-MessageTooBig": "MessageTooBig",
        "code-InvalidDataKey": "InvalidDataKey",
        "code-InvalidTtl": "InvalidTtl",
        "code-InvalidApnsCredential": "InvalidApnsCredential"
      })
      assert.deepStrictEqual(Object.fromEntries(result.retryable), {
        "code-Unavailable": "Unavailable",
        "code-InternalServerError": "InternalServerError",
        "code-DeviceMessageRateExceeded": "DeviceMessageRateExceeded",
        "code-TopicsMessageRateExceeded": "TopicsMessageRateExceeded"
      })
      assertAgreesWithEmulator(result, yield* sends)

      // Only the retryable tokens are sent again, and the failed ones never are. A device's or a topic's rate limit
      // holds back that token alone, for its own backoff (about a second, longer than the quick rounds here).
      yield* fresh
      for (const [token, scenario] of scenarios) yield* emulator.setToken(token, scenario)
      const retried = yield* fcm.sendWithRetry(Message.multicast(tokens), { schedule: quickRetries(2) })
      assert.deepStrictEqual(retried.counts, result.counts)
      const records = yield* sends
      assert.strictEqual(records.length, 3)
      for (const record of records.slice(1)) {
        assert.deepStrictEqual((record.body as { registration_ids: Array<string> }).registration_ids, [
          "code-Unavailable",
          "code-InternalServerError"
        ])
      }
      assertAgreesWithEmulator(retried, records)
    }))

  it.effect("a topic send is one request with `to`, answered at the top level", () =>
    Effect.gen(function*() {
      const fcm = yield* legacyClient()
      yield* fresh
      const result = yield* fcm.send(Message.toTopic("news", { notification: { title: "Hello" } }))
      assert.strictEqual(result.success.size, 1)
      const [record] = yield* sends
      assert.strictEqual((record!.body as { to: string }).to, "/topics/news")
      assert.deepStrictEqual(record!.target, { _tag: "Topic", topic: "news" })
    }))

  it.effect("quota, message variant: DeviceMessageRateExceeded is retryable and the retry honours Retry-After", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.FcmServer
      const fcm = yield* legacyClient()
      yield* fresh
      yield* emulator.setToken("hot", Scenario.quotaExceeded({ times: 1, retryAfter: 1 }))
      const result = yield* fcm.sendWithRetry(Message.multicast(["hot", "cold"]), { schedule: quickRetries() })
      assert.strictEqual(result.success.size, 2)
      const records = yield* sends
      assertAgreesWithEmulator(result, records)
      const [first, second] = perToken(records).get("hot")!
      assert.strictEqual(first!.outcome, "DeviceMessageRateExceeded")
      assert.isAtLeast(second!.time - first!.time, 990)
      assert.strictEqual(perToken(records).get("cold")!.length, 1)
    }))

  it.effect("quota, project variant: the legacy 429 makes every token retryable for at least a minute", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.FcmServer
      const fcm = yield* legacyClient()
      yield* fresh
      yield* emulator.setToken("hot", Scenario.quotaExceeded({ times: 1, variant: "project" }))
      const result = yield* fcm.send(Message.multicast(["hot", "cold"]))
      assert.deepStrictEqual([...result.retryable.keys()], ["hot", "cold"])
      assert.isAtLeast(result.retryAfterMillis!, 60_000)
    }))
})
