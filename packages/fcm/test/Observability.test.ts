import { Credentials, FcmClient, FcmLegacy, FcmV1, Message } from "@effect-fcm/fcm"
import { HttpClient, type HttpClientRequest } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Logger, LogLevel, Metric, Option, Redacted, Schedule, TestClock, Tracer } from "effect"
import { fastFake } from "./support/fastFake.js"

interface RecordedSpan {
  readonly name: string
  readonly attributes: Map<string, unknown>
  readonly parent: string | undefined
  readonly spanId: string
}

/** A tracer that keeps every span it creates, with its attributes. */
const recordingTracer = () => {
  const spans: Array<RecordedSpan> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      const spanId = `span-${spans.length + 1}`
      spans.push({ name, attributes, spanId, parent: Option.isSome(parent) ? parent.value.spanId : undefined })
      return {
        _tag: "Span",
        name,
        spanId,
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links,
        sampled: true,
        kind,
        end: () => {},
        attribute: (key, value) => void attributes.set(key, value),
        event: () => {},
        addLinks: () => {}
      }
    },
    context: (f) => f()
  })
  return { spans, tracer }
}

const bodyOf = (request: HttpClientRequest.HttpClientRequest) =>
  request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""

const v1 = (answer: Parameters<typeof fastFake>[0]) =>
  FcmV1.layer({ timeout: false }).pipe(
    Layer.provide(Credentials.layerStatic(Redacted.make("access-secret"), { projectId: "demo" })),
    Layer.provide(Layer.succeed(HttpClient.HttpClient, fastFake(answer)))
  )

const delivered = [200, "{\"name\":\"projects/demo/messages/1\"}"] as const
const unavailable = [503, "{\"error\":{\"code\":503,\"status\":\"UNAVAILABLE\",\"message\":\"busy\"}}"] as const

