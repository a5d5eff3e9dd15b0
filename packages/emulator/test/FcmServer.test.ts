import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as crypto from "node:crypto"
import * as http from "node:http"
import * as http2 from "node:http2"
import * as https from "node:https"
import * as net from "node:net"
import * as Emulator from "../src/Emulator.js"
import * as FcmServer from "../src/FcmServer.js"
import * as Scenario from "../src/Scenario.js"
import * as ServiceAccount from "../src/ServiceAccount.js"
import { account } from "./helpers.js"

interface Reply {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

interface H2Options {
  readonly method?: string
  readonly path: string
  readonly headers?: Record<string, string>
  readonly body?: string
  readonly timeout?: number
}

class StreamClosed extends Error {
  constructor(readonly rstCode: number | undefined, readonly code: string | undefined) {
    super(`stream closed (rst ${rstCode}, ${code})`)
  }
}

const connect = (emulator: FcmServer.Service) =>
  Effect.acquireRelease(
    Effect.async<http2.ClientHttp2Session, Error>((resume) => {
      const session = http2.connect(emulator.baseUrl, emulator.certificatePem ? { ca: emulator.certificatePem } : {})
      session.once("connect", () => resume(Effect.succeed(session)))
      session.once("error", (e) => resume(Effect.fail(e)))
    }),
    (session) => Effect.sync(() => session.destroy())
  )

const h2 = (session: http2.ClientHttp2Session, o: H2Options) =>
  Effect.tryPromise({
    try: () =>
      new Promise<Reply>((resolve, reject) => {
        const stream = session.request({
          ":method": o.method ?? "POST",
          ":path": o.path,
          ...o.headers
        })
        let status = 0
        let headers: Reply["headers"] = {}
        const chunks: Array<Buffer> = []
        let ended = false
        stream.on("response", (h) => {
          status = Number(h[":status"])
          headers = h as Reply["headers"]
        })
        stream.on("data", (c: Buffer) => chunks.push(c))
        stream.on("end", () => {
          ended = true
        })
        stream.on("error", (e: NodeJS.ErrnoException) => reject(new StreamClosed(stream.rstCode, e.code)))
        stream.on("close", () => {
          if (ended && status !== 0) resolve({ status, headers, body: Buffer.concat(chunks).toString("utf8") })
          else reject(new StreamClosed(stream.rstCode, undefined))
        })
        if (o.timeout !== undefined) {
          stream.setTimeout(o.timeout, () => {
            stream.close(http2.constants.NGHTTP2_CANCEL)
            reject(new Error("client timeout"))
          })
        }
        stream.end(o.body ?? "")
      }),
    catch: (e) => e as Error
  })

interface H1Options extends H2Options {
  readonly agent?: http.Agent
}

const h1 = (emulator: FcmServer.Service, o: H1Options) =>
  Effect.tryPromise({
    try: () =>
      new Promise<Reply>((resolve, reject) => {
        const url = new URL(o.path, emulator.baseUrl)
        const options: https.RequestOptions = {
          method: o.method ?? "POST",
          headers: o.headers ?? {},
          ...(o.agent ? { agent: o.agent } : {}),
          ...(emulator.certificatePem ? { ca: emulator.certificatePem } : {})
        }
        const req = (url.protocol === "https:" ? https : http).request(url, options, (res) => {
          const chunks: Array<Buffer> = []
          res.on("data", (c: Buffer) => chunks.push(c))
          res.on(
            "end",
            () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks).toString("utf8")
              })
          )
          res.on("error", reject)
        })
        req.on("error", reject)
        if (o.timeout !== undefined) {
          req.setTimeout(o.timeout, () => req.destroy(new Error("client timeout")))
        }
        req.end(o.body ?? "")
      }),
    catch: (e) => e as NodeJS.ErrnoException
  })

const v1Path = "/v1/projects/proj-a/messages:send"

const v1Request = (token: string, message: unknown, timeout?: number): H2Options => ({
  path: v1Path,
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  body: JSON.stringify({ message }),
  ...(timeout !== undefined ? { timeout } : {})
})

const tokenRequest = (emulator: FcmServer.Service): H2Options => ({
  path: "/token",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: ServiceAccount.tokenRequestBody(
    ServiceAccount.signAssertion(emulator.serviceAccount, { audience: emulator.tokenUri })
  )
})

const config: FcmServer.Config = { projectId: "proj-a", serviceAccounts: [account] }

