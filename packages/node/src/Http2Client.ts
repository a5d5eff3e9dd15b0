/**
 * An `HttpClient` over `node:http2` with a pool of sessions per origin.
 *
 * - Each origin (`scheme://host:port`) gets up to `maxSessionsPerOrigin` HTTP/2 sessions. A session carries at most
 *   the number of concurrent streams its server advertises (`SETTINGS_MAX_CONCURRENT_STREAMS`, capped by
 *   `maxConcurrentStreamsPerSession`); a new session is opened only when the open ones are full, and requests
 *   wait in a first-in, first-out queue when every session is full and no more may be opened.
 * - A session that receives GOAWAY, is reset, errors, closes or fails a PING (sent when it is idle, and after a
 *   request times out on it: a connection can die silently) is replaced by a new one on demand. Requests in flight
 *   on it fail with a `RequestError` (reason `"Transport"`) whose `cause` is a `WireError` telling what
 *   happened and whether the server may have processed the request. Requests the server refused before processing
 *   them (`REFUSED_STREAM`, or stream ids above a GOAWAY's last stream id) are retried once, transparently, since
 *   that is always safe.
 * - Every request has a deadline for the whole exchange (`requestTimeout`, overridable per request with
 *   {@link withRequestTimeout}); on expiry the stream is cancelled (`RST_STREAM CANCEL`). Interrupting the fiber
 *   cancels the stream the same way.
 * - Origins whose TLS handshake does not select `h2` through ALPN are served over HTTP/1.1 with a keep-alive agent
 *   (detected once per origin). `http:` origins use HTTP/1.1 unless `h2c: true` asks for HTTP/2 with prior
 *   knowledge, as local emulators often speak.
 * - Proxies: HTTP CONNECT tunnels, for HTTP/2 and HTTP/1.1 alike, from the `proxy` option or the environment.
 * - No session, stream or socket error escapes as an uncaught exception: every one of them has a listener and ends
 *   up as a typed failure of the request it concerns.
 * - Closing the scope closes every session (GOAWAY) and socket, and returns once they are all closed (sessions whose
 *   streams are still running after 2 seconds are destroyed).
 *
 * Response bodies are read completely into memory before the response is returned, so `text`, `json`,
 * `arrayBuffer` and `stream` never touch the network.
 *
 * The client also offers a direct exchange (`DirectExchange` of `@effect-fcm/fcm`), which the v1 sender uses for
 * every message: a `POST` of a URL, headers and a body string through the same pool, deadline, cancellation and
 * failures as `execute`, answered with the status, the body text and `Retry-After`, without an `HttpClientRequest` or
 * an `HttpClientResponse`. Whenever `execute` may open a span (see {@link Options.spans}), the direct exchange goes
 * through `execute`, so spans and trace headers are the same either way.
 *
 * @since 0.1.0
 */
import * as DirectExchange from "@effect-fcm/fcm/DirectExchange"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpTraceContext from "@effect/platform/HttpTraceContext"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Chunk from "effect/Chunk"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import { ConnectionPool, type ResolvedOptions } from "./internal/pool.js"
import { makeTarget, type Resume, type Target } from "./internal/pooledRequest.js"
import { parseProxyUrl } from "./internal/proxy.js"

