/**
 * The seeded mix: 2,000 tokens, each drawing its outcome (and a fresh draw on every retry) from the emulator's
 * `Scenario.mix`. Every token must land in exactly one bucket, the one its last answer calls for, and the emulator's
 * records must agree: no token delivered twice, none lost, none resent after its delivery.
 */
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import type { Model } from "@effect-fcm/emulator"
import { Message } from "@effect-fcm/fcm"
import type { Result } from "@effect-fcm/fcm"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import {
  assertAgreesWithEmulator,
  emulatorLayer,
  fresh,
  legacyClient,
  perToken,
  quickRetries,
  sends,
  v1Client
} from "./helpers.js"

const TOKENS = Array.from({ length: 2000 }, (_, i) => `device-${String(i).padStart(4, "0")}`)

/** The bucket (and code or new token) that the emulator's last answer for a token calls for. */
const expectedBucket = (protocol: "legacy" | "v1", token: string, last: string): readonly [string, string?] => {
  switch (last) {
    case "delivered":
      return ["success"]
    case "canonical":
      return protocol === "legacy" ? ["canonical", `${token}:canonical`] : ["success"]
    case "NotRegistered":
      return ["notRegistered"]
    case "InvalidRegistration":
      return ["failed", protocol === "legacy" ? last : "INVALID_ARGUMENT"]
    case "MismatchSenderId":
      return ["failed", protocol === "legacy" ? last : "SENDER_ID_MISMATCH"]
    case "InvalidApnsCredential":
      return ["failed", protocol === "legacy" ? last : "THIRD_PARTY_AUTH_ERROR"]
    default:
      return ["retryable"]
  }
}

const bucketOf = (result: Result.Result, token: string): readonly [string, string?] => {
  if (result.success.has(token)) return ["success"]
  if (result.canonical.has(token)) return ["canonical", result.canonical.get(token)!]
  if (result.notRegistered.includes(token)) return ["notRegistered"]
  if (result.failed.has(token)) return ["failed", result.failed.get(token)!]
  return ["retryable"]
}

const assertBucketsFollowLastAnswers = (
  protocol: "legacy" | "v1",
  result: Result.Result,
  records: ReadonlyArray<Model.Record>
) => {
  const seen = perToken(records)
  for (const token of TOKENS) {
    const history = seen.get(token)!
    assert.deepStrictEqual(
      bucketOf(result, token),
      expectedBucket(protocol, token, history[history.length - 1]!.outcome),
      token
    )
  }
}

layer(emulatorLayer({ recordCapacity: 20_000 }), { excludeTestServices: true })(
  "the seeded mix, 2,000 tokens",
  (it) => {
    it.effect("legacy: two requests of 1,000, only retryable tokens resent, every token in the bucket its answers call for", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* fresh
        yield* emulator.setDefault(Scenario.mix({
          seed: 42,
          rates: {
            unavailable: 0.05,
            internalError: 0.03,
            quotaExceeded: 0.02,
            notRegistered: 0.05,
            invalidToken: 0.03,
            senderMismatch: 0.02,
            thirdPartyAuthError: 0.02,
            canonical: 0.05,
            // Whole-request faults: with 1,000 tokens a request, some requests fail as a whole.
            reset: 0.0003,
            htmlError: 0.0003
          }
        }))
        const fcm = yield* legacyClient()
        const result = yield* fcm.sendWithRetry(Message.multicast(TOKENS, { data: { kind: "mix" } }), {
          schedule: quickRetries(8)
        })
        const records = yield* sends

        assert.strictEqual(result.outcomes.size, 2000)
        const counts = result.counts
        assert.strictEqual(
          counts.success + counts.canonical + counts.notRegistered + counts.failed + counts.retryable,
          2000
        )
        for (const bucket of ["success", "canonical", "notRegistered", "failed"] as const) {
          assert.isAbove(counts[bucket], 0, `no token in ${bucket}: the mix is not exercised`)
        }
        assertAgreesWithEmulator(result, records)
        assertBucketsFollowLastAnswers("legacy", result, records)

        // Batching: the first attempt is two requests of 1,000; each later request carries only tokens that the
        // previous answers left retryable.
        const batches = records.map((r) => (r.body as { registration_ids: Array<string> }).registration_ids)
        assert.deepStrictEqual(batches.slice(0, 2).map((b) => b.length), [1000, 1000])
        assert.isAbove(records.length, 2, "nothing was retried")
        const seen = perToken(records)
        for (const batch of batches.slice(2)) {
          for (const token of batch) {
            const history = seen.get(token)!
            const at = history.findIndex((s) => s.delivered)
            assert.isTrue(at === -1 || at === history.length - 1, `${token} resent after its delivery`)
          }
        }
        const counters = yield* emulator.counters
        assert.isAbove(counters.faults["Reset"] ?? 0, 0, "no request was reset as a whole")
        assert.isAbove(counters.statuses["502"] ?? 0, 0, "no request was answered 502 as a whole")
        assert.strictEqual(counters.delivered, counts.success + counts.canonical)
      }))

    it.effect("v1: 2,000 requests with transport faults, every token in the bucket its answers call for", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* fresh
        yield* emulator.setDefault(Scenario.mix({
          seed: 7,
          rates: {
            unavailable: 0.04,
            internalError: 0.03,
            notRegistered: 0.05,
            invalidToken: 0.03,
            senderMismatch: 0.02,
            thirdPartyAuthError: 0.02,
            canonical: 0.03,
            reset: 0.01,
            goAway: 0.01,
            htmlError: 0.02
          }
        }))
        // No hangs here: a timeout is ambiguous (the emulator may have delivered before the client gave up, and then
        // the resend delivers twice), so a timeout short enough for a hang would make this test depend on the load
        // of the machine. Hangs and timeouts have their own tests in faults.test.ts. Node's fetch is the bottleneck
        // (client and server share one event loop): 32 requests in flight go faster than the default 256.
        const fcm = yield* v1Client({ concurrency: 32 })
        const result = yield* fcm.sendWithRetry(Message.multicast(TOKENS, { notification: { title: "mix" } }), {
          schedule: quickRetries(8)
        })
        const records = yield* sends

        assert.strictEqual(result.outcomes.size, 2000)
        assert.deepStrictEqual([...result.outcomes.keys()], TOKENS)
        const counts = result.counts
        assert.strictEqual(counts.success + counts.notRegistered + counts.failed + counts.retryable, 2000)
        assert.strictEqual(counts.canonical, 0)
        for (const bucket of ["success", "notRegistered", "failed"] as const) assert.isAbove(counts[bucket], 0)
        assertAgreesWithEmulator(result, records)
        assertBucketsFollowLastAnswers("v1", result, records)

        const counters = yield* emulator.counters
        assert.strictEqual(counters.delivered, counts.success)
        for (const fault of ["Reset", "GoAway"]) assert.isAbove(counters.faults[fault] ?? 0, 0, `no ${fault}`)
        assert.isAbove(records.length, 2000, "nothing was retried")
        assert.strictEqual(counters.accessTokens, 1)
      }))
  }
)
