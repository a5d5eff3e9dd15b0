import * as http from "node:http"
import * as http2 from "node:http2"
import * as net from "node:net"
import * as tls from "node:tls"
import type * as M from "../Model.js"
import { selfSigned } from "./x509.js"

/** @internal */
export interface Options {
  readonly host: string
  readonly port: number
  readonly tls: boolean
  readonly maxConcurrentStreams: number
  readonly maxBodyBytes: number
}

/** @internal */
export interface Running {
  readonly port: number
  readonly certificatePem: string | undefined
  readonly close: () => Promise<void>
}

const noop = () => {}

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM } = http2.constants

const TOO_BIG: M.Response = {
  status: 413,
  headers: { "content-type": "text/plain; charset=UTF-8" },
  body: "Request Entity Too Large\n",
  latency: 0,
  fault: undefined
}

// ---------------------------------------------------------------------------
// HTTP/2 (stream API)
// ---------------------------------------------------------------------------

const h2HeaderCache = new WeakMap<object, Map<number, http2.OutgoingHttpHeaders>>()

const h2Headers = (r: M.Response): http2.OutgoingHttpHeaders => {
  let byStatus = h2HeaderCache.get(r.headers)
  if (byStatus === undefined) {
    byStatus = new Map()
    h2HeaderCache.set(r.headers, byStatus)
  }
  let h = byStatus.get(r.status)
  if (h === undefined) {
    h = { ...r.headers, ":status": r.status }
    byStatus.set(r.status, h)
  }
  return h
}

const respondH2 = (stream: http2.ServerHttp2Stream, r: M.Response): void => {
  try {
    if (r.body === "") {
      stream.respond(h2Headers(r), { endStream: true })
    } else {
      stream.respond(h2Headers(r))
      stream.end(r.body)
    }
  } catch {
    // the client went away
  }
}

const answerH2 = (stream: http2.ServerHttp2Stream, r: M.Response): void => {
  if (stream.destroyed || stream.closed) return
  const fault = r.fault
  if (fault === undefined) return respondH2(stream, r)
  switch (fault._tag) {
    case "Hang":
      return
    case "Reset":
      stream.close(NGHTTP2_CANCEL)
      return
    case "GoAway": {
      // A graceful close: GOAWAY (NO_ERROR) naming the last stream received, so every stream already open on the
      // session is still answered and only those the client opens afterwards are refused. Without `respond`, this
      // stream is refused (REFUSED_STREAM: not processed) after the GOAWAY. (A GOAWAY naming a last stream id below
      // streams still open, followed by REFUSED_STREAM, aborts Node 20's HTTP/2 server: a heap corruption.)
      const session = stream.session
      if (fault.respond) {
        respondH2(stream, r)
        session?.close()
      } else {
        session?.close()
        stream.close(NGHTTP2_REFUSED_STREAM)
      }
      return
    }
  }
}

// ---------------------------------------------------------------------------
// HTTP/1.1
// ---------------------------------------------------------------------------

const respondH1 = (res: http.ServerResponse, r: M.Response, close: boolean): void => {
  const headers: Record<string, string | number> = { ...r.headers, "content-length": Buffer.byteLength(r.body) }
  if (close) headers.connection = "close"
  res.writeHead(r.status, headers)
  res.end(r.body)
}

const answerH1 = (req: http.IncomingMessage, res: http.ServerResponse, r: M.Response): void => {
  const socket = req.socket
  if (res.destroyed || socket.destroyed) return
  const fault = r.fault
  if (fault === undefined) return respondH1(res, r, false)
  switch (fault._tag) {
    case "Hang":
      return
    case "Reset":
      try {
        socket.resetAndDestroy()
      } catch {
        socket.destroy()
      }
      return
    case "GoAway":
      if (fault.respond) respondH1(res, r, true)
      else socket.destroy()
      return
  }
}

