/**
 * Properties over arbitrary inputs (fast-check through `it.prop`):
 * - the partition invariant for arbitrary answer mixes and token lists, both protocols, against a model of the
 *   classification (docs/errors.md);
 * - results merged across attempts equal the last outcome per token, and only retryable tokens are resent;
 * - `Backoff.millis` stays within its bounds for every attempt and base, and the default schedule within its cap;
 * - every message shape survives a JSON round trip through validation (`Message`, `MessageV1`), and its wire
 *   encoding is accepted by the emulator's model of FCM's own validation;
 * - `Backoff.parseRetryAfter` never throws and never returns a wait under a second;
 * - a send that fails as a whole, its answers arriving in any order: `partial` covers every target, nothing the
 *   server processed is in `partial.retry()`, and `retry()` carries the original payload.
 */
import * as EmulatorLegacy from "@effect-fcm/emulator/internal/legacyRequest"
import * as EmulatorV1 from "@effect-fcm/emulator/internal/v1Request"
import { Backoff, Credentials, FcmClient, FcmLegacy, FcmV1, Message, MessageV1, Result } from "@effect-fcm/fcm"
import { HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Either, Layer, Option, Redacted, Schedule, Stream } from "effect"
import fc from "fast-check"
import * as LegacyWire from "../../src/internal/legacy.js"
import { fake, type FakeAnswer, respond } from "./support/fake.js"

// -----------------------------------------------------------------------------------------------------------------
// the classification model
// -----------------------------------------------------------------------------------------------------------------

const rpc = (code: number, status: string, message: string, details: ReadonlyArray<object> = []) => ({
  error: { code, status, message, details }
})
const fcmError = (errorCode: string) => ({ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode })
const html = (status: number) =>
  `<!DOCTYPE html>\n<html lang=en><title>Error ${status} (Server Error)!!1</title><p><b>${status}.</b> That’s an error.`

/** What a v1 answer is, and what the client must make of it. */
interface V1Kind {
  readonly answer: (token: string) => FakeAnswer
  /** The expected outcome, or the tag of the error that fails the whole send. */
  readonly expect:
    | { readonly tag: Result.Outcome["_tag"]; readonly code?: string; readonly minRetryAfter?: number }
    | { readonly fatal: "InvalidMessage" | "AuthenticationError" | "TransportError" }
}