const suite = (tls: boolean) =>
  describe(tls ? "FcmServer over TLS" : "FcmServer in plain text", () => {
    const server = FcmServer.layer({ ...config, tls })
    it.scopedLive("HTTP/2: token exchange, then v1 sends", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* emulator.reset
        assert.strictEqual(emulator.baseUrl.startsWith(tls ? "https://127.0.0.1:" : "http://127.0.0.1:"), true)
        const session = yield* connect(emulator)
        const t = yield* h2(session, tokenRequest(emulator))
        assert.strictEqual(t.status, 200)
        const { access_token, token_type } = JSON.parse(t.body)
        assert.strictEqual(token_type, "Bearer")
        const replies = yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          (i) => h2(session, v1Request(access_token, { token: `device-${i}` })),
          { concurrency: "unbounded" }
        )
        for (const r of replies) {
          assert.strictEqual(r.status, 200)
          assert.match(JSON.parse(r.body).name, /^projects\/proj-a\/messages\//)
          assert.match(String(r.headers["content-type"]), /application\/json/)
        }
        const messages = yield* emulator.messages
        assert.strictEqual(messages.length, 20)
        assert.isTrue(messages.every((m) => m.httpVersion === "2" && m.protocol === "v1"))
        const counters = yield* emulator.counters
        assert.strictEqual(counters.httpVersions["2"], 21)
        assert.strictEqual(counters.delivered, 20)
      }).pipe(Effect.provide(server)))

    it.scopedLive("HTTP/1.1 on the same port, with keep-alive", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* emulator.reset
        const agent = new (tls ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: 1 })
        yield* Effect.addFinalizer(() => Effect.sync(() => agent.destroy()))
        const sockets = new Set<net.Socket>()
        agent.on("free", (s: net.Socket) => sockets.add(s))
        for (let i = 0; i < 3; i++) {
          const r = yield* h1(emulator, {
            path: "/fcm/send",
            headers: { authorization: `key=${emulator.apiKey}`, "content-type": "application/json" },
            body: JSON.stringify({ registration_ids: ["a", "b"] }),
            agent
          })
          assert.strictEqual(r.status, 200)
          assert.strictEqual(JSON.parse(r.body).success, 2)
        }
        assert.strictEqual(sockets.size, 1)
        const token = yield* emulator.issueAccessToken
        const v = yield* h1(emulator, { ...v1Request(token, { topic: "news" }), agent })
        assert.strictEqual(v.status, 200)
        const notFound = yield* h1(emulator, { method: "GET", path: "/nowhere", agent })
        assert.strictEqual(notFound.status, 404)
        assert.include(notFound.body, "Error 404 (Not Found)")
        const counters = yield* emulator.counters
        assert.strictEqual(counters.httpVersions["1.1"], 5)
      }).pipe(Effect.provide(server)))

    it.scopedLive("faults over HTTP/2: reset, GOAWAY, hang, HTML, empty, latency", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* emulator.reset
        const token = yield* emulator.issueAccessToken
        const session = yield* connect(emulator)
        const send = (t: string, timeout?: number) => h2(session, v1Request(token, { token: t }, timeout))

        yield* emulator.setToken("reset", Scenario.reset)
        const reset = yield* Effect.flip(send("reset"))
        assert.instanceOf(reset, StreamClosed)
        assert.strictEqual((reset as StreamClosed).rstCode, http2.constants.NGHTTP2_CANCEL)
        assert.strictEqual((yield* send("fine")).status, 200)

        yield* emulator.setToken("html", Scenario.htmlError({ status: 502, retryAfter: 30 }))
        const html = yield* send("html")
        assert.strictEqual(html.status, 502)
        assert.strictEqual(html.headers["retry-after"], "30")
        assert.include(html.body, "Error 502 (Server Error)")

        yield* emulator.setToken("empty", Scenario.emptyBody({ status: 503 }))
        const empty = yield* send("empty")
        assert.strictEqual(empty.status, 503)
        assert.strictEqual(empty.body, "")

        yield* emulator.setToken("slow", Scenario.latency(150))
        const started = Date.now()
        assert.strictEqual((yield* send("slow")).status, 200)
        assert.isAtLeast(Date.now() - started, 140)

        yield* emulator.setToken("hang", Scenario.hang)
        const hang = yield* Effect.flip(send("hang", 200))
        assert.strictEqual(hang.message, "client timeout")
        assert.strictEqual((yield* send("fine")).status, 200)

        yield* emulator.setToken("bye", Scenario.goAway({ respond: true }))
        const goaways: Array<number> = []
        session.on("goaway", (code: number) => goaways.push(code))
        const bye = yield* send("bye")
        assert.strictEqual(bye.status, 200)
        yield* Effect.sleep("50 millis")
        assert.isAtLeast(goaways.length, 1)
        assert.isTrue(goaways.every((code) => code === http2.constants.NGHTTP2_NO_ERROR))
        assert.isTrue(session.closed || session.destroyed)

        const fresh = yield* connect(emulator)
        const fresher: Array<number> = []
        fresh.on("goaway", (code: number) => fresher.push(code))
        yield* emulator.setToken("gone-away", Scenario.goAway())
        const refused = yield* Effect.flip(h2(fresh, v1Request(token, { token: "gone-away" })))
        assert.instanceOf(refused, StreamClosed)
        assert.isAtLeast(fresher.length, 1)
        assert.strictEqual((refused as StreamClosed).rstCode, http2.constants.NGHTTP2_REFUSED_STREAM)

        const counters = yield* emulator.counters
        assert.deepStrictEqual(counters.faults, { Reset: 1, Hang: 1, GoAway: 2 })
      }).pipe(Effect.provide(server)))

    it.scopedLive("a refusing GOAWAY with streams in flight: they are answered, only the refused one is not", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* emulator.reset
        const token = yield* emulator.issueAccessToken
        const session = yield* connect(emulator)
        const goaways: Array<readonly [number, number]> = []
        session.on("goaway", (code: number, lastStreamID: number) => goaways.push([code, lastStreamID]))
        const send = (t: string) => h2(session, v1Request(token, { token: t }))
        assert.strictEqual((yield* send("warm")).status, 200)

        yield* emulator.setToken("before", Scenario.latency(100))
        yield* emulator.setToken("gone-away", Scenario.goAway())
        yield* emulator.setToken("after", Scenario.latency(100))
        // streams 3, 5 and 7, open at once: the server refuses 5 with a GOAWAY while 3 and 7 wait for their answers
        const [before, refused, after] = yield* Effect.all(
          [send("before"), Effect.flip(send("gone-away")), send("after")],
          { concurrency: "unbounded" }
        )
        assert.strictEqual(before.status, 200)
        assert.strictEqual(after.status, 200, "a stream opened after the refused one is answered")
        assert.instanceOf(refused, StreamClosed)
        assert.strictEqual((refused as StreamClosed).rstCode, http2.constants.NGHTTP2_REFUSED_STREAM)
        assert.deepStrictEqual(goaways, [[http2.constants.NGHTTP2_NO_ERROR, 7]], "the GOAWAY names the last stream")
        const outcomes = (yield* emulator.records).map((r) => r.outcomes[0])
        assert.deepStrictEqual(outcomes, ["delivered", "delivered", "GoAway", "delivered"])
      }).pipe(Effect.provide(server)))

    it.scopedLive("faults over HTTP/1.1: reset, GOAWAY, hang", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* emulator.reset
        const token = yield* emulator.issueAccessToken
        const send = (t: string, timeout?: number) => h1(emulator, v1Request(token, { token: t }, timeout))

        yield* emulator.setToken("reset", Scenario.reset)
        const reset = yield* Effect.flip(send("reset"))
        assert.strictEqual(reset.code, "ECONNRESET")

        yield* emulator.setToken("drop", Scenario.goAway())
        const dropped = yield* Effect.flip(send("drop"))
        assert.strictEqual(dropped.code, "ECONNRESET")

        yield* emulator.setToken("close", Scenario.goAway({ respond: true }))
        const closing = yield* send("close")
        assert.strictEqual(closing.status, 200)
        assert.strictEqual(closing.headers.connection, "close")

        yield* emulator.setToken("hang", Scenario.hang)
        const hang = yield* Effect.flip(send("hang", 200))
        assert.strictEqual(hang.message, "client timeout")

        yield* emulator.enqueue("v1", Scenario.malformedJson())
        const malformed = yield* send("x")
        assert.strictEqual(malformed.status, 200)
        assert.throws(() => JSON.parse(malformed.body))
        assert.strictEqual((yield* send("x")).status, 200)
      }).pipe(Effect.provide(server)))
  })

