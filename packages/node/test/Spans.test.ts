import { DirectExchange } from "@effect-fcm/fcm"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Tracer from "effect/Tracer"
import type * as http2 from "node:http2"
import { Http2Client } from "../src/index.js"
import { h2Server, readBody, testCertificate } from "./utils/servers.js"

/** Answers with the request's path and headers. */
const headersHandler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
  readBody(stream).then(() => {
    if (stream.destroyed) return
    stream.respond({ ":status": 200, "content-type": "application/json" })
    stream.end(JSON.stringify({ path: headers[":path"], traceparent: headers["traceparent"] ?? null }))
  }, () => {})
}

/** Effect's own tracer, recording the spans it makes. */
const recordingTracer = Effect.map(Effect.tracer, (native) => {
  const spans: Array<Tracer.Span> = []
  const tracer = Tracer.make({
    span: (...args: Parameters<Tracer.Tracer["span"]>) => {
      const span = native.span(...args)
      spans.push(span)
      return span
    },
    context: native.context
  })
  return { spans, tracer }
})

type Answer = { path: string; traceparent: string | null }

/** A POST through `execute`. */
const viaExecute = (client: HttpClient.HttpClient, url: string) =>
  HttpClientRequest.post(url).pipe(
    HttpClientRequest.bearerToken("secret-token"),
    HttpClientRequest.bodyText("{}", "application/json"),
    client.execute,
    Effect.flatMap((r) => r.json),
    Effect.map((json) => json as Answer)
  )

/** The same POST through the client's direct exchange. */
const viaDirectExchange = (client: HttpClient.HttpClient, url: string) =>
  DirectExchange.get(client)!(url, { authorization: "Bearer secret-token", "content-type": "application/json" }, "{}")
    .pipe(Effect.map((answer) => JSON.parse(answer.body) as Answer))

