import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { EventEmitter } from "node:events"
import * as http from "node:http"
import type { IncomingHttpHeaders } from "node:http"
import * as http2 from "node:http2"
import * as https from "node:https"
import * as net from "node:net"
import type { Duplex } from "node:stream"
import * as tls from "node:tls"
import type { Stats } from "../Http2Client.js"
import { TransportError } from "../TransportError.js"
import type { Kind } from "../TransportError.js"
import { connectTunnel, type Env, type ProxyOption, ProxyTunnelError, resolveProxy, stripBrackets } from "./proxy.js"
import { BufferedResponse, EMPTY_BODY } from "./response.js"

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

type Body = string | Uint8Array | undefined

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
type Resume = (effect: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>) => void

const noop = () => {}

const {
  NGHTTP2_CANCEL,
  NGHTTP2_HTTP_1_1_REQUIRED,
  NGHTTP2_REFUSED_STREAM
} = http2.constants

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
const h2ErrorName = (code: number): string => H2_ERROR_NAMES[code] ?? `error code ${code}`

/** Headers that HTTP/2 forbids (RFC 9113 §8.2.2); `host` becomes `:authority`. */
const CONNECTION_HEADERS: Record<string, true | undefined> = Object.assign(Object.create(null), {
  connection: true,
  "keep-alive": true,
  "proxy-connection": true,
  "transfer-encoding": true,
  upgrade: true,
  "http2-settings": true,
  te: true,
  host: true
})

const END_STREAM: http2.ClientSessionRequestOptions = { endStream: true }

// Exchange states
const IDLE = 0
const QUEUED = 1
const H2 = 2
const H1 = 3
const DONE = 4

// Session phases
const CONNECTING = 0
const READY = 1
const DRAINING = 2
const CLOSED = 3

// Origin protocol
const UNKNOWN = 0
const PROTO_H2 = 1
const PROTO_H1 = 2

/** How long closing the pool lets streams in flight finish before it destroys their sessions. */
const CLOSE_GRACE_MS = 2_000
/** How long closing the pool then waits for the destroyed sessions' sockets to close. */
const CLOSE_DESTROY_WAIT_MS = 500

const kExchange = Symbol.for("@effect-fcm/node/Http2Client/exchange")

interface Carrier {
  [kExchange]: Exchange
}

const errorCode = (error: unknown): string | undefined => {
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
const SESSION_GONE = new Set(["ERR_HTTP2_GOAWAY_SESSION", "ERR_HTTP2_INVALID_SESSION", "ERR_HTTP2_OUT_OF_STREAMS"])

const isConnectError = (error: unknown): boolean =>
  error instanceof ConnectTimeoutError || CONNECT_CODES.has(errorCode(error) ?? "")

class ConnectTimeoutError extends Error {
  readonly code = "ETIMEDOUT"
}

const transportError = (
  kind: Kind,
  message: string,
  mayHaveBeenProcessed: boolean,
  code: string | undefined,
  cause?: unknown
): TransportError =>
  new TransportError({
    kind,
    message: `${message}; ${
      mayHaveBeenProcessed ? "the request may have been processed" : "the request was not processed"
    }`,
    mayHaveBeenProcessed,
    code,
    cause
  })

/** Classifies a failure to establish a connection: the request never left this process. */
const connectFailure = (origin: Origin, error: unknown): TransportError => {
  const code = errorCode(error)
  if (error instanceof ProxyTunnelError) {
    return transportError(
      "Proxy",
      error.message,
      false,
      error.statusCode === undefined ? code : String(error.statusCode),
      error
    )
  }
  if (isTlsError(code)) {
    return transportError("Tls", `TLS handshake with ${origin.authority} failed: ${code}`, false, code, error)
  }
  const detail = code ?? (error instanceof Error ? error.message : String(error))
  return transportError("Connect", `cannot connect to ${origin.authority}: ${detail}`, false, code, error)
}

// ---------------------------------------------------------------------------------------------------------------
// Exchange: one request from submission to response or failure
// ---------------------------------------------------------------------------------------------------------------

class Exchange {
  state = IDLE
  attempts = 1
  timer: NodeJS.Timeout | undefined = undefined
  origin: Origin | undefined = undefined
  session: H2Session | undefined = undefined
  stream: http2.ClientHttp2Stream | undefined = undefined
  req: http.ClientRequest | undefined = undefined
  h2Headers: http2.OutgoingHttpHeaders | undefined = undefined
  status = 0
  headers: IncomingHttpHeaders | undefined = undefined
  chunk: Buffer | undefined = undefined
  chunks: Array<Buffer> | undefined = undefined
  streamError: Error | undefined = undefined
  holdsSlot = false
  resume: Resume = noop

  constructor(
    readonly pool: Pool,
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly target: Target,
    readonly body: Body,
    readonly contentType: string | undefined,
    readonly timeoutMs: number
  ) {}

  /** Starts the exchange when the effect runs; interrupting the fiber abandons it. */
  register(resume: Resume): Effect.Effect<void> {
    if (this.resume !== noop) {
      // the same effect run again: a new exchange
      const fresh = new Exchange(this.pool, this.request, this.target, this.body, this.contentType, this.timeoutMs)
      return fresh.register(resume)
    }
    this.resume = resume
    this.pool.submit(this)
    return Effect.sync(this.abandon.bind(this))
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
    this.finish(Effect.succeed(new BufferedResponse(this.request, this.status, this.headers!, body, remoteAddress)))
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

  fail(error: TransportError): void {
    this.finish(Effect.fail(
      new HttpClientError.RequestError({
        request: this.request,
        reason: "Transport",
        cause: error,
        description: error.message
      })
    ))
  }

  finish(effect: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>): void {
    this.state = DONE
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    this.chunk = undefined
    this.chunks = undefined
    this.resume(effect)
  }

  /** Stops whatever the exchange is doing on the wire. Leaves the state as DONE. */
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
      this.req!.destroy()
    }
  }
}

