/**
 * The pool's direct exchange against `execute`: the v1 sender over the same pool, once through the direct exchange
 * (the pool's own client) and once through `execute` (a client derived from it, which offers none), against the same
 * scripted answers of the TLS emulator, must give the same outcomes, the same failures and the same requests.
 */
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import { Credentials, DirectExchange, FcmV1, Message, type Result } from "@effect-fcm/fcm"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { identity } from "effect/Function"
import * as http from "node:http"
import * as http2 from "node:http2"
import { Http2Client } from "../src/index.js"
import { eventually, h2Server, readBody } from "./utils/servers.js"

/** Every kind of answer a v1 request can get, one token each. */
const scripted: Record<string, Scenario.Scenario> = {
  ok: Scenario.delivered,
  gone: Scenario.notRegistered,
  bad: Scenario.invalidToken,
  mismatch: Scenario.senderMismatch,
  apns: Scenario.thirdPartyAuthError,
  busy: Scenario.unavailable({ retryAfter: 7 }),
  broken: Scenario.internalError(),
  device: Scenario.quotaExceeded({ retryAfter: 3 }),
  project: Scenario.quotaExceeded({ variant: "project" }),
  malformed: Scenario.malformedJson(),
  html: Scenario.htmlBadGateway,
  empty503: Scenario.emptyBody({ status: 503 }),
  empty200: Scenario.emptyBody(),
  reset: Scenario.reset,
  hang: Scenario.hang,
  goaway: Scenario.goAway(),
  goawayAnswered: Scenario.goAway({ respond: true }),
  expired: Scenario.sequence(Scenario.unauthenticated({ expired: true }), Scenario.delivered)
}
const tokens = Object.keys(scripted)

/** An outcome without what differs from request to request: the message id, the instant of a device's backoff. */
const comparable = (result: Result.Result): Record<string, Record<string, unknown>> =>
  Object.fromEntries(
    [...result.outcomes].map(([token, outcome]) => {
      const { messageId, notBefore, ...rest } = outcome as Record<string, unknown>
      return [token, {
        ...rest,
        ...(messageId === undefined ? {} : { messageId: typeof messageId }),
        ...(notBefore === undefined ? {} : { notBefore: typeof notBefore })
      }]
    })
  )

interface Paths {
  /** The pool's client: the sender uses its direct exchange. */
  readonly direct: HttpClient.HttpClient
  /** A client derived from it: no direct exchange, so the sender goes through `execute`. */
  readonly execute: HttpClient.HttpClient
  /** Send requests that went through the direct exchange, and through `execute`. */
  readonly counts: { direct: number; execute: number }
}

/** The same pool seen both ways, counting the send requests each way takes. */
const paths = (pool: Http2Client.Pool): Paths => {
  const counts = { direct: 0, execute: 0 }
  const exchange = DirectExchange.get(pool.client)!
  const countSends = HttpClient.tapRequest((request) =>
    Effect.sync(() => {
      if (request.url.endsWith("/messages:send")) counts.execute++
    })
  )
  return {
    direct: DirectExchange.offer(countSends(pool.client), (url, headers, body) => {
      counts.direct++
      return exchange(url, headers, body)
    }),
    execute: countSends(HttpClient.mapRequest(pool.client, identity)),
    counts
  }
}

/** A v1 multicast through `http`, against freshly reset scenarios, one request at a time. */
const sendThrough = (
  emulator: FcmServer.Service,
  http: HttpClient.HttpClient,
  options: FcmV1.Options = {},
  targets: ReadonlyArray<string> = tokens
) =>
  Effect.gen(function*() {
    yield* emulator.reset
    const credentials = yield* Credentials.serviceAccount(emulator.serviceAccount)
    const fcm = yield* FcmV1.make({
      baseUrl: emulator.baseUrl,
      timeout: false,
      governor: false,
      concurrency: 1,
      ...options
    }).pipe(Effect.provideService(Credentials.Credentials, credentials))
    const result = yield* Effect.either(fcm.send(Message.multicast(targets, { data: { k: "v" } })))
    const counters = yield* emulator.counters
    return { result, tokenRequests: counters.routes.token ?? 0, sends: counters.routes.v1 ?? 0 }
  }).pipe(Effect.provideService(HttpClient.HttpClient, http))