/**
 * Options of the pooled client. Every field is optional. An invalid one (a count that is not a positive integer, a
 * timeout that is not a positive duration, a proxy that is not an `http://` URL, …) fails the pool's construction
 * with a `ConfigError` (`InvalidData`, its path naming the option).
 *
 * TLS certificates are always verified: `rejectUnauthorized` is `true` unless set to `false` explicitly. To trust
 * a local emulator's throwaway certificate, pass it in `ca` rather than turning verification off.
 *
 * @example
 * ```ts
 * import { Http2Client } from "@effect-fcm/node"
 *
 * const options: Http2Client.Options = {
 *   maxSessionsPerOrigin: 16,
 *   requestTimeout: "15 seconds",
 *   proxy: "http://proxy.internal:3128"
 * }
 * const Transport = Http2Client.layer(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The most HTTP/2 sessions (connections) to open to one origin. Default 8. */
  readonly maxSessionsPerOrigin?: number | undefined
  /**
   * The most streams to run on one session at a time. The server's advertised `SETTINGS_MAX_CONCURRENT_STREAMS`
   * applies when it is lower. Default 100 (what Google's front ends allow).
   */
  readonly maxConcurrentStreamsPerSession?: number | undefined
  /**
   * The deadline for a whole exchange: waiting for a connection or a free stream, sending, and reading the
   * complete response. `Duration.infinity` disables it. Default 60 seconds.
   */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** The deadline for opening a connection (TCP, proxy tunnel, TLS, HTTP/2 SETTINGS). Default 10 seconds. */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /**
   * A session without streams for this long is sent a PING; a session that does not answer within `pingTimeout`
   * is destroyed and replaced on demand. `Duration.infinity` disables PINGs. Default 30 seconds.
   */
  readonly pingInterval?: Duration.DurationInput | undefined
  /**
   * How long to wait for a PING acknowledgement. Besides idle sessions, a session on which a request times out is
   * sent a PING (unless `pingInterval` is `Duration.infinity`): one that does not answer in time is destroyed, the
   * requests still on it fail (`PingTimeout`), and later requests go to a new session. Default 10 seconds.
   */
  readonly pingTimeout?: Duration.DurationInput | undefined
  /** Speak HTTP/2 without TLS (prior knowledge) to `http:` URLs, instead of HTTP/1.1. Default `false`. */
  readonly h2c?: boolean | undefined
  /**
   * The HTTP proxy to tunnel through with CONNECT:
   * - `"env"` (the default): `https_proxy`/`HTTPS_PROXY` for `https:` URLs, `http_proxy`/`HTTP_PROXY` for `http:`
   *   URLs, minus hosts listed in `no_proxy`/`NO_PROXY` (comma-separated host names, domain suffixes, `host:port`,
   *   or `*`). Loopback hosts (`localhost`, `127.x.x.x`, `::1`) always connect directly.
   * - `"none"`: always connect directly.
   * - a URL such as `"http://user:password@proxy:3128"`: used for every request.
   */
  readonly proxy?: "env" | "none" | string | URL | undefined
  /**
   * PEM certificates to trust in addition to Node's bundled roots (`tls.rootCertificates`), for example the
   * throwaway certificate of a local emulator (its `ca.pem`). Unlike Node's own `ca` option, the bundled roots stay
   * trusted, so one client reaches both. Without `ca`, Node's default applies: the bundled roots and the
   * certificates of the file named by `NODE_EXTRA_CA_CERTS` (which `ca`, when given, does not read).
   */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined
  /**
   * Verify the server's certificate chain and host name. Default `true`; it is only ever turned off by setting it
   * to `false` here, never by the environment.
   */
  readonly rejectUnauthorized?: boolean | undefined
  /** The most sockets per origin for origins served over HTTP/1.1. Default 32. */
  readonly maxSocketsPerOrigin?: number | undefined
  /**
   * Whether each request runs in a client span (`http.client POST`, named by `HttpClient.SpanNameGenerator`):
   *
   * - `"auto"` (the default): only when the fiber's tracer is enabled and a tracer other than Effect's built-in one
   *   is installed (an OpenTelemetry exporter, say). The built-in tracer keeps spans in memory for nobody to read,
   *   and a span per request costs about as much CPU as the request itself, so it is skipped.
   * - `true`: whenever the fiber's tracer is enabled (as `HttpClient.make` clients do).
   * - `false`: never.
   *
   * Requests matched by `HttpClient.withTracerDisabledWhen` never get a span. A span has the attributes of
   * `HttpClient.make`'s spans: `http.request.method`, `server.address`, `server.port`, `url.full` (with the query),
   * `url.path`, `url.scheme`, `url.query`, `http.request.header.<name>`, `http.response.status_code` and
   * `http.response.header.<name>`, where headers named by `Headers.currentRedactedNames` (`authorization`,
   * `cookie`, `set-cookie`, `x-api-key` by default) read `<redacted>`: an access token or an API key never reaches a
   * span. With `HttpClient.withTracerPropagation` on (the default), the trace context is sent in
   * `traceparent`/`b3` headers, as `HttpClient.make` clients do.
   */
  readonly spans?: boolean | "auto" | undefined
}

