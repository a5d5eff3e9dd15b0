/**
 * Safe classification: only `UNREGISTERED` reports a token for deletion. A bare `NOT_FOUND` is what a wrong project
 * id or base URL gets, so a send whose first answers are all bare `NOT_FOUND` (or `SENDER_ID_MISMATCH`) fails as a
 * whole, naming the project and the base URL, with nothing reported for deletion.
 */
import type { Result } from "@effect-fcm/fcm"
import { Credentials, FcmClient, FcmV1, Message } from "@effect-fcm/fcm"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Redacted, Schedule, Stream } from "effect"
import { type Recorded, recorder, type Reply } from "./support/recorder.js"

const rpc = (code: number, status: string, errorCode?: string) => ({
  error: {
    code,
    status,
    message: "Requested entity was not found.",
    details: errorCode === undefined
      ? []
      : [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode }]
  }
})
const bareNotFound: Reply = { status: 404, body: rpc(404, "NOT_FOUND") }
const unregistered: Reply = { status: 404, body: rpc(404, "NOT_FOUND", "UNREGISTERED") }
const mismatch: Reply = { status: 403, body: rpc(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH") }
const delivered = (r: Recorded): Reply => ({ body: { name: `projects/demo/messages/${r.json.message.token}` } })

const BASE_URL = "https://fcm.example.test"

const v1 = (answer: (request: Recorded, index: number) => Reply, options: FcmV1.Options = {}) => {
  const fake = recorder(answer)
  const layer = FcmV1.layer({ baseUrl: BASE_URL, ...options }).pipe(
    Layer.provide(Credentials.layerStatic(Redacted.make("token"), { projectId: "wrong-project" })),
    Layer.provide(fake.layer)
  )
  return { requests: fake.requests, layer }
}

const tokens = (n: number) => Array.from({ length: n }, (_, i) => `t-${i}`)

describe("a misconfigured project", () => {
  it.effect("every send answered a bare NOT_FOUND: the send fails as a whole, naming the project and base URL", () => {
    const { layer, requests } = v1(() => bareNotFound, { concurrency: 4 })
    return Effect.gen(function*() {
      const error = yield* Effect.flip(FcmClient.send(Message.multicast(tokens(50), { data: { a: "1" } })))
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, "wrong-project")
      assert.include(error.message, BASE_URL)
      assert.include(error.message, "NOT_FOUND")
      assert.isAtMost(requests.length, 4 + 3, "the fan-out stopped after the first answers")
      assert.deepStrictEqual(error.partial!.notRegistered, [], "nothing reported for deletion")
      for (const code of error.partial!.failed.values()) assert.strictEqual(code, "NOT_FOUND")
    }).pipe(Effect.provide(layer))
  })

  it.effect("every send answered SENDER_ID_MISMATCH: the same, naming the project the tokens are not of", () => {
    const { layer } = v1(() => mismatch)
    return Effect.gen(function*() {
      const error = yield* Effect.flip(FcmClient.send(Message.multicast(tokens(10))))
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, "SENDER_ID_MISMATCH")
      assert.include(error.message, "wrong-project")
      assert.deepStrictEqual(error.partial!.notRegistered, [])
    }).pipe(Effect.provide(layer))
  })

  it.effect("a single message answered a bare NOT_FOUND fails as a whole too", () => {
    const { layer } = v1(() => bareNotFound)
    return Effect.gen(function*() {
      const error = yield* Effect.flip(FcmV1.send({ token: "t-0", data: { a: "1" } }))
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, BASE_URL)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a stream whose first answers are bare NOT_FOUND fails with the same error", () => {
    const { layer } = v1(() => bareNotFound, { concurrency: 2 })
    return Effect.gen(function*() {
      const error = yield* Effect.flip(
        Stream.runCollect(FcmClient.sendStream(Stream.fromIterable(tokens(40)), {}, { retry: false }))
      )
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, "wrong-project")
    }).pipe(Effect.provide(layer))
  })
})

describe("a project that works", () => {
  it.effect("a token answered UNREGISTERED lands in notRegistered", () => {
    const { layer } = v1(() => unregistered)
    return Effect.gen(function*() {
      const result = yield* FcmClient.send(Message.multicast(tokens(5)))
      assert.deepStrictEqual(result.notRegistered, tokens(5))
    }).pipe(Effect.provide(layer))
  })

  it.effect("once a first answer shows the project works, a bare NOT_FOUND fails its token with its code", () => {
    const { layer } = v1((r, i) => i === 0 ? delivered(r) : bareNotFound, { concurrency: 1 })
    return Effect.gen(function*() {
      const result = yield* FcmClient.send(Message.multicast(tokens(6)))
      assert.deepStrictEqual([...result.success.keys()], ["t-0"])
      assert.deepStrictEqual(result.notRegistered, [])
      assert.deepStrictEqual([...result.failed.values()], Array(5).fill("NOT_FOUND"))
    }).pipe(Effect.provide(layer))
  })

  it.effect("a retry round is not checked again: its answers follow a first attempt that showed the project", () => {
    const { layer } = v1((r, i) => (i === 0 ? delivered(r) : i < 3 ? { status: 503 } : mismatch), { concurrency: 1 })
    return Effect.gen(function*() {
      const result = yield* FcmClient.sendWithRetry(Message.multicast(tokens(3)), { schedule: Schedule.recurs(1) })
      assert.deepStrictEqual([...result.success.keys()], ["t-0"])
      assert.deepStrictEqual(Object.fromEntries(result.failed), {
        "t-1": "SENDER_ID_MISMATCH",
        "t-2": "SENDER_ID_MISMATCH"
      })
    }).pipe(Effect.provide(layer))
  })

  it.effect("answers that only ask for a retry prove nothing: a later run of mismatches still fails the send", () => {
    const { layer } = v1((_, i) => (i < 2 ? { status: 503 } : mismatch), { concurrency: 1 })
    return Effect.gen(function*() {
      const error = yield* Effect.flip(FcmClient.send(Message.multicast(tokens(8))))
      assert.strictEqual(error._tag, "TransportError")
      const partial = error.partial as Result.Result
      assert.deepStrictEqual([...partial.retryable.keys()].slice(0, 2), ["t-0", "t-1"])
    }).pipe(Effect.provide(layer))
  })

  it.effect("a stream of a working project keeps going past bare NOT_FOUNDs", () => {
    const { layer } = v1((r, i) => i === 0 ? delivered(r) : bareNotFound, { concurrency: 1 })
    return Effect.gen(function*() {
      const emitted = yield* Stream.runCollect(
        FcmClient.sendStream(Stream.fromIterable(tokens(5)), {}, { concurrency: 1, retry: false })
      )
      assert.strictEqual(Chunk.size(emitted), 5)
    }).pipe(Effect.provide(layer))
  })
})