const V1_KINDS = {
  delivered: {
    answer: (t) => respond(200, { name: `projects/p/messages/${t}` }),
    expect: { tag: "Delivered" }
  },
  unregistered: {
    answer: () => respond(404, rpc(404, "NOT_FOUND", "Requested entity was not found.", [fcmError("UNREGISTERED")])),
    expect: { tag: "NotRegistered", code: "UNREGISTERED" }
  },
  invalidToken: {
    answer: () =>
      respond(
        400,
        rpc(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token", [
          fcmError("INVALID_ARGUMENT"),
          {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            fieldViolations: [{ field: "message.token", description: "Invalid registration token" }]
          }
        ])
      ),
    expect: { tag: "Failed", code: "INVALID_ARGUMENT" }
  },
  senderMismatch: {
    answer: () => respond(403, rpc(403, "PERMISSION_DENIED", "SenderId mismatch", [fcmError("SENDER_ID_MISMATCH")])),
    expect: { tag: "Failed", code: "SENDER_ID_MISMATCH" }
  },
  thirdPartyAuth: {
    answer: () =>
      respond(401, rpc(401, "UNAUTHENTICATED", "Auth error from APNS", [fcmError("THIRD_PARTY_AUTH_ERROR")])),
    expect: { tag: "Failed", code: "THIRD_PARTY_AUTH_ERROR" }
  },
  unavailable: {
    answer: () =>
      respond(503, rpc(503, "UNAVAILABLE", "The service is currently unavailable.", [fcmError("UNAVAILABLE")])),
    expect: { tag: "Retryable", code: "UNAVAILABLE" }
  },
  unavailableRetryAfter: {
    answer: () =>
      respond(503, rpc(503, "UNAVAILABLE", "unavailable", [fcmError("UNAVAILABLE")]), { "retry-after": "7" }),
    expect: { tag: "Retryable", code: "UNAVAILABLE", minRetryAfter: 7000 }
  },
  internal: {
    answer: () => respond(500, rpc(500, "INTERNAL", "Internal error encountered.", [fcmError("INTERNAL")])),
    expect: { tag: "Retryable", code: "INTERNAL" }
  },
  html502: {
    answer: () => respond(502, html(502), { "content-type": "text/html" }),
    expect: { tag: "Retryable", code: "HTTP 502" }
  },
  empty503: { answer: () => respond(503, ""), expect: { tag: "Retryable", code: "HTTP 503" } },
  quota: {
    answer: () =>
      respond(
        429,
        rpc(429, "RESOURCE_EXHAUSTED", "Quota exceeded", [fcmError("QUOTA_EXCEEDED"), {
          "@type": "type.googleapis.com/google.rpc.QuotaFailure",
          violations: [{ subject: "projects/p" }]
        }])
      ),
    expect: { tag: "Retryable", code: "QUOTA_EXCEEDED", minRetryAfter: 60_000 }
  },
  deviceQuota: {
    answer: () => respond(429, rpc(429, "RESOURCE_EXHAUSTED", "Device rate", [fcmError("QUOTA_EXCEEDED")])),
    expect: { tag: "Retryable", code: "QUOTA_EXCEEDED" }
  },
  quotaHtml: {
    answer: () => respond(429, html(429)),
    expect: { tag: "Retryable", code: "HTTP 429", minRetryAfter: 60_000 }
  },
  garbled200: { answer: () => respond(200, "{\"name\": \"projects/"), expect: { tag: "Failed" } },
  empty200: { answer: () => respond(200, ""), expect: { tag: "Failed" } },
  network: {
    answer: () => ({ _tag: "NetworkError", description: "ECONNRESET" }),
    expect: { tag: "Retryable" }
  },
  unimplemented: {
    answer: () => respond(501, rpc(501, "UNIMPLEMENTED", "Operation is not implemented")),
    expect: { tag: "Failed", code: "UNIMPLEMENTED" }
  },
  aborted: { answer: () => respond(409, rpc(409, "ABORTED", "conflict")), expect: { tag: "Failed", code: "ABORTED" } },
  payload400: {
    answer: () => respond(400, rpc(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")),
    expect: { fatal: "InvalidMessage" }
  },
  unauthenticated: {
    answer: () => respond(401, rpc(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")),
    expect: { fatal: "AuthenticationError" }
  },
  forbidden: {
    answer: () => respond(403, rpc(403, "PERMISSION_DENIED", "Firebase Cloud Messaging API has not been used")),
    expect: { fatal: "AuthenticationError" }
  },
  html404: { answer: () => respond(404, html(404)), expect: { fatal: "TransportError" } }
} satisfies Record<string, V1Kind>

type V1KindName = keyof typeof V1_KINDS
const v1Names = Object.keys(V1_KINDS) as Array<V1KindName>
const nonFatalNames = v1Names.filter((n) => !("fatal" in V1_KINDS[n].expect))
/**
 * Answers that never fail the send as a whole: a send whose first answers are all SENDER_ID_MISMATCH fails as a
 * configuration mistake (modelled in the partition property).
 */
const perTokenNames = nonFatalNames.filter((n) => n !== "senderMismatch")
/** Answers whose outcome does not depend on time (no Retry-After, no quota minimum): safe for retry scripts. */
const scriptNames = perTokenNames.filter((n) =>
  !["unavailableRetryAfter", "quota", "quotaHtml", "deviceQuota"].includes(n)
)

const tokenArb = fc.stringMatching(/^[A-Za-z0-9_:-]{1,24}$/)
const tokensArb = (max: number) => fc.uniqueArray(tokenArb, { minLength: 1, maxLength: max })

const staticCredentials = Credentials.layerStatic(Redacted.make("static-token"), { projectId: "p" })

const v1With = (client: HttpClient.HttpClient, concurrency: number) =>
  FcmV1.layer({ concurrency, timeout: false }).pipe(
    Layer.provide(staticCredentials),
    Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
  )

const tokenOf = (json: any): string => json?.message?.token

/** Checks that a result holds every token in exactly one bucket, in the message's order. */
const assertPartition = (result: Result.Result, tokens: ReadonlyArray<string>) => {
  assert.deepStrictEqual([...result.outcomes.keys()], [...tokens], "one outcome per token, in order")
  const seen = new Set<string>()
  const buckets: ReadonlyArray<Iterable<string>> = [
    result.success.keys(),
    result.canonical.keys(),
    result.notRegistered,
    result.failed.keys(),
    result.retryable.keys()
  ]
  for (const bucket of buckets) {
    for (const t of bucket) {
      assert.isFalse(seen.has(t), `${t} is in two buckets`)
      seen.add(t)
    }
  }
  assert.strictEqual(seen.size, tokens.length, "every token is in a bucket")
  const c = result.counts
  assert.strictEqual(c.success + c.canonical + c.notRegistered + c.failed + c.retryable, tokens.length)
}

const assertOutcome = (outcome: Result.Outcome, expect: V1Kind["expect"], token: string) => {
  if ("fatal" in expect) return assert.fail(`${token} should have failed the send`)
  assert.strictEqual(outcome._tag, expect.tag, `${token}: ${JSON.stringify(outcome)}`)
  if (expect.code !== undefined) {
    const code = outcome._tag === "Retryable"
      ? outcome.reason
      : outcome._tag === "Failed" || outcome._tag === "NotRegistered"
      ? outcome.code
      : undefined
    assert.strictEqual(code, expect.code, token)
  }
  if (expect.minRetryAfter !== undefined && outcome._tag === "Retryable") {
    assert.isAtLeast(outcome.retryAfterMillis ?? 0, expect.minRetryAfter, token)
  }
}

// -----------------------------------------------------------------------------------------------------------------
// partition
// -----------------------------------------------------------------------------------------------------------------

describe("the partition invariant", () => {
  it.effect.prop(
    "v1: every token lands in exactly one bucket, the one its answer calls for; a fatal answer fails the send",
    [
      tokensArb(40).chain((tokens) =>
        fc.tuple(
          fc.constant(tokens),
          fc.array(fc.constantFrom(...v1Names), { minLength: tokens.length, maxLength: tokens.length }),
          fc.integer({ min: 1, max: 8 })
        )
      )
    ],
    ([[tokens, kinds, concurrency]]) =>
      Effect.gen(function*() {
        const kindOf = new Map(tokens.map((t, i) => [t, kinds[i]!]))
        const server = fake((r) => V1_KINDS[kindOf.get(tokenOf(r.json))!].answer(tokenOf(r.json)))
        const exit = yield* FcmClient.send(Message.multicast(tokens)).pipe(
          Effect.provide(v1With(server.client, concurrency)),
          Effect.either
        )
        const fatal = new Set<string>(
          kinds.flatMap((k) => {
            const e = V1_KINDS[k].expect
            return "fatal" in e ? [e.fatal] : []
          })
        )
        const mismatches = kinds.filter((k) => k === "senderMismatch").length
        if (Either.isLeft(exit)) {
          if (exit.left._tag === "TransportError" && exit.left.reason.includes("SENDER_ID_MISMATCH")) {
            // a configuration mistake: the first answers were all SENDER_ID_MISMATCH, and nothing is to be deleted
            assert.isAtLeast(mismatches, Math.min(3, tokens.length))
            assert.strictEqual(
              exit.left.partial?.notRegistered.filter((t) => kindOf.get(t) !== "unregistered").length,
              0
            )
            return
          }
          assert.isTrue(fatal.has(exit.left._tag), `${exit.left._tag} without a fatal answer: ${exit.left.message}`)
          return
        }
        assert.strictEqual(fatal.size, 0, "a fatal answer did not fail the send")
        assert.isBelow(mismatches, tokens.length, "a send answered only SENDER_ID_MISMATCH is a configuration mistake")
        const result = exit.right
        assertPartition(result, tokens)
        for (const t of tokens) assertOutcome(result.outcomes.get(t)!, V1_KINDS[kindOf.get(t)!].expect, t)
        // one request per token, plus the one resend a 401 earns (none here: a persisting 401 is fatal)
        assert.strictEqual(server.received.length, tokens.length)
      }),
    { fastCheck: { numRuns: 70 } }
  )

  it.effect.prop(
    "v1: without fatal answers the same holds for sendStream and Result.summarySink, whatever the concurrency",
    [
      tokensArb(60).chain((tokens) =>
        fc.tuple(
          fc.constant(tokens),
          fc.array(fc.constantFrom(...perTokenNames), { minLength: tokens.length, maxLength: tokens.length }),
          fc.integer({ min: 1, max: 16 })
        )
      )
    ],
    ([[tokens, kinds, concurrency]]) =>
      Effect.gen(function*() {
        const kindOf = new Map(tokens.map((t, i) => [t, kinds[i]!]))
        const server = fake((r) => V1_KINDS[kindOf.get(tokenOf(r.json))!].answer(tokenOf(r.json)))
        const stream = FcmClient.sendStream(Stream.fromIterable(tokens), {}, { concurrency, retry: false })
        const [emitted, summary] = yield* Effect.all([
          Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray),
          Stream.run(stream, Result.summarySink)
        ]).pipe(Effect.provide(v1With(server.client, concurrency)))
        const outcomes = new Map(emitted.map((o) => [o.token, o.outcome]))
        assert.strictEqual(emitted.length, tokens.length, "one outcome per token")
        assert.strictEqual(outcomes.size, tokens.length, "no token twice")
        for (const t of tokens) assertOutcome(outcomes.get(t)!, V1_KINDS[kindOf.get(t)!].expect, t)
        assert.strictEqual(summary.total, tokens.length)
        assert.strictEqual(
          summary.success + summary.canonical + summary.notRegistered + summary.failed + summary.retryable,
          tokens.length
        )
        const retryable = [...outcomes.values()].filter((o) => o._tag === "Retryable").length
        assert.strictEqual(summary.retryable, retryable)
      }),
    { fastCheck: { numRuns: 30 } }
  )

  /** A legacy entry per token, and what the client must make of it. */
  const LEGACY_ENTRIES = {
    delivered: { entry: (i: number) => ({ message_id: `0:${i}` }), tag: "Delivered", code: undefined },
    canonical: {
      entry: (i: number) => ({ message_id: `0:${i}`, registration_id: `new-${i}` }),
      tag: "Canonical",
      code: undefined
    },
    notRegistered: { entry: () => ({ error: "NotRegistered" }), tag: "NotRegistered", code: "NotRegistered" },
    invalid: { entry: () => ({ error: "InvalidRegistration" }), tag: "Failed", code: "InvalidRegistration" },
    mismatch: { entry: () => ({ error: "MismatchSenderId" }), tag: "Failed", code: "MismatchSenderId" },
    unknown: { entry: () => ({ error: "SomethingNew" }), tag: "Failed", code: "SomethingNew" },
    unavailable: { entry: () => ({ error: "Unavailable" }), tag: "Retryable", code: "Unavailable" },
    internal: { entry: () => ({ error: "InternalServerError" }), tag: "Retryable", code: "InternalServerError" },
    rate: { entry: () => ({ error: "DeviceMessageRateExceeded" }), tag: "Retryable", code: "DeviceMessageRateExceeded" }
  } as const
  type EntryName = keyof typeof LEGACY_ENTRIES

  /** A legacy answer to a whole request. */
  const LEGACY_REQUESTS = {
    results: { fatal: undefined, status: 200, reason: undefined },
    unavailable: { fatal: undefined, status: 503, reason: "HTTP 503" },
    internal: { fatal: undefined, status: 500, reason: "HTTP 500" },
    badGateway: { fatal: undefined, status: 502, reason: "HTTP 502" },
    throttled: { fatal: undefined, status: 429, reason: "HTTP 429" },
    network: { fatal: undefined, status: 0, reason: "NetworkError" },
    unauthorized: { fatal: "AuthenticationError", status: 401, reason: undefined },
    badRequest: { fatal: "InvalidMessage", status: 400, reason: undefined },
    garbled: { fatal: "TransportError", status: 200, reason: undefined }
  } as const
  type RequestName = keyof typeof LEGACY_REQUESTS
  const requestNames = Object.keys(LEGACY_REQUESTS) as Array<RequestName>

  it.effect.prop(
    "legacy: every token in exactly one bucket, across 1000-token requests, whatever each request answers",
    [
      fc.integer({ min: 1, max: 2600 }).chain((n) =>
        fc.tuple(
          fc.constant(n),
          fc.array(fc.constantFrom(...(Object.keys(LEGACY_ENTRIES) as Array<EntryName>)), {
            minLength: n,
            maxLength: n
          }),
          fc.array(
            fc.oneof({ weight: 6, arbitrary: fc.constant<RequestName>("results") }, {
              weight: 1,
              arbitrary: fc.constantFrom(...requestNames)
            }),
            { minLength: 3, maxLength: 3 }
          ),
          fc.integer({ min: 1, max: 3 })
        )
      )
    ],
    ([[n, entries, requests, concurrency]]) =>
      Effect.gen(function*() {
        const tokens = Array.from({ length: n }, (_, i) => `tok-${i}`)
        const server = fake((r) => {
          const ids: ReadonlyArray<string> = r.json.registration_ids
          const first = Number(ids[0]!.slice(4))
          const request = LEGACY_REQUESTS[requests[Math.floor(first / 1000)]!]
          if (request.status === 0) return { _tag: "NetworkError", description: "socket hang up" }
          if (request.fatal === "TransportError") return respond(200, "{\"multicast_id\":1,\"results\":[{\"mess")
          if (request.status !== 200) return respond(request.status, html(request.status))
          return respond(200, {
            multicast_id: 1,
            results: ids.map((id) => LEGACY_ENTRIES[entries[Number(id.slice(4))]!].entry(Number(id.slice(4))))
          })
        })
        const layer = FcmLegacy.layer({ apiKey: Redacted.make("key"), concurrency, timeout: false }).pipe(
          Layer.provide(Layer.succeed(HttpClient.HttpClient, server.client))
        )
        const exit = yield* Effect.either(FcmClient.send(Message.multicast(tokens)).pipe(Effect.provide(layer)))
        const used = requests.slice(0, Math.ceil(n / 1000)).map((r) => LEGACY_REQUESTS[r])
        const fatal = new Set(used.flatMap((r) => (r.fatal === undefined ? [] : [r.fatal as string])))
        assert.strictEqual(server.received.length <= Math.ceil(n / 1000), true, "at most one request per 1000 tokens")
        if (Either.isLeft(exit)) {
          assert.isTrue(fatal.has(exit.left._tag), `${exit.left._tag} without a fatal answer`)
          return
        }
        assert.strictEqual(fatal.size, 0)
        assert.strictEqual(server.received.length, Math.ceil(n / 1000))
        const result = exit.right
        assertPartition(result, tokens)
        tokens.forEach((t, i) => {
          const request = used[Math.floor(i / 1000)]!
          const outcome = result.outcomes.get(t)!
          if (request.reason !== undefined) {
            assert.strictEqual(outcome._tag, "Retryable", t)
            if (outcome._tag === "Retryable") assert.isTrue(outcome.reason.startsWith(request.reason), outcome.reason)
            return
          }
          const expected = LEGACY_ENTRIES[entries[i]!]
          assert.strictEqual(outcome._tag, expected.tag, t)
          if (expected.code !== undefined) {
            assert.strictEqual(
              outcome._tag === "Retryable" ? outcome.reason : (outcome as { code: string }).code,
              expected.code
            )
          }
        })
      }),
    { fastCheck: { numRuns: 25 } }
  )
})

// -----------------------------------------------------------------------------------------------------------------
// merging attempts
// -----------------------------------------------------------------------------------------------------------------

describe("retries", () => {
  it.live.prop(
    "sendWithRetry: the merged result holds each token's last outcome; only retryable tokens are sent again",
    [
      tokensArb(20).chain((tokens) =>
        fc.tuple(
          fc.constant(tokens),
          fc.array(fc.array(fc.constantFrom(...scriptNames), { minLength: 1, maxLength: 5 }), {
            minLength: tokens.length,
            maxLength: tokens.length
          }),
          fc.integer({ min: 0, max: 5 })
        )
      )
    ],
    ([[tokens, scripts, retries]]) =>
      Effect.gen(function*() {
        const scriptOf = new Map(tokens.map((t, i) => [t, scripts[i]!]))
        const sent = new Map<string, number>()
        const server = fake((r) => {
          const t = tokenOf(r.json)
          const n = sent.get(t) ?? 0
          sent.set(t, n + 1)
          const script = scriptOf.get(t)!
          return V1_KINDS[script[Math.min(n, script.length - 1)]!].answer(t)
        })
        const result = yield* FcmClient.sendWithRetry(Message.multicast(tokens), {
          schedule: Schedule.recurs(retries)
        }).pipe(Effect.provide(v1With(server.client, 4)))
        // The model: attempt k sends exactly the tokens still retryable after attempt k - 1.
        const expectedSends = new Map<string, number>()
        const last = new Map<string, V1KindName>()
        let pending = [...tokens]
        for (let attempt = 0; attempt <= retries && pending.length > 0; attempt++) {
          const next: Array<string> = []
          for (const t of pending) {
            const n = expectedSends.get(t) ?? 0
            expectedSends.set(t, n + 1)
            const script = scriptOf.get(t)!
            const kind = script[Math.min(n, script.length - 1)]!
            last.set(t, kind)
            const e = V1_KINDS[kind].expect
            if (!("fatal" in e) && e.tag === "Retryable") next.push(t)
          }
          pending = next
        }
        assertPartition(result, tokens)
        assert.deepStrictEqual(Object.fromEntries(sent), Object.fromEntries(expectedSends), "requests per token")
        for (const t of tokens) assertOutcome(result.outcomes.get(t)!, V1_KINDS[last.get(t)!].expect, t)
      }),
    { fastCheck: { numRuns: 100 } }
  )

  const outcomeArb: fc.Arbitrary<Result.Outcome> = fc.oneof(
    fc.string().map((messageId) => Result.Outcome.Delivered({ messageId })),
    fc.tuple(fc.string(), fc.string()).map(([messageId, newToken]) =>
      Result.Outcome.Canonical({ messageId, newToken })
    ),
    fc.constant(Result.Outcome.NotRegistered({ code: "NotRegistered" })),
    fc.string().map((code) => Result.Outcome.Failed({ code })),
    fc.tuple(fc.string(), fc.option(fc.nat(), { nil: undefined })).map(([reason, retryAfterMillis]) =>
      Result.Outcome.Retryable({ reason, retryAfterMillis })
    )
  )

  it.prop(
    "Result.merge: folding attempts gives the last outcome per token, in the first message's order",
    [
      tokensArb(30).chain((tokens) =>
        fc.tuple(
          fc.constant(tokens),
          fc.array(fc.array(fc.tuple(fc.constantFrom(...tokens), outcomeArb), { maxLength: 40 }), { maxLength: 6 }),
          fc.array(outcomeArb, { minLength: tokens.length, maxLength: tokens.length })
        )
      )
    ],
    ([[tokens, attempts, first]]) => {
      const message = Message.multicast(tokens)
      let merged = Result.make(message, tokens.map((t, i) => [t, first[i]!] as const))
      const expected = new Map(tokens.map((t, i) => [t, first[i]!]))
      for (const attempt of attempts) {
        const targets = [...new Map(attempt).keys()]
        if (targets.length === 0) continue
        merged = merged.merge(Result.make(Message.multicast(targets), attempt))
        for (const [t, o] of attempt) expected.set(t, o)
      }
      assert.deepStrictEqual([...merged.outcomes.keys()], tokens)
      for (const t of tokens) assert.deepStrictEqual(merged.outcomes.get(t), expected.get(t))
      assertPartition(merged, tokens)
      const retry = merged.retry()
      const retryable = tokens.filter((t) => expected.get(t)!._tag === "Retryable")
      assert.deepStrictEqual(retry._tag === "Some" ? Message.targets(retry.value) : [], retryable)
    }
  )
})

// -----------------------------------------------------------------------------------------------------------------
// backoff
// -----------------------------------------------------------------------------------------------------------------

describe("backoff", () => {
  it.prop(
    "Backoff.millis: B·2^n − ⌊B/2⌋ + U[0, B) for every base and attempt, never above MAX_SAFE_INTEGER",
    [
      fc.integer({ min: 1, max: 10_000_000 }),
      fc.oneof(
        fc.integer({ min: -5, max: 70 }),
        fc.double({ min: -10, max: 2000 }),
        fc.constantFrom(NaN, Infinity, -Infinity)
      ),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
    ],
    ([base, attempt, u]) => {
      const drawn: Array<number> = []
      const random = (bound: number) => {
        drawn.push(bound)
        return Math.floor(u * bound)
      }
      const value = Backoff.millis(base, attempt, random)
      assert.deepStrictEqual(drawn, [base], "the jitter is drawn once, below the base")
      const n = Number.isFinite(attempt) ? Math.max(0, Math.floor(attempt)) : 0
      const low = base * 2 ** n - Math.floor(base / 2)
      const expected = Math.min(low + Math.floor(u * base), Number.MAX_SAFE_INTEGER)
      assert.strictEqual(value, expected)
      assert.isAtMost(value, Number.MAX_SAFE_INTEGER)
      assert.isAtLeast(value, Math.min(low, Number.MAX_SAFE_INTEGER))
      assert.isBelow(value, Math.min(low + base, Number.MAX_SAFE_INTEGER + 1))
      assert.isTrue(Number.isSafeInteger(value))
      // one attempt later waits at least as long (same jitter)
      assert.isAtLeast(Backoff.millis(base, n + 1, () => Math.floor(u * base)), value)
      // and the default random stays within the same bounds
      const free = Backoff.millis(base, attempt)
      assert.isAtLeast(free, Math.min(low, Number.MAX_SAFE_INTEGER))
      assert.isBelow(free, Math.min(low + base, Number.MAX_SAFE_INTEGER + 1))
    },
    { fastCheck: { numRuns: 500 } }
  )

  it.prop(
    "Backoff.millis refuses a base that is not a positive safe integer",
    [fc.oneof(fc.integer({ max: 0 }), fc.double().filter((d) => !Number.isSafeInteger(d)), fc.constant(2 ** 60))],
    ([base]) => {
      assert.throws(() => Backoff.millis(base, 0, () => 0), RangeError)
    }
  )

  it.effect.prop(
    "the default schedule: every delay within the backoff bounds and the cap, exactly `retries` of them",
    [fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 600_000 }), fc.integer({ min: 0, max: 12 })],
    ([baseMillis, capMillis, retries]) =>
      Effect.gen(function*() {
        const schedule = Backoff.schedule({ baseMillis, capMillis, retries })
        const delays = yield* Schedule.run(
          Schedule.delays(schedule),
          0,
          Array.from({ length: retries + 5 }, (_, i) => i)
        )
        // Schedule.run ends with the output of the step that said "done" (a zero delay)
        const all = Chunk.toReadonlyArray(delays).map(Duration.toMillis)
        assert.strictEqual(all.length, retries + 1, "one delay per retry")
        assert.strictEqual(all[retries], 0)
        const millis = all.slice(0, retries)
        millis.forEach((d, n) => {
          const low = baseMillis * 2 ** n - Math.floor(baseMillis / 2)
          assert.isAtMost(d, capMillis)
          assert.isAtLeast(d, Math.min(low, capMillis))
          assert.isBelow(d, low + baseMillis)
        })
      }),
    { fastCheck: { numRuns: 50 } }
  )

  it.prop(
    "Result.delay: the server's Retry-After when one was given, else the backoff",
    [
      fc.integer({ min: 1, max: 60_000 }),
      fc.integer({ min: 0, max: 20 }),
      fc.option(fc.integer({ min: 1000, max: 1e7 }))
    ],
    ([base, attempt, retryAfter]) => {
      const result = Result.make(
        Message.multicast(["t"]),
        [["t", Result.Outcome.Retryable({ reason: "x", retryAfterMillis: retryAfter ?? undefined })]],
        base
      )
      const d = Duration.toMillis(result.delay(attempt, () => 0))
      assert.strictEqual(d, retryAfter ?? Backoff.millis(base, attempt, () => 0))
    }
  )
})

