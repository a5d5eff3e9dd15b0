/**
 * The emulator as a real server on loopback: `node:http2` with HTTP/1.1 on
 * the same port, plain (h2c with prior knowledge, and HTTP/1.1) or TLS with a
 * throwaway self-signed certificate (ALPN `h2` and `http/1.1`).
 *
 * Faults: a reset cancels the HTTP/2 stream (RST_STREAM CANCEL) or resets the
 * HTTP/1.1 connection; a hang never answers until the server stops; a GOAWAY
 * closes the HTTP/2 session after or instead of answering (HTTP/1.1: the
 * connection is closed); latency delays the answer.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Emulator from "./Emulator.js"
import * as Server from "./internal/server.js"
import * as Model from "./Model.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Config extends Model.Config {
  /** The interface to listen on. Default `"127.0.0.1"`. */
  readonly host?: string
  /** The port, 0 (the default) for a free one. */
  readonly port?: number
  /** Serve TLS with a throwaway self-signed certificate. Default false. */
  readonly tls?: boolean
  /** The HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS` advertised, 100 by default (as Google's front ends). */
  readonly maxConcurrentStreams?: number
  /** The largest request body accepted (413 above). Default 10 MiB. */
  readonly maxBodyBytes?: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service extends Emulator.Service {
  /** E.g. `http://127.0.0.1:40123` or `https://127.0.0.1:40123`. */
  readonly baseUrl: string
  readonly host: string
  readonly port: number
  readonly tls: boolean
  /** The self-signed certificate (PEM) to trust as a CA, when `tls` is on. */
  readonly certificatePem: string | undefined
  /** The emulator's OAuth2 token endpoint, `${baseUrl}/token`. */
  readonly tokenUri: string
}

/**
 * @since 0.1.0
 * @category tags
 */
export class FcmEmulator extends Context.Tag("@effect-fcm/emulator/FcmEmulator")<FcmEmulator, Service>() {}

/**
 * The server could not start.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServerError extends Data.TaggedError("FcmEmulatorServerError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * Starts the server; it stops when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (config: Config = {}): Effect.Effect<Service, ServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const host = config.host ?? "127.0.0.1"
    const tls = config.tls ?? false
    const model = Model.make(config)
    const running = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () =>
          Server.start(model, {
            host,
            port: config.port ?? 0,
            tls,
            maxConcurrentStreams: config.maxConcurrentStreams ?? 100,
            maxBodyBytes: config.maxBodyBytes ?? 10 * 1024 * 1024
          }),
        catch: (cause) =>
          new ServerError({ message: `cannot listen on ${host}:${config.port ?? 0}: ${String(cause)}`, cause })
      }),
      (server) => Effect.promise(() => server.close())
    )
    const urlHost = host.includes(":") ? `[${host}]` : host
    const baseUrl = `${tls ? "https" : "http"}://${urlHost}:${running.port}`
    const tokenUri = `${baseUrl}/token`
    const emulator = yield* Emulator.make(config, { model, tokenUri })
    return {
      ...emulator,
      issueAccessToken: Effect.sync(() =>
        model.issueAccessToken(Date.now(), { projectId: emulator.serviceAccount.project_id }).access_token
      ),
      baseUrl,
      host,
      port: running.port,
      tls,
      certificatePem: running.certificatePem,
      tokenUri
    }
  })

/**
 * A scoped layer running the server, providing it and its inspection service.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: Config = {}): Layer.Layer<FcmEmulator | Emulator.Emulator, ServerError> =>
  Layer.scopedContext(
    Effect.map(
      make(config),
      (service) => Context.make(FcmEmulator, service).pipe(Context.add(Emulator.Emulator, service))
    )
  )
