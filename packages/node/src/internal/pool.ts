/**
 * The pool behind an `Http2Client`: its origins (one dispatcher each), the entry point of every request (checks its
 * scheme, arms its deadline, hands it to its origin), the PING ticker, the counters read by `Http2Client.stats`, and
 * closing every connection with the client's scope.
 *
 * @internal
 */
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as tls from "node:tls"
import type { Stats } from "../Http2Client.js"
import { wireError } from "./failure.js"
import { CONNECTING, DRAINING, type H2Session, READY } from "./h2Session.js"
import { Origin } from "./origin.js"
import { type Body, onTimeout, PooledRequest, type Resume, type Target } from "./pooledRequest.js"
import type { Env, ProxyOption } from "./proxy.js"
import { secureContextFor } from "./trust.js"

/** @internal */
export interface ResolvedOptions {
  readonly maxSessionsPerOrigin: number
  readonly maxConcurrentStreamsPerSession: number
  readonly requestTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly pingIntervalMs: number
  readonly pingTimeoutMs: number
  readonly h2c: boolean
  readonly proxy: ProxyOption
  readonly env: Env
  readonly ca: string | Buffer | Array<string | Buffer> | undefined
  readonly rejectUnauthorized: boolean
  readonly maxSocketsPerOrigin: number
}

/** How long closing the pool lets streams in flight finish before it destroys their sessions. */
const CLOSE_GRACE_MS = 2_000
/** How long closing the pool then waits for the destroyed sessions' sockets to close. */
const CLOSE_DESTROY_WAIT_MS = 500

/** @internal */
export class ConnectionPool {
  readonly origins = new Map<string, Origin>()
  closed = false
  clock = Date.now()
  sessionsOpened = 0
  sessionsReplaced = 0
  streamsInFlight = 0
  http1InFlight = 0
  retried = 0
  /** Connections with a session, socket or tunnel not closed yet (including those already out of rotation). */
  readonly unclosed = new Set<H2Session>()
  /** What {@link close} waits with: called by {@link connectionClosed} when the last connection has closed. */
  private closeWaiters: Array<() => void> = []
  private readonly ticker: NodeJS.Timeout | undefined
  /** Whether sessions are sent PINGs (idle, or after a request timeout) and checked by the ticker. */
  readonly pinging: boolean
  /**
   * The secure context of the pool's TLS connections when the `ca` option is given: the bundled roots and `ca`.
   * Made with the pool (parsing the roots takes tens of milliseconds: not within a request's deadline). Without
   * `ca`, `undefined`: Node's default context (the bundled roots and `NODE_EXTRA_CA_CERTS`).
   */
  readonly secureContext: tls.SecureContext | undefined

  constructor(readonly options: ResolvedOptions) {
    this.secureContext = options.ca === undefined ? undefined : secureContextFor(options.ca)
    this.pinging = Number.isFinite(options.pingIntervalMs)
    if (this.pinging) {
      const period = Math.max(5, Math.min(options.pingIntervalMs, options.pingTimeoutMs) / 4)
      this.ticker = setInterval(() => this.tick(), period)
      this.ticker.unref()
    }
  }