// -----------------------------------------------------------------------------------------------------------------
// Retry-After
// -----------------------------------------------------------------------------------------------------------------

describe("Backoff.parseRetryAfter", () => {
  const headerArb = fc.oneof(
    fc.string(),
    fc.fullUnicodeString(),
    fc.stringMatching(/^\s*\d{1,400}(\.\d{0,20})?\s*$/),
    fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? "Invalid Date" : d.toUTCString())),
    fc.date().map((d) => d.toISOString()),
    fc.constantFrom("", " ", "-1", "1e9", "0x10", "Infinity", "NaN", "1.5", "0.999", "Wed, 21 Oct 2015 07:28:00 GMT")
  )
  it.prop(
    "never throws, whatever the header and the clock",
    [
      fc.option(fc.oneof(headerArb, fc.anything() as fc.Arbitrary<string>), { nil: undefined }),
      fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, NaN, Infinity, -Infinity, Date.now()))
    ],
    ([header, now]) => {
      Backoff.parseRetryAfter(typeof header === "string" ? header : undefined, now)
      Backoff.parseRetryAfter(null, now)
    },
    { fastCheck: { numRuns: 1000 } }
  )

  it.prop(
    "with a real clock: undefined, or a finite wait of at least a second",
    [
      fc.option(headerArb, { nil: undefined }),
      fc.oneof(fc.integer({ min: 0, max: 8.64e15 }), fc.double({ min: 0, max: 8.64e15, noNaN: true }))
    ],
    ([header, now]) => {
      const wait = Backoff.parseRetryAfter(header, now)
      if (wait !== undefined) {
        assert.isTrue(Number.isFinite(wait), `${header} → ${wait}`)
        assert.isAtLeast(wait, 1000)
      }
      assert.isUndefined(Backoff.parseRetryAfter(null, now))
    },
    { fastCheck: { numRuns: 1000 } }
  )

  it.prop("whole seconds give exactly that wait", [fc.integer({ min: 1, max: 10_000_000 })], ([seconds]) => {
    assert.strictEqual(Backoff.parseRetryAfter(String(seconds), 0), seconds * 1000)
    assert.strictEqual(Backoff.parseRetryAfter(` ${seconds} `, 0), seconds * 1000)
  })

  it.prop(
    "an HTTP-date gives the time until that date",
    [fc.integer({ min: 0, max: 2_000_000_000 }), fc.integer({ min: 1, max: 86_400 })],
    ([nowSeconds, ahead]) => {
      const now = nowSeconds * 1000
      assert.strictEqual(Backoff.parseRetryAfter(new Date(now + ahead * 1000).toUTCString(), now), ahead * 1000)
    }
  )
})