/**
 * A snapshot of a pool's counters.
 *
 * @example
 * ```ts
 * import { Http2Client } from "@effect-fcm/node"
 * import { Effect } from "effect"
 *
 * const logStats = Effect.gen(function*() {
 *   const stats: Http2Client.Stats = yield* Http2Client.stats
 *   yield* Effect.log(`${stats.sessionsOpen} sessions, ${stats.streamsInFlight} streams, ${stats.queued} queued`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  /** Origins the pool has seen. */
  readonly origins: number
  /** HTTP/2 sessions connected now (including those finishing their streams after a GOAWAY). */
  readonly sessionsOpen: number
  /** HTTP/2 sessions being connected now. */
  readonly sessionsConnecting: number
  /** HTTP/2 sessions connected since the pool was made. */
  readonly sessionsOpened: number
  /** Sessions that ended other than by closing the pool: GOAWAY, reset, error, server close, failed PING. */
  readonly sessionsReplaced: number
  /** HTTP/2 streams open now. */
  readonly streamsInFlight: number
  /** HTTP/1.1 requests in flight now (origins without HTTP/2). */
  readonly http1InFlight: number
  /** Requests waiting for a session or a free stream. */
  readonly queued: number
  /** Requests resent after the server refused them unprocessed. */
  readonly retried: number
}

/**
 * A pool of connections, as its user sees it: its `HttpClient` and a way to read its counters. {@link makePool}
 * makes one; {@link layer} provides one under the {@link Pool} tag, beside the `HttpClient`.
 *
 * @example
 * ```ts
 * import { FcmServer } from "@effect-fcm/emulator"
 * import { Http2Client } from "@effect-fcm/node"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const emulator = yield* FcmServer.make() // a loopback server speaking h2c
 *   const pool: Http2Client.Pool = yield* Http2Client.makePool({ h2c: true })
 *   const response = yield* pool.client.get(`${emulator.baseUrl}/__emulator/counters`)
 *   assert.strictEqual(response.status, 200)
 *   assert.strictEqual((yield* pool.stats).sessionsOpened, 1)
 * }).pipe(Effect.scoped)
 *
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Pool {
  readonly client: HttpClient.HttpClient
  readonly stats: Effect.Effect<Stats>
}

/**
 * The tag of the {@link Pool} behind the `HttpClient` that {@link layer} provides.
 *
 * @example
 * ```ts
 * import { FcmServer } from "@effect-fcm/emulator"
 * import { Http2Client } from "@effect-fcm/node"
 * import { HttpClient } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const emulator = yield* FcmServer.FcmServer
 *   yield* HttpClient.get(`${emulator.baseUrl}/__emulator/counters`)
 *   const pool = yield* Http2Client.Pool
 *   assert.strictEqual((yield* pool.stats).sessionsOpen, 1)
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Layer.merge(FcmServer.layer(), Http2Client.layer({ h2c: true })))))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const Pool: Context.Tag<Pool, Pool> = Context.GenericTag<Pool>("@effect-fcm/node/Http2Client/Pool")

const DEFAULTS = {
  maxSessionsPerOrigin: 8,
  maxConcurrentStreamsPerSession: 100,
  requestTimeout: Duration.seconds(60),
  connectTimeout: Duration.seconds(10),
  pingInterval: Duration.seconds(30),
  pingTimeout: Duration.seconds(10),
  maxSocketsPerOrigin: 32
} as const

const millis = (input: Duration.DurationInput | undefined, fallback: Duration.Duration): number => {
  const duration = Duration.decode(input ?? fallback)
  return Duration.isFinite(duration) ? Duration.toMillis(duration) : Infinity
}

/** The longest finite delay a Node timer takes (about 24.8 days); a longer one would fire after 1 ms. */
const MAX_TIMER_MS = 2_147_483_647

