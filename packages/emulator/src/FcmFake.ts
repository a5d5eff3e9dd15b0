/**
 * An in-memory fake of FCM as an `HttpClient`: every request, whatever its
 * host (`fcm.googleapis.com`, `oauth2.googleapis.com`,
 * `metadata.google.internal`, …), is answered by the emulator's model.
 * Latency uses `Effect.sleep`, so `TestClock` controls it; a hang never
 * answers but is interruptible; a reset or GOAWAY without answer fails with a
 * transport `RequestError`.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Emulator from "./Emulator.js"
import type * as Model from "./Model.js"

/**
 * @example
 * ```ts
 * import { FcmFake, Scenario } from "@effect-fcm/emulator"
 *
 * const config: FcmFake.Config = {
 *   projectId: "my-project",
 *   scenarios: { prefixes: { "stale-": Scenario.notRegistered } }
 * }
 * const Fake = FcmFake.layer(config)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Config = Model.Config

const encoder = new TextEncoder()

const bodyOf = (
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<string | Uint8Array, HttpClientError.RequestError> => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return Effect.succeed("")
    case "Uint8Array":
      return Effect.succeed(body.body)
    case "Raw": {
      const raw = body.body
      if (typeof raw === "string" || raw instanceof Uint8Array) return Effect.succeed(raw)
      if (raw instanceof ArrayBuffer) return Effect.succeed(new Uint8Array(raw))
      if (raw instanceof URLSearchParams) return Effect.succeed(raw.toString())
      return Effect.fail(
        new HttpClientError.RequestError({ request, reason: "Encode", description: "unsupported raw body" })
      )
    }
    case "FormData": {
      const params = new URLSearchParams()
      body.formData.forEach((v, k) => {
        if (typeof v === "string") params.append(k, v)
      })
      return Effect.succeed(params.toString())
    }
    case "Stream":
      return body.stream.pipe(
        Stream.runCollect,
        Effect.map((chunks) => {
          const parts = Chunk.toReadonlyArray(chunks)
          const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
          let offset = 0
          for (const p of parts) {
            out.set(p, offset)
            offset += p.length
          }
          return out
        }),
        Effect.mapError((cause) => new HttpClientError.RequestError({ request, reason: "Encode", cause }))
      )
  }
}

/**
 * An `HttpClient` answered by a model.
 *
 * @example
 * ```ts
 * import { FcmFake, Model } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const client = FcmFake.client(Model.make())
 *
 * const program = Effect.gen(function*() {
 *   const response = yield* client.get("https://fcm.googleapis.com/nothing-here")
 *   assert.strictEqual(response.status, 404) // Google's 404 page, from memory
 * })
 *
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const client = (model: Model.Model): HttpClient.HttpClient =>
  HttpClient.make((request, url) =>
    Effect.gen(function*() {
      const body = yield* bodyOf(request)
      const now = yield* Clock.currentTimeMillis
      const headers: Record<string, string> = { ...request.headers }
      const contentType = request.body.contentType
      if (headers["content-type"] === undefined && contentType !== undefined && request.body._tag !== "Empty") {
        headers["content-type"] = contentType
      }
      const res = model.handle({
        method: request.method,
        path: url.pathname + url.search,
        headers,
        body,
        now,
        httpVersion: "fake"
      })
      if (res.latency > 0) yield* Effect.sleep(res.latency)
      const fault = res.fault
      if (fault !== undefined) {
        if (fault._tag === "Hang") return yield* Effect.never
        if (fault._tag === "Reset" || !fault.respond) {
          return yield* new HttpClientError.RequestError({
            request,
            reason: "Transport",
            description: fault._tag === "Reset" ? "connection reset (ECONNRESET)" : "the server sent GOAWAY",
            cause: Object.assign(new Error(fault._tag === "Reset" ? "socket hang up" : "GOAWAY"), {
              code: fault._tag === "Reset" ? "ECONNRESET" : "ERR_HTTP2_GOAWAY_SESSION"
            })
          })
        }
      }
      const bytes = res.body === "" ? null : encoder.encode(res.body)
      const status = res.status
      return HttpClientResponse.fromWeb(
        request,
        new Response(status === 204 || status === 304 ? null : bytes, { status, headers: res.headers })
      )
    })
  )

/**
 * Builds the model, the fake client and the inspection service.
 *
 * @example
 * ```ts
 * import { FcmFake } from "@effect-fcm/emulator"
 * import { FcmLegacy, Message } from "@effect-fcm/fcm"
 * import { HttpClient } from "@effect/platform"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const { client, emulator } = yield* FcmFake.make()
 *   const fcm = yield* FcmLegacy.make({ apiKey: Redacted.make(emulator.apiKey) }).pipe(
 *     Effect.provideService(HttpClient.HttpClient, client)
 *   )
 *   yield* fcm.send(Message.multicast(["phone-1"], { data: { ping: "1" } }))
 *   assert.strictEqual((yield* emulator.counters).delivered, 1)
 * })
 *
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: Config = {}
): Effect.Effect<{ readonly client: HttpClient.HttpClient; readonly emulator: Emulator.Service }> =>
  Effect.map(Emulator.make(config), (emulator) => ({ client: client(emulator.model), emulator }))

/**
 * Provides an `HttpClient` that talks to an in-memory emulator, and the
 * emulator's inspection service.
 *
 * @example
 * ```ts
 * import { Emulator, FcmFake, Scenario } from "@effect-fcm/emulator"
 * import { Credentials, FcmClient, FcmV1, Message } from "@effect-fcm/fcm"
 * import { Effect, Layer } from "effect"
 *
 * // the real v1 client, signing in with the service account the fake trusts
 * const TestFcm = Layer.unwrapEffect(Effect.map(Emulator.Emulator, (emulator) =>
 *   FcmV1.layer().pipe(Layer.provide(Credentials.layerServiceAccount(emulator.serviceAccount)))
 * )).pipe(Layer.provideMerge(FcmFake.layer({ scenarios: { prefixes: { "stale-": Scenario.notRegistered } } })))
 *
 * const program = FcmClient.send(Message.multicast(["phone-1", "stale-1"], { data: { ping: "1" } }))
 * Effect.runPromise(program.pipe(Effect.provide(TestFcm))).then((result) =>
 *   assert.deepStrictEqual(result.notRegistered, ["stale-1"])
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: Config = {}): Layer.Layer<HttpClient.HttpClient | Emulator.Emulator> =>
  Layer.effectContext(
    Effect.map(
      make(config),
      ({ client, emulator }) =>
        Context.make(Emulator.Emulator, emulator).pipe(Context.add(HttpClient.HttpClient, client))
    )
  )
