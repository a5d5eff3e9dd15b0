/**
 * FcmV1's v1-shaped sends over the loopback emulator: sendEach of many distinct messages through the sender's worker
 * pool, fid targets, and messages validated and encoded once per send whatever the retries.
 */
import type { Model } from "@effect-fcm/emulator"
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import type { MessageV1 } from "@effect-fcm/fcm"
import { Credentials, FcmV1, Message, Result } from "@effect-fcm/fcm"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { emulatorLayer, fresh, perToken, quickRetries, sends, serviceAccountCredentials, v1Client } from "./helpers.js"

const v1Service = (options: FcmV1.Options = {}) =>
  Effect.gen(function*() {
    const emulator = yield* FcmServer.FcmServer
    const credentials = yield* serviceAccountCredentials
    return yield* FcmV1.makeService({ baseUrl: emulator.baseUrl, ...options }).pipe(
      Effect.provideService(Credentials.Credentials, credentials)
    )
  }).pipe(Effect.orDie)

/** 1,000 distinct messages: each its own token and data; every tenth token fails once with UNAVAILABLE. */
const messages: ReadonlyArray<MessageV1.MessageV1> = Array.from({ length: 1000 }, (_, i) => ({
  token: i % 10 === 3 ? `flaky-${i}` : `m-${i}`,
  data: { n: String(i) },
  ...(i % 2 === 0 ? { notification: { title: `hello ${i}` } } : {})
}))

const bodyOf = (record: Model.Record) => (record.body as { readonly message: Record<string, unknown> }).message