function onTimeout(ex: Exchange): void {
  if (ex.state === DONE) return
  ex.timer = undefined
  const state = ex.state
  const authority = ex.origin?.authority ?? ex.target.url.host
  ex.abandon()
  // the server did not answer in time: is the connection still alive? (a dead one is then replaced)
  if (state === H2) ex.session!.probe()
  ex.fail(
    state === QUEUED || state === IDLE
      ? transportError(
        "Timeout",
        `timeout: no connection to ${authority} within ${ex.timeoutMs}ms`,
        false,
        "ETIMEDOUT"
      )
      : transportError(
        "Timeout",
        `timeout: no complete response from ${authority} within ${ex.timeoutMs}ms (request cancelled)`,
        true,
        "ETIMEDOUT"
      )
  )
}

// HTTP/2 stream listeners, shared by every stream (`this` is the stream)

function onH2Response(this: http2.ClientHttp2Stream & Carrier, headers: http2.IncomingHttpHeaders): void {
  const ex = this[kExchange]
  if (ex.stream !== this || ex.state !== H2) return
  ex.status = Number(headers[":status"])
  ex.headers = headers
}

function onH2Data(this: http2.ClientHttp2Stream & Carrier, chunk: Buffer): void {
  const ex = this[kExchange]
  if (ex.stream === this && ex.state === H2) ex.addChunk(chunk)
}

function onH2End(this: http2.ClientHttp2Stream & Carrier): void {
  const ex = this[kExchange]
  if (ex.stream !== this || ex.state !== H2 || ex.status === 0) return
  const session = ex.session!
  ex.succeed(session.remoteAddress)
  // Both sides have ended, so the stream no longer counts against the server's limit; 'close' comes a tick later
  if (this.writableFinished) releaseSlot(ex, session)
}

function onH2Error(this: http2.ClientHttp2Stream & Carrier, error: Error): void {
  const ex = this[kExchange]
  if (ex.stream === this) ex.streamError = error
}

function onH2Close(this: http2.ClientHttp2Stream & Carrier): void {
  const ex = this[kExchange]
  if (ex.stream !== this || !ex.holdsSlot) return
  const session = ex.session!
  if (ex.state === H2) {
    ex.holdsSlot = false
    session.release()
    session.origin.streamFailed(ex, this)
    afterRelease(session)
  } else {
    releaseSlot(ex, session)
  }
}

