import { Credentials, FcmV1, Message } from "@effect-fcm/fcm"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schedule } from "effect"
import { type Recorded, recorder, type Reply } from "./support/recorder.js"

const delivered = (request: Recorded): Reply => {
  const m = request.json.message
  return { status: 200, body: { name: `projects/demo/messages/${m.token ?? m.topic ?? "condition"}` } }
}

const v1 = (answer: (request: Recorded) => Reply = delivered) => {
  const fake = recorder(answer)
  const layer = FcmV1.layer({ timeout: false }).pipe(
    Layer.provide(Credentials.layerStatic(Redacted.make("static-token"), { projectId: "demo" })),
    Layer.provide(fake.layer)
  )
  return { layer, requests: fake.requests }
}

const payload: FcmV1.Payload = {
  data: { kind: "score" },
  notification: { title: "Goal!", body: "Arsenal 3-0" },
  android: { priority: "high", ttl: 3_600_000, notification: { channelId: "scores", clickAction: "OPEN" } },
  apns: { headers: { "apns-priority": "10" }, payload: { aps: { badge: 3, contentAvailable: true } } },
  webpush: { fcmOptions: { link: "https://example.com/match" } },
  fcmOptions: { analyticsLabel: "goal" }
}

describe("v1-shaped messages", () => {
  it.effect("withMessage: every token of a multicast gets the v1 payload, android, apns and webpush blocks on the wire", () => {
    const { layer, requests } = v1()
    return Effect.gen(function*() {
      const fcm = yield* FcmV1.withMessage(payload)
      const result = yield* fcm.send(Message.multicast(["t1", "t2", "t3"]))
      assert.deepStrictEqual([...result.success.keys()], ["t1", "t2", "t3"])
      assert.deepStrictEqual(requests.map((r) => r.json.message.token).sort(), ["t1", "t2", "t3"])
      const { message } = requests[0]!.json
      assert.deepStrictEqual(message.data, { kind: "score" })
      assert.deepStrictEqual(message.notification, { title: "Goal!", body: "Arsenal 3-0" })
      assert.deepStrictEqual(message.android, {
        priority: "HIGH",
        ttl: "3600s",
        notification: { channel_id: "scores", click_action: "OPEN" }
      })
      assert.deepStrictEqual(message.apns, {
        headers: { "apns-priority": "10" },
        payload: { aps: { badge: 3, "content-available": 1 } }
      })
      assert.deepStrictEqual(message.webpush, { fcm_options: { link: "https://example.com/match" } })
      assert.deepStrictEqual(message.fcm_options, { analytics_label: "goal" })
      assert.isUndefined(requests[0]!.json.validate_only)
    }).pipe(Effect.provide(layer))
  })

  it.effect("withMessage: retries and buckets work as for any send; dryRun becomes validate_only", () => {
    let first = true
    const { layer, requests } = v1((request) => {
      if (request.json.message.token === "busy" && first) {
        first = false
        return { status: 503, body: { error: { code: 503, status: "UNAVAILABLE", message: "busy" } } }
      }
      if (request.json.message.token === "gone") {
        return {
          status: 404,
          body: {
            error: {
              code: 404,
              status: "NOT_FOUND",
              message: "gone",
              details: [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode: "UNREGISTERED" }]
            }
          }
        }
      }
      return delivered(request)
    })
    return Effect.gen(function*() {
      const fcm = yield* FcmV1.withMessage({ notification: { title: "Hi" } })
      const result = yield* fcm.sendWithRetry(Message.multicast(["ok", "busy", "gone"]), {
        schedule: Schedule.recurs(2)
      })
      assert.deepStrictEqual([...result.success.keys()].sort(), ["busy", "ok"])
      assert.deepStrictEqual(result.notRegistered, ["gone"])
      const dry = yield* fcm.send(Message.multicast(["ok"], { dryRun: true }))
      assert.strictEqual(dry.counts.success, 1)
      assert.strictEqual(requests.at(-1)!.json.validate_only, true)
    }).pipe(Effect.provide(layer))
  })

  it.effect("withMessage refuses a payload option on the send it makes, and sends nothing", () => {
    const { layer, requests } = v1()
    return Effect.gen(function*() {
      const fcm = yield* FcmV1.withMessage(payload)
      const error = yield* Effect.flip(fcm.send(Message.multicast(["t1"], { data: { more: "x" } })))
      assert.strictEqual(error._tag, "InvalidMessage")
      assert.strictEqual(error._tag === "InvalidMessage" && error.field, "data")
      assert.strictEqual(requests.length, 0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("withMessage refuses an invalid payload by its field, and a target inside it", () => {
    const { layer } = v1()
    return Effect.gen(function*() {
      const color = yield* Effect.flip(FcmV1.withMessage({ android: { notification: { color: "red" } } }))
      assert.strictEqual(color.field, "android.notification.color")
      const target = yield* Effect.flip(FcmV1.withMessage({ topic: "news" } as FcmV1.Payload))
      assert.strictEqual(target.field, "topic")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a payload within the token limit but over the topic limit is refused for a topic only", () => {
    const { layer, requests } = v1()
    return Effect.gen(function*() {
      const fcm = yield* FcmV1.withMessage({ data: { big: "x".repeat(3000) } })
      const toToken = yield* fcm.send(Message.multicast(["t1"]))
      assert.strictEqual(toToken.counts.success, 1)
      const toTopic = yield* Effect.flip(fcm.send(Message.toTopic("news")))
      assert.strictEqual(toTopic._tag === "InvalidMessage" && toTopic.field, "data")
      assert.strictEqual(requests.length, 1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("send: a v1 message to a topic, once, with its own target", () => {
    const { layer, requests } = v1()
    return Effect.gen(function*() {
      const result = yield* FcmV1.send({
        topic: "/topics/news",
        notification: { title: "Launch" },
        android: { priority: "normal" }
      })
      assert.strictEqual(result.counts.success, 1)
      assert.strictEqual(requests.length, 1)
      assert.strictEqual(requests[0]!.json.message.topic, "news")
      assert.deepStrictEqual(requests[0]!.json.message.android, { priority: "NORMAL" })
      const invalid = yield* Effect.flip(FcmV1.send({ token: "t", topic: "news" }))
      assert.strictEqual(invalid._tag, "InvalidMessage")
      assert.strictEqual(requests.length, 1)
    }).pipe(Effect.provide(layer))
  })
})