const withPool = <A, E>(
  options: Http2Client.Options,
  use: (emulator: FcmServer.Service, pool: Http2Client.Pool) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const emulator = yield* FcmServer.make({ tls: true, scenarios: { tokens: scripted } })
    const pool = yield* Http2Client.makePool({
      ca: emulator.certificatePem!,
      proxy: "none",
      requestTimeout: "400 millis",
      ...options
    })
    return yield* use(emulator, pool)
  }).pipe(Effect.scoped)

describe("the pool's direct exchange", () => {
  it.live("offered by the pool's client, not by a client derived from it", () =>
    withPool({}, (_, pool) =>
      Effect.sync(() => {
        assert.isFunction(DirectExchange.get(pool.client))
        assert.isUndefined(DirectExchange.get(HttpClient.mapRequest(pool.client, identity)))
        assert.isUndefined(DirectExchange.get(HttpClient.tapRequest(pool.client, () => Effect.void)))
        assert.isUndefined(DirectExchange.get(HttpClient.withTracerPropagation(pool.client, false)))
      })))

  for (const delivery of ["atLeastOnce", "atMostOnce"] as const) {
    it.live(`${delivery}: every scripted answer and fault gives the same outcome both ways`, () =>
      withPool({}, (emulator, pool) =>
        Effect.gen(function*() {
          const { counts, direct, execute } = paths(pool)
          const viaDirect = yield* sendThrough(emulator, direct, { delivery })
          // a request per token, and the resend after the 401
          const attempts = tokens.length + 1
          assert.deepStrictEqual(counts, { direct: attempts, execute: 0 }, "the sender used the direct exchange")
          const viaExecute = yield* sendThrough(emulator, execute, { delivery })
          assert.deepStrictEqual(counts, { direct: attempts, execute: attempts }, "the sender used execute")

          const outcomes = comparable(yield* viaDirect.result)
          assert.deepStrictEqual(outcomes, comparable(yield* viaExecute.result))
          // the scripted answers did take effect (a transport that answered everything the same would fail here)
          assert.strictEqual(outcomes.ok!._tag, "Delivered")
          assert.strictEqual(outcomes.expired!._tag, "Delivered", "a 401 refreshes the token and resends once")
          assert.strictEqual(outcomes.gone!._tag, "NotRegistered")
          assert.deepStrictEqual(outcomes.busy, { _tag: "Retryable", reason: "UNAVAILABLE", retryAfterMillis: 7000 })
          const unanswered = delivery === "atMostOnce" ? "Unknown" : "Retryable"
          // a 200 that cannot be read may have been delivered: at most once makes it unknown
          assert.strictEqual(outcomes.malformed!._tag, delivery === "atMostOnce" ? "Unknown" : "Failed")
          assert.strictEqual(outcomes.reset!._tag, unanswered)
          assert.strictEqual(outcomes.hang!._tag, unanswered)
          assert.match(String(outcomes.hang!.reason), /timeout/)
          // the same requests reached the emulator (with the GOAWAY's refused stream resent by the pool), and two
          // token requests (the first token, and the refresh after the 401)
          assert.strictEqual(viaDirect.sends, viaExecute.sends)
          assert.strictEqual(viaDirect.sends, attempts + 1)
          assert.strictEqual(viaDirect.tokenRequests, 2)
          assert.strictEqual(viaExecute.tokenRequests, 2)
        })))
  }

  it.live("the sender's own timeout, a rejected message and a refused connection fail alike both ways", () =>
    withPool({ requestTimeout: "5 seconds" }, (emulator, pool) =>
      Effect.gen(function*() {
        const { counts, direct, execute } = paths(pool)
        // the sender's timeout (not the transport's) cuts a hung request
        const timed = { timeout: "200 millis" } as const
        const hungDirect = yield* sendThrough(emulator, direct, timed, ["ok", "hang"])
        const hungExecute = yield* sendThrough(emulator, execute, timed, ["ok", "hang"])
        const hung = comparable(yield* hungDirect.result)
        assert.deepStrictEqual(hung, comparable(yield* hungExecute.result))
        assert.deepStrictEqual(hung.hang, {
          _tag: "Retryable",
          reason: "Timeout: no answer within 200ms",
          retryAfterMillis: undefined
        })

        // a 400 that is about the message fails the send with FCM's explanation
        yield* emulator.setToken("rejected", Scenario.badRequest("the payload is wrong"))
        const rejectedDirect = yield* Effect.flip(
          Effect.flatMap(
            FcmV1.make({ baseUrl: emulator.baseUrl, timeout: false }).pipe(
              Effect.provideServiceEffect(Credentials.Credentials, Credentials.serviceAccount(emulator.serviceAccount))
            ),
            (fcm) => fcm.send(Message.multicast(["rejected"], { data: { k: "v" } }))
          ).pipe(Effect.provideService(HttpClient.HttpClient, direct))
        )
        const rejectedExecute = yield* Effect.flip(
          Effect.flatMap(
            FcmV1.make({ baseUrl: emulator.baseUrl, timeout: false }).pipe(
              Effect.provideServiceEffect(Credentials.Credentials, Credentials.serviceAccount(emulator.serviceAccount))
            ),
            (fcm) => fcm.send(Message.multicast(["rejected"], { data: { k: "v" } }))
          ).pipe(Effect.provideService(HttpClient.HttpClient, execute))
        )
        assert.strictEqual(rejectedDirect._tag, "InvalidMessage")
        assert.strictEqual(rejectedDirect.message, rejectedExecute.message)

        // nothing listening at the sender's URL (the token endpoint still answers): a configuration failure
        const closed = "https://127.0.0.1:1"
        const refused = (http: HttpClient.HttpClient) =>
          Effect.flip(
            Effect.flatMap(
              FcmV1.make({ baseUrl: closed, timeout: false }).pipe(
                Effect.provideServiceEffect(
                  Credentials.Credentials,
                  Credentials.serviceAccount(emulator.serviceAccount)
                )
              ),
              (fcm) => fcm.send(Message.multicast(["ok"], { data: { k: "v" } }))
            ).pipe(Effect.provideService(HttpClient.HttpClient, http))
          )
        const before = { ...counts }
        const refusedDirect = yield* refused(direct)
        const refusedExecute = yield* refused(execute)
        assert.strictEqual(counts.direct, before.direct + 1, "the refused send went through the direct exchange")
        assert.strictEqual(refusedDirect._tag, "TransportError")
        assert.strictEqual(refusedDirect.message, refusedExecute.message)
        assert.include(refusedDirect.message, "ECONNREFUSED")
      })))

  it.scopedLive("the answer, the request it sends, its deadline and its cancellation are execute's", () =>
    Effect.gen(function*() {
      const closed: Array<number> = []
      const seen: Array<http2.IncomingHttpHeaders> = []
      const server = yield* h2Server({
        secure: false,
        handler: (stream, headers) => {
          seen.push(headers)
          stream.on("close", () => closed.push(stream.rstCode))
          if (headers[":path"] === "/hang") return
          readBody(stream).then((body) => {
            stream.respond({ ":status": 503, "retry-after": "12", "content-type": "text/plain" })
            stream.end(`busy: ${body.toString("utf8")}`)
          }, () => {})
        }
      })
      const { client, stats } = yield* Http2Client.makePool({ h2c: true, proxy: "none" })
      const exchange = DirectExchange.get(client)!
      const headers = { authorization: "Bearer secret", "content-type": "application/json" }

      const answer = yield* exchange(`${server.origin}/busy?x=1`, headers, `{"é":1}`)
      assert.deepStrictEqual(
        { status: answer.status, body: answer.body, retryAfter: answer.retryAfter },
        { status: 503, body: `busy: {"é":1}`, retryAfter: "12" }
      )
      const sent = seen[0]!
      assert.deepStrictEqual(
        [sent[":method"], sent[":path"], sent.authorization, sent["content-type"]],
        ["POST", "/busy?x=1", "Bearer secret", "application/json"]
      )

      // interrupting the fiber cancels the stream
      const hang = exchange(`${server.origin}/hang`, headers, "{}")
      const fiber = yield* Effect.fork(hang)
      yield* eventually(() => closed.length === 1 && seen.length === 2)
      yield* eventually(() => Effect.runSync(stats).streamsInFlight === 1)
      yield* Fiber.interrupt(fiber)
      yield* eventually(() => closed.length === 2)
      assert.strictEqual(closed[1], http2.constants.NGHTTP2_CANCEL)
      yield* eventually(() => Effect.runSync(stats).streamsInFlight === 0)

      // the request timeout (here per request) cancels it too, and fails as execute fails: a RequestError whose
      // cause says the request may have been processed, naming the request it stands for
      const error = yield* Effect.flip(hang.pipe(Http2Client.withRequestTimeout("50 millis")))
      assert.strictEqual(error._tag, "RequestError")
      assert.strictEqual(error.reason, "Transport")
      assert.include(error.message, "50ms")
      assert.isTrue((error.cause as { readonly mayHaveBeenProcessed: boolean }).mayHaveBeenProcessed)
      assert.strictEqual(error.request.url, `${server.origin}/hang`)
      assert.strictEqual(error.request.method, "POST")
      yield* eventually(() => closed.length === 3)
      assert.strictEqual(closed[2], http2.constants.NGHTTP2_CANCEL)

      // an invalid URL fails as execute's does
      const invalid = yield* Effect.flip(exchange("not a url", headers, "{}"))
      assert.strictEqual(invalid._tag, "RequestError")
      assert.strictEqual(invalid.reason, "InvalidUrl")
    }))

  it.scopedLive("over HTTP/1.1 (an origin without HTTP/2) it sends what execute sends, its length included", () =>
    Effect.gen(function*() {
      const server = http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          res.writeHead(429, { "content-type": "application/json", "retry-after": "5" })
          res.end(JSON.stringify({
            method: req.method,
            path: req.url,
            authorization: req.headers.authorization,
            contentType: req.headers["content-type"],
            contentLength: req.headers["content-length"] ?? null,
            transferEncoding: req.headers["transfer-encoding"] ?? null,
            body: Buffer.concat(chunks).toString("utf8")
          }))
        })
      })
      const port = yield* Effect.acquireRelease(
        Effect.async<number>((resume) => {
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as { port: number }).port)))
        }),
        () =>
          Effect.async<void>((resume) => {
            server.close(() => resume(Effect.void))
          })
      )
      const { client } = yield* Http2Client.makePool({ proxy: "none" })
      const url = `http://127.0.0.1:${port}/v1/projects/p/messages:send`
      const headers = { authorization: "Bearer secret", "content-type": "application/json" }
      const body = `{"message":{"token":"é"}}`
      const direct = yield* DirectExchange.get(client)!(url, headers, body)
      const executed = yield* HttpClientRequest.post(url).pipe(
        HttpClientRequest.bearerToken("secret"),
        HttpClientRequest.bodyText(body, "application/json"),
        client.execute,
        Effect.flatMap((response) =>
          Effect.map(response.text, (text) => ({
            status: response.status,
            body: text,
            retryAfter: response.headers["retry-after"]
          }))
        )
      )
      assert.deepStrictEqual(
        { status: direct.status, body: direct.body, retryAfter: direct.retryAfter },
        executed
      )
      assert.deepStrictEqual(JSON.parse(direct.body), {
        method: "POST",
        path: "/v1/projects/p/messages:send",
        authorization: "Bearer secret",
        contentType: "application/json",
        contentLength: String(Buffer.byteLength(body)),
        transferEncoding: null,
        body
      })
    }))
})
