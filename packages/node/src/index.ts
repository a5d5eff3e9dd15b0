/**
 * @since 0.1.0
 */

/**
 * A pooled `node:http2` `HttpClient`: sessions per origin within the server's stream limits, GOAWAY and reset
 * survived, HTTP/1.1 fallback, CONNECT proxies, and no uncaught errors.
 *
 * @since 0.1.0
 */
export * as Http2Client from "./Http2Client.js"

/**
 * The structured cause of the pooled client's transport failures.
 *
 * @since 0.1.0
 */
export * as TransportError from "./TransportError.js"

/**
 * effect-fcm on Node in one line: the HTTP/2 transport, credentials from `GOOGLE_APPLICATION_CREDENTIALS` and the
 * v1 protocol (or the legacy one with an API key).
 *
 * @since 0.1.0
 */
export * as NodeFcm from "./NodeFcm.js"