/** Starts the server (HTTP/2 and HTTP/1.1 on one port) answering with a model. @internal */
export const start = (model: M.Model, options: Options): Promise<Running> => {
  const sockets = new Set<net.Socket>()
  const timers = new Set<ReturnType<typeof setTimeout>>()

  const later = (ms: number, f: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t)
      f()
    }, ms)
    timers.add(t)
  }

  /** Reads a request's body, then calls `done` with it, or with `undefined` when it is over `maxBodyBytes`. */
  const readBody = (request: NodeJS.ReadableStream, done: (body: string | Buffer | undefined) => void): void => {
    const chunks: Array<Buffer> = []
    let size = 0
    request.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size <= options.maxBodyBytes) chunks.push(chunk)
    })
    request.on("end", () =>
      done(
        size > options.maxBodyBytes
          ? undefined
          : chunks.length === 0
          ? ""
          : chunks.length === 1
          ? chunks[0]!
          : Buffer.concat(chunks)
      ))
  }

  const onStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void => {
    stream.on("error", noop)
    readBody(stream, (body) => {
      if (body === undefined) return answerH2(stream, TOO_BIG)
      const r = model.handle({
        method: headers[":method"] ?? "GET",
        path: headers[":path"] ?? "/",
        headers,
        body,
        now: Date.now(),
        httpVersion: "2"
      })
      if (r.latency > 0) later(r.latency, () => answerH2(stream, r))
      else answerH2(stream, r)
    })
  }

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    req.on("error", noop)
    res.on("error", noop)
    readBody(req, (body) => {
      if (body === undefined) return respondH1(res, TOO_BIG, true)
      const r = model.handle({
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: req.headers,
        body,
        now: Date.now(),
        httpVersion: req.httpVersion
      })
      if (r.latency > 0) later(r.latency, () => answerH1(req, res, r))
      else answerH1(req, res, r)
    })
  }

  const h2 = http2.createServer({ settings: { maxConcurrentStreams: options.maxConcurrentStreams } })
  h2.on("stream", onStream)
  h2.on("session", (session) => session.on("error", noop))
  const h1 = http.createServer({ requestTimeout: 0, keepAliveTimeout: 65_000 }, onRequest)
  h1.on("clientError", (_err, socket) => socket.destroy())

  const track = (socket: net.Socket) => {
    sockets.add(socket)
    socket.on("error", noop)
    socket.once("close", () => sockets.delete(socket))
  }

  let listener: net.Server
  let certificatePem: string | undefined
  if (options.tls) {
    const cert = selfSigned({ commonName: "localhost", dnsNames: ["localhost"], ips: ["127.0.0.1", "::1"] })
    certificatePem = cert.certPem
    const server = tls.createServer({ key: cert.keyPem, cert: cert.certPem, ALPNProtocols: ["h2", "http/1.1"] })
    server.on("connection", track)
    server.on("tlsClientError", noop)
    server.on("secureConnection", (socket: tls.TLSSocket) => {
      socket.on("error", noop)
      if (socket.alpnProtocol === "h2") h2.emit("connection", socket)
      else h1.emit("connection", socket)
    })
    listener = server
  } else {
    listener = net.createServer((socket) => {
      track(socket)
      socket.once("data", (chunk: Buffer) => {
        socket.pause()
        socket.unshift(chunk)
        if (chunk.length >= 3 && chunk[0] === 0x50 && chunk[1] === 0x52 && chunk[2] === 0x49) {
          h2.emit("connection", socket)
        } else {
          h1.emit("connection", socket)
          socket.resume()
        }
      })
    })
  }

  return new Promise<Running>((resolve, reject) => {
    listener.once("error", reject)
    listener.listen(options.port, options.host, () => {
      listener.off("error", reject)
      const address = listener.address() as net.AddressInfo
      resolve({
        port: address.port,
        certificatePem,
        close: () =>
          new Promise<void>((done) => {
            for (const t of timers) clearTimeout(t)
            timers.clear()
            listener.close(() => done())
            for (const s of sockets) s.destroy()
          })
      })
    })
  })
}
