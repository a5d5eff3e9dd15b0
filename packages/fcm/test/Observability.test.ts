import { Credentials, FcmClient, FcmLegacy, FcmV1, Message } from "@effect-fcm/fcm"
import { HttpClient, type HttpClientRequest } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Metric, Option, Redacted, Schedule, TestClock, Tracer } from "effect"
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
})