// -----------------------------------------------------------------------------------------------------------------
// message round trips
// -----------------------------------------------------------------------------------------------------------------

const shortText = fc.string({ maxLength: 24 })
const dataKey = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_.-]{0,15}$/).filter((k) => !Message.isReservedDataKey(k))
const colour = fc.stringMatching(/^#[0-9a-fA-F]{6}$/)
const topicName = fc.stringMatching(/^[a-zA-Z0-9\-_.~%]{1,30}$/)
const finiteNumber = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))
  .filter((x) => !Object.is(x, -0))

const legacyOptions = fc.record(
  {
    data: fc.dictionary(dataKey, fc.oneof(shortText, finiteNumber, fc.boolean()), { maxKeys: 6 }),
    notification: fc.record(
      {
        title: shortText,
        body: shortText,
        image: shortText,
        icon: shortText,
        sound: shortText,
        badge: shortText,
        tag: shortText,
        color: colour,
        clickAction: shortText,
        channelId: shortText,
        subtitle: shortText,
        bodyLocKey: shortText,
        bodyLocArgs: fc.array(shortText, { maxLength: 3 }),
        titleLocKey: shortText,
        titleLocArgs: fc.array(shortText, { maxLength: 3 })
      },
      { requiredKeys: [] }
    ),
    collapseKey: fc.string({ minLength: 1, maxLength: 20 }),
    priority: fc.constantFrom("normal" as const, "high" as const),
    timeToLive: fc.integer({ min: 0, max: Message.MAX_TIME_TO_LIVE }),
    delayWhileIdle: fc.boolean(),
    restrictedPackageName: fc.stringMatching(/^[a-z][a-z0-9_]{0,10}(\.[a-z][a-z0-9_]{0,10}){1,3}$/),
    dryRun: fc.boolean(),
    contentAvailable: fc.boolean(),
    mutableContent: fc.boolean()
  },
  { requiredKeys: [] }
)

