/**
 * The dispatcher of one origin (`scheme://host:port`): which protocol it speaks (learnt from ALPN, or `h2c`), its
 * HTTP/2 sessions and when to open more, the first-in, first-out queue of requests waiting for a free stream, what
 * happens to a stream that ended without a response (a transparent retry when the server provably did not process
 * it, HTTP/1.1 when the server asks for it, else a failure classified by `failure.ts`), and handing requests to the
 * HTTP/1.1 fallback.
 *
 * @internal
 */
import type * as http from "node:http"
import * as http2 from "node:http2"
import type { WireError } from "../WireError.js"
import { connectFailure, h2StreamFailure, wireError } from "./failure.js"
import { CLOSED, CONNECTING, H2Session, READY } from "./h2Session.js"
import { sendHttp1 } from "./http1.js"
import type { ConnectionPool } from "./pool.js"
import { IDLE, type PooledRequest, QUEUED } from "./pooledRequest.js"
import { resolveProxy, stripBrackets } from "./proxy.js"

const { NGHTTP2_HTTP_1_1_REQUIRED, NGHTTP2_REFUSED_STREAM } = http2.constants

// Origin protocol
const UNKNOWN = 0
const PROTO_H2 = 1
const PROTO_H1 = 2

/** A FIFO with O(1) push, shift and unshift; cancelled entries are skipped when they reach the front. */
class Fifo<A> {
  private items: Array<A | undefined> = []
  private head = 0

  push(a: A): void {
    this.items.push(a)
  }

  unshift(a: A): void {
    if (this.head > 0) this.items[--this.head] = a
    else this.items.unshift(a)
  }

  shift(): A | undefined {
    if (this.head >= this.items.length) return undefined
    const a = this.items[this.head]
    this.items[this.head++] = undefined
    if (this.head === this.items.length) {
      this.items.length = 0
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return a
  }
}

/** @internal */
export class Origin {
  readonly secure: boolean
  readonly host: string
  readonly port: number
  readonly authority: string
  readonly proxy: URL | undefined
  readonly configError: WireError | undefined
  protocol: number
  readonly sessions: Array<H2Session> = []
  readonly queue = new Fifo<PooledRequest>()
  queued = 0
  /** The stream limit the origin's sessions last reported: what a session being connected is expected to take. */
  streamsPerSession: number
  /** Whether a connection to the origin was ever made (an HTTP/2 session ready, a TLS handshake, an HTTP/1.1 answer). */
  connected = false
  /** The keep-alive agent of the HTTP/1.1 fallback, made on the first HTTP/1.1 request. */
  agent: http.Agent | undefined = undefined

  constructor(readonly pool: ConnectionPool, readonly url: string, target: URL) {
    this.secure = target.protocol === "https:"
    this.host = stripBrackets(target.hostname)
    this.port = target.port !== "" ? Number(target.port) : this.secure ? 443 : 80
    this.authority = target.host
    this.protocol = this.secure ? UNKNOWN : pool.options.h2c ? PROTO_H2 : PROTO_H1
    this.streamsPerSession = pool.options.maxConcurrentStreamsPerSession
    let proxy: URL | undefined
    let configError: WireError | undefined
    try {
      proxy = resolveProxy(pool.options.proxy, target, pool.options.env)
    } catch (error) {
      configError = wireError(
        "Proxy",
        `invalid proxy configuration: ${(error as Error).message}`,
        false,
        undefined,
        error
      )
    }
    this.proxy = proxy
    this.configError = configError
  }

  dispatch(req: PooledRequest, front: boolean): void {
    req.origin = this
    if (this.protocol === PROTO_H1) return sendHttp1(this, req)
    if (front || this.queued === 0) {
      // (with requests waiting, a newcomer queues behind them)
      const sessions = this.sessions
      for (let i = 0; i < sessions.length; i++) {
        const s = sessions[i]!
        if (s.phase === READY && s.active < s.limit) return s.start(req)
      }
    }
    req.state = QUEUED
    this.queued++
    if (front) this.queue.unshift(req)
    else this.queue.push(req)
    this.grow()
  }

  private dequeue(): PooledRequest | undefined {
    for (;;) {
      const req = this.queue.shift()
      if (req === undefined) return undefined
      if (req.state === QUEUED) {
        this.queued--
        req.state = IDLE
        return req
      }
    }
  }