function releaseSlot(ex: Exchange, session: H2Session): void {
  ex.holdsSlot = false
  session.release()
  afterRelease(session)
}

function afterRelease(session: H2Session): void {
  if (session.phase === READY) session.origin.drain(session)
  else if (session.phase === DRAINING && session.active === 0) session.destroy()
}

function retryExchange(ex: Exchange): void {
  if (ex.state !== IDLE) return
  if (ex.pool.closed) {
    return ex.fail(
      transportError("ClientClosed", "the client was closed before the request could be retried", false, undefined)
    )
  }
  ex.origin!.dispatch(ex, true)
}

// HTTP/1.1 listeners (`this` is the request or the response)

function onH1Response(this: http.ClientRequest & Carrier, res: http.IncomingMessage): void {
  const ex = this[kExchange]
  if (ex.state !== H1) {
    res.resume()
    return
  }
  ex.status = res.statusCode ?? 0
  ex.headers = res.headers
  ;(res as http.IncomingMessage & Carrier)[kExchange] = ex
  res.on("data", onH1Data)
  res.on("end", onH1End)
  res.on("error", onH1Error)
  res.on("close", onH1ResponseClose)
}

function onH1Data(this: http.IncomingMessage & Carrier, chunk: Buffer): void {
  const ex = this[kExchange]
  if (ex.state === H1) ex.addChunk(chunk)
}

function onH1End(this: http.IncomingMessage & Carrier): void {
  const ex = this[kExchange]
  if (ex.state !== H1) return
  const address = this.socket?.remoteAddress
  ex.succeed(address === undefined ? Option.none() : Option.some(address))
}

function onH1Error(this: Carrier, error: Error): void {
  const ex = this[kExchange]
  if (ex.state === H1) ex.fail(ex.origin!.http1Failure(error))
}

function onH1ResponseClose(this: http.IncomingMessage & Carrier): void {
  const ex = this[kExchange]
  if (ex.state === H1 && !this.complete) {
    ex.fail(ex.origin!.http1Failure(undefined))
  }
}

function onH1Close(this: http.ClientRequest & Carrier): void {
  const ex = this[kExchange]
  ex.pool.http1InFlight--
  if (ex.state === H1 && ex.status === 0) ex.fail(ex.origin!.http1Failure(undefined))
}

// ---------------------------------------------------------------------------------------------------------------
// H2Session: one HTTP/2 connection of an origin
// ---------------------------------------------------------------------------------------------------------------

class H2Session {
  phase = CONNECTING
  socket: Duplex | undefined = undefined
  /** The CONNECT tunnel under a proxied TLS socket. */
  tunnel: net.Socket | undefined = undefined
  session: http2.ClientHttp2Session | undefined = undefined
  active = 0
  limit: number
  goaway: { readonly code: number; readonly lastStreamID: number } | undefined = undefined
  error: Error | undefined = undefined
  pingFailed = false
  pingSentAt = 0
  lastActivity = 0
  closedByPool = false
  wasReady = false
  remoteAddress: Option.Option<string> = Option.none()
  connectTimer: NodeJS.Timeout | undefined = undefined
  /** The session, socket and tunnel of this connection that have not emitted 'close' yet. */
  unclosed = 0

  constructor(readonly origin: Origin) {
    this.limit = origin.pool.options.maxConcurrentStreamsPerSession
  }

  /**
   * Counts `emitter` (the HTTP/2 session, its TLS or TCP socket, the proxy tunnel) as open until it emits 'close':
   * closing the pool waits for that.
   */
  track(emitter: EventEmitter): void {
    this.unclosed++
    this.origin.pool.unclosed.add(this)
    emitter.once("close", () => {
      if (--this.unclosed === 0) this.origin.pool.connectionClosed(this)
    })
  }