const condition = fc.array(topicName, { minLength: 1, maxLength: 5 }).chain((topics) =>
  fc.array(fc.constantFrom("&&", "||"), { minLength: topics.length - 1, maxLength: topics.length - 1 }).map((ops) =>
    topics.map((t, i) => `${i === 0 ? "" : ` ${ops[i - 1]} `}'${t}' in topics`).join("")
  )
)

const legacyMessage: fc.Arbitrary<Message.Message> = fc.tuple(
  fc.oneof(
    tokensArb(20).map((tokens) => ({ tokens })),
    fc.tuple(topicName, fc.boolean()).map(([topic, prefixed]) => ({ topic: prefixed ? `/topics/${topic}` : topic })),
    condition.map((c) => ({ condition: c }))
  ),
  legacyOptions
).map(([target, options]): Message.Message => ({ ...options, ...target }))
  .filter((m) =>
    Message.payloadBytes(m) <= (m.topic !== undefined ? Message.MAX_TOPIC_PAYLOAD_BYTES : Message.MAX_PAYLOAD_BYTES)
  )

const stringMap = fc.dictionary(dataKey, shortText, { maxKeys: 4 })
const https = fc.webUrl({ validSchemes: ["https"] })
const millis = fc.integer({ min: 0, max: 3_600_000 })
const rfc3339 = fc.date({ min: new Date("1971-01-01T00:00:00Z"), max: new Date("2099-12-31T00:00:00Z") }).map((d) =>
  d.toISOString()
)

