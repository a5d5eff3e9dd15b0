/**
 * How a failed request reaches the senders (`internal/http.ts`): the transport's "may have been processed" signal,
 * read from the `RequestError`'s cause whatever the transport, and configuration failures (a certificate that does
 * not verify, an unknown host, nothing listening on first contact) made fatal rather than retried.
 */
import { FcmError, FcmLegacy, Message } from "@effect-fcm/fcm"
import { HttpClient, HttpClientError, HttpClientRequest } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Either, Fiber, Redacted, Schedule, TestClock } from "effect"
import { exchange, type Failure } from "../src/internal/http.js"

const URL = "https://fcm.example.test:8443/fcm/send"

/** An HttpClient whose every request fails as the transport would, with `cause`. */
const failingWith = (cause: unknown) => {
  let requests = 0
  const client = HttpClient.make((request) => {
    requests++
    return Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause }))
  })
  return { client, requests: () => requests }
}

const failureOf = (cause: unknown) =>
  Effect.map(
    exchange(failingWith(cause).client, HttpClientRequest.post(URL), undefined),
    (answer) => Either.getLeft(answer).pipe((left) => (left._tag === "Some" ? left.value : undefined)) as Failure
  )

/** What node's WireError and any other transport signalling itself look like to the core: a structural contract. */
const signal = (fields: { mayHaveBeenProcessed: boolean; code?: string; connectedBefore?: boolean }) =>
  Object.assign(new Error("wire failure"), { _tag: "WireError", ...fields })

/** A system error under a `TypeError`, as platform's fetch client fails. */
const fetchFailed = (code: string) =>
  Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error(`connect ${code}`), { code }) })

describe("the transport's signal", () => {
  it.effect("a signalled failure is Retryable with the transport's mayHaveBeenProcessed", () =>
    Effect.gen(function*() {
      const reset = yield* failureOf(signal({ mayHaveBeenProcessed: true, code: "ECONNRESET" }))
      assert.deepInclude(reset, { _tag: "Retryable", mayHaveBeenProcessed: true })
      const refused = yield* failureOf(signal({ mayHaveBeenProcessed: false, code: "REFUSED_STREAM" }))
      assert.deepInclude(refused, { _tag: "Retryable", mayHaveBeenProcessed: false })
    }))

  it.effect("an unsignalled cause: a connection never made is not processed, anything else may have been", () =>
    Effect.gen(function*() {
      assert.deepInclude(yield* failureOf(fetchFailed("EAI_AGAIN")), { _tag: "Retryable", mayHaveBeenProcessed: false })
      assert.deepInclude(yield* failureOf(fetchFailed("ECONNRESET")), { _tag: "Retryable", mayHaveBeenProcessed: true })
      assert.deepInclude(yield* failureOf(new Error("socket hang up")), {
        _tag: "Retryable",
        mayHaveBeenProcessed: true
      })
    }))

  it.effect("a timeout of the sender may have been processed", () =>
    Effect.gen(function*() {
      const hanging = HttpClient.make(() => Effect.never)
      const fiber = yield* Effect.fork(exchange(hanging, HttpClientRequest.post(URL), Duration.seconds(1)))
      yield* TestClock.adjust("1 second")
      const answer = yield* Fiber.join(fiber)
      assert.isTrue(Either.isLeft(answer))
      assert.deepInclude(Either.getLeft(answer).pipe((o) => o._tag === "Some" ? o.value : undefined), {
        _tag: "Retryable",
        mayHaveBeenProcessed: true
      })
    }))
})

describe("configuration failures are fatal", () => {
  const fatalReason = (failure: Failure): string => {
    assert.strictEqual(failure._tag, "Fatal")
    if (failure._tag !== "Fatal") throw new Error("unreachable")
    assert.isFalse(failure.error.retryable)
    return failure.error.reason
  }

  it.effect("a certificate that does not verify names the origin, ca, NODE_EXTRA_CA_CERTS and baseUrl", () =>
    Effect.gen(function*() {
      for (
        const cause of [
          signal({ mayHaveBeenProcessed: false, code: "DEPTH_ZERO_SELF_SIGNED_CERT", connectedBefore: true }),
          fetchFailed("UNABLE_TO_VERIFY_LEAF_SIGNATURE"),
          signal({ mayHaveBeenProcessed: false, code: "ERR_TLS_CERT_ALTNAME_INVALID" })
        ]
      ) {
        const reason = fatalReason(yield* failureOf(cause))
        assert.include(reason, "https://fcm.example.test:8443")
        assert.include(reason, "NodeFcm.layer({ transport: { ca } })")
        assert.include(reason, "NODE_EXTRA_CA_CERTS")
        assert.include(reason, "baseUrl")
      }
    }))

  it.effect("an unknown host and a refused connection on first contact name the origin and baseUrl", () =>
    Effect.gen(function*() {
      const unknown = fatalReason(yield* failureOf(signal({ mayHaveBeenProcessed: false, code: "ENOTFOUND" })))
      assert.include(unknown, "https://fcm.example.test:8443")
      assert.include(unknown, "ENOTFOUND")
      assert.include(unknown, "baseUrl")
      const refused = fatalReason(yield* failureOf(fetchFailed("ECONNREFUSED")))
      assert.include(refused, "https://fcm.example.test:8443 refused the connection")
      assert.include(refused, "baseUrl")
    }))

  it.effect("after the origin answered before, a refused connection is a server restarting: retryable", () =>
    Effect.gen(function*() {
      for (const code of ["ECONNREFUSED", "ENOTFOUND"]) {
        const failure = yield* failureOf(signal({ mayHaveBeenProcessed: false, code, connectedBefore: true }))
        assert.deepInclude(failure, { _tag: "Retryable", mayHaveBeenProcessed: false })
      }
    }))

  it.effect("a send meeting one fails at once: one request, no backoff spent", () =>
    Effect.gen(function*() {
      const http = failingWith(fetchFailed("ECONNREFUSED"))
      const fcm = yield* FcmLegacy.make({ apiKey: Redacted.make("key"), baseUrl: "http://127.0.0.1:9" }).pipe(
        Effect.provideService(HttpClient.HttpClient, http.client)
      )
      // under the TestClock nothing advances: a send that slept before a retry would never end
      const error = yield* Effect.flip(
        fcm.sendWithRetry(Message.multicast(["a", "b"]), { schedule: Schedule.exponential("1 second") })
      )
      assert.instanceOf(error, FcmError.TransportError)
      assert.isFalse((error as FcmError.TransportError).retryable)
      assert.include((error as FcmError.TransportError).reason, "refused the connection")
      assert.strictEqual(http.requests(), 1)
    }))
})
