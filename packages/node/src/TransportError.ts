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
 * - `PingTimeout`: an idle connection did not answer a PING and was dropped.
 * - `Connect`: the connection could not be established (DNS, refused, connect timeout).
 * - `Tls`: the TLS handshake failed (certificate not trusted, host name mismatch, …).
 * - `Proxy`: the proxy refused or failed the CONNECT tunnel.
 * - `ClientClosed`: the client's scope was closed while the request was pending.
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
 * @since 0.1.0
 * @category guards
 */
export const isTransportError = (u: unknown): u is TransportError => u instanceof TransportError