const androidNotification = fc.record(
  {
    title: shortText,
    body: shortText,
    icon: shortText,
    color: colour,
    sound: shortText,
    tag: shortText,
    clickAction: shortText,
    channelId: shortText,
    ticker: shortText,
    sticky: fc.boolean(),
    eventTimestamp: rfc3339,
    localOnly: fc.boolean(),
    priority: fc.constantFrom("min" as const, "low" as const, "default" as const, "high" as const, "max" as const),
    vibrateTimingsMillis: fc.array(millis, { minLength: 1, maxLength: 4 }),
    defaultVibrateTimings: fc.boolean(),
    defaultSound: fc.boolean(),
    lightSettings: fc.record({
      color: fc.stringMatching(/^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/),
      lightOnDurationMillis: millis,
      lightOffDurationMillis: millis
    }),
    defaultLightSettings: fc.boolean(),
    visibility: fc.constantFrom("private" as const, "public" as const, "secret" as const),
    notificationCount: fc.integer({ min: 0, max: 1000 }),
    imageUrl: https,
    proxy: fc.constantFrom("allow" as const, "deny" as const, "if_priority_lowered" as const),
    bodyLocKey: fc.string({ minLength: 1, maxLength: 10 }),
    bodyLocArgs: fc.array(shortText, { maxLength: 3 })
  },
  { requiredKeys: [] }
).filter((n) => n.bodyLocArgs === undefined || n.bodyLocArgs.length === 0 || n.bodyLocKey !== undefined)