describe("observability", () => {
  it.effect("a send opens a span tagged with the protocol and the number of targets, and no token", () => {
    const { spans, tracer } = recordingTracer()
    return Effect.gen(function*() {
      yield* FcmClient.send(Message.multicast(["secret-token-1", "secret-token-2"]))
      const send = spans.find((s) => s.name === "FcmClient.send")
      assert.isDefined(send)
      assert.strictEqual(send!.attributes.get("fcm.protocol"), "v1")
      assert.strictEqual(send!.attributes.get("fcm.targets"), 2)
      for (const span of spans) {
        for (const value of span.attributes.values()) {
          assert.notInclude(String(value), "secret-token", `span ${span.name}`)
          assert.notInclude(String(value), "access-secret", `span ${span.name}`)
        }
      }
    }).pipe(Effect.provide(v1(() => delivered)), Effect.withTracer(tracer))
  })

  it.effect("retries open a span per attempt, under the sendWithRetry span", () => {
    const { spans, tracer } = recordingTracer()
    let calls = 0
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        FcmClient.sendWithRetry(Message.multicast(["a", "b"]), { schedule: Schedule.spaced("1 second") })
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      const outer = spans.find((s) => s.name === "FcmClient.sendWithRetry")
      const retry = spans.find((s) => s.name === "FcmClient.retry")
      assert.isDefined(outer)
      assert.isDefined(retry)
      assert.strictEqual(retry!.attributes.get("fcm.attempt"), 1)
      assert.strictEqual(retry!.parent, outer!.spanId)
    }).pipe(
      Effect.provide(v1((request) => bodyOf(request).includes("\"b\"") && calls++ === 0 ? unavailable : delivered)),
      Effect.withTracer(tracer)
    )
  })

  it.effect("counts outcomes per bucket and retries, and the in-flight gauge returns to zero", () => {
    const success = FcmClient.outcomesTotal.pipe(
      Metric.tagged("outcome", "success"),
      Metric.tagged("protocol", "legacy")
    )
    const notRegistered = FcmClient.outcomesTotal.pipe(
      Metric.tagged("outcome", "not_registered"),
      Metric.tagged("protocol", "legacy")
    )
    const retries = FcmClient.retriesTotal.pipe(Metric.tagged("protocol", "legacy"))
    let attempt = 0
    const legacy = FcmLegacy.layer({ apiKey: Redacted.make("k"), timeout: false }).pipe(
      Layer.provide(Layer.succeed(
        HttpClient.HttpClient,
        fastFake(() => [
          200,
          JSON.stringify({
            results: attempt++ === 0
              ? [{ message_id: "1" }, { error: "NotRegistered" }, { error: "Unavailable" }]
              : [{ message_id: "2" }]
          })
        ])
      ))
    )
    return Effect.gen(function*() {
      const before = {
        success: (yield* Metric.value(success)).count,
        notRegistered: (yield* Metric.value(notRegistered)).count,
        retries: (yield* Metric.value(retries)).count
      }
      const fiber = yield* Effect.fork(
        FcmClient.sendWithRetry(Message.multicast(["a", "b", "c"]), { schedule: Schedule.spaced("1 second") })
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      assert.strictEqual((yield* Metric.value(success)).count - before.success, 2)
      assert.strictEqual((yield* Metric.value(notRegistered)).count - before.notRegistered, 1)
      assert.strictEqual((yield* Metric.value(retries)).count - before.retries, 1)
      const gauge = yield* Metric.value(FcmClient.targetsInFlight.pipe(Metric.tagged("protocol", "legacy")))
      assert.strictEqual(gauge.value, 0)
    }).pipe(Effect.provide(legacy))
  })

  it.effect("observes each request's latency, counts failures by code and whole-send errors by error", () => {
    const latency = FcmClient.requestDuration.pipe(Metric.tagged("protocol", "v1"))
    const unregistered = FcmClient.failuresTotal.pipe(
      Metric.tagged("code", "UNREGISTERED"),
      Metric.tagged("protocol", "v1")
    )
    const refused = FcmClient.sendErrorsTotal.pipe(
      Metric.tagged("error", "InvalidMessage"),
      Metric.tagged("protocol", "v1")
    )
    const gone = [
      404,
      JSON.stringify({
        error: {
          code: 404,
          status: "NOT_FOUND",
          message: "gone",
          details: [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode: "UNREGISTERED" }]
        }
      })
    ] as const
    return Effect.gen(function*() {
      const before = {
        requests: (yield* Metric.value(latency)).count,
        unregistered: (yield* Metric.value(unregistered)).count,
        refused: (yield* Metric.value(refused)).count
      }
      yield* FcmClient.send(Message.multicast(["a", "gone-1", "gone-2"]))
      yield* Effect.flip(FcmClient.send(Message.multicast(["a"], { timeToLive: -1 })))
      const after = yield* Metric.value(latency)
      assert.strictEqual(after.count - before.requests, 3, "one observation per request")
      assert.isAtLeast(after.min, 0)
      assert.strictEqual((yield* Metric.value(unregistered)).count - before.unregistered, 2)
      assert.strictEqual((yield* Metric.value(refused)).count - before.refused, 1)
    }).pipe(Effect.provide(v1((request) => bodyOf(request).includes("gone") ? gone : delivered)))
  })

  it.effect("logs one debug line per request and per retry, naming no token", () => {
    const lines: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Debug") lines.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    let calls = 0
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        FcmClient.sendWithRetry(Message.multicast(["secret-a", "secret-b"]), { schedule: Schedule.spaced("1 second") })
      )
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      const requests = lines.filter((l) => l.startsWith("FCM v1 request: 1 target"))
      assert.strictEqual(requests.length, 3, lines.join("\n"))
      assert.isTrue(requests.some((l) => l.includes("Retryable (UNAVAILABLE)")), lines.join("\n"))
      assert.isTrue(lines.some((l) => l.startsWith("FCM v1 retry 1: 1 target sent again")), lines.join("\n"))
      for (const line of lines) assert.notInclude(line, "secret-")
    }).pipe(
      Effect.provide(v1((request) => bodyOf(request).includes("secret-b") && calls++ === 0 ? unavailable : delivered)),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.Debug)
    )
  })

  it.effect("logs nothing at the default level", () => {
    const lines: Array<string> = []
    const logger = Logger.make(({ message }) => void lines.push(String(message)))
    return Effect.gen(function*() {
      yield* FcmClient.send(Message.multicast(["a", "b"]))
      assert.deepStrictEqual(lines, [])
    }).pipe(Effect.provide(v1(() => delivered)), Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
  })
})
