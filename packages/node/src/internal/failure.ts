/**
 * How a failure on the wire becomes a {@link WireError}: the classification of connection errors (DNS, refused, TLS,
 * proxy, connect timeout), of HTTP/2 stream endings without a complete response (GOAWAY, REFUSED_STREAM,
 * RST_STREAM, a failed PING, a reset connection) and of HTTP/1.1 request errors, each with whether the server may
 * have processed the request. Pure: it reads what the session and the stream recorded and touches no socket.
 *
 * @internal
 */
import * as http2 from "node:http2"
import type { Kind } from "../WireError.js"
import { WireError } from "../WireError.js"
import { ProxyTunnelError } from "./proxy.js"

const { NGHTTP2_REFUSED_STREAM } = http2.constants

const H2_ERROR_NAMES = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED"
]

/** @internal */
export const h2ErrorName = (code: number): string => H2_ERROR_NAMES[code] ?? `error code ${code}`

/** @internal */
export const errorCode = (error: unknown): string | undefined => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return typeof code === "string" ? code : undefined
}

const isTlsError = (code: string | undefined): boolean =>
  code !== undefined && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_|HOSTNAME|ALTNAME/.test(code)

const CONNECT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL"
])

/** Errors of `session.request()` that mean the session no longer takes streams (rather than a bad request). */
export const SESSION_GONE = new Set([
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_HTTP2_OUT_OF_STREAMS"
])

/**
 * No connection within `connectTimeout`.
 *
 * @internal
 */
export class ConnectTimeoutError extends Error {
  readonly code = "ETIMEDOUT"
}

const isConnectError = (error: unknown): boolean =>
  error instanceof ConnectTimeoutError || CONNECT_CODES.has(errorCode(error) ?? "")

/** @internal */
export const wireError = (
  kind: Kind,
  message: string,
  mayHaveBeenProcessed: boolean,
  code: string | undefined,
  cause?: unknown,
  connectedBefore?: boolean
): WireError =>
  new WireError({
    kind,
    message: `${message}; ${
      mayHaveBeenProcessed ? "the request may have been processed" : "the request was not processed"
    }`,
    mayHaveBeenProcessed,
    code,
    cause,
    connectedBefore
  })

/**
 * A failure to establish a connection to `authority`: the request never left this process. `connectedBefore`:
 * whether the client had connected to the origin before.
 *
 * @internal
 */
export const connectFailure = (authority: string, error: unknown, connectedBefore: boolean): WireError => {
  const code = errorCode(error)
  if (error instanceof ProxyTunnelError) {
    return wireError(
      "Proxy",
      error.message,
      false,
      error.statusCode === undefined ? code : String(error.statusCode),
      error,
      connectedBefore
    )
  }
  if (isTlsError(code)) {
    return wireError("Tls", `TLS handshake with ${authority} failed: ${code}`, false, code, error, connectedBefore)
  }
  const detail = code ?? (error instanceof Error ? error.message : String(error))
  return wireError("Connect", `cannot connect to ${authority}: ${detail}`, false, code, error, connectedBefore)
}

const connectionLost = (authority: string, error: Error | undefined, code: string | undefined): WireError => {
  if (code === "ECONNRESET" || code === "EPIPE") {
    return wireError("ConnectionReset", `${code}: the connection to ${authority} was reset`, true, code, error)
  }
  const detail = error === undefined ? "" : `: ${code ?? error.message}`
  return wireError(
    "SessionClosed",
    `the connection to ${authority} closed before the response was complete${detail}`,
    true,
    code,
    error
  )
}

/** @internal */
export const clientClosed = (authority: string, mayHaveBeenProcessed: boolean, error?: Error): WireError =>
  wireError(
    "ClientClosed",
    `the client was closed before ${authority} answered`,
    mayHaveBeenProcessed,
    errorCode(error),
    error
  )

/**
 * What an HTTP/2 session recorded about its own end, as far as a stream failure depends on it.
 *
 * @internal
 */
export interface SessionEnd {
  readonly goaway: { readonly code: number; readonly lastStreamID: number } | undefined
  readonly pingFailed: boolean
  readonly error: Error | undefined
}

/**
 * Why an HTTP/2 stream ended without a complete response. `notStarted`: the server provably did not process it
 * (REFUSED_STREAM, or above a GOAWAY's last stream id), here after the one transparent retry.
 *
 * @internal
 */
export const h2StreamFailure = (
  authority: string,
  session: SessionEnd,
  streamError: Error | undefined,
  rst: number,
  notStarted: boolean,
  poolClosed: boolean
): WireError => {
  const error = streamError ?? session.error
  const code = errorCode(error)
  if (poolClosed) return clientClosed(authority, !notStarted, error)
  if (notStarted) {
    const why = session.goaway !== undefined && session.goaway.code === 0 && rst !== NGHTTP2_REFUSED_STREAM
      ? `GOAWAY (last stream ${session.goaway.lastStreamID})`
      : "REFUSED_STREAM"
    return wireError(
      "Refused",
      `${authority} refused the stream again after a retry (${why})`,
      false,
      "REFUSED_STREAM",
      error
    )
  }
  if (session.goaway !== undefined) {
    const name = h2ErrorName(session.goaway.code)
    return wireError(
      "GoAway",
      `GOAWAY (${name}, last stream ${session.goaway.lastStreamID}) from ${authority} before the response was complete`,
      true,
      name,
      error
    )
  }
  if (session.pingFailed) {
    return wireError("PingTimeout", `the connection to ${authority} did not answer a PING`, true, "PING_TIMEOUT", error)
  }
  if (rst !== 0 && code === "ERR_HTTP2_STREAM_ERROR") {
    const name = h2ErrorName(rst)
    return wireError("StreamReset", `${authority} reset the stream (${name})`, true, name, error)
  }
  return connectionLost(authority, error, code)
}

/**
 * Why an HTTP/1.1 request failed (`error` undefined: the socket or the response closed early).
 *
 * @internal
 */
export const http1Failure = (
  authority: string,
  error: Error | undefined,
  poolClosed: boolean,
  connectedBefore: boolean
): WireError => {
  const code = errorCode(error)
  if (poolClosed) return clientClosed(authority, true, error)
  if (error instanceof ProxyTunnelError || isTlsError(code) || isConnectError(error)) {
    return connectFailure(authority, error, connectedBefore)
  }
  return connectionLost(authority, error, code)
}