const v1Message: fc.Arbitrary<MessageV1.MessageV1> = fc.tuple(
  fc.oneof(
    tokenArb.map((token) => ({ token })),
    topicName.map((topic) => ({ topic })),
    condition.map((c) => ({ condition: c }))
  ),
  fc.record(
    {
      data: stringMap,
      notification: fc.record({ title: shortText, body: shortText, imageUrl: https }, { requiredKeys: [] }),
      android: fc.record(
        {
          collapseKey: fc.string({ minLength: 1, maxLength: 20 }),
          priority: fc.constantFrom("high" as const, "normal" as const),
          ttl: fc.integer({ min: 0, max: MessageV1.MAX_TTL_MILLIS }),
          restrictedPackageName: fc.stringMatching(/^[a-z]{1,8}\.[a-z]{1,8}$/),
          data: stringMap,
          notification: androidNotification,
          fcmOptions: fc.record({ analyticsLabel: fc.stringMatching(/^[a-zA-Z0-9\-_.~%]{1,50}$/) }),
          directBootOk: fc.boolean()
        },
        { requiredKeys: [] }
      ),
      apns: fc.record(
        {
          headers: fc.constantFrom({ "apns-priority": "10" }, { "apns-priority": "5", "apns-push-type": "background" }),
          payload: fc.record({
            aps: fc.record(
              {
                alert: fc.oneof(
                  shortText,
                  fc.record({ title: shortText, body: shortText, subtitle: shortText }, { requiredKeys: [] })
                ),
                badge: fc.integer({ min: 0, max: 999 }),
                sound: fc.oneof(
                  fc.string({ minLength: 1, maxLength: 10 }),
                  fc.record({ name: fc.string({ minLength: 1, maxLength: 10 }), critical: fc.boolean() }, {
                    requiredKeys: ["name"]
                  })
                ),
                contentAvailable: fc.boolean(),
                mutableContent: fc.boolean(),
                category: shortText,
                threadId: shortText
              },
              { requiredKeys: [] }
            ),
            customKey: fc.oneof(shortText, fc.integer(), fc.array(fc.integer(), { maxLength: 3 }))
          }, { requiredKeys: ["aps"] }),
          fcmOptions: fc.record({ imageUrl: https }, { requiredKeys: [] })
        },
        { requiredKeys: [] }
      ),
      webpush: fc.record(
        {
          headers: fc.constantFrom({ TTL: "60" }, { Urgency: "high" }),
          data: stringMap,
          notification: fc.record({ title: shortText, body: shortText, icon: shortText, silent: fc.boolean() }, {
            requiredKeys: []
          }),
          fcmOptions: fc.record({ link: https, analyticsLabel: fc.stringMatching(/^[a-z0-9]{1,20}$/) }, {
            requiredKeys: []
          })
        },
        { requiredKeys: [] }
      ),
      fcmOptions: fc.record({ analyticsLabel: fc.stringMatching(/^[a-zA-Z0-9\-_.~%]{1,50}$/) })
    },
    { requiredKeys: [] }
  )
).map(([target, rest]) => ({ ...rest, ...target } as MessageV1.MessageV1))
  .filter((m) => Either.isRight(MessageV1.validateEither(m)))

const jsonRoundTrip = <A>(a: A): unknown => JSON.parse(JSON.stringify(a))

