/**
 * The structured cause carried by every `RequestError` (reason `"Transport"`) that the pooled HTTP/2 client
 * produces: what went wrong on the wire and whether the server may have acted on the request.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * What went wrong:
 *
 * - `Timeout`: no complete response within the request timeout (the stream was cancelled).
 * - `GoAway`: the server sent GOAWAY for a stream it had already accepted, or with an error code.
 * - `Refused`: the server refused the stream (`REFUSED_STREAM`, or above a GOAWAY's last stream id) and the one
 *   transparent retry was refused too. The server did not process the request.
 * - `ConnectionReset`: the connection was reset (`ECONNRESET`, `EPIPE`).
 * - `StreamReset`: the server reset the stream (RST_STREAM) after accepting it.
 * - `SessionClosed`: the connection ended before the response was complete.
 * - `PingTimeout`: the connection did not answer a PING (sent when idle, or after a request timed out on it) and was
 *   dropped.
 * - `Connect`: the connection could not be established (DNS, refused, connect timeout).
 * - `Tls`: the TLS handshake failed (certificate not trusted, host name mismatch, …).
 * - `Proxy`: the proxy refused or failed the CONNECT tunnel.
 * - `ClientClosed`: the client's scope was closed while the request was pending.
 *
 * @example
 * ```ts
 * import type { TransportError } from "@effect-fcm/node"
 *
 * const advice = (kind: TransportError.Kind): string =>
 *   kind === "Tls" ? "check the certificate (ca option)" : kind === "Proxy" ? "check the proxy" : "try again"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Kind =
  | "Timeout"
  | "GoAway"
  | "Refused"
  | "ConnectionReset"
  | "StreamReset"
  | "SessionClosed"
  | "PingTimeout"
  | "Connect"
  | "Tls"
  | "Proxy"
  | "ClientClosed"

/**
 * A transport failure. `mayHaveBeenProcessed` is `false` only when the request provably never reached the
 * server's application (connection failures, refused streams, requests still queued), so a caller can decide
 * whether resending a non-idempotent request (such as an FCM send) risks a duplicate.
 *
 * @example
 * ```ts
 * import { TransportError } from "@effect-fcm/node"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const ping = HttpClient.get("https://fcm.googleapis.com/").pipe(
 *   Effect.catchTag("RequestError", (error) =>
 *     error.cause instanceof TransportError.TransportError && !error.cause.mayHaveBeenProcessed
 *       ? Effect.logWarning(`not sent (${error.cause.kind}): safe to send again`)
 *       : Effect.fail(error))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Data.TaggedError("TransportError")<{
  readonly kind: Kind
  readonly message: string
  readonly mayHaveBeenProcessed: boolean
  /** A machine-readable code when one is known: `ECONNRESET`, `REFUSED_STREAM`, `ENHANCE_YOUR_CALM`, … */
  readonly code?: string | undefined
  readonly cause?: unknown
}> {}

/**
 * @example
 * ```ts
 * import { Http2Client, TransportError } from "@effect-fcm/node"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* Http2Client.make()
 *   const error = yield* Effect.flip(client.get("http://127.0.0.1:1/")) // nothing listens there
 *   assert.ok(TransportError.isTransportError(error.cause))
 *   assert.strictEqual(error.cause.kind, "Connect")
 *   assert.strictEqual(error.cause.mayHaveBeenProcessed, false)
 * }).pipe(Effect.scoped)
 *
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isTransportError = (u: unknown): u is TransportError => u instanceof TransportError
