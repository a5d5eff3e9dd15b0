/**
 * FcmV1.sendEach over an in-memory server: outcomes keyed by index whatever order the answers come in, a send that
 * fails as a whole carries the outcomes so far in `partial`, and `retry()` gives back the retryable messages.
 */
import { Credentials, FcmV1, type MessageV1 } from "@effect-fcm/fcm"
import { HttpClient, type HttpClientRequest } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Option, Redacted } from "effect"
import { fastFake } from "./support/fastFake.js"

const bodyOf = (request: HttpClientRequest.HttpClientRequest) =>
  JSON.parse(request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : "{}") as {
    readonly message: { readonly token?: string }
  }

const v1 = (answer: Parameters<typeof fastFake>[0], concurrency = 8) =>
  FcmV1.layer({ timeout: false, concurrency }).pipe(
    Layer.provide(Credentials.layerStatic(Redacted.make("access"), { projectId: "demo" })),
    Layer.provide(Layer.succeed(HttpClient.HttpClient, fastFake(answer)))
  )

const delivered = (token: string) => [200, JSON.stringify({ name: `projects/demo/messages/${token}` })] as const
const unavailable = [503, "{\"error\":{\"code\":503,\"status\":\"UNAVAILABLE\",\"message\":\"busy\"}}"] as const
const forbidden = [403, "{\"error\":{\"code\":403,\"status\":\"PERMISSION_DENIED\",\"message\":\"no\"}}"] as const

const messages: ReadonlyArray<MessageV1.MessageV1> = Array.from({ length: 50 }, (_, i) => ({
  token: i % 7 === 0 ? `busy-${i}` : `t-${i}`,
  data: { i: String(i) }
}))

describe("FcmV1.sendEach", () => {
  it.effect("keys each outcome by its message's index, answers matched to their own message", () =>
    Effect.gen(function*() {
      const result = yield* FcmV1.sendEach(messages)
      assert.deepStrictEqual([...result.outcomes.keys()], messages.map((_, i) => String(i)))
      messages.forEach((m, i) => {
        const outcome = result.outcomes.get(String(i))!
        if (m.token!.startsWith("busy-")) assert.strictEqual(outcome._tag, "Retryable")
        else assert.deepStrictEqual(outcome, { _tag: "Delivered", messageId: `projects/demo/messages/${m.token}` })
      })
      assert.deepStrictEqual(
        Option.getOrThrow(result.retry()).map((m) => m.token),
        messages.filter((m) => m.token!.startsWith("busy-")).map((m) => m.token)
      )
    }).pipe(
      Effect.provide(v1((request) => {
        const token = bodyOf(request).message.token!
        return token.startsWith("busy-") ? unavailable : delivered(token)
      }))
    ))

  it.effect("a send that fails as a whole carries every answered message's outcome in partial", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(FcmV1.sendEach(messages.slice(1, 11)))
      assert.strictEqual(error._tag, "AuthenticationError")
      const partial = error.partial!
      assert.deepStrictEqual([...partial.outcomes.keys()], Array.from({ length: 10 }, (_, i) => String(i)))
      // t-1 … t-4 were answered before the refusal (one request in flight at a time)
      assert.deepStrictEqual([...partial.success.keys()], ["0", "1", "2", "3"])
      assert.deepStrictEqual(
        Option.getOrThrow(partial.retry()).map((m: MessageV1.MessageV1) => m.token),
        messages.slice(5, 11).map((m) => m.token)
      )
    }).pipe(
      Effect.provide(v1((request) => {
        const token = bodyOf(request).message.token!
        return token === "t-5" ? forbidden : delivered(token)
      }, 1))
    ))

  it.effect("outcomes stay in input order when the answers come back in another order", () =>
    Effect.gen(function*() {
      const first = yield* Deferred.make<void>()
      const layer = FcmV1.layer({ timeout: false, concurrency: 4 }).pipe(
        Layer.provide(Credentials.layerStatic(Redacted.make("access"), { projectId: "demo" })),
        Layer.provide(Layer.succeed(
          HttpClient.HttpClient,
          HttpClient.make((request) => {
            const token = bodyOf(request).message.token!
            const answer = fastFake(() => delivered(token)).execute(request)
            // the first message is answered last: after the second one's answer released it
            return token === "t-1"
              ? Effect.zipRight(Deferred.await(first), answer)
              : token === "t-2"
              ? Effect.tap(answer, () => Deferred.succeed(first, undefined))
              : answer
          })
        ))
      )
      const result = yield* FcmV1.sendEach(messages.slice(1, 4)).pipe(Effect.provide(layer))
      assert.deepStrictEqual([...result.success], [
        ["0", "projects/demo/messages/t-1"],
        ["1", "projects/demo/messages/t-2"],
        ["2", "projects/demo/messages/t-3"]
      ])
    }))
})
