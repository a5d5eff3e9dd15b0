/**
 * What the core's senders learn from the pooled client's failures, over the real transport: whether a request may
 * have been processed, and configuration failures (a certificate that does not verify, an unknown host, nothing
 * listening on first contact) that fail a send at once instead of spending its backoff.
 */
import { Emulator, FcmServer } from "@effect-fcm/emulator"
import { FcmClient, FcmError, FcmLegacy, Message } from "@effect-fcm/fcm"
import { exchange, type Failure } from "@effect-fcm/fcm/internal/http"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as fs from "node:fs"
import * as http2 from "node:http2"
import * as os from "node:os"
import * as path from "node:path"
import { Http2Client, NodeFcm, WireError } from "../src/index.js"
import { echoHandler, eventually, h2Server, http1Server, readBody } from "./utils/servers.js"

/** The failure the core makes of one request through `client`. */
const failureOf = (client: HttpClient.HttpClient, url: string) =>
  Effect.map(
    exchange(client, HttpClientRequest.bodyText(HttpClientRequest.post(url), "{}", "application/json"), undefined),
    (answer): Failure => {
      assert.isTrue(Either.isLeft(answer), "the request failed")
      return (answer as Either.Left<Failure, unknown>).left
    }
  )

const wireErrorOf = (client: HttpClient.HttpClient, url: string) =>
  Effect.map(Effect.flip(client.post(url)), (error) => {
    assert.isTrue(WireError.isWireError(error.cause), `cause: ${String(error.cause)}`)
    return error.cause as WireError.WireError
  })

describe("may have been processed, from the wire to the core", () => {
  it.scopedLive("a connection reset after the request was written: may have been processed", () =>
    Effect.gen(function*() {
      const server = yield* h2Server({
        secure: false,
        handler: (stream, _headers, srv) => {
          // the whole request arrived: the server could have acted on it
          readBody(stream).then(() => {
            for (const socket of srv.rawSockets) socket.resetAndDestroy()
          }, () => {})
        }
      })
      const client = yield* Http2Client.make({ h2c: true, proxy: "none" })
      const failure = yield* failureOf(client, `${server.origin}/send`)
      assert.deepInclude(failure, { _tag: "Retryable", mayHaveBeenProcessed: true })
      assert.strictEqual(server.streams, 1)
    }))

  it.scopedLive("a stream refused twice (REFUSED_STREAM): not processed", () =>
    Effect.gen(function*() {
      const server = yield* h2Server({
        secure: false,
        handler: (stream) => stream.close(http2.constants.NGHTTP2_REFUSED_STREAM)
      })
      const client = yield* Http2Client.make({ h2c: true, proxy: "none" })
      const failure = yield* failureOf(client, `${server.origin}/send`)
      assert.deepInclude(failure, { _tag: "Retryable", mayHaveBeenProcessed: false })
      assert.strictEqual(server.streams, 2, "the transport's own retry, then the failure")
    }))

  it.scopedLive("a server that answered before and now refuses connections is restarting: retryable", () =>
    Effect.gen(function*() {
      const { client, stats } = yield* Http2Client.makePool({ h2c: true, proxy: "none" })
      const origin = yield* Effect.scoped(Effect.gen(function*() {
        const server = yield* h2Server({ secure: false, handler: echoHandler })
        assert.strictEqual((yield* client.post(`${server.origin}/warm`)).status, 200)
        return server.origin
      }))
      // the server is gone: once the client has seen its session close, the next request needs a new connection
      yield* eventually(() => Effect.runSync(stats).sessionsOpen === 0)
      const wire = yield* wireErrorOf(client, `${origin}/send`)
      assert.strictEqual(wire.code, "ECONNREFUSED")
      assert.isTrue(wire.connectedBefore)
      assert.deepInclude(yield* failureOf(client, `${origin}/send`), { _tag: "Retryable", mayHaveBeenProcessed: false })
    }))
})

/**
 * A legacy sender over a fresh pool, its requests counted: a send that retried would make more than one (the
 * schedule allows three retries, 10 ms apart).
 */