describe("message round trips", () => {
  it.prop(
    "Message: validate(JSON round trip) gives the same message; the legacy wire form is what FCM accepts",
    [legacyMessage],
    ([message]) => {
      const direct = Message.validateEither(message)
      assert.isTrue(Either.isRight(direct), Either.isLeft(direct) ? direct.left.message : "")
      const decoded = Message.validateEither(jsonRoundTrip(message))
      assert.isTrue(Either.isRight(decoded))
      if (Either.isRight(decoded)) assert.deepStrictEqual(decoded.right, message)
      const targets = Message.targets(message)
      const wire = JSON.stringify(LegacyWire.encode(message, targets))
      const parsed = EmulatorLegacy.parse(wire, "application/json")
      assert.isTrue(parsed.ok, parsed.ok ? "" : parsed.text)
      if (parsed.ok) {
        assert.isUndefined(parsed.messageError, `the emulator refused the message: ${parsed.messageError}`)
        assert.deepStrictEqual(parsed.keyErrors?.filter((e) => e !== undefined) ?? [], [])
        assert.strictEqual(parsed.keys.length, targets.length)
      }
    },
    { fastCheck: { numRuns: 150 } }
  )

  it.prop(
    "MessageV1: validate(JSON round trip) gives the same message; its wire form passes FCM's own validation",
    [v1Message],
    ([message]) => {
      const decoded = MessageV1.validateEither(jsonRoundTrip(message))
      assert.isTrue(Either.isRight(decoded), Either.isLeft(decoded) ? decoded.left.message : "")
      if (Either.isRight(decoded)) {
        assert.deepStrictEqual(decoded.right, message)
        assert.deepStrictEqual(MessageV1.toWire(decoded.right), MessageV1.toWire(message), "the same wire form")
      }
      const validated = EmulatorV1.validate(JSON.stringify({ message: MessageV1.toWire(message) }))
      assert.isTrue(validated.ok, validated.ok ? "" : validated.error.body)
    },
    { fastCheck: { numRuns: 150 } }
  )

  it.prop(
    "a multicast translated to v1 passes FCM's own validation for every token",
    [legacyMessage.filter((m) => m.tokens !== undefined), fc.integer({ min: 0, max: 4_000_000_000_000 })],
    ([message, now]) => {
      const { message: wire, validateOnly } = MessageV1.fromMessage(message, now)
      assert.strictEqual(validateOnly, message.dryRun === true)
      for (const token of message.tokens!) {
        const validated = EmulatorV1.validate(JSON.stringify({ message: { token, ...wire } }))
        assert.isTrue(validated.ok, validated.ok ? "" : validated.error.body)
      }
    },
    { fastCheck: { numRuns: 100 } }
  )
})

// -----------------------------------------------------------------------------------------------------------------
// a send that fails as a whole
// -----------------------------------------------------------------------------------------------------------------

describe("a send that fails as a whole", () => {
  const payload = { data: { order: "42", kind: "receipt" } }

  it.effect.prop(
    "partial covers every target, nothing the server processed is in retry(), and retry() carries the payload",
    [
      tokensArb(40).chain((tokens) =>
        fc.tuple(
          fc.constant(tokens),
          // each token's answer: per-token ones, and at least one answer that fails the send as a whole
          fc.array(fc.constantFrom(...perTokenNames, "payload400", "unauthenticated", "html404"), {
            minLength: tokens.length,
            maxLength: tokens.length
          }),
          fc.nat({ max: tokens.length - 1 }),
          fc.constantFrom<V1KindName>("payload400", "unauthenticated", "html404"),
          // how many times each request lets the other fibers run before it is answered: answers arrive in any order
          fc.array(fc.nat({ max: 12 }), { minLength: 1, maxLength: 16 }),
          fc.integer({ min: 1, max: 10 })
        )
      )
    ],
    ([[tokens, drawn, fatalAt, fatalKind, delays, concurrency]]) =>
      Effect.gen(function*() {
        const kinds = drawn.map((k, i) => i === fatalAt ? fatalKind : k as V1KindName)
        const kindOf = new Map(tokens.map((t, i) => [t, kinds[i]!]))
        /** Tokens the server processed: answered 200 with a message name. */
        const processed = new Set<string>()
        const server = fake((r) => {
          const token = tokenOf(r.json)
          const kind = kindOf.get(token)!
          if (kind === "delivered") processed.add(token)
          return V1_KINDS[kind].answer(token)
        })
        let n = 0
        const client = HttpClient.make((request) =>
          Effect.suspend(() => {
            const yields = delays[n++ % delays.length]!
            return Effect.zipRight(Effect.repeatN(Effect.yieldNow(), yields), server.client.execute(request))
          })
        )
        const exit = yield* FcmClient.send(Message.multicast(tokens, payload)).pipe(
          Effect.provide(v1With(client, concurrency)),
          Effect.either
        )
        assert.isTrue(Either.isLeft(exit), "an answer that fails the send as a whole was drawn")
        if (Either.isRight(exit)) return
        const error = exit.left
        const mismatchFailure = error._tag === "TransportError" && error.reason.includes("SENDER_ID_MISMATCH")
        if (!mismatchFailure) {
          assert.isTrue(
            ["InvalidMessage", "AuthenticationError", "TransportError"].includes(error._tag),
            `${error._tag}: ${error.message}`
          )
        }
        const partial = "partial" in error ? error.partial as Result.Result | undefined : undefined
        assert.isDefined(partial, "the error carries the outcome of every target")
        assertPartition(partial!, tokens)
        const retry = partial!.retry()
        const retried = Option.match(retry, { onNone: () => [], onSome: (m) => [...Message.targets(m)] })
        for (const token of retried) {
          assert.isFalse(processed.has(token), `${token} was delivered, yet retry() would send it again`)
        }
        for (const token of processed) {
          assert.isTrue(partial!.success.has(token), `${token} was delivered: partial says so`)
        }
        if (Option.isSome(retry)) assert.deepStrictEqual(retry.value.data, payload.data, "retry() keeps the payload")
      }),
    { fastCheck: { numRuns: 60 } }
  )
})
