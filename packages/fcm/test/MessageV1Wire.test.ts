/**
 * The v1 wire schema: the camelCase message and the REST API's JSON are one schema's two sides, so a message
 * round-trips through its wire form, a wire-form message decodes to its camelCase twin, fields the schema does not
 * know travel in `extra`, and a `__proto__` data key is refused by name rather than dropped.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { isDeepStrictEqual } from "node:util"
import * as Legacy from "../src/internal/legacy.js"
import * as Message from "../src/Message.js"
import * as MessageV1 from "../src/MessageV1.js"
import { DOCS_EXAMPLE, FULL, VALID } from "./support/v1Corpus.js"

const viaWire = (m: MessageV1.MessageV1): MessageV1.MessageV1 =>
  Either.getOrThrow(MessageV1.fromWire(JSON.parse(JSON.stringify(MessageV1.toWire(m)))))

/**
 * The one form a message has after its wire form: what the wire cannot tell apart is written one way. A `Date` is its
 * ISO string, a topic has no `/topics/` prefix, `false` APNs flags are absent (APNs takes `1` or nothing), a light
 * colour is lower case and an opaque one has no alpha, and `undefined` members are gone.
 */
const canonical = (value: unknown, path: ReadonlyArray<string> = []): unknown => {
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map((v) => canonical(v, path))
  if (typeof value !== "object" || value === null) {
    const key = path.at(-1)
    if (path.length === 1 && key === "topic") return Message.topicName(value as string)
    if (key === "color" && path.at(-2) === "lightSettings") {
      return (value as string).toLowerCase().replace(/^(#.{6})ff$/, "$1")
    }
    return value
  }
  const out: Record<string, unknown> = {}
  const inAps = path.at(-1) === "aps" || path.at(-1) === "sound"
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined) continue
    if (inAps && member === false && ["contentAvailable", "mutableContent", "critical"].includes(key)) continue
    out[key] = canonical(member, [...path, key])
  }
  return out
}

const corpus: ReadonlyArray<MessageV1.MessageV1> = [
  FULL,
  DOCS_EXAMPLE,
  ...VALID.map((m) => Either.getOrThrow(MessageV1.validateEither(m)))
]