  /** Opens sessions while the queue holds more requests than the sessions being connected will take. */
  grow(): void {
    if (this.pool.closed || this.queued === 0) return
    const max = this.protocol === UNKNOWN ? 1 : this.pool.options.maxSessionsPerOrigin
    const perSession = Math.max(1, this.streamsPerSession)
    let usable = 0
    let connecting = 0
    for (const s of this.sessions) {
      if (s.phase === CONNECTING) {
        connecting++
        usable++
      } else if (s.phase === READY) {
        usable++
      }
    }
    while (usable < max && this.queued > connecting * perSession) {
      const s = new H2Session(this)
      this.sessions.push(s)
      usable++
      connecting++
      s.connect()
    }
  }

  drain(s: H2Session): void {
    while (this.queued > 0 && s.phase === READY && s.active < s.limit) {
      const req = this.dequeue()
      if (req === undefined) break
      s.start(req)
    }
  }

  sessionReady(s: H2Session): void {
    this.protocol = PROTO_H2
    this.connected = true
    this.drain(s)
    this.grow()
  }

  sessionUnusable(_s: H2Session): void {
    this.grow()
  }

  private remove(s: H2Session): boolean {
    const i = this.sessions.indexOf(s)
    if (i === -1) return false
    this.sessions.splice(i, 1)
    return true
  }

  sessionClosed(s: H2Session): void {
    if (!this.remove(s)) return
    if (!s.closedByPool && !this.pool.closed) this.pool.sessionsReplaced++
    this.grow()
  }

  connectFailed(s: H2Session, error: Error): void {
    if (!this.remove(s)) return
    if (this.pool.closed) return
    for (const other of this.sessions) {
      if (other.phase === READY || other.phase === CONNECTING) return
    }
    // nothing else can serve the queue: it fails with the connection error
    const failure = connectFailure(this.authority, error, this.connected)
    for (let req = this.dequeue(); req !== undefined; req = this.dequeue()) req.fail(failure)
  }

  /** TLS negotiated HTTP/1.1 (or nothing): this origin is served over HTTP/1.1 from now on. */
  http1Detected(s: H2Session): void {
    s.phase = CLOSED
    s.closedByPool = true
    if (s.connectTimer !== undefined) clearTimeout(s.connectTimer)
    s.destroy()
    this.remove(s)
    this.protocol = PROTO_H1
    this.connected = true
    for (let req = this.dequeue(); req !== undefined; req = this.dequeue()) sendHttp1(this, req)
  }

  /** An HTTP/2 stream ended without a complete response. */
  streamFailed(req: PooledRequest, stream: http2.ClientHttp2Stream): void {
    const s = req.session!
    const pool = this.pool
    const rst = stream.rstCode
    const id = stream.id
    const notStarted = req.status === 0 &&
      (rst === NGHTTP2_REFUSED_STREAM || id === undefined || (s.goaway !== undefined && id > s.goaway.lastStreamID))
    if (!pool.closed && req.status === 0 && rst === NGHTTP2_HTTP_1_1_REQUIRED) {
      // the server asks for HTTP/1.1 before processing the request
      this.protocol = PROTO_H1
      req.state = IDLE
      return sendHttp1(this, req)
    }
    if (notStarted && req.attempts < 2 && !pool.closed) {
      req.attempts++
      pool.retried++
      req.state = IDLE
      req.session = undefined
      req.stream = undefined
      req.streamError = undefined
      req.chunk = undefined
      req.chunks = undefined
      // A GOAWAY is reported after the streams it refused: wait for it, so the retry avoids the closing session
      setImmediate(retryRequest, req)
      return
    }
    req.fail(h2StreamFailure(this.authority, s, req.streamError, rst, notStarted, pool.closed))
  }

  close(): void {
    const failure = wireError(
      "ClientClosed",
      `the client was closed before a connection to ${this.authority}`,
      false,
      undefined
    )
    for (let req = this.dequeue(); req !== undefined; req = this.dequeue()) req.fail(failure)
    this.agent?.destroy()
    for (const s of this.sessions.slice()) s.closeGracefully()
  }
}

function retryRequest(req: PooledRequest): void {
  if (req.state !== IDLE) return
  if (req.pool.closed) {
    return req.fail(
      wireError("ClientClosed", "the client was closed before the request could be retried", false, undefined)
    )
  }
  req.origin!.dispatch(req, true)
}
