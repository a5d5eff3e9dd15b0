/**
 * Loopback servers for the pooled client's tests: HTTP/2 (TLS and h2c), HTTP/1.1 over TLS, an HTTP CONNECT proxy,
 * and a TCP relay that can silently stop forwarding (a dropped connection that never closes).
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import * as http2 from "node:http2"
import * as https from "node:https"
import * as net from "node:net"
import { generate } from "selfsigned"

export interface Certificate {
  readonly key: string
  readonly cert: string
}

let certificate: Promise<Certificate> | undefined

/** A throwaway self-signed certificate for localhost and 127.0.0.1 (made once per test file). */
export const testCertificate: Effect.Effect<Certificate> = Effect.promise(() =>
  certificate ??= generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] }
    ]
  }).then((pems) => ({ key: pems.private, cert: pems.cert }))
)

export interface H2Server {
  readonly port: number
  readonly origin: string
  readonly server: http2.Http2Server | http2.Http2SecureServer
  /** sessions accepted, and how many of them have closed */
  sessionsOpened: number
  sessionsClosed: number
  /** streams accepted in total */
  streams: number
  /** the most streams one session had open at once */
  maxConcurrentPerSession: number
  readonly sessions: Set<http2.ServerHttp2Session>
  readonly rawSockets: Set<net.Socket>
  /** TLS or TCP connections accepted */
  connections: number
}

export type H2Handler = (
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  server: H2Server
) => void

const closeServer = (server: net.Server, sockets: Set<net.Socket>) =>
  Effect.async<void>((resume) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resume(Effect.void))
  })

const listen = (server: net.Server) =>
  Effect.async<number>((resume) => {
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as net.AddressInfo).port)))
  })

/** An HTTP/2 server on 127.0.0.1 (TLS with the test certificate, or h2c), closed with the scope. */
export const h2Server = (options: {
  readonly secure: boolean
  readonly settings?: http2.Settings
  readonly handler: H2Handler
}): Effect.Effect<H2Server, never, Scope.Scope> =>
  Effect.gen(function*() {
    const server = options.secure
      ? http2.createSecureServer({ ...(yield* testCertificate), settings: options.settings ?? {} })
      : http2.createServer({ settings: options.settings ?? {} })
    const handle: H2Server = {
      port: 0,
      origin: "",
      server,
      sessionsOpened: 0,
      sessionsClosed: 0,
      streams: 0,
      maxConcurrentPerSession: 0,
      sessions: new Set(),
      rawSockets: new Set(),
      connections: 0
    }
    const open = new Map<http2.ServerHttp2Session, number>()
    server.on("connection", (socket: net.Socket) => {
      handle.connections++
      handle.rawSockets.add(socket)
      socket.on("close", () => handle.rawSockets.delete(socket))
      socket.on("error", () => {})
    })
    server.on("session", (session) => {
      handle.sessionsOpened++
      handle.sessions.add(session)
      open.set(session, 0)
      session.on("error", () => {})
      session.on("close", () => {
        handle.sessionsClosed++
        handle.sessions.delete(session)
        open.delete(session)
      })
    })
    server.on("stream", (stream, headers) => {
      handle.streams++
      const session = stream.session as http2.ServerHttp2Session
      const count = (open.get(session) ?? 0) + 1
      open.set(session, count)
      handle.maxConcurrentPerSession = Math.max(handle.maxConcurrentPerSession, count)
      stream.on("error", () => {})
      stream.on("close", () => {
        const n = open.get(session)
        if (n !== undefined) open.set(session, n - 1)
      })
      options.handler(stream, headers, handle)
    })
    const port = yield* listen(server)
    Object.assign(handle, { port, origin: `${options.secure ? "https" : "http"}://127.0.0.1:${port}` })
    yield* Effect.addFinalizer(() => closeServer(server, handle.rawSockets))
    return handle
  })

/** Reads a request body completely. */
export const readBody = (stream: NodeJS.ReadableStream): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    stream.on("data", (chunk: Buffer) => chunks.push(chunk))
    stream.on("end", () => resolve(Buffer.concat(chunks)))
    stream.on("error", reject)
  })

/** Answers with a JSON echo of the request: method, path, headers and body. */
export const echoHandler: H2Handler = (stream, headers) => {
  readBody(stream).then((body) => {
    if (stream.destroyed) return
    stream.respond({ ":status": 200, "content-type": "application/json", "x-echo": "yes" })
    stream.end(JSON.stringify({
      method: headers[":method"],
      path: headers[":path"],
      contentType: headers["content-type"] ?? null,
      body: body.toString("utf8")
    }))
  }, () => {})
}