const shown = (value: unknown): string => typeof value === "string" ? JSON.stringify(value) : String(value)

const invalid = (name: string, expected: string, value: unknown): ConfigError.ConfigError =>
  ConfigError.InvalidData([name], `${name} must be ${expected}, got ${shown(value)}`)

const positiveInt = (
  name: string,
  value: unknown,
  fallback: number
): Either.Either<number, ConfigError.ConfigError> =>
  value === undefined
    ? Either.right(fallback)
    : typeof value === "number" && Number.isSafeInteger(value) && value > 0
    ? Either.right(value)
    : Either.left(invalid(name, "a positive integer", value))

/** A positive duration in milliseconds, `Infinity` for `Duration.infinity`. */
const timeout = (
  name: string,
  value: unknown,
  fallback: Duration.Duration
): Either.Either<number, ConfigError.ConfigError> => {
  if (value === undefined) return Either.right(Duration.toMillis(fallback))
  const duration = Duration.decodeUnknown(value)
  if (Option.isSome(duration) && !Duration.isFinite(duration.value)) return Either.right(Infinity)
  const ms = Option.isSome(duration) ? Duration.toMillis(duration.value) : NaN
  return ms > 0 && ms <= MAX_TIMER_MS
    ? Either.right(ms)
    : Either.left(invalid(name, `a positive duration of at most ${MAX_TIMER_MS} ms, or Duration.infinity`, value))
}

const boolean = (name: string, value: unknown, fallback: boolean): Either.Either<boolean, ConfigError.ConfigError> =>
  value === undefined
    ? Either.right(fallback)
    : typeof value === "boolean"
    ? Either.right(value)
    : Either.left(invalid(name, "a boolean", value))

const proxyOption = (value: unknown): Either.Either<ResolvedOptions["proxy"], ConfigError.ConfigError> => {
  if (value === undefined) return Either.right("env")
  if (value === "env" || value === "none") return Either.right(value)
  // the URL is not repeated in the message: it may hold credentials
  const expected = "\"env\", \"none\" or an http:// proxy URL"
  if (typeof value !== "string" && !(value instanceof URL)) {
    return Either.left(ConfigError.InvalidData(["proxy"], `proxy must be ${expected}, got a ${typeof value}`))
  }
  try {
    parseProxyUrl(value)
    return Either.right(value)
  } catch (error) {
    return Either.left(
      ConfigError.InvalidData(["proxy"], `proxy must be ${expected}: ${error instanceof Error ? error.message : ""}`)
    )
  }
}

const isCertificate = (u: unknown): u is string | Buffer => typeof u === "string" || Buffer.isBuffer(u)

const certificates = (value: unknown): Either.Either<ResolvedOptions["ca"], ConfigError.ConfigError> =>
  value === undefined || isCertificate(value)
    ? Either.right(value)
    : Array.isArray(value) && value.every(isCertificate)
    ? Either.right([...value])
    : Either.left(
      ConfigError.InvalidData(["ca"], "ca must be a PEM certificate (a string or a Buffer) or an array of them")
    )