describe("MessageV1: one schema for the camelCase message and its wire form", () => {
  it("round trip: decode(encode(m)) is m, for every message of the corpus (in its canonical form)", () => {
    for (const m of corpus) assert.deepStrictEqual(viaWire(m), canonical(m), JSON.stringify(m))
  })

  it("most of the corpus is already canonical, so the round trip gives back the very message", () => {
    const same = corpus.filter((m) => isDeepStrictEqual(canonical(m), m))
    assert.isAbove(same.length, corpus.length / 2)
    for (const m of same) assert.deepStrictEqual(viaWire(m), m)
  })

  it("toWire, compiled from the schema for validated messages, is the schema's own encoding", () => {
    const encode = Schema.encodeSync(MessageV1.MessageV1)
    const withExtras: MessageV1.MessageV1 = {
      topic: "/topics/news",
      extra: { future: { a: [1, null], b: undefined } },
      notification: { title: "T", body: undefined },
      android: { notification: { tag: "x", extra: { chip: 1 } }, fcmOptions: { analyticsLabel: "l", extra: { k: 2 } } },
      apns: {
        payload: { aps: { alert: "plain", badge: undefined, custom: { a: undefined, b: 1 } }, extra: undefined }
      },
      webpush: { notification: { title: undefined, data: { x: undefined } }, fcmOptions: { link: undefined } }
    }
    assert.ok(Either.isRight(MessageV1.validateEither(withExtras)))
    for (const m of [...corpus, withExtras]) assert.deepStrictEqual(MessageV1.toWire(m), encode(m), JSON.stringify(m))
    const legacy = Schema.encodeSync(Message.LegacyOptions)
    const seed: ReadonlyArray<Message.Options> = [
      { data: { a: 1, b: true, c: "x" }, collapseKey: "k", timeToLive: 0, dryRun: false, priority: "high" },
      { data: {}, notification: { title: "T", clickAction: "OPEN", channelId: "c", bodyLocArgs: ["x"] } },
      { contentAvailable: true, mutableContent: false, restrictedPackageName: "p", delayWhileIdle: true }
    ]
    for (const o of seed) assert.deepStrictEqual(Legacy.encodeShared(o), legacy(o), JSON.stringify(o))
  })

  it("the canonical forms are what the wire cannot tell apart", () => {
    const m: MessageV1.MessageV1 = {
      topic: "/topics/news",
      android: {
        notification: {
          eventTimestamp: new Date("2024-05-01T12:00:00.000Z"),
          lightSettings: { color: "#AABBCCFF", lightOnDurationMillis: 1, lightOffDurationMillis: 2 }
        }
      },
      apns: { payload: { aps: { contentAvailable: false, sound: { name: "s", critical: false } } } }
    }
    assert.deepStrictEqual(viaWire(m), {
      topic: "news",
      android: {
        notification: {
          eventTimestamp: "2024-05-01T12:00:00.000Z",
          lightSettings: { color: "#aabbcc", lightOnDurationMillis: 1, lightOffDurationMillis: 2 }
        }
      },
      apns: { payload: { aps: { sound: { name: "s" } } } }
    })
  })

  it("a wire-form message decodes to the same message as its camelCase twin", () => {
    const wire = `{
      "token": "t",
      "notification": { "title": "Goal!", "image": "https://example.com/goal.png" },
      "android": {
        "collapse_key": "scores", "priority": "HIGH", "ttl": "3.5s", "direct_boot_ok": true,
        "notification": {
          "click_action": "OPEN", "notification_priority": "PRIORITY_MAX", "visibility": "PRIVATE",
          "vibrate_timings": ["0.5s", "1s"], "event_time": "2024-05-01T12:00:00Z", "proxy": "IF_PRIORITY_LOWERED",
          "light_settings": {
            "color": { "red": 1, "green": 0, "blue": 0, "alpha": 0.5019607843137255 },
            "light_on_duration": "0.1s", "light_off_duration": "2.5s"
          }
        },
        "fcm_options": { "analytics_label": "a" }
      },
      "apns": {
        "headers": { "apns-priority": "10" },
        "payload": {
          "aps": { "alert": { "title": "T", "loc-key": "K", "loc-args": ["x"] }, "content-available": 1,
                   "thread-id": "m", "sound": { "critical": 1, "name": "a.caf", "volume": 0.5 } },
          "matchId": "42"
        },
        "fcm_options": { "image": "https://example.com/ios.png" },
        "live_activity_token": "lat"
      },
      "webpush": { "fcm_options": { "link": "https://example.com" }, "notification": { "requireInteraction": true } },
      "fcm_options": { "analytics_label": "campaign" }
    }`
    const camel = `{
      "token": "t",
      "notification": { "title": "Goal!", "imageUrl": "https://example.com/goal.png" },
      "android": {
        "collapseKey": "scores", "priority": "high", "ttl": 3500, "directBootOk": true,
        "notification": {
          "clickAction": "OPEN", "priority": "max", "visibility": "private",
          "vibrateTimingsMillis": [500, 1000], "eventTimestamp": "2024-05-01T12:00:00Z", "proxy": "if_priority_lowered",
          "lightSettings": { "color": "#ff000080", "lightOnDurationMillis": 100, "lightOffDurationMillis": 2500 }
        },
        "fcmOptions": { "analyticsLabel": "a" }
      },
      "apns": {
        "headers": { "apns-priority": "10" },
        "payload": {
          "aps": { "alert": { "title": "T", "locKey": "K", "locArgs": ["x"] }, "contentAvailable": true,
                   "threadId": "m", "sound": { "critical": true, "name": "a.caf", "volume": 0.5 } },
          "matchId": "42"
        },
        "fcmOptions": { "imageUrl": "https://example.com/ios.png" },
        "liveActivityToken": "lat"
      },
      "webpush": { "fcmOptions": { "link": "https://example.com" }, "notification": { "requireInteraction": true } },
      "fcmOptions": { "analyticsLabel": "campaign" }
    }`
    const fromWire = Either.getOrThrow(MessageV1.fromWire(JSON.parse(wire)))
    assert.deepStrictEqual(fromWire, Either.getOrThrow(MessageV1.validateEither(JSON.parse(camel))))
    assert.deepStrictEqual(MessageV1.toWire(fromWire), JSON.parse(wire))
  })

  it("a wire-form message is checked by the same rules, naming the field", () => {
    const field = (wire: unknown) => Either.flip(MessageV1.fromWire(wire)).pipe(Either.map((e) => e.field))
    assert.deepStrictEqual(field({ token: "t", android: { ttl: "3 seconds" } }), Either.right("android.ttl"))
    assert.deepStrictEqual(field({ token: "t", android: { priority: "high" } }), Either.right("android.priority"))
    assert.deepStrictEqual(field({ token: "t", data: { from: "me" } }), Either.right("data.from"))
    assert.deepStrictEqual(field({ token: "t", topic: "news" }), Either.right("topic"))
    assert.deepStrictEqual(field({ token: "t", android: { ttl: "2419201s" } }), Either.right("android.ttl"))
  })

  it("the new fields FCM documents go out under their wire names", () => {
    assert.deepStrictEqual(
      MessageV1.toWire({
        fid: "installation-id",
        android: { bandwidthConstrainedOk: true, restrictedSatelliteOk: true },
        apns: { liveActivityToken: "lat" }
      }),
      {
        fid: "installation-id",
        android: { bandwidth_constrained_ok: true, restricted_satellite_ok: true },
        apns: { live_activity_token: "lat" }
      }
    )
    assert.ok(Either.isRight(MessageV1.validateEither({ fid: "installation-id", data: { k: "v" } })))
    const both = MessageV1.validateEither({ fid: "f", token: "t" })
    assert.ok(Either.isLeft(both) && both.left.reason.includes("exactly one of token, fid, topic or condition"))
  })
})

