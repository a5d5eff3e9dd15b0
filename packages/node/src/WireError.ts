/**
 * What went wrong on the wire, as the pooled client (`Http2Client`) reports it: the `cause` of every
 * `HttpClientError.RequestError` with reason `"Transport"` it fails with, telling the connection, TLS, proxy, stream
 * or deadline failure apart and whether the server may have processed the request.
 *
 * It is the node transport's side of a transport-neutral contract that effect-fcm's senders read: a `RequestError`
 * whose `cause` carries a boolean `mayHaveBeenProcessed` (and, for a connection that could not be made, the system
 * `code`: `ECONNREFUSED`, `ENOTFOUND`, `DEPTH_ZERO_SELF_SIGNED_CERT`, …). Any `HttpClient` can fail the same way;
 * a cause without `mayHaveBeenProcessed` counts as "may have been processed".
 *
 * Not to be confused with `FcmError.TransportError`, the error a send fails with.
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
 * import type { WireError } from "@effect-fcm/node"
 *
 * const advice = (kind: WireError.Kind): string =>
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
 * A failure on the wire. `mayHaveBeenProcessed` is `false` only when the request provably never reached the
 * server's application (connection failures, refused streams, requests still queued), so a caller can decide
 * whether resending a non-idempotent request (such as an FCM send) risks a duplicate.
 *
 * @example
 * ```ts
 * import { WireError } from "@effect-fcm/node"
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const ping = HttpClient.get("https://fcm.googleapis.com/").pipe(
 *   Effect.catchTag("RequestError", (error) =>
 *     error.cause instanceof WireError.WireError && !error.cause.mayHaveBeenProcessed
 *       ? Effect.logWarning(`not sent (${error.cause.kind}): safe to send again`)
 *       : Effect.fail(error))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class WireError extends Data.TaggedError("WireError")<{
  readonly kind: Kind
  readonly message: string
  readonly mayHaveBeenProcessed: boolean
  /**
   * A machine-readable code when one is known: the system's (`ECONNREFUSED`, `ENOTFOUND`, `ECONNRESET`,
   * `DEPTH_ZERO_SELF_SIGNED_CERT`, …) or HTTP/2's (`REFUSED_STREAM`, `ENHANCE_YOUR_CALM`, …).
   */
  readonly code?: string | undefined
  /**
   * For a connection that could not be made (`Connect`, `Tls`, `Proxy`): whether the client had connected to the
   * origin before. A refused connection or an unknown host on first contact points at the configuration (a wrong
   * URL, a server not started); to an origin that answered before, at a server restarting or going away.
   */
  readonly connectedBefore?: boolean | undefined
  readonly cause?: unknown
}> {}

/**
 * @example
 * ```ts
 * import { Http2Client, WireError } from "@effect-fcm/node"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* Http2Client.make()
 *   const error = yield* Effect.flip(client.get("http://127.0.0.1:1/")) // nothing listens there
 *   assert.ok(WireError.isWireError(error.cause))
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
export const isWireError = (u: unknown): u is WireError => u instanceof WireError