/** Checks the options: an invalid one fails with `ConfigError.InvalidData`, its path naming the option. */
const resolveOptions = (options: Options): Effect.Effect<ResolvedOptions, ConfigError.ConfigError> =>
  Effect.gen(function*() {
    const o = options as Readonly<Record<keyof Options, unknown>>
    return {
      maxSessionsPerOrigin: yield* positiveInt(
        "maxSessionsPerOrigin",
        o.maxSessionsPerOrigin,
        DEFAULTS.maxSessionsPerOrigin
      ),
      maxConcurrentStreamsPerSession: yield* positiveInt(
        "maxConcurrentStreamsPerSession",
        o.maxConcurrentStreamsPerSession,
        DEFAULTS.maxConcurrentStreamsPerSession
      ),
      requestTimeoutMs: yield* timeout("requestTimeout", o.requestTimeout, DEFAULTS.requestTimeout),
      connectTimeoutMs: yield* timeout("connectTimeout", o.connectTimeout, DEFAULTS.connectTimeout),
      pingIntervalMs: yield* timeout("pingInterval", o.pingInterval, DEFAULTS.pingInterval),
      pingTimeoutMs: yield* timeout("pingTimeout", o.pingTimeout, DEFAULTS.pingTimeout),
      h2c: yield* boolean("h2c", o.h2c, false),
      proxy: yield* proxyOption(o.proxy),
      env: { ...process.env },
      ca: yield* certificates(o.ca),
      rejectUnauthorized: yield* boolean("rejectUnauthorized", o.rejectUnauthorized, true),
      maxSocketsPerOrigin: yield* positiveInt(
        "maxSocketsPerOrigin",
        o.maxSocketsPerOrigin,
        DEFAULTS.maxSocketsPerOrigin
      )
    }
  })

/** Effect's built-in tracer: spans made with it are not exported anywhere. */
const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

const currentRequestTimeout = globalValue(
  Symbol.for("@effect-fcm/node/Http2Client/currentRequestTimeout"),
  () => FiberRef.unsafeMake<number | undefined>(undefined)
)

/**
 * Runs an effect with a different request timeout for the requests it sends through a pooled client
 * (`Duration.infinity` for none).
 *
 * @example
 * ```ts
 * import { Http2Client } from "@effect-fcm/node"
 * import { HttpClient } from "@effect/platform"
 *
 * // a download that may take longer than the pool's requestTimeout
 * const report = HttpClient.get("https://example.com/report.csv").pipe(Http2Client.withRequestTimeout("5 minutes"))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withRequestTimeout: {
  (timeout: Duration.DurationInput): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, timeout: Duration.DurationInput): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, timeout: Duration.DurationInput): Effect.Effect<A, E, R> =>
    Effect.locally(self, currentRequestTimeout, millis(timeout, Duration.infinity))
)

const encodeError = (request: HttpClientRequest.HttpClientRequest, cause: unknown, description: string) =>
  new HttpClientError.RequestError({ request, reason: "Encode", cause, description })

const concatBytes = (chunks: Chunk.Chunk<Uint8Array>): Uint8Array => {
  const parts = Chunk.toReadonlyArray(chunks)
  if (parts.length === 1) return parts[0]!
  return Buffer.concat(parts)
}

/** Sends a request whose URL is already split, with its body in a form the pool writes as it is. */
const send = (
  pool: ConnectionPool,
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  request: HttpClientRequest.HttpClientRequest,
  target: Target,
  timeoutMs: number
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return pool.execute(fiber, request, target, undefined, undefined, timeoutMs)
    case "Uint8Array":
      return pool.execute(fiber, request, target, body.body, undefined, timeoutMs)
    case "Raw": {
      const raw = body.body
      if (typeof raw === "string" || raw instanceof Uint8Array) {
        return pool.execute(fiber, request, target, raw, undefined, timeoutMs)
      }
      if (raw instanceof ArrayBuffer) {
        return pool.execute(fiber, request, target, new Uint8Array(raw), undefined, timeoutMs)
      }
      return Effect.fail(
        encodeError(request, undefined, "a raw body must be a string, a Uint8Array or an ArrayBuffer")
      )
    }
    case "Stream":
      return Effect.flatMap(
        Effect.mapError(
          Stream.runCollect(body.stream),
          (cause) => encodeError(request, cause, "the request body stream failed")
        ),
        (chunks) => pool.execute(fiber, request, target, concatBytes(chunks), undefined, timeoutMs)
      )
    case "FormData":
      return Effect.flatMap(
        Effect.tryPromise({
          try: async () => {
            const encoded = new Response(body.formData)
            const bytes = new Uint8Array(await encoded.arrayBuffer())
            return { bytes, contentType: encoded.headers.get("content-type") ?? undefined }
          },
          catch: (cause) => encodeError(request, cause, "the form data could not be encoded")
        }),
        ({ bytes, contentType }) => pool.execute(fiber, request, target, bytes, contentType, timeoutMs)
      )
  }
}

