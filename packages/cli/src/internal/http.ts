/**
 * The one place that decides which `HttpClient` the command line sends with: `@effect-fcm/node`'s pooled HTTP/2
 * client (HTTP/1.1 where a server does not offer h2), the fastest way to reach FCM from Node. A certificate authority
 * given with `--ca` (or the certificate of an in-process emulator running with TLS) is trusted in addition to the
 * system's roots; `HTTPS_PROXY` / `NO_PROXY` are honoured. Everything else in the command line only asks for
 * `HttpClient.HttpClient`.
 */
import { Http2Client } from "@effect-fcm/node"
import type { HttpClient } from "@effect/platform"
import * as Layer from "effect/Layer"
import { type CliError, fromConfigError } from "./errors.js"

/** @internal */
export interface Options {
  /** Extra certificate authorities (PEM) to trust, e.g. a TLS emulator's self-signed certificate. */
  readonly ca?: ReadonlyArray<string> | undefined
  /** Speak HTTP/2 to `http:` URLs (prior knowledge), as the in-process emulator does; otherwise HTTP/1.1. */
  readonly h2c?: boolean | undefined
}

/**
 * The `HttpClient` the commands send with; its sessions close when the layer's scope closes.
 *
 * @internal
 */
export const layer = (options: Options = {}): Layer.Layer<HttpClient.HttpClient, CliError> =>
  Http2Client.layer({
    ca: options.ca === undefined || options.ca.length === 0 ? undefined : options.ca,
    h2c: options.h2c === true
  }).pipe(Layer.mapError(fromConfigError))
