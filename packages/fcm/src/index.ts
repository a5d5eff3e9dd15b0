/**
 * Firebase Cloud Messaging for Effect: typed errors, `Schedule`-driven retries, the HTTP v1 and legacy protocols.
 * Build a `Message`, send it with `FcmClient` over the `FcmV1` (or `FcmLegacy`) layer, and read the `Result`'s
 * buckets.
 *
 * @example
 * ```ts
 * import { Credentials, FcmClient, FcmV1, Message } from "@effect-fcm/fcm"
 * import { FetchHttpClient } from "@effect/platform"
 * import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
 * import { Effect, Layer } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const result = yield* FcmClient.sendWithRetry(Message.multicast(["token-1"], { data: { score: "3-0" } }))
 *   for (const token of result.notRegistered) yield* Effect.log(`delete ${token}`)
 * })
 *
 * const Fcm = FcmV1.layer().pipe(
 *   Layer.provide(Credentials.layerFile("service-account.json")),
 *   Layer.provide(FetchHttpClient.layer),
 *   Layer.provide(NodeFileSystem.layer) // reads the key file
 * )
 * const main = program.pipe(Effect.provide(Fcm))
 * ```
 *
 * @since 0.1.0
 */

// First, so that a wrong Effect line fails here, naming the version to install, before any other module loads.
import "./internal/effectVersion.js"

/**
 * Backoff and Retry-After: when to send again, and the default retry `Schedule`.
 *
 * @example
 * ```ts
 * import { Backoff } from "@effect-fcm/fcm"
 *
 * const schedule = Backoff.schedule({ retries: 3 })
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Backoff from "./Backoff.js"

/**
 * Token cleanup as a sink: dead tokens to your delete, replaced ones to your update, in batches.
 *
 * @example
 * ```ts
 * import { Cleanup, FcmClient } from "@effect-fcm/fcm"
 * import { Effect, Stream } from "effect"
 *
 * const cleanup = Cleanup.sink({ onNotRegistered: (tokens) => Effect.log(`delete ${tokens.length} tokens`) })
 * const program = FcmClient.sendStream(Stream.make("token-1", "token-2"), { data: { ping: "1" } }).pipe(
 *   Stream.run(cleanup)
 * )
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Cleanup from "./Cleanup.js"

/**
 * OAuth2 access tokens for FCM HTTP v1: service-account keys, the metadata server, any token source.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 *
 * const Live = Credentials.layerFile("service-account.json") // needs an HttpClient and a FileSystem
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Credentials from "./Credentials.js"

/**
 * The direct exchange: a transport's one-effect POST and answer, offered on its `HttpClient` object.
 *
 * @example
 * ```ts
 * import { DirectExchange } from "@effect-fcm/fcm"
 * import type { HttpClient } from "@effect/platform"
 *
 * const isDirect = (client: HttpClient.HttpClient) => DirectExchange.get(client) !== undefined
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as DirectExchange from "./DirectExchange.js"

/**
 * The service that sends: `send`, `sendWithRetry` and `sendStream`, whatever the protocol.
 *
 * @example
 * ```ts
 * import { FcmClient, Message } from "@effect-fcm/fcm"
 *
 * const program = FcmClient.sendWithRetry(Message.multicast(["token-1", "token-2"], { data: { ping: "1" } }))
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as FcmClient from "./FcmClient.js"

/**
 * The errors a send fails with as a whole: `AuthenticationError`, `InvalidMessage`, `TransportError`.
 *
 * @example
 * ```ts
 * import { FcmError } from "@effect-fcm/fcm"
 *
 * const error = new FcmError.InvalidMessage({ field: "data.from", reason: "is a reserved key" })
 * assert.strictEqual(error.message, "Invalid message: data.from: is a reserved key")
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as FcmError from "./FcmError.js"

/**
 * The legacy protocol (`POST /fcm/send` with a server key), for FCM-compatible servers and migrations.
 *
 * @example
 * ```ts
 * import { FcmLegacy } from "@effect-fcm/fcm"
 * import { Redacted } from "effect"
 *
 * const Fcm = FcmLegacy.layer({ apiKey: Redacted.make("server-key"), baseUrl: "https://push.example.com" })
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as FcmLegacy from "./FcmLegacy.js"

/**
 * FCM HTTP v1 (`messages:send` with OAuth2 tokens): the protocol Google serves.
 *
 * @example
 * ```ts
 * import { FcmV1 } from "@effect-fcm/fcm"
 *
 * const Fcm = FcmV1.layer({ concurrency: 64 })
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as FcmV1 from "./FcmV1.js"

/**
 * Topic management: subscribe and unsubscribe tokens, any number of them, to one topic or several.
 *
 * @example
 * ```ts
 * import { FcmTopics } from "@effect-fcm/fcm"
 *
 * const program = FcmTopics.subscribeWithRetry(["news", "scores"], ["token-1", "token-2"])
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as FcmTopics from "./FcmTopics.js"

/**
 * The send-rate governor: a token bucket at the project's quota with a pluggable store, and the adaptive concurrency
 * limit.
 *
 * @example
 * ```ts
 * import { FcmV1, Governor } from "@effect-fcm/fcm"
 *
 * const Fcm = FcmV1.layer({ governor: { perMinute: Governor.DEFAULT_PER_MINUTE } })
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Governor from "./Governor.js"

/**
 * The multicast message: its targets, payload and options, and its validation.
 *
 * @example
 * ```ts
 * import { Message } from "@effect-fcm/fcm"
 *
 * const message = Message.multicast(["token-1", "token-2"], { notification: { title: "Hello" } })
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Message from "./Message.js"

/**
 * The HTTP v1 message with its per-platform blocks, its validation and its wire encoding.
 *
 * @example
 * ```ts
 * import { MessageV1 } from "@effect-fcm/fcm"
 *
 * const message: MessageV1.MessageV1 = { topic: "news", android: { priority: "high" } }
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as MessageV1 from "./MessageV1.js"

/**
 * What happened to each target of a send, in five buckets, and when to retry.
 *
 * @example
 * ```ts
 * import { Message, Result } from "@effect-fcm/fcm"
 *
 * const result = Result.make(Message.multicast(["token-1"]), [
 *   ["token-1", Result.Outcome.Delivered({ messageId: "0:1" })]
 * ])
 * assert.deepStrictEqual([...result.success], [["token-1", "0:1"]])
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Result from "./Result.js"