suite(false)
suite(true)

describe("FcmServer", () => {
  it.scopedLive("answers 413 to a body over maxBodyBytes, on HTTP/2 and HTTP/1.1, and handles one at the limit", () =>
    Effect.gen(function*() {
      const legacyBody = JSON.stringify({ registration_ids: ["a"] })
      const emulator = yield* FcmServer.make({ ...config, maxBodyBytes: legacyBody.length })
      const headers = { authorization: `key=${emulator.apiKey}`, "content-type": "application/json" }
      const atLimit = { path: "/fcm/send", headers, body: legacyBody }
      const over = { ...atLimit, body: `${legacyBody} ` }
      const session = yield* connect(emulator)
      assert.strictEqual((yield* h2(session, atLimit)).status, 200)
      assert.strictEqual((yield* h1(emulator, atLimit)).status, 200)
      const [tooBig2, tooBig1] = [yield* h2(session, over), yield* h1(emulator, over)]
      assert.deepStrictEqual([tooBig2.status, tooBig2.body], [413, "Request Entity Too Large\n"])
      assert.deepStrictEqual([tooBig1.status, tooBig1.body], [413, "Request Entity Too Large\n"])
      assert.strictEqual((yield* emulator.messages).length, 2) // the two at the limit only
    }))

  it.scopedLive("serves a self-signed certificate for 127.0.0.1 and localhost", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.make({ ...config, tls: true })
      const cert = new crypto.X509Certificate(emulator.certificatePem!)
      assert.isTrue(cert.checkIP("127.0.0.1") === "127.0.0.1")
      assert.strictEqual(cert.checkHost("localhost"), "localhost")
      assert.isTrue(cert.verify(cert.publicKey))
      const untrusted = yield* Effect.flip(
        Effect.tryPromise(() =>
          new Promise((resolve, reject) => {
            https.get(`${emulator.baseUrl}/`, resolve).on("error", reject)
          })
        )
      )
      assert.match(String(untrusted.cause), /self-signed|self signed/)
      const session = yield* connect(emulator)
      assert.strictEqual(session.alpnProtocol, "h2")
    }))

  it.scopedLive("h2c and HTTP/1.1 share the plain port, even when the body arrives later", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.make(config)
      const body = JSON.stringify({ to: "a" })
      const raw = yield* Effect.tryPromise(() =>
        new Promise<string>((resolve, reject) => {
          const socket = net.connect(emulator.port, "127.0.0.1", () => {
            socket.write(
              `POST /fcm/send HTTP/1.1\r\nHost: x\r\nAuthorization: key=${emulator.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`
            )
            setTimeout(() => socket.write(body), 50)
          })
          let data = ""
          socket.on("data", (c) => (data += c.toString()))
          socket.on("end", () => resolve(data))
          socket.on("error", reject)
        })
      )
      assert.match(raw, /^HTTP\/1\.1 200 OK/)
      assert.include(raw, "\"success\":1")
    }))

  it.live("stops cleanly with hung requests, and the client sees the connection go", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const emulator = yield* FcmServer.make({ ...config, scenarios: { default: Scenario.hang } }).pipe(
        Scope.extend(scope)
      )
      const token = yield* emulator.issueAccessToken
      const pending = yield* Effect.fork(h1(emulator, v1Request(token, { token: "t" })))
      yield* Effect.sleep("50 millis")
      // Closing must not wait for the hung request: were it to, the test would time out here.
      yield* Scope.close(scope, Exit.void)
      const result = yield* Effect.flip(pending.await.pipe(Effect.flatten))
      assert.oneOf(result.code, ["ECONNRESET", "ECONNREFUSED", "EPIPE", undefined])
    }))

  it.scopedLive("scenarios change while running, through the shared Emulator service", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.FcmServer
      const shared = yield* Emulator.Emulator
      const token = yield* emulator.issueAccessToken
      const session = yield* connect(emulator)
      assert.strictEqual((yield* h2(session, v1Request(token, { token: "t" }))).status, 200)
      yield* shared.setDefault(Scenario.notRegistered)
      const gone = yield* h2(session, v1Request(token, { token: "t" }))
      assert.strictEqual(gone.status, 404)
      assert.strictEqual(JSON.parse(gone.body).error.details[0].errorCode, "UNREGISTERED")
    }).pipe(Effect.provide(Layer.fresh(FcmServer.layer(config)))))

  it.scopedLive("answers thousands of concurrent HTTP/2 requests with recording off, counting each", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.make({ ...config, record: false })
      const token = yield* emulator.issueAccessToken
      const session = yield* connect(emulator)
      const request = v1Request(token, { token: "bench", data: { k: "v" } })
      const n = 5000
      yield* Effect.forEach(Array.from({ length: n }), () => h2(session, request), { concurrency: 100, discard: true })
      const counters = yield* emulator.counters
      assert.strictEqual(counters.delivered, n)
      assert.strictEqual((yield* emulator.records).length, 0)
    }))
})
