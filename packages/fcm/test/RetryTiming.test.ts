/**
 * Per-target retry timing: a device's rate limit holds back that device alone (its own exponential backoff), a
 * project's or topic's quota (a `QuotaFailure`) holds back the whole send for at least a minute. Under `TestClock`.
 */
import { Credentials, FcmClient, FcmV1, Message } from "@effect-fcm/fcm"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Redacted, Schedule, TestClock } from "effect"
import { type Recorded, recorder, type Reply } from "./support/recorder.js"

const fcmError = (errorCode: string) => ({ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode })
const deviceLimit: Reply = {
  status: 429,
  body: { error: { code: 429, status: "RESOURCE_EXHAUSTED", message: "rate", details: [fcmError("QUOTA_EXCEEDED")] } }
}
const projectQuota: Reply = {
  status: 429,
  body: {
    error: {
      code: 429,
      status: "RESOURCE_EXHAUSTED",
      message: "Quota exceeded",
      details: [fcmError("QUOTA_EXCEEDED"), {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        violations: [{ subject: "projects/demo", description: "SendsPerMinutePerProject" }]
      }]
    }
  }
}
const unavailable: Reply = { status: 503 }

/** A v1 server answering each token's n-th request from its script (the last step repeats). */
const scripted = (script: (token: string, n: number) => Reply) => {
  const sent = new Map<string, number>()
  const fake = recorder((request: Recorded) => {
    const token: string = request.json.message.token
    const n = sent.get(token) ?? 0
    sent.set(token, n + 1)
    return script(token, n) ?? { body: { name: `projects/demo/messages/${token}` } }
  })
  const layer = FcmV1.layer({ concurrency: 64 }).pipe(
    Layer.provide(Credentials.layerStatic(Redacted.make("t"), { projectId: "demo" })),
    Layer.provide(fake.layer)
  )
  return { sent, layer }
}

const delivered = (token: string): Reply => ({ body: { name: `projects/demo/messages/${token}` } })
const tokens = (n: number) => Array.from({ length: n }, (_, i) => `t-${i}`)
const every = Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(10)))

describe("per-target retry timing", () => {
  it.effect("a device's 429 on one token does not delay the 999 others", () => {
    // t-0 is rate-limited twice; every other token is unavailable once, then delivered
    const { layer, sent } = scripted((token, n) =>
      token === "t-0" ? (n < 2 ? deviceLimit : delivered(token)) : n === 0 ? unavailable : delivered(token)
    )
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(FcmClient.sendWithRetry(Message.multicast(tokens(1000)), { schedule: every }))
      yield* TestClock.adjust("1 second")
      // the schedule's first round, one second in: the 999 went again without waiting for t-0
      const resent = tokens(1000).slice(1).filter((t) => sent.get(t) === 2).length
      assert.strictEqual(resent, 999)
      // t-0 backs off on its own, exponentially (at most 1.5 s, then at most 3 s), never a minute
      yield* TestClock.adjust("5 seconds")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.success.size, 1000)
      assert.strictEqual(sent.get("t-0"), 3)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a device's limit alone does not make the result wait: no send-wide Retry-After", () => {
    const { layer } = scripted((token) => token === "t-0" ? deviceLimit : delivered(token))
    return Effect.gen(function*() {
      const result = yield* FcmClient.send(Message.multicast(tokens(3)))
      assert.deepStrictEqual([...result.retryable.keys()], ["t-0"])
      assert.strictEqual(result.retryAfterMillis, undefined)
      const outcome = result.outcomes.get("t-0")!
      assert.isTrue(outcome._tag === "Retryable" && outcome.notBefore !== undefined)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a project's QUOTA_EXCEEDED (QuotaFailure) pauses everyone at least 60 s", () => {
    const { layer, sent } = scripted((token, n) =>
      n > 0 ? delivered(token) : token === "t-0" ? projectQuota : unavailable
    )
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(FcmClient.sendWithRetry(Message.multicast(tokens(50)), { schedule: every }))
      yield* TestClock.adjust("59 seconds")
      assert.isTrue(tokens(50).every((t) => sent.get(t) === 1), "nothing resent before the minute")
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.success.size, 50)
      assert.isTrue(tokens(50).every((t) => sent.get(t) === 2))
    }).pipe(Effect.provide(layer))
  })
})
