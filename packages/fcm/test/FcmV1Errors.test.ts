/**
 * What a send's result and errors may hold: `retry()` of a v1 message is that message; no credential and no
 * unbounded server text reaches an error, an outcome or `partial`.
 */
import { Credentials, FcmError, FcmLegacy, FcmV1, Message } from "@effect-fcm/fcm"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { recorder, type Reply } from "./support/recorder.js"

const SECRET = "opaque-access-token-4f1c9a"
const API_KEY = "legacy-server-key-77d0"

const v1 = (answer: () => Reply) => {
  const fake = recorder(answer)
  return FcmV1.layer().pipe(
    Layer.provide(Credentials.layerStatic(Redacted.make(SECRET), { projectId: "demo" })),
    Layer.provide(fake.layer)
  )
}

const legacy = (answer: () => Reply) =>
  FcmLegacy.make({ apiKey: Redacted.make(API_KEY) }).pipe(Effect.provide(recorder(answer).layer))

/** Every string an error holds, `partial`'s reasons included. */
const texts = (error: FcmError.FcmError): ReadonlyArray<string> => [
  error.message,
  ...Object.values(error).filter((v): v is string => typeof v === "string"),
  ...(error.partial === undefined ? [] : [...error.partial.retryable.values(), ...error.partial.failed.values()])
]

const huge = "x".repeat(10_000_000)
const BOUND = FcmError.BODY_EXCERPT_LENGTH + 1

describe("FcmV1.send results", () => {
  it.effect("retry() of a message answered 503 is that same message, payload and all", () => {
    const message = {
      token: "phone-1",
      notification: { title: "Goal!" },
      data: { score: "3-0" },
      android: { priority: "high" as const }
    }
    return Effect.gen(function*() {
      const result = yield* FcmV1.send(message)
      assert.deepStrictEqual([...result.retryable.keys()], ["phone-1"])
      assert.deepStrictEqual(result.retry(), Option.some(message))
    }).pipe(Effect.provide(v1(() => ({ status: 503 }))))
  })

  it.effect("retry() of a topic message is the message; none when it was delivered", () =>
    Effect.gen(function*() {
      const busy = yield* FcmV1.send({ topic: "news", data: { a: "1" } }).pipe(
        Effect.provide(v1(() => ({ status: 500 })))
      )
      assert.deepStrictEqual(busy.retry(), Option.some({ topic: "news", data: { a: "1" } }))
      const sent = yield* FcmV1.send({ topic: "news", data: { a: "1" } }).pipe(
        Effect.provide(v1(() => ({ body: { name: "projects/demo/messages/1" } })))
      )
      assert.isTrue(Option.isNone(sent.retry()))
    }))

  it.effect("an error's partial result holds the v1 message too", () =>
    Effect.gen(function*() {
      const message = { token: "phone-1", data: { a: "1" } }
      const error = yield* Effect.flip(FcmV1.send(message)).pipe(
        Effect.provide(v1(() => ({ status: 401, body: { error: { code: 401, status: "UNAUTHENTICATED" } } })))
      )
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.deepStrictEqual(error.partial?.retry(), Option.some(message))
    }))
})

