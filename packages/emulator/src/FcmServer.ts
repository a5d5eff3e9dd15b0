/**
 * The emulator served as a real server on loopback: `node:http2` with
 * HTTP/1.1 on the same port, plain (h2c with prior knowledge, and HTTP/1.1)
 * or TLS with a throwaway self-signed certificate (ALPN `h2` and `http/1.1`).
 * `FcmFake` serves the same emulator as an in-memory `HttpClient`; both
 * provide `Emulator`.
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
 * @example
 * ```ts
 * import { FcmServer, Scenario } from "@effect-fcm/emulator"
 *
 * const config: FcmServer.Config = {
 *   tls: true, // a throwaway self-signed certificate: trust emulator.certificatePem
 *   maxConcurrentStreams: 10,
 *   scenarios: { prefixes: { "stale-": Scenario.notRegistered } }
 * }
 * const Server = FcmServer.layer(config)
 * ```
 *
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
 * @example
 * ```ts
 * import { FcmServer } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const emulator: FcmServer.Service = yield* FcmServer.make()
 *   assert.strictEqual(emulator.baseUrl, `http://127.0.0.1:${emulator.port}`)
 *   assert.strictEqual(emulator.serviceAccount.token_uri, emulator.tokenUri) // its own /token
 * }).pipe(Effect.scoped)
 *
 * Effect.runPromise(program)
 * ```
 *
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
 * @example
 * ```ts
 * import { FcmServer } from "@effect-fcm/emulator"
 * import { Credentials, FcmClient, FcmV1, Message } from "@effect-fcm/fcm"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 *
 * // the real v1 client over Node's fetch, pointed at the loopback server
 * const Fcm = Layer.unwrapEffect(Effect.map(FcmServer.FcmServer, (emulator) =>
 *   FcmV1.layer({ baseUrl: emulator.baseUrl }).pipe(
 *     Layer.provide(Credentials.layerServiceAccount(emulator.serviceAccount))
 *   ))).pipe(Layer.provideMerge(FcmServer.layer()), Layer.provide(FetchHttpClient.layer))
 *
 * const program = FcmClient.send(Message.multicast(["phone-1"], { data: { ping: "1" } }))
 * Effect.runPromise(program.pipe(Effect.provide(Fcm))).then((result) => assert.strictEqual(result.success.size, 1))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class FcmServer extends Context.Tag("@effect-fcm/emulator/FcmServer")<FcmServer, Service>() {}

/**
 * The server could not start.
 *
 * @example
 * ```ts
 * import { FcmServer } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const first = yield* FcmServer.make()
 *   const error = yield* Effect.flip(FcmServer.make({ port: first.port })) // the port is taken
 *   assert.strictEqual(error._tag, "FcmEmulatorServerError")
 * }).pipe(Effect.scoped)
 *
 * Effect.runPromise(program)
 * ```
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
 * @example
 * ```ts
 * import { FcmServer } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const emulator = yield* FcmServer.make({ tls: true })
 *   assert.ok(emulator.baseUrl.startsWith("https://127.0.0.1:"))
 *   assert.ok(emulator.certificatePem?.includes("BEGIN CERTIFICATE")) // trust it as a CA
 * }).pipe(Effect.scoped) // the server stops with the scope
 *
 * Effect.runPromise(program)
 * ```
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
 * @example
 * ```ts
 * import { FcmServer } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const emulator = yield* FcmServer.FcmServer
 *   assert.strictEqual((yield* emulator.counters).requests, 0)
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(FcmServer.layer({ projectId: "my-project" }))))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: Config = {}): Layer.Layer<FcmServer | Emulator.Emulator, ServerError> =>
  Layer.scopedContext(
    Effect.map(
      make(config),
      (service) => Context.make(FcmServer, service).pipe(Context.add(Emulator.Emulator, service))
    )
  )