describe("MessageV1: extra, the wire fields the schema does not know yet", () => {
  it("merges each level's extra into that level's wire object", () => {
    const m: MessageV1.MessageV1 = {
      token: "t",
      extra: { future_top: { a: 1 } },
      android: { priority: "high", extra: { future_android: true }, notification: { tag: "x", extra: { chip: "y" } } },
      apns: { extra: { future_apns: "z" } },
      webpush: { fcmOptions: { link: "https://example.com", extra: { future_link_option: 1 } } }
    }
    assert.ok(Either.isRight(MessageV1.validateEither(m)))
    assert.deepStrictEqual(MessageV1.toWire(m), {
      token: "t",
      future_top: { a: 1 },
      android: { priority: "HIGH", future_android: true, notification: { tag: "x", chip: "y" } },
      apns: { future_apns: "z" },
      webpush: { fcm_options: { link: "https://example.com", future_link_option: 1 } }
    })
  })

  it("a wire-form message keeps the fields the schema does not know in extra, so it round-trips whole", () => {
    const wire = { token: "t", future_top: 1, android: { ttl: "1s", future_android: ["x"] } }
    const decoded = Either.getOrThrow(MessageV1.fromWire(wire))
    assert.deepStrictEqual(decoded, {
      token: "t",
      extra: { future_top: 1 },
      android: { ttl: 1000, extra: { future_android: ["x"] } }
    })
    assert.deepStrictEqual(MessageV1.toWire(decoded), wire)
  })

  it("refuses an extra key that names a known field, in its wire or camelCase spelling", () => {
    for (const key of ["collapse_key", "collapseKey", "ttl"]) {
      const checked = MessageV1.validateEither({ token: "t", android: { extra: { [key]: "x" } } })
      assert.ok(Either.isLeft(checked), key)
      assert.strictEqual(checked.left.field, `android.extra.${key}`)
    }
    const top = MessageV1.validateEither({ token: "t", extra: { fcm_options: {} } })
    assert.ok(Either.isLeft(top) && top.left.field === "extra.fcm_options")
  })

  it("counts extra in the payload size, and refuses what is not JSON", () => {
    const big = MessageV1.validateEither({ token: "t", android: { extra: { blob: "x".repeat(5000) } } })
    assert.ok(Either.isLeft(big))
    assert.strictEqual(big.left.field, "android.extra")
    assert.include(big.left.reason, "payload is")
    const notJson = MessageV1.validateEither({ token: "t", extra: { when: new Date() } })
    assert.ok(Either.isLeft(notJson) && notJson.left.field === "extra.when")
  })
})

describe("a __proto__ key is refused by name, never dropped", () => {
  const parsed = (json: string) => JSON.parse(json) as unknown

  it("v1: in data, a platform's data, headers and free-form keys", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      [`{"token":"t","data":{"__proto__":"x","k":"v"}}`, "data.__proto__"],
      [`{"token":"t","android":{"data":{"__proto__":"x"}}}`, "android.data.__proto__"],
      [`{"token":"t","webpush":{"data":{"__proto__":"x"}}}`, "webpush.data.__proto__"],
      [`{"token":"t","apns":{"headers":{"__proto__":"x"}}}`, "apns.headers.__proto__"],
      [`{"token":"t","apns":{"payload":{"aps":{},"__proto__":{"a":1}}}}`, "apns.payload.__proto__"],
      [`{"token":"t","apns":{"payload":{"aps":{"custom":{"__proto__":1}}}}}`, "apns.payload.aps.custom.__proto__"],
      [`{"token":"t","extra":{"__proto__":1}}`, "extra.__proto__"]
    ]
    for (const [json, field] of cases) {
      const checked = MessageV1.validateEither(parsed(json))
      assert.ok(Either.isLeft(checked), json)
      assert.strictEqual(checked.left.field, field, json)
      const wire = MessageV1.fromWire(parsed(json))
      assert.ok(Either.isLeft(wire), json)
    }
  })

  it("legacy: in data", () => {
    const checked = Message.validateEither(parsed(`{"tokens":["t"],"data":{"__proto__":"x","k":"v"}}`))
    assert.ok(Either.isLeft(checked))
    assert.strictEqual(checked.left.field, "data.__proto__")
  })

  it("an ordinary key beside it is unaffected", () => {
    const checked = MessageV1.validateEither(parsed(`{"token":"t","data":{"proto":"x"}}`))
    assert.deepStrictEqual(Either.map(checked, (m) => m.data), Either.right({ proto: "x" }))
  })
})
