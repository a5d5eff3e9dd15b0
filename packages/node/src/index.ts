/**
 * effect-fcm on Node: a pooled `node:http2` `HttpClient` (`Http2Client`), what went wrong on the wire when a request
 * fails (`WireError`), and `NodeFcm`, the FCM client over that transport in one layer.
 *
 * @example
 * ```ts
 * import { FcmClient, Message } from "@effect-fcm/fcm"
 * import { NodeFcm } from "@effect-fcm/node"
 * import { Effect } from "effect"
 *
 * // GOOGLE_APPLICATION_CREDENTIALS names the service-account key
 * const main = FcmClient.send(Message.multicast(["token-1"], { notification: { title: "Hello" } })).pipe(
 *   Effect.provide(NodeFcm.layer())
 * )
 * ```
 *
 * @since 0.1.0
 */

/**
 * A pooled `node:http2` `HttpClient`: sessions per origin within the server's stream limits, GOAWAY and reset
 * survived, HTTP/1.1 fallback, CONNECT proxies, and no uncaught errors.
 *
 * @example
 * ```ts
 * import { Http2Client } from "@effect-fcm/node"
 *
 * const Transport = Http2Client.layer({ maxSessionsPerOrigin: 8 })
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Http2Client from "./Http2Client.js"

/**
 * What went wrong on the wire: the cause of the pooled client's `RequestError`s, with whether the server may have
 * processed the request.
 *
 * @example
 * ```ts
 * import { WireError } from "@effect-fcm/node"
 *
 * const resendable = (cause: unknown): boolean => WireError.isWireError(cause) && !cause.mayHaveBeenProcessed
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as WireError from "./WireError.js"

/**
 * effect-fcm on Node in one line: the HTTP/2 transport, credentials from `GOOGLE_APPLICATION_CREDENTIALS` and the
 * v1 protocol (or the legacy one with an API key).
 *
 * @example
 * ```ts
 * import { NodeFcm } from "@effect-fcm/node"
 *
 * const Fcm = NodeFcm.layer() // GOOGLE_APPLICATION_CREDENTIALS names the service-account key
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as NodeFcm from "./NodeFcm.js"
