import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as nodeHttp from "node:http"
import * as http2 from "node:http2"
import * as net from "node:net"
import { Http2Client, WireError } from "../src/index.js"
import {
  connectProxy,
  echoHandler,
  eventually,
  h2Server,
  http1Server,
  readBody,
  relay,
  testCertificate
} from "./utils/servers.js"

let uncaughtExceptions = 0
let unhandledRejections = 0
const onUncaught = () => {
  uncaughtExceptions++
}
const onUnhandled = () => {
  unhandledRejections++
}
beforeAll(() => {
  process.on("uncaughtException", onUncaught)
  process.on("unhandledRejection", onUnhandled)
})
afterAll(() => {
  process.off("uncaughtException", onUncaught)
  process.off("unhandledRejection", onUnhandled)
})

const { NGHTTP2_CANCEL, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_REFUSED_STREAM } = http2.constants

/** Runs a request that must fail, and returns its transport error after checking the error's shape. */
const transportFailure = <A>(effect: Effect.Effect<A, HttpClientError.HttpClientError>) =>
  Effect.gen(function*() {
    const error = yield* Effect.flip(effect)
    assert.strictEqual(error._tag, "RequestError")
    if (error._tag !== "RequestError") throw new Error("unreachable")
    assert.strictEqual(error.reason, "Transport")
    assert.isTrue(WireError.isWireError(error.cause), `cause: ${String(error.cause)}`)
    const cause = error.cause as WireError.WireError
    assert.strictEqual(error.description, cause.message)
    return cause
  })

const postJson = (client: HttpClient.HttpClient, url: string, body: unknown) =>
  HttpClientRequest.post(url).pipe(HttpClientRequest.bodyUnsafeJson(body), client.execute)

/** The process's open sockets to a local port (the client's ends of its connections), as `local → remote` ports. */
const clientSockets = (port: number): Array<string> =>
  (process as unknown as { _getActiveHandles: () => Array<unknown> })._getActiveHandles().flatMap((handle) => {
    const socket = handle as { remotePort?: unknown; localPort?: unknown }
    return typeof handle === "object" && handle !== null && socket.remotePort === port
      ? [`${String(socket.localPort)} → ${port}`]
      : []
  })

const respondJson = (stream: http2.ServerHttp2Stream, body: unknown) => {
  if (stream.destroyed || stream.closed) return
  stream.respond({ ":status": 200, "content-type": "application/json" })
  stream.end(JSON.stringify(body))
}