const sendOnce = (baseUrl: string, transport: Http2Client.Options) =>
  Effect.gen(function*() {
    const http = yield* Http2Client.make({ proxy: "none", ...transport })
    let requests = 0
    const counted = HttpClient.tapRequest(http, () => Effect.sync(() => requests++))
    const fcm = yield* FcmLegacy.make({ apiKey: Redacted.make("key"), baseUrl }).pipe(
      Effect.provideService(HttpClient.HttpClient, counted)
    )
    const schedule = Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(3)))
    const error = yield* Effect.flip(fcm.sendWithRetry(Message.multicast(["a", "b"]), { schedule }))
    assert.instanceOf(error, FcmError.TransportError)
    const transportError = error as FcmError.TransportError
    assert.isFalse(transportError.retryable)
    return { reason: transportError.reason, requests }
  })

describe("configuration failures fail the send at once", () => {
  it.scopedLive("a TLS server whose certificate is not trusted", () =>
    Effect.gen(function*() {
      const server = yield* h2Server({ secure: true, handler: echoHandler })
      const { reason, requests } = yield* sendOnce(server.origin, {})
      assert.strictEqual(requests, 1)
      assert.strictEqual(server.streams, 0)
      assert.include(reason, server.origin)
      assert.include(reason, "DEPTH_ZERO_SELF_SIGNED_CERT")
      assert.include(reason, "NodeFcm.layer({ transport: { ca } })")
      assert.include(reason, "NODE_EXTRA_CA_CERTS")
      assert.include(reason, "baseUrl")
    }))

  it.scopedLive("a closed port", () =>
    Effect.gen(function*() {
      const closedPort = yield* Effect.scoped(
        Effect.map(h2Server({ secure: false, handler: echoHandler }), (s) => s.port)
      )
      const origin = `http://127.0.0.1:${closedPort}`
      const { reason, requests } = yield* sendOnce(origin, { h2c: true })
      assert.strictEqual(requests, 1)
      assert.include(reason, `${origin} refused the connection (ECONNREFUSED)`)
      assert.include(reason, "baseUrl")
    }))

  it.scopedLive("a host that does not resolve", () =>
    Effect.gen(function*() {
      const { reason, requests } = yield* sendOnce("https://fcm.effect-fcm.invalid", {})
      assert.strictEqual(requests, 1)
      assert.include(reason, "https://fcm.effect-fcm.invalid")
      assert.include(reason, "ENOTFOUND")
      assert.include(reason, "baseUrl")
    }))

  it.scopedLive("any HttpClient: platform's fetch client meeting an untrusted certificate", () =>
    Effect.gen(function*() {
      const server = yield* http1Server(true)
      let requests = 0
      const counted = HttpClient.tapRequest(yield* HttpClient.HttpClient, () => Effect.sync(() => requests++))
      const fcm = yield* FcmLegacy.make({ apiKey: Redacted.make("key"), baseUrl: server.origin }).pipe(
        Effect.provideService(HttpClient.HttpClient, counted)
      )
      const schedule = Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(3)))
      const error = yield* Effect.flip(fcm.sendWithRetry(Message.multicast(["a"]), { schedule }))
      assert.instanceOf(error, FcmError.TransportError)
      assert.isFalse((error as FcmError.TransportError).retryable)
      assert.include((error as FcmError.TransportError).reason, `${server.origin} does not verify`)
      assert.strictEqual(requests, 1)
      assert.strictEqual(server.requests, 0)
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scoped("NodeFcm against the TLS emulator without its certificate: the token request fails at once", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.make({ tls: true })
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "node-fcm-"))),
        (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
      )
      const keyFile = path.join(dir, "service-account.json")
      fs.writeFileSync(keyFile, JSON.stringify(emulator.serviceAccount))
      // on the TestClock, a send that slept before a retry would never end
      const error = yield* Effect.flip(FcmClient.sendWithRetry(Message.multicast(["a"]))).pipe(
        Effect.provide(
          NodeFcm.layer({ baseUrl: emulator.baseUrl, transport: { proxy: "none" } }).pipe(
            Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson({ GOOGLE_APPLICATION_CREDENTIALS: keyFile })))
          )
        )
      )
      assert.strictEqual(error._tag, "TransportError")
      const transportError = error as FcmError.TransportError
      assert.isFalse(transportError.retryable)
      assert.include(transportError.reason, emulator.baseUrl)
      assert.include(transportError.reason, "ca")
      assert.include(transportError.reason, "NODE_EXTRA_CA_CERTS")
      assert.include(transportError.reason, "token_uri")
      const counters = yield* Effect.flatMap(Emulator.Emulator, (e) => e.counters).pipe(
        Effect.provideService(Emulator.Emulator, emulator)
      )
      assert.deepStrictEqual(counters.routes, {})
    }))
})