layer(
  emulatorLayer({ scenarios: { prefixes: { "flaky-": Scenario.unavailable({ times: 1 }) } } }),
  { excludeTestServices: true }
)("FcmV1.sendEach over the loopback emulator", (it) => {
  describe("sendEach", () => {
    it.effect("1,000 distinct messages: one request each, outcomes keyed by index in input order", () =>
      Effect.gen(function*() {
        yield* fresh
        const v1 = yield* v1Service()
        const result = yield* v1.sendEach(messages)
        assert.deepStrictEqual([...result.outcomes.keys()], messages.map((_, i) => String(i)))
        const records = yield* sends
        assert.strictEqual(records.length, 1000, "one request per message")
        const byToken = new Map(records.map((r) => [bodyOf(r).token as string, r]))
        messages.forEach((message, i) => {
          const record = byToken.get(message.token!)!
          // each request carried its own message, not another's payload
          assert.deepStrictEqual(bodyOf(record).data, { n: String(i) })
          assert.strictEqual(bodyOf(record).notification !== undefined, i % 2 === 0)
          const outcome = result.outcomes.get(String(i))!
          if (message.token!.startsWith("flaky-")) {
            assert.strictEqual(outcome._tag, "Retryable", `message ${i}`)
          } else {
            assert.strictEqual(outcome._tag, "Delivered", `message ${i}`)
          }
        })
        const retry = Option.getOrThrow(result.retry())
        assert.deepStrictEqual(retry, messages.filter((m) => m.token!.startsWith("flaky-")))
      }))

    it.effect("with retries, only the retryable messages are sent again, each with its own body", () =>
      Effect.gen(function*() {
        yield* fresh
        const v1 = yield* v1Service()
        const result = yield* v1.sendEachWithRetry(messages, { schedule: quickRetries(3) })
        assert.strictEqual(result.success.size, 1000)
        assert.deepStrictEqual([...result.success.keys()], messages.map((_, i) => String(i)))
        const records = yield* sends
        const seen = perToken(records)
        for (const [i, message] of messages.entries()) {
          const history = seen.get(message.token!)!
          const flaky = message.token!.startsWith("flaky-")
          assert.strictEqual(history.length, flaky ? 2 : 1, `${message.token} sent ${history.length} times`)
          assert.deepStrictEqual(history.map((h) => h.delivered), flaky ? [false, true] : [true])
          assert.strictEqual(result.success.get(String(i))!.length > 0, true)
        }
        assert.strictEqual(records.length, 1100)
        for (const record of records) {
          const token = bodyOf(record).token as string
          const index = Number(token.slice(token.indexOf("-") + 1))
          assert.deepStrictEqual(bodyOf(record).data, { n: String(index) })
        }
      }))

    it.effect("an invalid message fails the whole call naming it, and nothing is sent", () =>
      Effect.gen(function*() {
        yield* fresh
        const v1 = yield* v1Service()
        const bad = [...messages.slice(0, 5), { token: "t", android: { notification: { color: "red" } } }]
        const error = yield* Effect.flip(v1.sendEach(bad))
        assert.strictEqual(error._tag, "InvalidMessage")
        assert.strictEqual(error._tag === "InvalidMessage" && error.field, "[5].android.notification.color")
        assert.strictEqual((yield* sends).length, 0)
      }))

    it.effect("dryRun sends each message with validate_only", () =>
      Effect.gen(function*() {
        yield* fresh
        const v1 = yield* v1Service()
        const result = yield* v1.sendEach([{ token: "dry-1" }, { topic: "news" }], { dryRun: true })
        assert.strictEqual(result.success.size, 2)
        const records = yield* sends
        assert.deepStrictEqual(records.map((r) => r.dryRun), [true, true])
        yield* v1.send({ token: "wet-1" })
        assert.strictEqual((yield* sends)[2]!.dryRun, false)
      }))

    it.effect("an empty list sends nothing", () =>
      Effect.gen(function*() {
        yield* fresh
        const v1 = yield* v1Service()
        const result = yield* v1.sendEach([])
        assert.strictEqual(result.outcomes.size, 0)
        assert.strictEqual((yield* sends).length, 0)
      }))
  })

  describe("fid", () => {
    it.effect("a message to a Firebase installation id goes out with its fid target", () =>
      Effect.gen(function*() {
        yield* fresh
        const v1 = yield* v1Service()
        const result = yield* v1.send({ fid: "installation-1", data: { kind: "sync" } })
        assert.deepStrictEqual([...result.success.keys()], ["installation-1"])
        const [record] = yield* sends
        assert.deepStrictEqual(bodyOf(record!), { fid: "installation-1", data: { kind: "sync" } })
        const each = yield* v1.sendEach([{ fid: "installation-2" }, { token: "token-2" }])
        assert.strictEqual(each.success.size, 2)
        const bodies = (yield* sends).slice(1).map(bodyOf)
        assert.sameDeepMembers(bodies, [{ fid: "installation-2" }, { token: "token-2" }])
      }))
  })

  describe("encoded once", () => {
    /** A value read through a getter: every validation and every encoding of the message reads it. */
    const counted = () => {
      const reads = { count: 0 }
      const data = {
        get kind() {
          reads.count++
          return "sync"
        }
      }
      return { data, reads }
    }

    it.effect("FcmV1.sendWithRetry reads the message for its first attempt only", () =>
      Effect.gen(function*() {
        yield* fresh
        const v1 = yield* v1Service()
        const once = counted()
        yield* v1.send({ token: "once-1", data: once.data })
        const perSend = once.reads.count
        assert.isAbove(perSend, 0)
        const flaky = counted()
        const result = yield* v1.sendWithRetry({ token: "flaky-once", data: flaky.data }, {
          schedule: quickRetries(3)
        })
        assert.strictEqual(result.success.size, 1)
        assert.strictEqual(perToken(yield* sends).get("flaky-once")!.length, 2, "sent twice")
        assert.strictEqual(flaky.reads.count, perSend, "the retry reused the encoded body")
      }))

    it.effect("sendEachWithRetry encodes each message once, however many rounds", () =>
      Effect.gen(function*() {
        yield* fresh
        const v1 = yield* v1Service()
        const once = counted()
        yield* v1.sendEach([{ token: "plain-1", data: once.data }])
        const flaky = counted()
        const result = yield* v1.sendEachWithRetry([{ token: "plain-2" }, { token: "flaky-each", data: flaky.data }], {
          schedule: quickRetries(3)
        })
        assert.strictEqual(result.success.size, 2)
        assert.strictEqual(perToken(yield* sends).get("flaky-each")!.length, 2, "sent twice")
        assert.strictEqual(flaky.reads.count, once.reads.count)
      }))

    it.effect("a multicast's retry rounds reuse the payload encoded for the first attempt", () =>
      Effect.gen(function*() {
        yield* fresh
        const fcm = yield* v1Client()
        const reads = { count: 0 }
        const notification = {
          get title() {
            reads.count++
            return "Hello"
          }
        }
        yield* fcm.send(Message.multicast(["plain-a", "plain-b"], { notification }))
        const perSend = reads.count
        reads.count = 0
        const result = yield* fcm.sendWithRetry(Message.multicast(["flaky-a", "b", "flaky-c"], { notification }), {
          schedule: quickRetries(3)
        })
        assert.strictEqual(result.success.size, 3)
        assert.strictEqual((yield* sends).length, 2 + 5)
        assert.strictEqual(reads.count, perSend, "no retry round read the message again")
        assert.ok(Result.Outcome.$is("Delivered")(result.outcomes.get("flaky-c")!))
      }))
  })
})