  start(ex: Exchange): void {
    const session = this.session!
    ex.state = H2
    ex.session = this
    let headers = ex.h2Headers
    if (headers === undefined) {
      const built = buildH2Headers(ex)
      // node:http2 destroys the whole session on an invalid header name: such a request never reaches it
      if (built instanceof Error) return ex.failEncode(built)
      headers = ex.h2Headers = built
    }
    let stream: http2.ClientHttp2Stream
    try {
      stream = session.request(headers, ex.body === undefined ? END_STREAM : undefined)
    } catch (error) {
      ex.session = undefined
      if (session.closed || session.destroyed) this.stopAccepting(error as Error)
      if (SESSION_GONE.has(errorCode(error) ?? "")) {
        // the session stopped accepting streams (GOAWAY, closing): nothing was sent
        ex.state = IDLE
        this.origin.dispatch(ex, true)
      } else {
        ex.failEncode(error)
      }
      return
    }
    this.active++
    this.origin.pool.streamsInFlight++
    ex.holdsSlot = true
    ex.stream = stream
    ;(stream as http2.ClientHttp2Stream & Carrier)[kExchange] = ex
    stream.on("response", onH2Response)
    stream.on("data", onH2Data)
    stream.on("end", onH2End)
    stream.on("error", onH2Error)
    stream.on("close", onH2Close)
    if (ex.body !== undefined) stream.end(ex.body)
  }

  release(): void {
    this.active--
    this.origin.pool.streamsInFlight--
    this.lastActivity = this.origin.pool.clock
  }

  /** Takes the session out of rotation; streams in flight continue until they end or the session closes. */
  stopAccepting(error: Error | undefined): void {
    if (this.phase !== READY) return
    this.phase = DRAINING
    if (error !== undefined) this.error ??= error
    // a draining session is closed as soon as its last stream ends: the server may keep its side open
    if (this.active === 0) this.destroy()
    this.origin.sessionUnusable(this)
  }

  connect(): void {
    const origin = this.origin
    const options = origin.pool.options
    if (Number.isFinite(options.connectTimeoutMs)) {
      this.connectTimer = setTimeout(
        () => this.connectFailed(new ConnectTimeoutError(`no connection within ${options.connectTimeoutMs}ms`)),
        options.connectTimeoutMs
      )
      this.connectTimer.unref()
    }
    if (origin.proxy !== undefined) {
      const onTunnel = (error: Error | undefined, socket: net.Socket | undefined) => {
        if (error !== undefined) return this.connectFailed(error)
        if (this.phase !== CONNECTING) return socket!.destroy()
        this.socket = socket
        if (origin.secure) this.startTls(socket!)
        else this.startSession(socket!)
      }
      // the tunnel is known (and destroyed with the session) from the start, before the proxy has answered
      this.tunnel = connectTunnel(origin.proxy, origin.host, origin.port, options.connectTimeoutMs, onTunnel)
      this.track(this.tunnel)
    } else if (origin.secure) {
      this.startTls(undefined)
    } else {
      const socket = net.connect({ host: origin.host, port: origin.port })
      this.socket = socket
      this.track(socket)
      socket.on("error", (error) => this.connectFailed(error))
      this.startSession(socket)
    }
  }

  startTls(raw: net.Socket | undefined): void {
    const origin = this.origin
    const options = origin.pool.options
    const tlsOptions: tls.ConnectionOptions = {
      host: origin.host,
      port: origin.port,
      ALPNProtocols: ["h2", "http/1.1"],
      rejectUnauthorized: options.rejectUnauthorized
    }
    if (net.isIP(origin.host) === 0) tlsOptions.servername = origin.host
    if (options.ca !== undefined) tlsOptions.ca = options.ca
    if (raw !== undefined) tlsOptions.socket = raw
    const socket = tls.connect(tlsOptions)
    this.socket = socket
    this.track(socket)
    // stays attached for the socket's whole life; after the handshake errors reach the session
    socket.on("error", (error) => this.connectFailed(error))
    socket.once("secureConnect", () => {
      if (this.phase !== CONNECTING) return
      if (socket.alpnProtocol === "h2") {
        this.startSession(socket)
      } else {
        origin.http1Detected(this)
      }
    })
  }

  startSession(socket: Duplex): void {
    const origin = this.origin
    const session = http2.connect(origin.url, {
      createConnection: () => socket,
      settings: { enablePush: false },
      peerMaxConcurrentStreams: this.limit
    })
    this.session = session
    session.on("remoteSettings", (settings) => this.onRemoteSettings(settings))
    session.on("goaway", (code: number, lastStreamID: number) => {
      this.goaway = { code, lastStreamID }
      this.stopAccepting(undefined)
    })
    session.on("error", (error) => {
      this.error ??= error
      if (this.phase === CONNECTING) this.connectFailed(error)
      else this.stopAccepting(error)
    })
    session.on("frameError", noop)
    session.on("close", () => this.onClose())
    this.track(session)
  }