/**
 * URLs split by the clients, per URL string: an FCM sender posts to one endpoint, so its URL is parsed once rather
 * than once per request. Bounded: cleared when full.
 */
const targets = globalValue(
  Symbol.for("@effect-fcm/node/Http2Client/targets"),
  () => new Map<string, Target>()
)
const MAX_TARGETS = 256

const targetOf = (request: HttpClientRequest.HttpClientRequest): Target | Error => {
  const plain = request.urlParams.length === 0 && request.hash._tag === "None"
  if (plain) {
    const cached = targets.get(request.url)
    if (cached !== undefined) return cached
  }
  const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
  if (url._tag === "Left") return url.left
  const target = makeTarget(url.right)
  if (plain) {
    if (targets.size >= MAX_TARGETS) targets.clear()
    targets.set(request.url, target)
  }
  return target
}

/** The URL of a direct exchange split, from the same cache (a URL string splits the same whatever asks). */
const targetOfUrl = (url: string): Target | Error => {
  const cached = targets.get(url)
  if (cached !== undefined) return cached
  const parsed = UrlParams.makeUrl(url, UrlParams.empty, Option.none())
  if (parsed._tag === "Left") return parsed.left
  const target = makeTarget(parsed.right)
  if (targets.size >= MAX_TARGETS) targets.clear()
  targets.set(url, target)
  return target
}

/**
 * The client span, with the attribute names and redaction of `HttpClient.make`'s own spans (the OpenTelemetry HTTP
 * client conventions): the method, the origin and port, the full URL with its query, the path, the scheme, the
 * query, every request header (those named by `Headers.currentRedactedNames`, `authorization` among them, as
 * `<redacted>`), then the status and the response headers, redacted the same way.
 */
const withSpan = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  request: HttpClientRequest.HttpClientRequest,
  target: Target,
  run: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<
    HttpClientResponse.HttpClientResponse,
    HttpClientError.HttpClientError
  >
) =>
  Effect.useSpan(
    Context.get(fiber.currentContext, HttpClient.SpanNameGenerator)(request),
    { kind: "client", captureStackTrace: false },
    (span) => {
      const url = target.url
      span.attribute("http.request.method", request.method)
      span.attribute("server.address", url.origin)
      if (url.port !== "") span.attribute("server.port", +url.port)
      span.attribute("url.full", url.toString())
      span.attribute("url.path", url.pathname)
      span.attribute("url.scheme", url.protocol.slice(0, -1))
      const query = url.search.slice(1)
      if (query !== "") span.attribute("url.query", query)
      const redactedNames = fiber.getFiberRef(Headers.currentRedactedNames)
      const requestHeaders = Headers.redact(request.headers, redactedNames)
      for (const name in requestHeaders) {
        span.attribute(`http.request.header.${name}`, String(requestHeaders[name]))
      }
      const traced = fiber.getFiberRef(HttpClient.currentTracerPropagation)
        ? HttpClientRequest.setHeaders(request, HttpTraceContext.toHeaders(span))
        : request
      return Effect.tap(
        Effect.withParentSpan(run(traced), span),
        (response) => {
          span.attribute("http.response.status_code", response.status)
          const responseHeaders = Headers.redact(response.headers, redactedNames)
          for (const name in responseHeaders) {
            span.attribute(`http.response.header.${name}`, String(responseHeaders[name]))
          }
        }
      )
    }
  )

/**
 * The pool's `HttpClient`, built with `HttpClient.makeWith` rather than `HttpClient.make`: per request it only
 * splits the URL (cached per URL string) and reads the request timeout. No `AbortController` (interruption reaches
 * the pool directly and cancels the stream), no `FinalizationRegistry` or response wrapper (bodies are read
 * completely before the response is returned, so an unread response holds nothing open), and a span only as
 * {@link Options.spans} says.
 */