describe("Http2Client", () => {
  describe("HTTP/2", () => {
    it.scopedLive("POST JSON round trip over TLS, every body accessor works", () =>
      Effect.gen(function*() {
        const { cert } = yield* testCertificate
        const server = yield* h2Server({ secure: true, handler: echoHandler })
        const { client, stats } = yield* Http2Client.makePool({ ca: cert, proxy: "none" })

        const response = yield* postJson(client, `${server.origin}/v1/projects/p/messages:send?dry=1`, {
          hello: "wörld"
        })
        assert.strictEqual(response.status, 200)
        assert.strictEqual(response.headers["x-echo"], "yes")
        assert.strictEqual(response.headers["content-type"], "application/json")
        assert.isUndefined(response.headers[":status"])
        const expected = {
          method: "POST",
          path: "/v1/projects/p/messages:send?dry=1",
          contentType: "application/json",
          body: JSON.stringify({ hello: "wörld" })
        }
        assert.deepStrictEqual(yield* response.json, expected)
        const text = yield* response.text
        assert.deepStrictEqual(JSON.parse(text), expected)
        assert.strictEqual(new TextDecoder().decode(yield* response.arrayBuffer), text)
        const streamed = yield* Stream.runCollect(response.stream)
        assert.strictEqual(Buffer.concat(Chunk.toReadonlyArray(streamed)).toString("utf8"), text)

        for (let i = 0; i < 4; i++) yield* postJson(client, `${server.origin}/again`, { i })
        const s = yield* stats
        assert.strictEqual(server.sessionsOpened, 1, "one session is reused for sequential requests")
        assert.strictEqual(s.sessionsOpened, 1)
        assert.strictEqual(s.sessionsOpen, 1)
        assert.strictEqual(s.queued, 0)
        yield* eventually(() => Effect.runSync(stats).streamsInFlight === 0)
      }))

    it.scopedLive("h2c (HTTP/2 without TLS) when asked, with every body kind", () =>
      Effect.gen(function*() {
        const server = yield* h2Server({ secure: false, handler: echoHandler })
        const client = yield* Http2Client.make({ h2c: true, proxy: "none" })

        const get = yield* client.get(`${server.origin}/get`).pipe(Effect.flatMap((r) => r.json))
        assert.deepStrictEqual(get, { method: "GET", path: "/get", contentType: null, body: "" })

        const text = yield* HttpClientRequest.post(`${server.origin}/text`).pipe(
          HttpClientRequest.bodyText("plain text", "text/plain"),
          client.execute,
          Effect.flatMap((r) => r.json)
        )
        assert.deepStrictEqual(text, { method: "POST", path: "/text", contentType: "text/plain", body: "plain text" })

        const streamed = yield* HttpClientRequest.post(`${server.origin}/stream`).pipe(
          HttpClientRequest.bodyStream(
            Stream.make(new TextEncoder().encode("ab"), new TextEncoder().encode("cd")),
            { contentType: "application/octet-stream" }
          ),
          client.execute,
          Effect.flatMap((r) => r.json)
        )
        assert.strictEqual((streamed as { body: string }).body, "abcd")

        const form = new FormData()
        form.append("field", "value")
        const formEcho = (yield* HttpClientRequest.post(`${server.origin}/form`).pipe(
          HttpClientRequest.bodyFormData(form),
          client.execute,
          Effect.flatMap((r) => r.json)
        )) as { contentType: string; body: string }
        assert.match(formEcho.contentType, /^multipart\/form-data; boundary=/)
        assert.include(formEcho.body, "value")

        const unsupported = yield* HttpClientRequest.post(`${server.origin}/raw`).pipe(
          HttpClientRequest.setBody(HttpBody.raw({ not: "bytes" })),
          client.execute,
          Effect.flip
        )
        assert.strictEqual(unsupported._tag, "RequestError")
        assert.strictEqual(unsupported.reason, "Encode")

        // a header that node:http2 would answer by destroying the session fails that request alone
        const badHeader = yield* client.get(`${server.origin}/bad`, {
          headers: { "x bad": "a space in a header name" }
        }).pipe(
          Effect.flip
        )
        assert.strictEqual(badHeader._tag, "RequestError")
        assert.strictEqual(badHeader.reason, "Encode")
        const injected = yield* client.get(`${server.origin}/bad`, { headers: { "x-injected": "a\r\nb: c" } }).pipe(
          Effect.flip
        )
        assert.strictEqual(injected._tag === "RequestError" && injected.reason, "Encode")
        const after = yield* client.get(`${server.origin}/after`)
        assert.strictEqual(after.status, 200)
        assert.strictEqual(server.sessionsOpened, 1)
      }))

    it.scopedLive("opens more sessions beyond the advertised stream limit, never exceeding it", () =>
      Effect.gen(function*() {
        const server = yield* h2Server({
          secure: false,
          settings: { maxConcurrentStreams: 10 },
          handler: (stream) => {
            readBody(stream).then(() => setTimeout(() => respondJson(stream, { ok: true }), 30), () => {})
          }
        })
        const { client, stats } = yield* Http2Client.makePool({ h2c: true, proxy: "none", maxSessionsPerOrigin: 8 })
        let maxInFlight = 0
        const responses = yield* Effect.forEach(
          Array.from({ length: 60 }, (_, i) => i),
          (i) =>
            postJson(client, `${server.origin}/send`, { i }).pipe(
              Effect.tap(() =>
                stats.pipe(Effect.map((s) => {
                  maxInFlight = Math.max(maxInFlight, s.streamsInFlight)
                  assert.isAtMost(s.streamsInFlight, 10 * s.sessionsOpen)
                }))
              )
            ),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(responses.length, 60)
        assert.isTrue(responses.every((r) => r.status === 200))
        assert.strictEqual(server.maxConcurrentPerSession, 10, "sessions are filled up to the server's limit")
        assert.isAtLeast(server.sessionsOpened, 5)
        assert.isAtMost(server.sessionsOpened, 8)
        const s = yield* stats
        assert.strictEqual(s.sessionsOpened, server.sessionsOpened)
        yield* eventually(() => Effect.runSync(stats).streamsInFlight === 0)
        assert.isAtLeast(maxInFlight, 10)
      }))

    it.scopedLive("queues requests first-in first-out when every session is full", () =>
      Effect.gen(function*() {
        const order: Array<number> = []
        const server = yield* h2Server({
          secure: false,
          settings: { maxConcurrentStreams: 5 },
          handler: (stream) => {
            readBody(stream).then((body) => {
              order.push(JSON.parse(body.toString()).i)
              setTimeout(() => respondJson(stream, { ok: true }), 5)
            }, () => {})
          }
        })
        const { client, stats } = yield* Http2Client.makePool({ h2c: true, proxy: "none", maxSessionsPerOrigin: 2 })
        const fiber = yield* Effect.fork(Effect.forEach(
          Array.from({ length: 40 }, (_, i) => i),
          (i) => postJson(client, `${server.origin}/send`, { i }),
          { concurrency: "unbounded" }
        ))
        yield* eventually(() => order.length >= 10)
        const midway = yield* stats
        assert.isAbove(midway.queued, 0, "requests wait in the queue")
        const responses = yield* Fiber.join(fiber)
        assert.isTrue(responses.every((r) => r.status === 200))
        assert.strictEqual(server.sessionsOpened, 2)
        assert.isAtMost(server.maxConcurrentPerSession, 5)
        // the first five fill the first session in submission order (later ones spread over two connections)
        assert.deepStrictEqual(order.slice(0, 5), [0, 1, 2, 3, 4], `served: ${order.join(",")}`)
        assert.strictEqual((yield* stats).queued, 0)
      }))

    it.scopedLive("serves the queue in submission order with one stream", () =>
      Effect.gen(function*() {
        const order: Array<number> = []
        const server = yield* h2Server({
          secure: false,
          settings: { maxConcurrentStreams: 1 },
          handler: (stream) => {
            readBody(stream).then((body) => {
              order.push(JSON.parse(body.toString()).i)
              respondJson(stream, { ok: true })
            }, () => {})
          }
        })
        const client = yield* Http2Client.make({ h2c: true, proxy: "none", maxSessionsPerOrigin: 1 })
        yield* Effect.forEach(
          Array.from({ length: 12 }, (_, i) => i),
          (i) => postJson(client, `${server.origin}/send`, { i }),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(order, Array.from({ length: 12 }, (_, i) => i))
        assert.strictEqual(server.sessionsOpened, 1)
      }))
  })

  it.scopedLive("sends :authority with the port, and IPv6 addresses in brackets", () =>
    Effect.gen(function*() {
      const authorities: Array<string> = []
      const handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
        authorities.push(headers[":authority"] ?? "")
        respondJson(stream, {})
      }
      const v4 = yield* h2Server({ secure: false, handler })
      const client = yield* Http2Client.make({ h2c: true, proxy: "none" })
      yield* client.get(`${v4.origin}/v4`)
      assert.deepStrictEqual(authorities, [`127.0.0.1:${v4.port}`])

      const v6 = http2.createServer()
      const v6Sessions = new Set<http2.ServerHttp2Session>()
      v6.on("session", (session) => v6Sessions.add(session))
      v6.on("stream", handler)
      const port = yield* Effect.async<number | undefined>((resume) => {
        v6.once("error", () => resume(Effect.succeed(undefined)))
        v6.listen(0, "::1", () => resume(Effect.succeed((v6.address() as net.AddressInfo).port)))
      })
      if (port === undefined) return // no IPv6 loopback on this machine
      yield* Effect.addFinalizer(() =>
        Effect.async<void>((resume) => {
          for (const session of v6Sessions) session.destroy()
          v6.close(() => resume(Effect.void))
        })
      )
      yield* client.get(`http://[::1]:${port}/v6`)
      assert.deepStrictEqual(authorities, [`127.0.0.1:${v4.port}`, `[::1]:${port}`])
    }))

  describe("failures", () => {
    it.scopedLive("GOAWAY: streams above the last stream id are retried on a new session", () =>
      Effect.gen(function*() {
        let first: http2.Http2Session | undefined
        const held: Array<http2.ServerHttp2Stream> = []
        const server = yield* h2Server({
          secure: false,
          handler: (stream, headers, srv) => {
            const session = first ??= stream.session!
            if (stream.session !== session) return echoHandler(stream, headers, srv)
            held.push(stream)
            if (held.length < 4) return
            const ids = held.map((s) => s.id!).sort((a, b) => a - b)
            session.goaway(0, ids[1]!)
            for (const s of held) if (s.id! <= ids[1]!) respondJson(s, { session: 1 })
          }
        })
        const { client, stats } = yield* Http2Client.makePool({ h2c: true, proxy: "none" })
        const bodies = yield* Effect.forEach(
          [0, 1, 2, 3],
          (i) => postJson(client, `${server.origin}/send`, { i }).pipe(Effect.flatMap((r) => r.json)),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(bodies.filter((b) => (b as { session?: number }).session === 1).length, 2)
        assert.strictEqual(bodies.filter((b) => (b as { method?: string }).method === "POST").length, 2)
        assert.strictEqual(server.sessionsOpened, 2)
        const s = yield* stats
        assert.strictEqual(s.retried, 2)
        // the drained session is closed by the client (a Node server that sent GOAWAY keeps its side open)
        yield* eventually(() => Effect.runSync(stats).sessionsReplaced === 1)
        assert.strictEqual((yield* stats).sessionsOpen, 1)
        yield* postJson(client, `${server.origin}/after`, {})
        assert.strictEqual(server.sessionsOpened, 2, "the next request goes to the new session")
      }))

    it.scopedLive("GOAWAY with an error fails in-flight requests as maybe processed; the next request works", () =>
      Effect.gen(function*() {
        let first: http2.Http2Session | undefined
        let held = 0
        const server = yield* h2Server({
          secure: true,
          handler: (stream, headers, srv) => {
            const session = first ??= stream.session!
            if (stream.session !== session) return echoHandler(stream, headers, srv)
            if (++held === 3) session.goaway(NGHTTP2_ENHANCE_YOUR_CALM, stream.id!)
          }
        })
        const { cert } = yield* testCertificate
        const { client, stats } = yield* Http2Client.makePool({ ca: cert, proxy: "none" })
        const failures = yield* Effect.forEach(
          [0, 1, 2],
          (i) => transportFailure(postJson(client, `${server.origin}/send`, { i })),
          { concurrency: "unbounded" }
        )
        for (const failure of failures) {
          assert.strictEqual(failure.kind, "GoAway")
          assert.isTrue(failure.mayHaveBeenProcessed)
          assert.include(failure.message, "GOAWAY (ENHANCE_YOUR_CALM")
          assert.include(failure.message, "may have been processed")
        }
        const ok = yield* postJson(client, `${server.origin}/next`, {})
        assert.strictEqual(ok.status, 200)
        assert.strictEqual(server.sessionsOpened, 2)
        const s = yield* stats
        assert.strictEqual(s.sessionsReplaced, 1)
        assert.strictEqual(s.retried, 0)
      }))

    it.scopedLive("REFUSED_STREAM is retried once; refused twice fails as not processed", () =>
      Effect.gen(function*() {
        const seen = new Map<string, number>()
        const server = yield* h2Server({
          secure: false,
          handler: (stream, headers, srv) => {
            const path = headers[":path"]!
            const n = (seen.get(path) ?? 0) + 1
            seen.set(path, n)
            if (path === "/always" || (path === "/once" && n === 1)) {
              stream.close(NGHTTP2_REFUSED_STREAM)
              return
            }
            echoHandler(stream, headers, srv)
          }
        })
        const { client, stats } = yield* Http2Client.makePool({ h2c: true, proxy: "none" })
        const once = yield* postJson(client, `${server.origin}/once`, {})
        assert.strictEqual(once.status, 200)
        assert.strictEqual(seen.get("/once"), 2)

        const failure = yield* transportFailure(postJson(client, `${server.origin}/always`, {}))
        assert.strictEqual(failure.kind, "Refused")
        assert.isFalse(failure.mayHaveBeenProcessed)
        assert.include(failure.message, "was not processed")
        assert.strictEqual(seen.get("/always"), 2)
        assert.strictEqual((yield* stats).retried, 2)
      }))

    it.scopedLive("a reset connection (ECONNRESET) fails the request, never the process", () =>
      Effect.gen(function*() {
        const server = yield* h2Server({
          secure: false,
          handler: (stream, headers, srv) => {
            if (headers[":path"] === "/reset") {
              for (const socket of srv.rawSockets) socket.resetAndDestroy()
              return
            }
            echoHandler(stream, headers, srv)
          }
        })
        const { client, stats } = yield* Http2Client.makePool({ h2c: true, proxy: "none" })
        yield* postJson(client, `${server.origin}/warm`, {})
        const failures = yield* Effect.forEach(
          [0, 1, 2],
          () => transportFailure(postJson(client, `${server.origin}/reset`, {})),
          { concurrency: "unbounded" }
        )
        for (const failure of failures) {
          assert.strictEqual(failure.kind, "ConnectionReset")
          assert.strictEqual(failure.code, "ECONNRESET")
          assert.isTrue(failure.mayHaveBeenProcessed)
          assert.include(failure.message, "ECONNRESET")
        }
        const ok = yield* postJson(client, `${server.origin}/after`, {})
        assert.strictEqual(ok.status, 200)
        yield* Effect.sleep("50 millis")
        assert.strictEqual(uncaughtExceptions, 0)
        assert.strictEqual(unhandledRejections, 0)
        const s = yield* stats
        assert.strictEqual(s.sessionsReplaced, 1)
        assert.strictEqual(s.sessionsOpen, 1)
      }))

    it.scopedLive("timeout: the request fails with a timeout and the stream is cancelled", () =>
      Effect.gen(function*() {
        const closed: Array<number> = []
        const server = yield* h2Server({
          secure: false,
          handler: (stream) => {
            stream.on("close", () => closed.push(stream.rstCode))
          }
        })
        const { client, stats } = yield* Http2Client.makePool({
          h2c: true,
          proxy: "none",
          requestTimeout: "200 millis"
        })
        const started = Date.now()
        const failure = yield* transportFailure(postJson(client, `${server.origin}/hang`, {}))
        const elapsed = Date.now() - started
        assert.strictEqual(failure.kind, "Timeout")
        assert.match(failure.message, /timeout/)
        assert.include(failure.message, "200ms")
        assert.isTrue(failure.mayHaveBeenProcessed)
        assert.isAtLeast(elapsed, 190)
        assert.isBelow(elapsed, 2_000)
        yield* eventually(() => closed.length === 1)
        assert.deepStrictEqual(closed, [NGHTTP2_CANCEL])

        // a per-request deadline overrides the client's
        const perRequest = yield* transportFailure(
          postJson(client, `${server.origin}/hang`, {}).pipe(Http2Client.withRequestTimeout("50 millis"))
        )
        assert.include(perRequest.message, "50ms")
        yield* eventually(() => closed.length === 2)
        assert.strictEqual((yield* stats).streamsInFlight, 0)
        assert.strictEqual(server.sessionsOpened, 1, "a timeout does not cost the session")
      }))

    it.scopedLive("interruption cancels the stream", () =>
      Effect.gen(function*() {
        const closed: Array<number> = []
        const server = yield* h2Server({
          secure: false,
          handler: (stream) => {
            stream.on("close", () => closed.push(stream.rstCode))
          }
        })
        const { client, stats } = yield* Http2Client.makePool({ h2c: true, proxy: "none" })
        const fiber = yield* Effect.fork(postJson(client, `${server.origin}/hang`, {}))
        yield* eventually(() => server.streams === 1)
        assert.strictEqual((yield* stats).streamsInFlight, 1)
        yield* Fiber.interrupt(fiber)
        yield* eventually(() => closed.length === 1)
        assert.deepStrictEqual(closed, [NGHTTP2_CANCEL])
        yield* eventually(() => Effect.runSync(stats).streamsInFlight === 0)
      }))

    it.scopedLive("a request that loses a race (Effect.timeout) has its stream cancelled", () =>
      Effect.gen(function*() {
        const closed: Array<number> = []
        const server = yield* h2Server({
          secure: false,
          handler: (stream) => {
            stream.on("close", () => closed.push(stream.rstCode))
          }
        })
        const { client, stats } = yield* Http2Client.makePool({ h2c: true, proxy: "none" })
        const result = yield* postJson(client, `${server.origin}/hang`, {}).pipe(
          Effect.timeout("100 millis"),
          Effect.either
        )
        assert.strictEqual(result._tag, "Left")
        yield* eventually(() => closed.length === 1)
        assert.deepStrictEqual(closed, [NGHTTP2_CANCEL])
        yield* eventually(() => Effect.runSync(stats).streamsInFlight === 0)
      }))

    it.scopedLive("a fiber that goes on after its request was interrupted cancels it when it sends again", () =>
      Effect.gen(function*() {
        const closed: Array<string> = []
        const server = yield* h2Server({
          secure: false,
          handler: (stream, headers) => {
            const path = String(headers[":path"])
            stream.on("close", () => closed.push(`${path} ${stream.rstCode}`))
            if (path === "/echo") respondJson(stream, { ok: true })
          }
        })
        const { client, stats } = yield* Http2Client.makePool({ h2c: true, proxy: "none" })
        const first = yield* Deferred.make<void>()
        // the first request is interruptible; the fiber catches its interruption (an uninterruptible region sees
        // the exit) and sends a second request
        const fiber = yield* Effect.fork(Effect.uninterruptibleMask((restore) =>
          Effect.gen(function*() {
            const exit = yield* Effect.exit(restore(postJson(client, `${server.origin}/hang`, {})))
            assert.isTrue(Exit.isInterrupted(exit))
            yield* Deferred.succeed(first, undefined)
            return yield* postJson(client, `${server.origin}/echo`, {})
          })
        ))
        yield* eventually(() => server.streams === 1)
        yield* Effect.fork(Fiber.interrupt(fiber))
        yield* Deferred.await(first)
        const second = yield* Fiber.join(fiber).pipe(Effect.exit)
        // the fiber, interrupted, exits as interrupted; its second request ran and was answered
        assert.isTrue(Exit.isInterrupted(second))
        yield* eventually(() => closed.length === 2)
        assert.deepStrictEqual(closed, [`/hang ${NGHTTP2_CANCEL}`, `/echo ${http2.constants.NGHTTP2_NO_ERROR}`])
        assert.strictEqual((yield* stats).streamsInFlight, 0)
      }))

    it.scopedLive("an idle session that stops answering PING is replaced", () =>
      Effect.gen(function*() {
        const server = yield* h2Server({ secure: false, handler: echoHandler })
        const tcp = yield* relay(server.port)
        const { client, stats } = yield* Http2Client.makePool({
          h2c: true,
          proxy: "none",
          pingInterval: "60 millis",
          pingTimeout: "250 millis"
        })
        const url = `http://127.0.0.1:${tcp.port}/send`
        yield* postJson(client, url, {})
        // a healthy session answers its PINGs and stays
        yield* Effect.sleep("300 millis")
        assert.strictEqual((yield* stats).sessionsReplaced, 0)
        assert.strictEqual(server.sessionsOpened, 1)

        tcp.freeze()
        yield* eventually(() => Effect.runSync(stats).sessionsReplaced === 1, 2_000)
        assert.strictEqual((yield* stats).sessionsOpen, 0)
        const ok = yield* postJson(client, url, {})
        assert.strictEqual(ok.status, 200)
        assert.strictEqual((yield* stats).sessionsOpened, 2)
      }))

    it.scopedLive("a request timeout on a session that stopped answering: a PING, then a fresh session", () =>
      Effect.gen(function*() {
        const server = yield* h2Server({ secure: false, handler: echoHandler })
        const tcp = yield* relay(server.port)
        // no idle PINGs: only the request timeout makes the pool check the connection
        const { client, stats } = yield* Http2Client.makePool({
          h2c: true,
          proxy: "none",
          pingInterval: "1 hour",
          pingTimeout: "200 millis",
          requestTimeout: "5 seconds"
        })
        const url = `http://127.0.0.1:${tcp.port}/send`
        yield* postJson(client, url, {})

        // the connection goes silent: no error, no close, nothing arrives any more
        tcp.freeze()
        const waiting = yield* Effect.fork(transportFailure(postJson(client, url, { waiting: true })))
        yield* eventually(() => Effect.runSync(stats).streamsInFlight === 1)
        const timedOut = yield* transportFailure(
          postJson(client, url, { short: true }).pipe(Http2Client.withRequestTimeout("100 millis"))
        )
        assert.strictEqual(timedOut.kind, "Timeout")
        // the unanswered PING ends the session: the request still waiting on it fails as retryable, long before its
        // own deadline
        const dropped = yield* Fiber.join(waiting)
        assert.strictEqual(dropped.kind, "PingTimeout")
        assert.isTrue(dropped.mayHaveBeenProcessed)
        yield* eventually(() => Effect.runSync(stats).sessionsReplaced === 1)
        const ok = yield* postJson(client, url, {})
        assert.strictEqual(ok.status, 200)
        assert.strictEqual(server.sessionsOpened, 2, "the next request went to a fresh session")
      }))

    it.scopedLive("a request timeout on a healthy session: its PING is answered and the session stays", () =>
      Effect.gen(function*() {
        const pings: Array<number> = []
        const server = yield* h2Server({
          secure: false,
          handler: (stream, headers, srv) => {
            if (headers[":path"] !== "/hang") return echoHandler(stream, headers, srv)
          }
        })
        server.server.on("session", (session) => session.on("ping", () => pings.push(Date.now())))
        const { client, stats } = yield* Http2Client.makePool({
          h2c: true,
          proxy: "none",
          pingInterval: "1 hour",
          pingTimeout: "200 millis",
          requestTimeout: "100 millis"
        })
        yield* postJson(client, `${server.origin}/send`, {})
        const timedOut = yield* transportFailure(postJson(client, `${server.origin}/hang`, {}))
        assert.strictEqual(timedOut.kind, "Timeout")
        yield* eventually(() => pings.length === 1)
        // past the PING's deadline: the answered PING left the session alone
        yield* Effect.sleep("500 millis")
        assert.strictEqual((yield* stats).sessionsReplaced, 0)
        const ok = yield* postJson(client, `${server.origin}/send`, {})
        assert.strictEqual(ok.status, 200)
        assert.strictEqual(server.sessionsOpened, 1)
      }))

    it.scopedLive("a session the server closes is replaced on the next request", () =>
      Effect.gen(function*() {
        const server = yield* h2Server({ secure: false, handler: echoHandler })
        const { client, stats } = yield* Http2Client.makePool({ h2c: true, proxy: "none" })
        yield* postJson(client, `${server.origin}/one`, {})
        for (const session of server.sessions) session.close()
        yield* eventually(() => Effect.runSync(stats).sessionsOpen === 0)
        const ok = yield* postJson(client, `${server.origin}/two`, {})
        assert.strictEqual(ok.status, 200)
        assert.strictEqual(server.sessionsOpened, 2)
        assert.strictEqual((yield* stats).sessionsReplaced, 1)
      }))

    it.scopedLive("connection failures are not processed: refused port, untrusted certificate", () =>
      Effect.gen(function*() {
        const server = yield* h2Server({ secure: true, handler: echoHandler })
        const untrusting = yield* Http2Client.make({ proxy: "none" })
        const tlsFailure = yield* transportFailure(postJson(untrusting, `${server.origin}/x`, {}))
        assert.strictEqual(tlsFailure.kind, "Tls")
        assert.isFalse(tlsFailure.mayHaveBeenProcessed)
        assert.strictEqual(server.streams, 0)

        const closedPort = yield* Effect.scoped(
          Effect.map(h2Server({ secure: false, handler: echoHandler }), (s) => s.port)
        )
        const client = yield* Http2Client.make({ h2c: true, proxy: "none" })
        const refused = yield* transportFailure(postJson(client, `http://127.0.0.1:${closedPort}/x`, {}))
        assert.strictEqual(refused.kind, "Connect")
        assert.strictEqual(refused.code, "ECONNREFUSED")
        assert.isFalse(refused.mayHaveBeenProcessed)
      }))

    it.scopedLive("a server that accepts TCP but never speaks HTTP/2 hits the connect timeout", () =>
      Effect.gen(function*() {
        const sockets = new Set<net.Socket>()
        const silent = net.createServer((socket) => {
          sockets.add(socket)
          socket.on("error", () => {})
        })
        yield* Effect.acquireRelease(
          Effect.async<number>((resume) => {
            silent.listen(0, "127.0.0.1", () => resume(Effect.succeed((silent.address() as net.AddressInfo).port)))
          }),
          () =>
            Effect.async<void>((resume) => {
              for (const socket of sockets) socket.destroy()
              silent.close(() => resume(Effect.void))
            })
        ).pipe(Effect.flatMap((port) =>
          Effect.gen(function*() {
            const { client, stats } = yield* Http2Client.makePool({
              h2c: true,
              proxy: "none",
              connectTimeout: "150 millis"
            })
            const started = Date.now()
            const failures = yield* Effect.forEach(
              [0, 1],
              () => transportFailure(postJson(client, `http://127.0.0.1:${port}/send`, {})),
              { concurrency: "unbounded" }
            )
            assert.isAtLeast(Date.now() - started, 140)
            for (const failure of failures) {
              assert.strictEqual(failure.kind, "Connect")
              assert.strictEqual(failure.code, "ETIMEDOUT")
              assert.isFalse(failure.mayHaveBeenProcessed)
            }
            const s = yield* stats
            assert.strictEqual(s.sessionsConnecting, 0)
            assert.strictEqual(s.queued, 0)

            // a request deadline shorter than the connect timeout: the request was never sent
            const slow = yield* Http2Client.make({ h2c: true, proxy: "none", requestTimeout: "80 millis" })
            const queued = yield* transportFailure(postJson(slow, `http://127.0.0.1:${port}/send`, {}))
            assert.strictEqual(queued.kind, "Timeout")
            assert.isFalse(queued.mayHaveBeenProcessed)
            assert.include(queued.message, "no connection")
          })
        ))
      }))
  })

  describe("HTTP/1.1 fallback", () => {
    it.scopedLive("TLS servers without h2 in ALPN are served over HTTP/1.1, detected once", () =>
      Effect.gen(function*() {
        const { cert } = yield* testCertificate
        const server = yield* http1Server(true)
        const { client, stats } = yield* Http2Client.makePool({ ca: cert, proxy: "none" })
        for (let i = 0; i < 4; i++) {
          const body = yield* postJson(client, `${server.origin}/send?i=${i}`, { i }).pipe(
            Effect.flatMap((r) => r.json)
          )
          assert.deepStrictEqual(body, { method: "POST", path: `/send?i=${i}`, body: JSON.stringify({ i }) })
        }
        assert.deepStrictEqual(server.versions, ["1.1", "1.1", "1.1", "1.1"])
        assert.strictEqual(server.connections, 2, "one ALPN probe, then one keep-alive connection")
        const s = yield* stats
        assert.strictEqual(s.sessionsOpened, 0)
        assert.strictEqual(s.http1InFlight, 0)
      }))

    it.scopedLive("HTTP/1.1 requests time out and their connection is closed", () =>
      Effect.gen(function*() {
        let closed = 0
        const server = nodeHttp.createServer((req) => {
          req.socket.on("close", () => closed++)
        })
        const port = yield* Effect.acquireRelease(
          Effect.async<number>((resume) => {
            server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as net.AddressInfo).port)))
          }),
          () =>
            Effect.async<void>((resume) => {
              server.closeAllConnections()
              server.close(() => resume(Effect.void))
            })
        )
        const { client, stats } = yield* Http2Client.makePool({ proxy: "none", requestTimeout: "150 millis" })
        const failure = yield* transportFailure(postJson(client, `http://127.0.0.1:${port}/hang`, {}))
        assert.strictEqual(failure.kind, "Timeout")
        assert.isTrue(failure.mayHaveBeenProcessed)
        yield* eventually(() => closed === 1)
        yield* eventually(() => Effect.runSync(stats).http1InFlight === 0)
      }))

    it.scopedLive("http: URLs use HTTP/1.1 unless h2c is set", () =>
      Effect.gen(function*() {
        const server = yield* http1Server(false)
        const client = yield* Http2Client.make({ proxy: "none" })
        const responses = yield* Effect.forEach(
          [0, 1, 2, 3, 4, 5],
          (i) => postJson(client, `${server.origin}/p`, { i }).pipe(Effect.flatMap((r) => r.json)),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(responses.length, 6)
        assert.isTrue(server.versions.every((v) => v === "1.1"))
      }))
  })

  describe("proxies", () => {
    it.scopedLive("HTTP/2 over TLS through a CONNECT tunnel", () =>
      Effect.gen(function*() {
        const { cert } = yield* testCertificate
        const server = yield* h2Server({ secure: true, handler: echoHandler })
        const proxy = yield* connectProxy()
        const client = yield* Http2Client.make({ ca: cert, proxy: proxy.url })
        for (let i = 0; i < 3; i++) {
          const response = yield* postJson(client, `${server.origin}/send`, { i })
          assert.strictEqual(response.status, 200)
        }
        assert.deepStrictEqual(proxy.connects, [`127.0.0.1:${server.port}`])
        assert.strictEqual(server.sessionsOpened, 1)
      }))

    it.scopedLive("h2c through a CONNECT tunnel", () =>
      Effect.gen(function*() {
        const server = yield* h2Server({ secure: false, handler: echoHandler })
        const proxy = yield* connectProxy()
        const client = yield* Http2Client.make({ h2c: true, proxy: proxy.url })
        const response = yield* postJson(client, `${server.origin}/send`, {})
        assert.strictEqual(response.status, 200)
        assert.deepStrictEqual(proxy.connects, [`127.0.0.1:${server.port}`])
        assert.strictEqual(server.sessionsOpened, 1)
      }))

    it.scopedLive("the HTTP/1.1 fallback through a CONNECT tunnel", () =>
      Effect.gen(function*() {
        const { cert } = yield* testCertificate
        const server = yield* http1Server(true)
        const proxy = yield* connectProxy()
        const client = yield* Http2Client.make({ ca: cert, proxy: proxy.url })
        for (let i = 0; i < 3; i++) {
          const body = yield* postJson(client, `${server.origin}/send`, { i }).pipe(Effect.flatMap((r) => r.json))
          assert.strictEqual((body as { body: string }).body, JSON.stringify({ i }))
        }
        assert.strictEqual(proxy.connects.length, 2, "the ALPN probe and one keep-alive connection")
        assert.isTrue(proxy.connects.every((c) => c === `127.0.0.1:${server.port}`))
        assert.deepStrictEqual(server.versions, ["1.1", "1.1", "1.1"])
      }))

    it.scopedLive("plain HTTP/1.1 (http: without h2c) through a CONNECT tunnel", () =>
      Effect.gen(function*() {
        const server = yield* http1Server(false)
        const proxy = yield* connectProxy()
        const client = yield* Http2Client.make({ proxy: proxy.url })
        for (let i = 0; i < 2; i++) {
          const body = yield* postJson(client, `${server.origin}/send`, { i }).pipe(Effect.flatMap((r) => r.json))
          assert.strictEqual((body as { body: string }).body, JSON.stringify({ i }))
        }
        assert.deepStrictEqual(proxy.connects, [`127.0.0.1:${server.port}`], "one keep-alive connection")
        assert.deepStrictEqual(server.versions, ["1.1", "1.1"])
      }))

    it.scopedLive("a proxy that refuses the tunnel fails the request as not processed", () =>
      Effect.gen(function*() {
        const { cert } = yield* testCertificate
        const server = yield* h2Server({ secure: true, handler: echoHandler })
        const proxy = yield* connectProxy({ refuse: true })
        const client = yield* Http2Client.make({ ca: cert, proxy: proxy.url })
        const failure = yield* transportFailure(postJson(client, `${server.origin}/send`, {}))
        assert.strictEqual(failure.kind, "Proxy")
        assert.strictEqual(failure.code, "407")
        assert.include(failure.message, "407")
        assert.isFalse(failure.mayHaveBeenProcessed)
        assert.strictEqual(proxy.connects.length, 1)
        assert.strictEqual(server.connections, 0)
      }))
  })

  describe("lifecycle", () => {
    it.scopedLive("closing the scope closes every session", () =>
      Effect.gen(function*() {
        const server = yield* h2Server({
          secure: false,
          settings: { maxConcurrentStreams: 4 },
          handler: (stream) => {
            readBody(stream).then(() => setTimeout(() => respondJson(stream, {}), 20), () => {})
          }
        })
        yield* Effect.scoped(Effect.gen(function*() {
          const client = yield* Http2Client.make({ h2c: true, proxy: "none" })
          yield* Effect.forEach(
            Array.from({ length: 12 }, (_, i) => i),
            (i) => postJson(client, `${server.origin}/send`, { i }),
            { concurrency: "unbounded" }
          )
          assert.isAtLeast(server.sessionsOpened, 2)
          assert.strictEqual(server.sessionsClosed, 0)
        }))
        yield* eventually(() => server.sessionsClosed === server.sessionsOpened, 1_000)
      }))

    for (const secure of [true, false]) {
      it.scopedLive(
        `closing the scope waits for the socket of a session the server just closed (${secure ? "TLS" : "h2c"})`,
        () =>
          Effect.gen(function*() {
            // the server answers, then closes the session (GOAWAY): the client drains it and destroys it itself
            const server = yield* h2Server({
              secure,
              handler: (stream) => {
                readBody(stream).then(() => {
                  respondJson(stream, {})
                  stream.session?.close()
                }, () => {})
              }
            })
            const { cert } = yield* testCertificate
            let pool: Http2Client.Pool | undefined
            yield* Effect.scoped(Effect.gen(function*() {
              pool = yield* Http2Client.makePool(secure ? { ca: cert, proxy: "none" } : { h2c: true, proxy: "none" })
              for (let i = 0; i < 3; i++) yield* postJson(pool.client, `${server.origin}/send`, { i })
            }))
            // checked the moment the scope's close returns, without waiting
            assert.strictEqual((yield* pool!.stats).sessionsOpen, 0, "no session left open")
            assert.deepStrictEqual(clientSockets(server.port), [], "no socket to the server left open")
          })
      )
    }

    it.scopedLive("closing the scope with a request the server never answers: bounded, the session destroyed", () =>
      Effect.gen(function*() {
        const server = yield* h2Server({ secure: false, handler: () => {} })
        let pool: Http2Client.Pool | undefined
        const pending = yield* Effect.scoped(Effect.gen(function*() {
          pool = yield* Http2Client.makePool({ h2c: true, proxy: "none", requestTimeout: Duration.infinity })
          const fiber = yield* Effect.forkDaemon(transportFailure(postJson(pool.client, `${server.origin}/hang`, {})))
          yield* eventually(() => server.streams === 1)
          return fiber
        }))
        const failure = yield* Fiber.join(pending)
        assert.strictEqual(failure.kind, "ClientClosed")
        assert.isTrue(failure.mayHaveBeenProcessed)
        assert.strictEqual((yield* pool!.stats).sessionsOpen, 0)
        assert.deepStrictEqual(clientSockets(server.port), [])
      }))

    it.scopedLive("requests after the scope closed fail as ClientClosed", () =>
      Effect.gen(function*() {
        const server = yield* h2Server({ secure: false, handler: echoHandler })
        const client = yield* Effect.scoped(Http2Client.make({ h2c: true, proxy: "none" }))
        const failure = yield* transportFailure(postJson(client, `${server.origin}/send`, {}))
        assert.strictEqual(failure.kind, "ClientClosed")
        assert.isFalse(failure.mayHaveBeenProcessed)
      }))

    it.scopedLive("layer provides HttpClient and the pool's stats", () =>
      Effect.gen(function*() {
        const server = yield* h2Server({ secure: false, handler: echoHandler })
        const result = yield* Effect.gen(function*() {
          const client = yield* HttpClient.HttpClient
          const response = yield* client.get(`${server.origin}/layer`)
          const stats = yield* Http2Client.stats
          return { status: response.status, stats }
        }).pipe(Effect.provide(Http2Client.layer({ h2c: true, proxy: "none" })))
        assert.strictEqual(result.status, 200)
        assert.strictEqual(result.stats.sessionsOpened, 1)
        assert.strictEqual(result.stats.origins, 1)
        yield* eventually(() => server.sessionsClosed === 1, 1_000)
      }))

    it.scopedLive("layerConfig reads the options from Config", () =>
      Effect.gen(function*() {
        const server = yield* h2Server({ secure: false, handler: echoHandler })
        const layer = Http2Client.layerConfig({
          h2c: Config.boolean("H2C"),
          proxy: Config.string("PROXY"),
          maxSessionsPerOrigin: Config.integer("SESSIONS")
        }).pipe(
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson({ H2C: true, PROXY: "none", SESSIONS: 2 })))
        )
        const status = yield* HttpClient.HttpClient.pipe(
          Effect.flatMap((client) => client.get(`${server.origin}/config`)),
          Effect.map((response) => response.status),
          Effect.provide(layer)
        )
        assert.strictEqual(status, 200)
        assert.strictEqual(server.sessionsOpened, 1, "h2c came from the config")
      }))

    it("no uncaught exception or unhandled rejection escaped during the suite", () => {
      assert.strictEqual(uncaughtExceptions, 0)
      assert.strictEqual(unhandledRejections, 0)
    })
  })
})