  onRemoteSettings(settings: http2.Settings): void {
    const cap = this.origin.pool.options.maxConcurrentStreamsPerSession
    const remote = settings.maxConcurrentStreams
    this.limit = remote === undefined ? cap : Math.min(cap, remote)
    this.origin.streamsPerSession = this.limit
    if (this.phase === CONNECTING) {
      this.phase = READY
      this.wasReady = true
      if (this.connectTimer !== undefined) clearTimeout(this.connectTimer)
      this.connectTimer = undefined
      const address = (this.socket as net.Socket | undefined)?.remoteAddress
      this.remoteAddress = address === undefined ? Option.none() : Option.some(address)
      this.lastActivity = this.origin.pool.clock
      this.origin.pool.sessionsOpened++
      this.origin.sessionReady(this)
    } else if (this.phase === READY) {
      this.origin.drain(this)
    }
  }

  connectFailed(error: Error): void {
    if (this.phase !== CONNECTING) return
    this.phase = CLOSED
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer)
    this.connectTimer = undefined
    this.error ??= error
    this.destroy()
    this.origin.connectFailed(this, error)
  }

  onClose(): void {
    if (this.phase === CONNECTING) {
      this.connectFailed(this.error ?? new Error("the connection closed during the HTTP/2 handshake"))
      return
    }
    this.phase = CLOSED
    this.origin.sessionClosed(this)
  }

  /**
   * A request timed out on this session. A connection can die without an error or a close (a TCP reset unnoticed
   * under TLS, a middlebox dropping it): every request sent to it would then wait for its whole timeout. A PING is
   * sent; unanswered within `pingTimeout`, the session is destroyed (Pool.tick), its streams fail and later requests
   * go to a fresh session. Not when PINGs are disabled, nor when one is already awaited.
   */
  probe(): void {
    if (this.phase === READY && this.pingSentAt === 0 && this.origin.pool.pinging) this.sendPing(Date.now())
  }

  sendPing(now: number): void {
    const session = this.session!
    this.pingSentAt = now
    try {
      if (!session.ping((error) => this.onPingAck(error))) this.pingSentAt = 0
    } catch {
      this.pingSentAt = 0
    }
  }

  onPingAck(error: Error | null): void {
    this.pingSentAt = 0
    this.lastActivity = Date.now()
    if (error !== null && this.phase === READY) this.pingTimedOut()
  }

  pingTimedOut(): void {
    this.pingFailed = true
    this.stopAccepting(undefined)
    this.session?.destroy(new Error("the connection did not answer a PING in time"))
    this.destroy()
  }

  closeGracefully(): void {
    this.closedByPool = true
    if (this.phase === CONNECTING) {
      this.connectFailed(new Error("the client was closed"))
      return
    }
    const session = this.session
    if (session !== undefined && !session.closed) {
      try {
        session.close()
      } catch {
        session.destroy()
      }
    }
  }

  /**
   * Destroys the session and its socket. (After a GOAWAY, destroying the session alone leaves a half-open socket
   * behind whenever the server keeps its side open.)
   */
  destroy(): void {
    this.session?.destroy()
    this.socket?.destroy()
    this.tunnel?.destroy()
  }
}

/** A lower-case HTTP token (RFC 9110 §5.6.2): what an HTTP/2 header name may be. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/
/** Characters no header value may contain (RFC 9113 §8.2.1). */
const INVALID_VALUE = /[\r\n\0]/