  execute(
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    request: HttpClientRequest.HttpClientRequest,
    target: Target,
    body: Body,
    contentType: string | undefined,
    timeoutMs: number
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> {
    const req = new PooledRequest(
      this,
      fiber,
      request,
      request.url,
      request.method,
      request.headers,
      target,
      body,
      contentType,
      timeoutMs
    )
    // no canceler: an interrupted fiber's request is abandoned by its watch (see `PooledRequest.register`)
    return Effect.async((resume) => req.register(resume))
  }

  /**
   * A direct exchange: a `POST` of `body` with `headers` (which name its content type), resumed with an
   * `ExchangeAnswer` or the `HttpClientError` that {@link execute} would fail with. Called from the register function
   * of the exchange's `Effect.async`, on `fiber`.
   */
  exchange(
    fiber: Fiber.RuntimeFiber<unknown, unknown>,
    url: string,
    target: Target,
    headers: Readonly<Record<string, string>>,
    body: string,
    timeoutMs: number,
    resume: Resume
  ): void {
    new PooledRequest(this, fiber, undefined, url, "POST", headers, target, body, undefined, timeoutMs).register(resume)
  }

  submit(req: PooledRequest): void {
    if (this.closed) {
      return req.fail(wireError("ClientClosed", "the client is closed", false, undefined))
    }
    const target = req.target
    const protocol = target.protocol
    if (protocol !== "https:" && protocol !== "http:") {
      return req.finish(Effect.fail(
        new HttpClientError.RequestError({
          request: req.request,
          reason: "InvalidUrl",
          description: `unsupported protocol ${protocol}`
        })
      ))
    }
    const key = target.origin
    let origin = this.origins.get(key)
    if (origin === undefined) {
      origin = new Origin(this, key, target.url)
      this.origins.set(key, origin)
    }
    if (origin.configError !== undefined) return req.fail(origin.configError)
    if (Number.isFinite(req.timeoutMs)) {
      req.timer = setTimeout(onTimeout, req.timeoutMs, req)
      req.timer.unref()
    }
    origin.dispatch(req, false)
  }

  private tick(): void {
    const now = this.clock = Date.now()
    const { pingIntervalMs, pingTimeoutMs } = this.options
    for (const origin of this.origins.values()) {
      for (const s of origin.sessions) {
        if (s.phase !== READY) continue
        if (s.pingSentAt !== 0) {
          if (now - s.pingSentAt >= pingTimeoutMs) s.pingTimedOut()
        } else if (s.active === 0 && now - s.lastActivity >= pingIntervalMs) {
          s.sendPing(now)
        }
      }
    }
  }

  stats(): Stats {
    let sessionsOpen = 0
    let sessionsConnecting = 0
    let queued = 0
    for (const origin of this.origins.values()) {
      queued += origin.queued
      for (const s of origin.sessions) {
        if (s.phase === CONNECTING) sessionsConnecting++
        else if (s.phase === READY || s.phase === DRAINING) sessionsOpen++
      }
    }
    return {
      origins: this.origins.size,
      sessionsOpen,
      sessionsConnecting,
      sessionsOpened: this.sessionsOpened,
      sessionsReplaced: this.sessionsReplaced,
      streamsInFlight: this.streamsInFlight,
      http1InFlight: this.http1InFlight,
      queued,
      retried: this.retried
    }
  }

  /** A connection's session, socket and tunnel have all closed. */
  connectionClosed(s: H2Session): void {
    this.unclosed.delete(s)
    if (this.unclosed.size > 0 || this.closeWaiters.length === 0) return
    const waiters = this.closeWaiters
    this.closeWaiters = []
    for (const waiter of waiters) waiter()
  }

  /**
   * Closes every session (GOAWAY, then the socket) and waits until every session, socket and tunnel of the pool has
   * emitted 'close', including those of sessions taken out of rotation before (drained after a GOAWAY, say), whose
   * sockets may still be closing. Sessions with streams still running after a grace period are destroyed; after a
   * last short wait, close returns whatever their sockets do.
   */
  readonly close: Effect.Effect<void> = Effect.async<void>((resume) => {
    this.closed = true
    if (this.ticker !== undefined) clearInterval(this.ticker)
    for (const origin of this.origins.values()) origin.close()
    if (this.unclosed.size === 0) return resume(Effect.void)
    let timer: NodeJS.Timeout | undefined = undefined
    let resumed = false
    const done = () => {
      if (resumed) return
      resumed = true
      clearTimeout(timer)
      resume(Effect.void)
    }
    this.closeWaiters.push(done)
    timer = setTimeout(() => {
      for (const s of [...this.unclosed]) s.destroy()
      timer = setTimeout(done, CLOSE_DESTROY_WAIT_MS)
      timer.unref()
    }, CLOSE_GRACE_MS)
    timer.unref()
  })
}