describe("no secret reaches an error", () => {
  it.effect("a v1 401 whose body echoes the bearer token", () =>
    Effect.gen(function*() {
      const echo = () => ({
        status: 401,
        body: {
          error: {
            code: 401,
            status: "UNAUTHENTICATED",
            message: `Request had invalid authentication credentials: Bearer ${SECRET}`
          }
        }
      })
      const error = yield* Effect.flip(FcmV1.send({ token: "phone-1" })).pipe(Effect.provide(v1(echo)))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.include(error.message, "Request had invalid authentication credentials")
      for (const text of texts(error)) assert.notInclude(text, SECRET)
    }))

  it.effect("a v1 400 and an unknown status echoing the token", () =>
    Effect.gen(function*() {
      const bad = yield* Effect.flip(FcmV1.send({ token: "phone-1" })).pipe(
        Effect.provide(v1(() => ({
          status: 400,
          body: { error: { code: 400, status: "INVALID_ARGUMENT", message: `token ${SECRET} is odd` } }
        })))
      )
      for (const text of texts(bad)) assert.notInclude(text, SECRET)
      const odd = yield* FcmV1.send({ token: "phone-1" }).pipe(
        Effect.provide(v1(() => ({ status: 409, body: { error: { code: 409, status: `CONFLICT ${SECRET}` } } })))
      )
      for (const code of odd.failed.values()) assert.notInclude(code, SECRET)
    }))

  it.effect("a legacy answer echoing the API key", () =>
    Effect.gen(function*() {
      const fcm = yield* legacy(() => ({ status: 400, body: `bad request, key=${API_KEY}` }))
      const error = yield* Effect.flip(fcm.send(Message.multicast(["a"])))
      for (const text of texts(error)) assert.notInclude(text, API_KEY)
      const garbled = yield* legacy(() => ({ status: 200, body: `{"key":"${API_KEY}"` }))
      const error2 = yield* Effect.flip(garbled.send(Message.multicast(["a"])))
      for (const text of texts(error2)) assert.notInclude(text, API_KEY)
    }))
})

describe("every server-derived string in an error is bounded", () => {
  it.effect("a v1 400 with a 10 MB message and field", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(FcmV1.send({ token: "phone-1" })).pipe(
        Effect.provide(v1(() => ({
          status: 400,
          body: {
            error: {
              code: 400,
              status: "INVALID_ARGUMENT",
              message: huge,
              details: [{
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                fieldViolations: [{ field: huge, description: huge }]
              }]
            }
          }
        })))
      )
      assert.strictEqual(error._tag, "InvalidMessage")
      const invalid = error as FcmError.InvalidMessage
      assert.isAtMost(invalid.reason.length, BOUND)
      assert.isAtMost(invalid.field.length, BOUND)
      assert.isAtMost(invalid.body!.length, BOUND)
      assert.isBelow(invalid.message.length, 4 * BOUND)
    }))

  it.effect("a v1 401 and 403 with a 10 MB message", () =>
    Effect.gen(function*() {
      for (const status of [401, 403]) {
        const error = yield* Effect.flip(FcmV1.send({ token: "phone-1" })).pipe(
          Effect.provide(v1(() => ({ status, body: { error: { code: status, message: huge } } })))
        )
        assert.strictEqual(error._tag, "AuthenticationError")
        assert.isAtMost((error as FcmError.AuthenticationError).reason.length, BOUND)
        assert.isBelow(error.message.length, 4 * BOUND)
      }
    }))

  it.effect("a 10 MB code is cut in the outcome", () =>
    Effect.gen(function*() {
      const result = yield* FcmV1.send({ token: "phone-1" }).pipe(
        Effect.provide(v1(() => ({ status: 409, body: { error: { code: 409, status: huge } } })))
      )
      assert.isAtMost(result.failed.get("phone-1")!.length, 65)
      const busy = yield* FcmV1.send({ token: "phone-1" }).pipe(
        Effect.provide(v1(() => ({ status: 503, body: { error: { code: 503, status: huge } } })))
      )
      assert.isAtMost(busy.retryable.get("phone-1")!.length, 65)
    }))

  it.effect("legacy: a 10 MB 400 body, a 10 MB garbled 200 and a 10 MB error code", () =>
    Effect.gen(function*() {
      const bad = yield* Effect.flip(
        (yield* legacy(() => ({ status: 400, body: huge }))).send(Message.multicast(["a"]))
      )
      assert.isBelow(bad.message.length, 4 * BOUND)
      const garbled = yield* Effect.flip(
        (yield* legacy(() => ({ status: 200, body: `{${huge}` }))).send(Message.multicast(["a"]))
      )
      assert.isBelow(garbled.message.length, 4 * BOUND)
      const code = yield* (yield* legacy(() => ({ body: { results: [{ error: huge }] } }))).send(
        Message.multicast(["a"])
      )
      assert.isAtMost(code.failed.get("a")!.length, 65)
    }))
})
