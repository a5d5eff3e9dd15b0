/**
 * One HTTP/2 connection of an origin: connecting it (directly, or through a proxy's CONNECT tunnel; TLS with ALPN,
 * or h2c), the streams it carries within the server's advertised limit, the listeners shared by every stream, what
 * it records about its end (GOAWAY, error, failed PING) and closing it. What to do with a failed stream, a session
 * that stops taking streams or a queue to serve is the origin's ({@link Origin}).
 *
 * @internal
 */
import * as Option from "effect/Option"
import type { EventEmitter } from "node:events"
import * as http2 from "node:http2"
import * as net from "node:net"
import type { Duplex } from "node:stream"
import * as tls from "node:tls"
import { ConnectTimeoutError, errorCode, SESSION_GONE } from "./failure.js"
import type { Origin } from "./origin.js"
import { type Carrier, H2, IDLE, kRequest, type PooledRequest } from "./pooledRequest.js"
import { connectTunnel } from "./proxy.js"

const noop = () => {}

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

// Session phases
/** @internal */
export const CONNECTING = 0
/** @internal */
export const READY = 1
/** @internal */
export const DRAINING = 2
/** @internal */
export const CLOSED = 3

// HTTP/2 stream listeners, shared by every stream (`this` is the stream)

function onH2Response(this: http2.ClientHttp2Stream & Carrier, headers: http2.IncomingHttpHeaders): void {
  const req = this[kRequest]
  if (req.stream !== this || req.state !== H2) return
  req.status = Number(headers[":status"])
  req.headers = headers
}

function onH2Data(this: http2.ClientHttp2Stream & Carrier, chunk: Buffer): void {
  const req = this[kRequest]
  if (req.stream === this && req.state === H2) req.addChunk(chunk)
}

function onH2End(this: http2.ClientHttp2Stream & Carrier): void {
  const req = this[kRequest]
  if (req.stream !== this || req.state !== H2 || req.status === 0) return
  const session = req.session!
  req.succeed(session.remoteAddress)
  // Both sides have ended, so the stream no longer counts against the server's limit; 'close' comes a tick later
  if (this.writableFinished) releaseSlot(req, session)
}

function onH2Error(this: http2.ClientHttp2Stream & Carrier, error: Error): void {
  const req = this[kRequest]
  if (req.stream === this) req.streamError = error
}

function onH2Close(this: http2.ClientHttp2Stream & Carrier): void {
  const req = this[kRequest]
  if (req.stream !== this || !req.holdsSlot) return
  const session = req.session!
  if (req.state === H2) {
    req.holdsSlot = false
    session.release()
    session.origin.streamFailed(req, this)
    afterRelease(session)
  } else {
    releaseSlot(req, session)
  }
}

function releaseSlot(req: PooledRequest, session: H2Session): void {
  req.holdsSlot = false
  session.release()
  afterRelease(session)
}

function afterRelease(session: H2Session): void {
  if (session.phase === READY) session.origin.drain(session)
  else if (session.phase === DRAINING && session.active === 0) session.destroy()
}

/** @internal */
export class H2Session {
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

  start(req: PooledRequest): void {
    const session = this.session!
    req.state = H2
    req.session = this
    let headers = req.h2Headers
    if (headers === undefined) {
      const built = req.exchange ? exchangeHeaders(req) : buildH2Headers(req)
      // node:http2 destroys the whole session on an invalid header name: such a request never reaches it
      if (built instanceof Error) return req.failEncode(built)
      headers = req.h2Headers = built
    }
    let stream: http2.ClientHttp2Stream
    try {
      stream = session.request(headers, req.body === undefined ? END_STREAM : undefined)
    } catch (error) {
      req.session = undefined
      if (session.closed || session.destroyed) this.stopAccepting(error as Error)
      if (SESSION_GONE.has(errorCode(error) ?? "")) {
        // the session stopped accepting streams (GOAWAY, closing): nothing was sent
        req.state = IDLE
        this.origin.dispatch(req, true)
      } else {
        req.failEncode(error)
      }
      return
    }
    this.active++
    this.origin.pool.streamsInFlight++
    req.holdsSlot = true
    req.stream = stream
    ;(stream as http2.ClientHttp2Stream & Carrier)[kRequest] = req
    stream.on("response", onH2Response)
    stream.on("data", onH2Data)
    stream.on("end", onH2End)
    stream.on("error", onH2Error)
    stream.on("close", onH2Close)
    if (req.body !== undefined) stream.end(req.body)
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
    const secureContext = origin.pool.secureContext
    if (secureContext !== undefined) tlsOptions.secureContext = secureContext
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
   * sent; unanswered within `pingTimeout`, the session is destroyed (ConnectionPool.tick), its streams fail and later requests
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

/** The HTTP/2 headers last built from a direct exchange's headers object, with the authority and path they have. */
interface BuiltHeaders {
  readonly authority: string
  readonly path: string
  readonly headers: http2.OutgoingHttpHeaders | Error
}

const exchangeHeadersCache = new WeakMap<object, BuiltHeaders>()

/**
 * The HTTP/2 headers of a direct exchange. Its sender passes one headers object for many requests (the v1 sender's
 * changes with the access token), so they are built and checked once per headers object, origin and path; node:http2
 * copies the object it is given, so one object serves every stream.
 */
const exchangeHeaders = (req: PooledRequest): http2.OutgoingHttpHeaders | Error => {
  const authority = req.origin!.authority
  const path = req.target.path
  const cached = exchangeHeadersCache.get(req.requestHeaders)
  if (cached !== undefined && cached.authority === authority && cached.path === path) return cached.headers
  const headers = buildH2Headers(req)
  exchangeHeadersCache.set(req.requestHeaders, { authority, path, headers })
  return headers
}

const buildH2Headers = (req: PooledRequest): http2.OutgoingHttpHeaders | Error => {
  const out: http2.OutgoingHttpHeaders = {
    ":method": req.method,
    // node:http2 would derive it from the host without the brackets of an IPv6 address
    ":authority": req.origin!.authority,
    ":path": req.target.path
  }
  const headers = req.requestHeaders
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
  if (req.contentType !== undefined) out["content-type"] = req.contentType
  return out
}