const buildH2Headers = (ex: Exchange): http2.OutgoingHttpHeaders | Error => {
  const out: http2.OutgoingHttpHeaders = {
    ":method": ex.request.method,
    // node:http2 would derive it from the host without the brackets of an IPv6 address
    ":authority": ex.origin!.authority,
    ":path": ex.target.path
  }
  const headers = ex.request.headers
  for (const key in headers) {
    const value = headers[key]!
    if (!HEADER_NAME.test(key)) return new Error(`invalid header name ${JSON.stringify(key)}`)
    if (INVALID_VALUE.test(value)) return new Error(`invalid value for header ${key}`)
    if (CONNECTION_HEADERS[key] === undefined) {
      out[key] = value
    } else if (key === "host") {
      out[":authority"] = value
    }
  }
  if (ex.contentType !== undefined) out["content-type"] = ex.contentType
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// Origin: the sessions, queue and HTTP/1.1 agent of one scheme://host:port
// ---------------------------------------------------------------------------------------------------------------

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

class Origin {
  readonly secure: boolean
  readonly host: string
  readonly port: number
  readonly authority: string
  readonly proxy: URL | undefined
  readonly configError: TransportError | undefined
  protocol: number
  readonly sessions: Array<H2Session> = []
  readonly queue = new Fifo<Exchange>()
  queued = 0
  /** The stream limit the origin's sessions last reported: what a session being connected is expected to take. */
  streamsPerSession: number
  agent: http.Agent | undefined = undefined

  constructor(readonly pool: Pool, readonly url: string, target: URL) {
    this.secure = target.protocol === "https:"
    this.host = stripBrackets(target.hostname)
    this.port = target.port !== "" ? Number(target.port) : this.secure ? 443 : 80
    this.authority = target.host
    this.protocol = this.secure ? UNKNOWN : pool.options.h2c ? PROTO_H2 : PROTO_H1
    this.streamsPerSession = pool.options.maxConcurrentStreamsPerSession
    let proxy: URL | undefined
    let configError: TransportError | undefined
    try {
      proxy = resolveProxy(pool.options.proxy, target, pool.options.env)
    } catch (error) {
      configError = transportError(
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

  dispatch(ex: Exchange, front: boolean): void {
    ex.origin = this
    if (this.protocol === PROTO_H1) return this.sendHttp1(ex)
    if (front || this.queued === 0) {
      // (with requests waiting, a newcomer queues behind them)
      const sessions = this.sessions
      for (let i = 0; i < sessions.length; i++) {
        const s = sessions[i]!
        if (s.phase === READY && s.active < s.limit) return s.start(ex)
      }
    }
    ex.state = QUEUED
    this.queued++
    if (front) this.queue.unshift(ex)
    else this.queue.push(ex)
    this.grow()
  }

  private dequeue(): Exchange | undefined {
    for (;;) {
      const ex = this.queue.shift()
      if (ex === undefined) return undefined
      if (ex.state === QUEUED) {
        this.queued--
        ex.state = IDLE
        return ex
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
      const ex = this.dequeue()
      if (ex === undefined) break
      s.start(ex)
    }
  }

  sessionReady(s: H2Session): void {
    this.protocol = PROTO_H2
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
    const failure = connectFailure(this, error)
    for (let ex = this.dequeue(); ex !== undefined; ex = this.dequeue()) ex.fail(failure)
  }

  /** TLS negotiated HTTP/1.1 (or nothing): this origin is served over HTTP/1.1 from now on. */
  http1Detected(s: H2Session): void {
    s.phase = CLOSED
    s.closedByPool = true
    if (s.connectTimer !== undefined) clearTimeout(s.connectTimer)
    s.destroy()
    this.remove(s)
    this.protocol = PROTO_H1
    for (let ex = this.dequeue(); ex !== undefined; ex = this.dequeue()) this.sendHttp1(ex)
  }

  /** An HTTP/2 stream ended without a complete response. */
  streamFailed(ex: Exchange, stream: http2.ClientHttp2Stream): void {
    const s = ex.session!
    const pool = this.pool
    const rst = stream.rstCode
    const id = stream.id
    const notStarted = ex.status === 0 &&
      (rst === NGHTTP2_REFUSED_STREAM || id === undefined || (s.goaway !== undefined && id > s.goaway.lastStreamID))
    if (!pool.closed && ex.status === 0 && rst === NGHTTP2_HTTP_1_1_REQUIRED) {
      // the server asks for HTTP/1.1 before processing the request
      this.protocol = PROTO_H1
      ex.state = IDLE
      return this.sendHttp1(ex)
    }
    if (notStarted && ex.attempts < 2 && !pool.closed) {
      ex.attempts++
      pool.retried++
      ex.state = IDLE
      ex.session = undefined
      ex.stream = undefined
      ex.streamError = undefined
      ex.chunk = undefined
      ex.chunks = undefined
      // A GOAWAY is reported after the streams it refused: wait for it, so the retry avoids the closing session
      setImmediate(retryExchange, ex)
      return
    }
    ex.fail(this.h2Failure(ex, s, rst, notStarted))
  }

  private h2Failure(ex: Exchange, s: H2Session, rst: number, notStarted: boolean): TransportError {
    const error = ex.streamError ?? s.error
    const code = errorCode(error)
    const where = this.authority
    if (this.pool.closed) {
      return transportError("ClientClosed", `the client was closed before ${where} answered`, !notStarted, code, error)
    }
    if (notStarted) {
      const why = s.goaway !== undefined && s.goaway.code === 0 && rst !== NGHTTP2_REFUSED_STREAM
        ? `GOAWAY (last stream ${s.goaway.lastStreamID})`
        : "REFUSED_STREAM"
      return transportError(
        "Refused",
        `${where} refused the stream again after a retry (${why})`,
        false,
        "REFUSED_STREAM",
        error
      )
    }
    if (s.goaway !== undefined) {
      const name = h2ErrorName(s.goaway.code)
      return transportError(
        "GoAway",
        `GOAWAY (${name}, last stream ${s.goaway.lastStreamID}) from ${where} before the response was complete`,
        true,
        name,
        error
      )
    }
    if (s.pingFailed) {
      return transportError(
        "PingTimeout",
        `the connection to ${where} did not answer a PING`,
        true,
        "PING_TIMEOUT",
        error
      )
    }
    if (code === "ECONNRESET" || code === "EPIPE") {
      return transportError("ConnectionReset", `${code}: the connection to ${where} was reset`, true, code, error)
    }
    if (rst !== 0 && code === "ERR_HTTP2_STREAM_ERROR") {
      const name = h2ErrorName(rst)
      return transportError("StreamReset", `${where} reset the stream (${name})`, true, name, error)
    }
    const detail = error === undefined ? "" : `: ${code ?? error.message}`
    return transportError(
      "SessionClosed",
      `the connection to ${where} closed before the response was complete${detail}`,
      true,
      code,
      error
    )
  }

  // HTTP/1.1 ----------------------------------------------------------------------------------------------------

  private http1Agent(): http.Agent {
    if (this.agent !== undefined) return this.agent
    const options = this.pool.options
    const proxy = this.proxy
    const agentOptions: https.AgentOptions = { keepAlive: true, maxSockets: options.maxSocketsPerOrigin }
    let agent: http.Agent
    if (this.secure) {
      agentOptions.rejectUnauthorized = options.rejectUnauthorized
      if (options.ca !== undefined) agentOptions.ca = options.ca
      agent = proxy === undefined
        ? new https.Agent(agentOptions)
        : new TunnelHttpsAgent(agentOptions, proxy, options.connectTimeoutMs)
    } else {
      agent = proxy === undefined
        ? new http.Agent(agentOptions)
        : new TunnelHttpAgent(agentOptions, proxy, options.connectTimeoutMs)
    }
    return this.agent = agent
  }

  sendHttp1(ex: Exchange): void {
    const pool = this.pool
    ex.origin = this
    ex.state = H1
    const headers: http.OutgoingHttpHeaders = ex.contentType === undefined
      ? ex.request.headers
      : { ...ex.request.headers, "content-type": ex.contentType }
    let req: http.ClientRequest
    try {
      req = (this.secure ? https : http).request({
        host: this.host,
        port: this.port,
        path: ex.target.path,
        method: ex.request.method,
        headers,
        agent: this.http1Agent()
      })
    } catch (error) {
      return ex.failEncode(error)
    }
    pool.http1InFlight++
    ex.req = req
    ;(req as http.ClientRequest & Carrier)[kExchange] = ex
    req.on("response", onH1Response)
    req.on("error", onH1Error)
    req.on("close", onH1Close)
    if (ex.body === undefined) req.end()
    else req.end(ex.body)
  }

  http1Failure(error: Error | undefined): TransportError {
    const code = errorCode(error)
    const where = this.authority
    if (this.pool.closed) {
      return transportError("ClientClosed", `the client was closed before ${where} answered`, true, code, error)
    }
    if (error instanceof ProxyTunnelError || isTlsError(code) || isConnectError(error)) {
      return connectFailure(this, error)
    }
    if (code === "ECONNRESET" || code === "EPIPE") {
      return transportError("ConnectionReset", `${code}: the connection to ${where} was reset`, true, code, error)
    }
    const detail = error === undefined ? "" : `: ${code ?? error.message}`
    return transportError(
      "SessionClosed",
      `the connection to ${where} closed before the response was complete${detail}`,
      true,
      code,
      error
    )
  }

  close(): void {
    const failure = transportError(
      "ClientClosed",
      `the client was closed before a connection to ${this.authority}`,
      false,
      undefined
    )
    for (let ex = this.dequeue(); ex !== undefined; ex = this.dequeue()) ex.fail(failure)
    this.agent?.destroy()
    for (const s of this.sessions.slice()) s.closeGracefully()
  }
}

// HTTP/1.1 agents that reach the origin through a CONNECT tunnel

class TunnelHttpAgent extends http.Agent {
  constructor(options: http.AgentOptions, readonly proxy: URL, readonly connectTimeoutMs: number) {
    super(options)
  }

  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void
  ): Duplex | null | undefined {
    connectTunnel(
      this.proxy,
      stripBrackets(options.host ?? "localhost"),
      Number(options.port ?? 80),
      this.connectTimeoutMs,
      (error, socket) => {
        if (error !== undefined) return callback!(error, undefined as unknown as Duplex)
        socket!.resume()
        callback!(null, socket!)
      }
    )
    return undefined
  }
}

class TunnelHttpsAgent extends https.Agent {
  constructor(options: https.AgentOptions, readonly proxy: URL, readonly connectTimeoutMs: number) {
    super(options)
  }

  override createConnection(
    options: https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void
  ): Duplex | null | undefined {
    const host = stripBrackets(options.host ?? "localhost")
    connectTunnel(this.proxy, host, Number(options.port ?? 443), this.connectTimeoutMs, (error, socket) => {
      if (error !== undefined) return callback!(error, undefined as unknown as Duplex)
      const tlsOptions: tls.ConnectionOptions & { path?: unknown } = {
        ...(options as tls.ConnectionOptions),
        socket: socket!,
        host
      }
      delete tlsOptions.path
      if (net.isIP(host) === 0) tlsOptions.servername = host
      else delete tlsOptions.servername
      const secure = tls.connect(tlsOptions)
      secure.on("error", noop)
      callback!(null, secure)
    })
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Pool
// ---------------------------------------------------------------------------------------------------------------

/** @internal */
export class Pool {
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

  constructor(readonly options: ResolvedOptions) {
    this.pinging = Number.isFinite(options.pingIntervalMs)
    if (this.pinging) {
      const period = Math.max(5, Math.min(options.pingIntervalMs, options.pingTimeoutMs) / 4)
      this.ticker = setInterval(() => this.tick(), period)
      this.ticker.unref()
    }
  }

  execute(
    request: HttpClientRequest.HttpClientRequest,
    target: Target,
    body: Body,
    contentType: string | undefined,
    timeoutMs: number
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> {
    const ex = new Exchange(this, request, target, body, contentType, timeoutMs)
    return Effect.async((resume) => ex.register(resume))
  }

  submit(ex: Exchange): void {
    if (this.closed) {
      return ex.fail(transportError("ClientClosed", "the client is closed", false, undefined))
    }
    const target = ex.target
    const protocol = target.protocol
    if (protocol !== "https:" && protocol !== "http:") {
      return ex.finish(Effect.fail(
        new HttpClientError.RequestError({
          request: ex.request,
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
    if (origin.configError !== undefined) return ex.fail(origin.configError)
    if (Number.isFinite(ex.timeoutMs)) {
      ex.timer = setTimeout(onTimeout, ex.timeoutMs, ex)
      ex.timer.unref()
    }
    origin.dispatch(ex, false)
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