export interface Http1Server {
  readonly port: number
  readonly origin: string
  connections: number
  requests: number
  readonly versions: Array<string>
}

/** An HTTP/1.1-only server (TLS, or plain), answering with a JSON echo. */
export const http1Server = (secure: boolean): Effect.Effect<Http1Server, never, Scope.Scope> =>
  Effect.gen(function*() {
    const handle: Http1Server = { port: 0, origin: "", connections: 0, requests: 0, versions: [] }
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
      handle.requests++
      handle.versions.push(req.httpVersion)
      readBody(req).then((body) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ method: req.method, path: req.url, body: body.toString("utf8") }))
      }, () => {})
    }
    const server = secure ? https.createServer({ ...(yield* testCertificate) }, listener) : http.createServer(listener)
    const sockets = new Set<net.Socket>()
    server.on("connection", (socket: net.Socket) => {
      handle.connections++
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
    })
    const port = yield* listen(server)
    Object.assign(handle, { port, origin: `${secure ? "https" : "http"}://127.0.0.1:${port}` })
    yield* Effect.addFinalizer(() => closeServer(server, sockets))
    return handle
  })

export interface ConnectProxy {
  readonly port: number
  readonly url: string
  /** the `host:port` of every CONNECT seen */
  readonly connects: Array<string>
}

/** A forwarding HTTP CONNECT proxy; with `refuse`, it answers every CONNECT with 407. */
export const connectProxy = (options: { readonly refuse?: boolean } = {}): Effect.Effect<
  ConnectProxy,
  never,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const handle: ConnectProxy = { port: 0, url: "", connects: [] }
    const server = http.createServer((_req, res) => {
      res.writeHead(405)
      res.end()
    })
    const sockets = new Set<net.Socket>()
    server.on("connection", (socket: net.Socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
    })
    server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      handle.connects.push(req.url ?? "")
      client.on("error", () => {})
      if (options.refuse) {
        client.end("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
        return
      }
      const [host, port] = (req.url ?? "").split(":")
      const upstream = net.connect({ host: host!, port: Number(port) }, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n")
        if (head.length > 0) upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      sockets.add(upstream)
      upstream.on("close", () => {
        sockets.delete(upstream)
        client.destroy()
      })
      client.on("close", () => upstream.destroy())
      upstream.on("error", () => client.destroy())
    })
    const port = yield* listen(server)
    Object.assign(handle, { port, url: `http://127.0.0.1:${port}` })
    yield* Effect.addFinalizer(() => closeServer(server, sockets))
    return handle
  })

export interface Relay {
  readonly port: number
  /** stop forwarding bytes on the connections open now, without closing them */
  freeze(): void
}

/** A TCP relay to a local port, whose open connections can be frozen (bytes silently dropped). */
export const relay = (targetPort: number): Effect.Effect<Relay, never, Scope.Scope> =>
  Effect.gen(function*() {
    const sockets = new Set<net.Socket>()
    const frozen = new Set<net.Socket>()
    const track = (socket: net.Socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      socket.on("error", () => {})
    }
    const server = net.createServer((client) => {
      track(client)
      const upstream = net.connect({ host: "127.0.0.1", port: targetPort })
      track(upstream)
      client.on("data", (chunk) => {
        if (!frozen.has(client)) upstream.write(chunk)
      })
      upstream.on("data", (chunk) => {
        if (!frozen.has(client)) client.write(chunk)
      })
      client.on("close", () => upstream.destroy())
      upstream.on("close", () => client.destroy())
    })
    const port = yield* listen(server)
    yield* Effect.addFinalizer(() => closeServer(server, sockets))
    return {
      port,
      freeze: () => {
        for (const socket of sockets) frozen.add(socket)
      }
    }
  })

/** Polls a condition every 10 ms until it holds, failing the test after `timeoutMs`. */
export const eventually = (condition: () => boolean, timeoutMs = 3_000): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const started = Date.now()
    const check = () => {
      if (condition()) return resume(Effect.void)
      if (Date.now() - started > timeoutMs) return resume(Effect.die(new Error("condition not met in time")))
      setTimeout(check, 10)
    }
    check()
  })
