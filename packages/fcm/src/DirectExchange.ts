/**
 * The direct exchange: how an `HttpClient` offers a sender one POST and its whole answer as a single effect, without
 * the `HttpClientRequest` and `HttpClientResponse` objects of `execute`.
 *
 * A transport that can (`@effect-fcm/node`'s `Http2Client` does) carries a {@link DirectExchange} on its client
 * object under {@link TypeId}; the v1 sender uses it for every message when the `HttpClient` in its context has one,
 * and `execute` otherwise. A client derived from it (`HttpClient.mapRequest`, `tapRequest`, `retry`,
 * `withTracerPropagation`…) is a new object without the symbol, so a customised client is always called through
 * `execute`, and its customisation is honoured.
 *
 * The contract, for a transport that offers one: the exchange does what `execute` of a `POST` with the same URL,
 * headers and body would do, then reads the whole body as UTF-8 text. The same deadline, the same cancellation when
 * the fiber is interrupted, the same failures (an `HttpClientError` as `execute` fails with, so that the sender
 * classifies them alike: a `RequestError` with reason `"Transport"` whose `cause` says `mayHaveBeenProcessed`), and
 * the same spans and trace headers: where `execute` would open a span, the exchange opens the same one (or simply
 * runs `execute`).
 *
 * @example
 * ```ts
 * import { DirectExchange } from "@effect-fcm/fcm"
 * import { HttpClient, HttpClientResponse } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * // a client that answers every request at once, and offers the same as a direct exchange
 * const answer = { status: 200, body: `{"name":"projects/p/messages/1"}`, retryAfter: undefined }
 * const client = DirectExchange.offer(
 *   HttpClient.make((request) =>
 *     Effect.succeed(HttpClientResponse.fromWeb(request, new Response(answer.body, { status: answer.status })))
 *   ),
 *   () => Effect.succeed(answer)
 * )
 * assert.strictEqual(DirectExchange.get(client) !== undefined, true)
 * // a derived client is called through execute
 * assert.strictEqual(DirectExchange.get(HttpClient.tapRequest(client, Effect.log)), undefined)
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as Effect from "effect/Effect"

/**
 * The key a client object carries its {@link DirectExchange} under.
 *
 * @example
 * ```ts
 * import { DirectExchange } from "@effect-fcm/fcm"
 *
 * assert.strictEqual(DirectExchange.TypeId, Symbol.for("@effect-fcm/fcm/DirectExchange"))
 * ```
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@effect-fcm/fcm/DirectExchange")

/**
 * @example
 * ```ts
 * import type { DirectExchange } from "@effect-fcm/fcm"
 *
 * const key: DirectExchange.TypeId = Symbol.for("@effect-fcm/fcm/DirectExchange") as DirectExchange.TypeId
 * ```
 *
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * The request's headers: lower-case names, one value each (`content-type` among them: the exchange sends the body
 * as it is, with the content type its headers name).
 *
 * @example
 * ```ts
 * import type { DirectExchange } from "@effect-fcm/fcm"
 *
 * const headers: DirectExchange.Headers = { authorization: "Bearer ya29.token", "content-type": "application/json" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Headers = Readonly<Record<string, string>>

/**
 * A complete answer: its status, its body read as UTF-8 text, and its `Retry-After` header when it has one.
 *
 * @example
 * ```ts
 * import type { DirectExchange } from "@effect-fcm/fcm"
 *
 * const busy: DirectExchange.Answer = { status: 503, body: "", retryAfter: "30" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Answer {
  readonly status: number
  readonly body: string
  readonly retryAfter: string | undefined
}

/**
 * Sends `body` in a `POST` to `url` with `headers`, and reads the whole answer; fails as the client's `execute`
 * would.
 *
 * @example
 * ```ts
 * import type { DirectExchange } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const accepted: DirectExchange.DirectExchange = (_url, _headers, _body) =>
 *   Effect.succeed({ status: 200, body: `{"name":"projects/p/messages/1"}`, retryAfter: undefined })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface DirectExchange {
  (url: string, headers: Headers, body: string): Effect.Effect<Answer, HttpClientError.HttpClientError>
}

/**
 * A client object that offers a direct exchange.
 *
 * @example
 * ```ts
 * import { DirectExchange } from "@effect-fcm/fcm"
 * import type { HttpClient } from "@effect/platform"
 *
 * const offers = (client: HttpClient.HttpClient): client is HttpClient.HttpClient & DirectExchange.Offering =>
 *   DirectExchange.get(client) !== undefined
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Offering {
  readonly [TypeId]: DirectExchange
}

/**
 * The direct exchange `client` offers, or `undefined` (then send with `execute`).
 *
 * @example
 * ```ts
 * import { DirectExchange } from "@effect-fcm/fcm"
 * import { FetchHttpClient, HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const fetchClient = Effect.runSync(Effect.provide(HttpClient.HttpClient, FetchHttpClient.layer))
 * assert.strictEqual(DirectExchange.get(fetchClient), undefined)
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const get = (client: HttpClient.HttpClient): DirectExchange | undefined => {
  const exchange = (client as Partial<Offering>)[TypeId]
  return typeof exchange === "function" ? exchange : undefined
}

/**
 * Makes `client` offer `exchange` (the object itself, which should be fresh: the transport's own client). Clients
 * derived from it later do not offer it.
 *
 * @example
 * ```ts
 * import { DirectExchange } from "@effect-fcm/fcm"
 * import { HttpClient, HttpClientResponse } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const client = DirectExchange.offer(
 *   HttpClient.make((request) => Effect.succeed(HttpClientResponse.fromWeb(request, new Response("{}")))),
 *   () => Effect.succeed({ status: 200, body: "{}", retryAfter: undefined })
 * )
 * assert.strictEqual(typeof DirectExchange.get(client), "function")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const offer = <C extends HttpClient.HttpClient>(client: C, exchange: DirectExchange): C & Offering => {
  Object.defineProperty(client, TypeId, { value: exchange, enumerable: false, configurable: true, writable: false })
  return client as C & Offering
}