const makeClient = (pool: ConnectionPool, spans: boolean | "auto"): HttpClient.HttpClient => {
  /** Whether a request of `fiber` may run in a span (then `currentTracerDisabledWhen` has the last word). */
  const mayTrace = (fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean =>
    spans !== false &&
    fiber.getFiberRef(FiberRef.currentTracerEnabled) &&
    (spans === true || fiber.currentTracer !== nativeTracer)
  const run = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.withFiberRuntime<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((fiber) => {
      const target = targetOf(request)
      if (target instanceof Error) {
        return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: target }))
      }
      const timeoutMs = fiber.getFiberRef(currentRequestTimeout) ?? pool.options.requestTimeoutMs
      const traced = mayTrace(fiber) && !fiber.getFiberRef(HttpClient.currentTracerDisabledWhen)(request)
      if (!traced) return send(pool, fiber, request, target, timeoutMs)
      return withSpan(fiber, request, target, (request) => send(pool, fiber, request, target, timeoutMs))
    })
  const client = HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
    // `execute` passes the request as `Effect.succeed(request)`, an `Exit`: it is read directly, without a `flatMap`.
    (effect) =>
      Exit.isExit(effect) && Exit.isSuccess(effect)
        ? run(effect.value as HttpClientRequest.HttpClientRequest)
        : Effect.flatMap(effect, run),
    Effect.succeed
  )

  /**
   * The direct exchange on `fiber`: what `execute` does for the same `POST`, without its request and response
   * objects. A request that may run in a span goes through `execute` itself, so that spans and trace headers are
   * exactly `execute`'s.
   */
  const exchangeOn = (
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    url: string,
    headers: DirectExchange.Headers,
    body: string,
    resume: Resume
  ): void => {
    if (mayTrace(fiber)) return resume(throughExecute(client, url, headers, body))
    const target = targetOfUrl(url)
    if (target instanceof Error) {
      return resume(Effect.fail(
        new HttpClientError.RequestError({ request: postOf(url, headers, body), reason: "InvalidUrl", cause: target })
      ))
    }
    const timeoutMs = fiber.getFiberRef(currentRequestTimeout) ?? pool.options.requestTimeoutMs
    pool.exchange(fiber, url, target, headers, body, timeoutMs, resume)
  }
  const exchange: DirectExchange.DirectExchange = (url, headers, body) =>
    // one `Effect.async` per exchange; its register function runs on the fiber that runs it
    Effect.async<DirectExchange.Answer, HttpClientError.HttpClientError>((resume) => {
      const fiber = Fiber.getCurrentFiber()
      if (fiber._tag === "Some") return exchangeOn(fiber.value, url, headers, body, resume)
      resume(Effect.withFiberRuntime((fiber) =>
        Effect.async<DirectExchange.Answer, HttpClientError.HttpClientError>((resume) =>
          exchangeOn(fiber, url, headers, body, resume)
        )
      ))
    })
  return DirectExchange.offer(client, exchange)
}

/** The `POST` a direct exchange stands for, as `execute` would be given it. */
const postOf = (url: string, headers: DirectExchange.Headers, body: string): HttpClientRequest.HttpClientRequest =>
  HttpClientRequest.bodyText(HttpClientRequest.post(url, { headers }), body, headers["content-type"])

/** A direct exchange through `execute`: the request, its response, and the response's body as text. */
const throughExecute = (
  client: HttpClient.HttpClient,
  url: string,
  headers: DirectExchange.Headers,
  body: string
): Effect.Effect<DirectExchange.Answer, HttpClientError.HttpClientError> =>
  Effect.flatMap(
    client.execute(postOf(url, headers, body)),
    (response) =>
      Effect.map(response.text, (text): DirectExchange.Answer => ({
        status: response.status,
        body: text,
        retryAfter: response.headers["retry-after"]
      }))
  )

const statsOf = (pool: ConnectionPool): Effect.Effect<Stats> => Effect.sync(() => pool.stats())

