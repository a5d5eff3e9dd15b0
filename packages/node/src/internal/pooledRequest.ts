/**
 * One request in the pool, from submission to its response or failure: its state (idle, queued, on an HTTP/2
 * stream, on an HTTP/1.1 request, done), its deadline, the response read into memory, and how it ends (resuming the
 * fiber that waits for it, or cancelling what it does on the wire when that fiber is interrupted). The URL it goes
 * to is split once into a {@link Target}.
 *
 * @internal
 */
import type * as DirectExchange from "@effect-fcm/fcm/DirectExchange"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as Option from "effect/Option"
import type * as http from "node:http"
import type { IncomingHttpHeaders } from "node:http"
import * as http2 from "node:http2"
import type { WireError } from "../WireError.js"
import { wireError } from "./failure.js"
import type { H2Session } from "./h2Session.js"
import type { Origin } from "./origin.js"
import type { ConnectionPool } from "./pool.js"
import { BufferedResponse, EMPTY_BODY } from "./response.js"

/** @internal */
export type Body = string | Uint8Array | undefined

/**
 * A request URL split once into what the pool needs. The client caches these per URL string, so a client sending
 * many requests to one endpoint parses its URL once.
 *
 * @internal
 */
export interface Target {
  readonly url: URL
  /** `https:` or `http:` (or another scheme, which the pool rejects). */
  readonly protocol: string
  /** `scheme://host:port`, the pool's key. */
  readonly origin: string
  /** `:path`: the path and the query. */
  readonly path: string
}

/** @internal */
export const makeTarget = (url: URL): Target => ({
  url,
  protocol: url.protocol,
  origin: url.origin,
  path: url.search === "" ? url.pathname : url.pathname + url.search
})

/**
 * How a request resumes the fiber waiting for it: with an `HttpClientResponse` (`execute`) or a
 * `DirectExchange.Answer` (a direct exchange).
 *
 * @internal
 */
export type Resume = (effect: Effect.Effect<any, HttpClientError.HttpClientError>) => void

/**
 * The answer of a direct exchange: the status, the body as text, and `Retry-After` read from the headers when asked
 * for (as `Headers.fromInput` reads it: repeated values joined with `, `).
 *
 * @internal
 */
export class ExchangeAnswer implements DirectExchange.Answer {
  constructor(readonly status: number, readonly body: string, private readonly headers: IncomingHttpHeaders) {}
  get retryAfter(): string | undefined {
    const value = this.headers["retry-after"] as string | ReadonlyArray<string> | undefined
    return value === undefined || typeof value === "string" ? value : value.join(", ")
  }
}

const noop = () => {}

const { NGHTTP2_CANCEL } = http2.constants

// Request states
/** @internal */
export const IDLE = 0
/** @internal */
export const QUEUED = 1
/** @internal */
export const H2 = 2
/** @internal */
export const H1 = 3
/** @internal */
export const DONE = 4

/**
 * Where the stream and request listeners, shared by every request, find the request they serve.
 *
 * @internal
 */
export const kRequest = Symbol.for("@effect-fcm/node/Http2Client/request")

/** @internal */
export interface Carrier {
  [kRequest]: PooledRequest
}

/**
 * The request a fiber is waiting for. One per fiber that sends through the pool, made with its first request.
 *
 * A fiber interrupted while it waits is resumed by the runtime without the request's knowledge; it then never waits
 * for that request again. The request is cancelled (RST_STREAM CANCEL, or taken out of the queue) when the fiber
 * exits, or when it sends its next request, whichever comes first: an interrupted fiber exits once its finalizers
 * have run. This costs a field write per request, where an `Effect.async` canceler wraps every request in an
 * `onInterrupt` region (an uninterruptible mask, a cause match and an exit: ~2.8 KiB of allocation and ~1 µs).
 */
class Watch {
  req: PooledRequest | undefined = undefined

  constructor(fiber: Fiber.RuntimeFiber<unknown, unknown>) {
    // run by the fiber's exit, however it ends
    fiber.addObserver(() => this.release(undefined))
  }

  /** The fiber waits for `next` (or nothing): whatever it waited for before and is still running is abandoned. */
  release(next: PooledRequest | undefined): void {
    const previous = this.req
    this.req = next
    if (previous !== undefined && previous.state !== DONE) previous.abandon()
  }
}

const watches = new WeakMap<Fiber.RuntimeFiber<unknown, unknown>, Watch>()

/** @internal */
export class PooledRequest {
  state = IDLE
  attempts = 1
  timer: NodeJS.Timeout | undefined = undefined
  origin: Origin | undefined = undefined
  session: H2Session | undefined = undefined
  stream: http2.ClientHttp2Stream | undefined = undefined
  h1Request: http.ClientRequest | undefined = undefined
  h2Headers: http2.OutgoingHttpHeaders | undefined = undefined
  status = 0
  headers: IncomingHttpHeaders | undefined = undefined
  chunk: Buffer | undefined = undefined
  chunks: Array<Buffer> | undefined = undefined
  streamError: Error | undefined = undefined
  holdsSlot = false
  resume: Resume = noop
  watch: Watch | undefined = undefined

