/**
 * effect-fcm on Node in one line: the pooled HTTP/2 transport ({@link Http2Client}), credentials from the
 * environment, and the protocol, wired together.
 *
 * ```ts
 * import { FcmClient, Message } from "@effect-fcm/fcm"
 * import { NodeFcm } from "@effect-fcm/node"
 * import { Effect } from "effect"
 *
 * const program = FcmClient.send(Message.multicast(tokens, { notification: { title: "Hello" } }))
 *
 * program.pipe(Effect.provide(NodeFcm.layer()), Effect.runPromise)
 * ```
 *
 * Timeouts are the transport's: the protocol is built with `timeout: false` (no timer fiber per request), and the
 * pool enforces `requestTimeout` on each exchange, cancelling the HTTP/2 stream (`RST_STREAM CANCEL`) when it expires.
 * The targets of a request that times out are retryable, as with the protocol's own timeout (their reason reads
 * `NetworkError: Transport: timeout: …`).
 *
 * @since 0.1.0
 */
import * as Credentials from "@effect-fcm/fcm/Credentials"
import type * as FcmClient from "@effect-fcm/fcm/FcmClient"
import * as FcmLegacy from "@effect-fcm/fcm/FcmLegacy"
import * as FcmV1 from "@effect-fcm/fcm/FcmV1"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as Http2Client from "./Http2Client.js"
import * as KeyFile from "./internal/keyFile.js"

/**
 * The default deadline of one exchange (waiting for a stream, sending, reading the whole answer): the same as the
 * protocols' own default timeout.
 *
 * @example
 * ```ts
 * import { NodeFcm } from "@effect-fcm/node"
 * import { Duration } from "effect"
 *
 * // twice the default deadline per exchange
 * const Fcm = NodeFcm.layer({ requestTimeout: Duration.times(NodeFcm.DEFAULT_REQUEST_TIMEOUT, 2) })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_REQUEST_TIMEOUT: Duration.Duration = Duration.seconds(30)

/**
 * Options shared by both protocols.
 *
 * @example
 * ```ts
 * import { NodeFcm } from "@effect-fcm/node"
 *
 * const transport: NodeFcm.TransportOptions = {
 *   requestTimeout: "10 seconds",
 *   transport: { maxSessionsPerOrigin: 16, proxy: "http://proxy.internal:3128" }
 * }
 * const Fcm = NodeFcm.layer({ ...transport, projectId: "my-project" })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TransportOptions {
  /**
   * The deadline of one exchange, after which its targets count as retryable (default 30 seconds). It is the
   * transport's `requestTimeout`; `transport.requestTimeout` is ignored.
   */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** The pooled HTTP/2 client's options: sessions, stream limits, proxy, `ca`, spans… */
  readonly transport?: Http2Client.Options | undefined
}

/**
 * Options of {@link layer}: the v1 protocol's (less `timeout`, see {@link TransportOptions.requestTimeout}), the
 * credentials', and the transport's.
 *
 * @example
 * ```ts
 * import { NodeFcm } from "@effect-fcm/node"
 *
 * const options: NodeFcm.Options = {
 *   projectId: "my-project",
 *   concurrency: 512,
 *   credentials: { refreshBefore: "10 minutes" },
 *   transport: { maxSessionsPerOrigin: 16 }
 * }
 * const Fcm = NodeFcm.layer(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends TransportOptions, Omit<FcmV1.Options, "timeout"> {
  /** Options of the service-account credentials read from `GOOGLE_APPLICATION_CREDENTIALS`. */
  readonly credentials?: Credentials.ServiceAccountOptions | undefined
}

/**
 * Options of {@link layerLegacy}.
 *
 * @example
 * ```ts
 * import { FcmServer } from "@effect-fcm/emulator"
 * import { FcmClient, Message } from "@effect-fcm/fcm"
 * import { NodeFcm } from "@effect-fcm/node"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const emulator = yield* FcmServer.FcmServer // a loopback server speaking h2c
 *   const options: NodeFcm.LegacyOptions = {
 *     apiKey: Redacted.make(emulator.apiKey),
 *     baseUrl: emulator.baseUrl,
 *     transport: { h2c: true }
 *   }
 *   const result = yield* FcmClient.send(Message.multicast(["phone-1"])).pipe(
 *     Effect.provide(NodeFcm.layerLegacy(options))
 *   )
 *   assert.strictEqual(result.success.size, 1)
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(FcmServer.layer())))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface LegacyOptions extends TransportOptions, Omit<FcmLegacy.Options, "timeout" | "apiKey"> {
  /** The server API key, sent as `Authorization: key=…`. */
  readonly apiKey: Redacted.Redacted<string>
}