/**
 * Makes a pool and its `HttpClient`, closed with the scope. Fails with a `ConfigError` naming the option when an
 * option is invalid.
 *
 * @example
 * ```ts
 * import { Http2Client } from "@effect-fcm/node"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const { client, stats } = yield* Http2Client.makePool({ maxSessionsPerOrigin: 4 })
 *   const response = yield* client.get("https://example.com/")
 *   yield* Effect.log((yield* stats).sessionsOpened)
 *   return response.status
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePool = (options: Options = {}): Effect.Effect<Pool, ConfigError.ConfigError, Scope.Scope> =>
  Effect.map(
    Effect.flatMap(resolveOptions(options), (resolved) =>
      Effect.acquireRelease(
        Effect.sync(() => new ConnectionPool(resolved)),
        (pool) => pool.close
      )),
    (pool): Pool => ({ client: makeClient(pool, options.spans ?? "auto"), stats: statsOf(pool) })
  )

/**
 * Makes a pooled HTTP/2 `HttpClient`, closed with the scope. Fails with a `ConfigError` naming the option when an
 * option is invalid.
 *
 * @example
 * ```ts
 * import { Http2Client } from "@effect-fcm/node"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* Http2Client.make({ maxSessionsPerOrigin: 4 })
 *   const response = yield* client.get("https://example.com/")
 *   return yield* response.text
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<HttpClient.HttpClient, ConfigError.ConfigError, Scope.Scope> =>
  Effect.map(makePool(options), (pool) => pool.client)

const layerFrom = <E, R>(
  options: Effect.Effect<Options, E, R>
): Layer.Layer<HttpClient.HttpClient | Pool, E | ConfigError.ConfigError, Exclude<R, Scope.Scope>> =>
  Layer.scopedContext(
    Effect.map(
      Effect.flatMap(options, makePool),
      (pool) => Context.make(Pool, pool).pipe(Context.add(HttpClient.HttpClient, pool.client))
    )
  )

/**
 * Provides a pooled `HttpClient` (and its {@link Pool}); the pool closes with the layer. Building the layer fails
 * with a `ConfigError` naming the option when an option is invalid.
 *
 * @example
 * ```ts
 * import { Credentials, FcmV1 } from "@effect-fcm/fcm"
 * import { Http2Client } from "@effect-fcm/node"
 * import { Layer } from "effect"
 *
 * // FCM HTTP v1 over the pooled HTTP/2 client (NodeFcm.layer() wires the same for you)
 * const Fcm = FcmV1.layer({ timeout: false }).pipe(
 *   Layer.provide(Credentials.layerConfig()),
 *   Layer.provide(Http2Client.layer({ requestTimeout: "30 seconds" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<HttpClient.HttpClient | Pool, ConfigError.ConfigError> =>
  layerFrom(Effect.succeed(options))

/**
 * Like {@link layer}, with options read from `Config`.
 *
 * @example
 * ```ts
 * import { Http2Client } from "@effect-fcm/node"
 * import { Config, Duration } from "effect"
 *
 * const Transport = Http2Client.layerConfig({
 *   maxSessionsPerOrigin: Config.integer("FCM_SESSIONS").pipe(Config.withDefault(8)),
 *   requestTimeout: Config.duration("FCM_TIMEOUT").pipe(Config.withDefault(Duration.seconds(15)))
 * })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config.Wrap<Options>
): Layer.Layer<HttpClient.HttpClient | Pool, ConfigError.ConfigError> => layerFrom(Config.unwrap(options))

/**
 * The counters of the pool provided by {@link layer}.
 *
 * @example
 * ```ts
 * import { Http2Client } from "@effect-fcm/node"
 * import { Effect, Schedule } from "effect"
 *
 * // log the pool's counters every minute, next to the sends
 * const monitor = Http2Client.stats.pipe(
 *   Effect.tap((stats) => Effect.log(`in flight: ${stats.streamsInFlight}, queued: ${stats.queued}`)),
 *   Effect.repeat(Schedule.spaced("1 minute"))
 * )
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const stats: Effect.Effect<Stats, never, Pool> = Effect.flatMap(Pool, (pool) => pool.stats)