  /**
   * @param source the request of `execute`; `undefined` for a direct exchange, whose request object is made only
   * when a failure names it ({@link request})
   * @param url the request's URL (a direct exchange's, or `source`'s without its parameters)
   * @param method the request's method
   * @param requestHeaders the request's headers (lower-case names)
   */
  constructor(
    readonly pool: ConnectionPool,
    readonly fiber: Fiber.RuntimeFiber<unknown, unknown>,
    private source: HttpClientRequest.HttpClientRequest | undefined,
    readonly url: string,
    readonly method: string,
    readonly requestHeaders: Readonly<Record<string, string>>,
    readonly target: Target,
    readonly body: Body,
    readonly contentType: string | undefined,
    readonly timeoutMs: number
  ) {
    this.exchange = source === undefined
  }

  /** Whether the request is a direct exchange: it answers with an {@link ExchangeAnswer}, not a response. */
  readonly exchange: boolean

  /**
   * The `HttpClientRequest` that errors and responses name: `execute`'s own, or for a direct exchange the `POST`
   * that `execute` would have been given, made when first needed.
   */
  get request(): HttpClientRequest.HttpClientRequest {
    if (this.source !== undefined) return this.source
    const body = typeof this.body === "string" ? this.body : ""
    const contentType = this.requestHeaders["content-type"]
    return this.source = HttpClientRequest.bodyText(
      HttpClientRequest.post(this.url, { headers: this.requestHeaders }),
      body,
      contentType
    )
  }

  /**
   * Starts the request when the effect runs (on `fiber`, the fiber that made it). Interrupting the fiber abandons
   * it: see {@link Watch}.
   */
  register(resume: Resume): void {
    if (this.resume !== noop) {
      // the same effect run again: a new request
      const fresh = new PooledRequest(
        this.pool,
        this.fiber,
        this.exchange ? undefined : this.source,
        this.url,
        this.method,
        this.requestHeaders,
        this.target,
        this.body,
        this.contentType,
        this.timeoutMs
      )
      return fresh.register(resume)
    }
    this.resume = resume
    let watch = watches.get(this.fiber)
    if (watch === undefined) {
      watch = new Watch(this.fiber)
      watches.set(this.fiber, watch)
    }
    watch.release(this)
    this.watch = watch
    this.pool.submit(this)
  }

  addChunk(chunk: Buffer): void {
    if (this.chunk === undefined) {
      this.chunk = chunk
    } else if (this.chunks === undefined) {
      this.chunks = [this.chunk, chunk]
    } else {
      this.chunks.push(chunk)
    }
  }

  succeed(remoteAddress: Option.Option<string>): void {
    const body = this.chunks !== undefined ? Buffer.concat(this.chunks) : this.chunk ?? EMPTY_BODY
    this.finish(Effect.succeed(
      this.exchange
        ? new ExchangeAnswer(this.status, body.toString("utf8"), this.headers!)
        : new BufferedResponse(this.request, this.status, this.headers!, body, remoteAddress)
    ))
  }

  failEncode(cause: unknown): void {
    this.finish(Effect.fail(
      new HttpClientError.RequestError({
        request: this.request,
        reason: "Encode",
        cause,
        description: `the request cannot be sent: ${cause instanceof Error ? cause.message : String(cause)}`
      })
    ))
  }

  fail(error: WireError): void {
    this.finish(Effect.fail(
      new HttpClientError.RequestError({
        request: this.request,
        reason: "Transport",
        cause: error,
        description: error.message
      })
    ))
  }

  finish(effect: Effect.Effect<unknown, HttpClientError.HttpClientError>): void {
    this.state = DONE
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    this.chunk = undefined
    this.chunks = undefined
    const watch = this.watch
    if (watch !== undefined && watch.req === this) watch.req = undefined
    this.resume(effect)
  }

  /** Stops whatever the request is doing on the wire. Leaves the state as DONE. */
  abandon(): void {
    const state = this.state
    this.state = DONE
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    if (state === QUEUED) {
      this.origin!.queued--
    } else if (state === H2) {
      const stream = this.stream!
      if (!stream.closed) {
        try {
          stream.close(NGHTTP2_CANCEL)
        } catch {
          stream.destroy()
        }
      }
    } else if (state === H1) {
      this.h1Request!.destroy()
    }
  }
}

/**
 * The request's deadline passed: it is abandoned and fails with a timeout (not processed when it never got a
 * connection or a stream).
 *
 * @internal
 */
export function onTimeout(req: PooledRequest): void {
  if (req.state === DONE) return
  req.timer = undefined
  const state = req.state
  const authority = req.origin?.authority ?? req.target.url.host
  req.abandon()
  // the server did not answer in time: is the connection still alive? (a dead one is then replaced)
  if (state === H2) req.session!.probe()
  req.fail(
    state === QUEUED || state === IDLE
      ? wireError(
        "Timeout",
        `timeout: no connection to ${authority} within ${req.timeoutMs}ms`,
        false,
        "ETIMEDOUT"
      )
      : wireError(
        "Timeout",
        `timeout: no complete response from ${authority} within ${req.timeoutMs}ms (request cancelled)`,
        true,
        "ETIMEDOUT"
      )
  )
}