/** The streams a pool may have open to one origin: sessions × streams per session (the pool's defaults: 8 × 100). */
const streamsOf = (options: Http2Client.Options | undefined): number => {
  const streams = (options?.maxSessionsPerOrigin ?? 8) * (options?.maxConcurrentStreamsPerSession ?? 100)
  // a bad value is the pool's to report
  return Number.isSafeInteger(streams) && streams > 0 ? streams : FcmV1.DEFAULT_CONCURRENCY
}

const transport = (options: TransportOptions | undefined) =>
  Http2Client.layer({
    ...options?.transport,
    requestTimeout: options?.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT
  })

/**
 * The pool's handle without its `HttpClient`, which stays private to the FCM client (an application's own
 * `HttpClient` is not replaced). The transport layer is the same object in both places, so it is built once.
 */
const poolOnly = <E>(
  pool: Layer.Layer<Http2Client.Pool | HttpClient.HttpClient, E>
): Layer.Layer<Http2Client.Pool, E> => Layer.project(pool, Http2Client.Pool, Http2Client.Pool, identity)

/**
 * An `FcmClient` speaking FCM HTTP v1 over the pooled HTTP/2 transport (and `FcmV1.FcmV1`, for messages in the v1
 * shape), with service-account credentials from the key file named by `GOOGLE_APPLICATION_CREDENTIALS` (read through
 * `Config`; the file is read with `node:fs`, so no `FileSystem` is needed, and a missing one fails the layer with a
 * `ConfigError` naming the path). The access tokens are fetched through
 * the same pool. The pool is closed (GOAWAY) when the layer is released; its counters are available through
 * {@link Http2Client.Pool}.
 *
 * @example
 * ```ts
 * import { NodeFcm } from "@effect-fcm/node"
 *
 * const Fcm = NodeFcm.layer({ concurrency: 512, requestTimeout: "15 seconds" })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  FcmClient.FcmClient | FcmV1.FcmV1 | Http2Client.Pool,
  ConfigError.ConfigError | Credentials.CredentialsError
> => {
  const { backoffMillis, baseUrl, credentials, governor, projectId } = options
  const pool = transport(options)
  // by default the adaptive limit may grow to every stream the pool can open, and no further
  const concurrency = options.concurrency ?? Math.min(FcmV1.DEFAULT_CONCURRENCY, streamsOf(options.transport))
  return FcmV1.layer({ projectId, baseUrl, concurrency, backoffMillis, governor, timeout: false }).pipe(
    Layer.provide(Credentials.layerConfig(credentials).pipe(Layer.provide(KeyFile.layer))),
    Layer.provide(pool),
    Layer.merge(poolOnly(pool))
  )
}

/**
 * An `FcmClient` speaking the legacy protocol (`/fcm/send`, 1000 tokens a request) over the pooled HTTP/2
 * transport.
 *
 * @example
 * ```ts
 * import { NodeFcm } from "@effect-fcm/node"
 * import { Redacted } from "effect"
 *
 * const Fcm = NodeFcm.layerLegacy({ apiKey: Redacted.make(process.env.FCM_API_KEY ?? "") })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerLegacy = (
  options: LegacyOptions
): Layer.Layer<FcmClient.FcmClient | Http2Client.Pool, ConfigError.ConfigError> => {
  const { apiKey, backoffMillis, baseUrl, concurrency, governor } = options
  const pool = transport(options)
  return FcmLegacy.layer({ apiKey, baseUrl, concurrency, backoffMillis, governor, timeout: false }).pipe(
    Layer.provide(pool),
    Layer.merge(poolOnly(pool))
  )
}