// The direct exchange makes the spans and trace headers `execute` makes, in every case.
for (const [way, post] of [["execute", viaExecute], ["direct exchange", viaDirectExchange]] as const) {
  describe(`Http2Client spans (${way})`, () => {
    it.scopedLive("auto (the default): no span and no trace headers under Effect's built-in tracer", () =>
      Effect.gen(function*() {
        const { cert } = yield* testCertificate
        const server = yield* h2Server({ secure: true, handler: headersHandler })
        const client = yield* Http2Client.make({ ca: cert, proxy: "none" })
        const answer = yield* post(client, `${server.origin}/send`).pipe(Effect.withSpan("parent"))
        assert.isNull(answer.traceparent)
      }))

    it.scopedLive("auto: a client span with HttpClient's attributes when another tracer is installed", () =>
      Effect.gen(function*() {
        const { cert } = yield* testCertificate
        const server = yield* h2Server({ secure: true, handler: headersHandler })
        const client = yield* Http2Client.make({ ca: cert, proxy: "none" })
        const { spans, tracer } = yield* recordingTracer
        const answer = yield* post(client, `${server.origin}/v1/send?dry=1`).pipe(Effect.withTracer(tracer))
        assert.strictEqual(answer.path, "/v1/send?dry=1")
        assert.isString(answer.traceparent)
        const span = spans.find((s) => s.name === "http.client POST")
        assert.isDefined(span)
        const attributes = Object.fromEntries(span!.attributes)
        assert.strictEqual(attributes["http.request.method"], "POST")
        assert.strictEqual(attributes["server.address"], server.origin)
        assert.strictEqual(attributes["server.port"], server.port)
        assert.strictEqual(attributes["url.full"], `${server.origin}/v1/send?dry=1`)
        assert.strictEqual(attributes["url.path"], "/v1/send")
        assert.strictEqual(attributes["url.scheme"], "https")
        assert.strictEqual(attributes["url.query"], "dry=1")
        assert.strictEqual(attributes["http.request.header.content-type"], "application/json")
        assert.strictEqual(attributes["http.request.header.authorization"], "<redacted>")
        assert.strictEqual(attributes["http.response.status_code"], 200)
        assert.strictEqual(attributes["http.response.header.content-type"], "application/json")
        assert.strictEqual(span!.status._tag, "Ended")
      }))

    it.scopedLive("the bearer token, an API key and redacted names of the fiber never reach a span", () =>
      Effect.gen(function*() {
        const { cert } = yield* testCertificate
        const server = yield* h2Server({ secure: true, handler: headersHandler })
        const client = yield* Http2Client.make({ ca: cert, proxy: "none", spans: true })
        const { spans, tracer } = yield* recordingTracer
        yield* post(client, `${server.origin}/v1/send`).pipe(Effect.withTracer(tracer))
        yield* HttpClientRequest.post(`${server.origin}/fcm/send`).pipe(
          HttpClientRequest.setHeader("authorization", "key=secret-api-key"),
          HttpClientRequest.setHeader("x-goog-user-project", "secret-project"),
          HttpClientRequest.bodyText("{}", "application/json"),
          client.execute,
          Effect.locally(Headers.currentRedactedNames, ["authorization", "x-goog-user-project"]),
          Effect.withTracer(tracer)
        )
        const clientSpans = spans.filter((s) => s.name === "http.client POST")
        assert.strictEqual(clientSpans.length, 2)
        for (const span of clientSpans) {
          assert.strictEqual(span.attributes.get("http.request.header.authorization"), "<redacted>")
          for (const [, value] of span.attributes) {
            assert.notInclude(String(value), "secret-token")
            assert.notInclude(String(value), "secret-api-key")
            assert.notInclude(String(value), "secret-project")
          }
        }
        assert.strictEqual(clientSpans[1]!.attributes.get("http.request.header.x-goog-user-project"), "<redacted>")
      }))

    it.scopedLive("spans: false never makes one; spans: true makes one under the built-in tracer too", () =>
      Effect.gen(function*() {
        const { cert } = yield* testCertificate
        const server = yield* h2Server({ secure: true, handler: headersHandler })
        const off = yield* Http2Client.make({ ca: cert, proxy: "none", spans: false })
        const on = yield* Http2Client.make({ ca: cert, proxy: "none", spans: true })
        const { spans, tracer } = yield* recordingTracer
        const quiet = yield* post(off, `${server.origin}/send`).pipe(Effect.withTracer(tracer))
        assert.isNull(quiet.traceparent)
        assert.isFalse(spans.some((s) => s.name.startsWith("http.client")))
        const traced = yield* post(on, `${server.origin}/send`)
        assert.isString(traced.traceparent)
      }))

    it.scopedLive("no span when the tracer is disabled or the request is excluded", () =>
      Effect.gen(function*() {
        const { cert } = yield* testCertificate
        const server = yield* h2Server({ secure: true, handler: headersHandler })
        const client = yield* Http2Client.make({ ca: cert, proxy: "none", spans: true })
        const { spans, tracer } = yield* recordingTracer
        yield* post(client, `${server.origin}/send`).pipe(Effect.withTracerEnabled(false), Effect.withTracer(tracer))
        yield* post(client, `${server.origin}/send`).pipe(
          Effect.locally(HttpClient.currentTracerDisabledWhen, () => true),
          Effect.withTracer(tracer)
        )
        assert.isFalse(spans.some((s) => s.name.startsWith("http.client")))
      }))
  })
}

describe("Http2Client URLs", () => {
  it.scopedLive("URL parameters and fragments are applied per request; an invalid URL fails as InvalidUrl", () =>
    Effect.gen(function*() {
      const { cert } = yield* testCertificate
      const server = yield* h2Server({ secure: true, handler: headersHandler })
      const client = yield* Http2Client.make({ ca: cert, proxy: "none" })
      const url = `${server.origin}/items`
      const get = (request: HttpClientRequest.HttpClientRequest) =>
        client.execute(request).pipe(Effect.flatMap((r) => r.json), Effect.map((j) => (j as { path: string }).path))
      assert.strictEqual(yield* get(HttpClientRequest.get(url)), "/items")
      assert.strictEqual(yield* get(HttpClientRequest.get(url, { urlParams: { a: "1" } })), "/items?a=1")
      assert.strictEqual(
        yield* get(HttpClientRequest.get(url, { urlParams: { a: "2", b: "x y" } })),
        "/items?a=2&b=x+y"
      )
      assert.strictEqual(yield* get(HttpClientRequest.get(`${url}?q=1`, { urlParams: { a: "3" } })), "/items?q=1&a=3")
      assert.strictEqual(yield* get(HttpClientRequest.get(url)), "/items")
      const error = yield* Effect.flip(client.execute(HttpClientRequest.get("not a url")))
      assert.strictEqual(error._tag, "RequestError")
      assert.strictEqual(error.reason, "InvalidUrl")
    }))
})
