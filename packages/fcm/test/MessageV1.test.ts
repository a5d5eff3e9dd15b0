import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as Message from "../src/Message.js"
import * as MessageV1 from "../src/MessageV1.js"
import { DOCS_EXAMPLE, FULL, VALID } from "./support/v1Corpus.js"

const fieldOf = (input: unknown): string => {
  const result = MessageV1.validateEither(input)
  return Either.isRight(result) ? "<valid>" : result.left.field
}

/** 2023-11-14T22:13:20.750Z: the `apns-expiration` of a TTL counts from the whole second, 1_700_000_000. */
const NOW = 1_700_000_000_750

const translate = (options: Message.Options) => MessageV1.fromMessage(Message.multicast(["a"], options), NOW)

/** Every `undefined` found in a wire object, by path. */
const undefinedPaths = (value: unknown, path = "message"): Array<string> => {
  if (value === undefined) return [path]
  if (typeof value !== "object" || value === null) return []
  const out: Array<string> = []
  for (const [key, member] of Object.entries(value)) out.push(...undefinedPaths(member, `${path}.${key}`))
  return out
}

describe("MessageV1.fromMessage (the multicast message in v1 terms)", () => {
  it("translates the seed's T2 message field by field", () => {
    const t2 = Message.multicast(["A", "B", "C", "D", "E"], {
      data: { str: "string", int: 90, bool: true },
      collapseKey: "collapse.key",
      timeToLive: 90,
      delayWhileIdle: true,
      dryRun: true,
      priority: "high"
    })
    assert.deepStrictEqual(MessageV1.fromMessage(t2, NOW), {
      message: {
        data: { str: "string", int: "90", bool: "true" },
        android: { collapse_key: "collapse.key", priority: "HIGH", ttl: "90s" },
        // A data-only message goes to Apple devices with apns-priority 5, whatever priority says: FCM's reference
        // requires it (an absent header means 10), and Apple refuses 10 for a push that shows nothing.
        apns: {
          headers: { "apns-priority": "5", "apns-expiration": "1700000090", "apns-collapse-id": "collapse.key" }
        },
        webpush: { headers: { TTL: "90" } }
      },
      validateOnly: true
    })
  })

  it("leaves the target out: the sender adds token, topic or condition per request", () => {
    for (const msg of [Message.multicast(["a", "b"]), Message.toTopic("news"), Message.toCondition("'a' in topics")]) {
      assert.deepStrictEqual(MessageV1.fromMessage(msg, NOW), { message: {}, validateOnly: false })
    }
  })

  describe("each option alone", () => {
    it("data: every value becomes a string", () => {
      assert.deepStrictEqual(translate({ data: { s: "x", n: 1.5, neg: -2, yes: true, no: false } }).message, {
        data: { s: "x", n: "1.5", neg: "-2", yes: "true", no: "false" },
        apns: { headers: { "apns-priority": "5" } }
      })
    })

    it("empty data is left out", () => {
      assert.deepStrictEqual(translate({ data: {} }).message, {})
    })

    it("collapseKey: android.collapse_key and apns-collapse-id", () => {
      assert.deepStrictEqual(translate({ collapseKey: "scores" }).message, {
        android: { collapse_key: "scores" },
        apns: { headers: { "apns-collapse-id": "scores" } }
      })
    })

    it("collapseKey longer than APNs' 64 bytes stays Android-only", () => {
      const key = "k".repeat(65)
      assert.deepStrictEqual(translate({ collapseKey: key }).message, { android: { collapse_key: key } })
      assert.deepStrictEqual(translate({ collapseKey: "k".repeat(64) }).message, {
        android: { collapse_key: "k".repeat(64) },
        apns: { headers: { "apns-collapse-id": "k".repeat(64) } }
      })
    })

    it("priority high and normal: android.priority in upper case", () => {
      assert.deepStrictEqual(translate({ priority: "high" }).message, { android: { priority: "HIGH" } })
      assert.deepStrictEqual(translate({ priority: "normal" }).message, { android: { priority: "NORMAL" } })
    })

    it("priority with a visible notification: apns-priority 10 or 5", () => {
      assert.deepStrictEqual(translate({ priority: "high", notification: { title: "T" } }).message, {
        notification: { title: "T" },
        android: { priority: "HIGH" },
        apns: { headers: { "apns-priority": "10" } }
      })
      assert.deepStrictEqual(translate({ priority: "normal", notification: { sound: "default" } }).message, {
        android: { priority: "NORMAL", notification: { sound: "default" } },
        apns: { headers: { "apns-priority": "5" }, payload: { aps: { sound: "default" } } }
      })
    })

    it("timeToLive: android.ttl, apns-expiration from now, web push TTL", () => {
      assert.deepStrictEqual(translate({ timeToLive: 3600 }).message, {
        android: { ttl: "3600s" },
        apns: { headers: { "apns-expiration": String(1_700_000_000 + 3600) } },
        webpush: { headers: { TTL: "3600" } }
      })
      assert.deepStrictEqual(translate({ timeToLive: Message.MAX_TIME_TO_LIVE }).message, {
        android: { ttl: "2419200s" },
        apns: { headers: { "apns-expiration": String(1_700_000_000 + 2_419_200) } },
        webpush: { headers: { TTL: "2419200" } }
      })
    })

    it("timeToLive 0: now or never on every platform", () => {
      assert.deepStrictEqual(translate({ timeToLive: 0 }).message, {
        android: { ttl: "0s" },
        apns: { headers: { "apns-expiration": "0" } },
        webpush: { headers: { TTL: "0" } }
      })
    })

    it("apns-expiration follows the clock it is given", () => {
      const at = (now: number) =>
        (MessageV1.fromMessage(Message.multicast(["a"], { timeToLive: 10 }), now).message as any).apns.headers[
          "apns-expiration"
        ]
      assert.strictEqual(at(0), "10")
      assert.strictEqual(at(999), "10")
      assert.strictEqual(at(1000), "11")
    })

    it("restrictedPackageName: android.restricted_package_name", () => {
      assert.deepStrictEqual(translate({ restrictedPackageName: "com.example.app" }).message, {
        android: { restricted_package_name: "com.example.app" }
      })
    })

    it("dryRun: validateOnly", () => {
      assert.isTrue(translate({ dryRun: true }).validateOnly)
      assert.isFalse(translate({ dryRun: false }).validateOnly)
      assert.isFalse(translate({}).validateOnly)
      assert.deepStrictEqual(translate({ dryRun: true }).message, {})
    })

    it("delayWhileIdle has no v1 equivalent and is dropped", () => {
      assert.deepStrictEqual(translate({ delayWhileIdle: true }), { message: {}, validateOnly: false })
    })

    it("contentAvailable: content-available 1, the background priority 5 and push type", () => {
      assert.deepStrictEqual(translate({ contentAvailable: true }).message, {
        apns: {
          headers: { "apns-priority": "5", "apns-push-type": "background" },
          payload: { aps: { "content-available": 1 } }
        }
      })
      assert.deepStrictEqual(translate({ contentAvailable: false }).message, {})
    })

    it("contentAvailable with priority high and nothing to show stays a background push (5) on APNs", () => {
      assert.deepStrictEqual(translate({ contentAvailable: true, priority: "high" }).message, {
        android: { priority: "HIGH" },
        apns: {
          headers: { "apns-priority": "5", "apns-push-type": "background" },
          payload: { aps: { "content-available": 1 } }
        }
      })
    })

    it("data only, whatever the priority: apns-priority 5 (FCM's rule for data messages to Apple devices)", () => {
      for (const priority of [undefined, "normal", "high"] as const) {
        const { message } = translate({ data: { sync: "1" }, ...(priority === undefined ? {} : { priority }) })
        assert.deepStrictEqual((message.apns as any).headers, { "apns-priority": "5" }, `priority ${priority}`)
      }
      // Shown on iOS: the priority follows the message's, or FCM's default when it has none.
      const visible = translate({ data: { sync: "1" }, notification: { title: "T" }, priority: "high" }).message
      assert.deepStrictEqual((visible.apns as any).headers, { "apns-priority": "10" })
      assert.strictEqual(translate({ data: { sync: "1" }, notification: { title: "T" } }).message.apns, undefined)
    })

    it("contentAvailable beside a visible alert keeps FCM's default priority unless one is given", () => {
      assert.deepStrictEqual(translate({ contentAvailable: true, notification: { body: "B" } }).message, {
        notification: { body: "B" },
        apns: { payload: { aps: { "content-available": 1 } } }
      })
      assert.deepStrictEqual(
        translate({ contentAvailable: true, priority: "high", notification: { body: "B" } }).message,
        {
          notification: { body: "B" },
          android: { priority: "HIGH" },
          apns: { headers: { "apns-priority": "10" }, payload: { aps: { "content-available": 1 } } }
        }
      )
    })

    it("mutableContent: mutable-content 1", () => {
      assert.deepStrictEqual(translate({ mutableContent: true }).message, {
        apns: { payload: { aps: { "mutable-content": 1 } } }
      })
      assert.deepStrictEqual(translate({ mutableContent: false }).message, {})
      assert.deepStrictEqual(translate({ contentAvailable: true, mutableContent: true }).message, {
        apns: {
          headers: { "apns-priority": "5", "apns-push-type": "background" },
          payload: { aps: { "content-available": 1, "mutable-content": 1 } }
        }
      })
    })
  })

  describe("notification splitting", () => {
    it("title, body and image go to the common notification", () => {
      assert.deepStrictEqual(
        translate({ notification: { title: "T", body: "B", image: "https://example.com/i.png" } }).message,
        { notification: { title: "T", body: "B", image: "https://example.com/i.png" } }
      )
    })

    it("every other key goes to android.notification and, where APNs has it, to aps", () => {
      const message = translate({
        notification: {
          title: "T",
          body: "B",
          image: "https://example.com/i.png",
          icon: "ic_stat",
          sound: "ding.caf",
          badge: "3",
          tag: "scores",
          color: "#00ff00",
          clickAction: "OPEN_SCORES",
          channelId: "news",
          subtitle: "S",
          bodyLocKey: "BODY_KEY",
          bodyLocArgs: ["b1", "b2"],
          titleLocKey: "TITLE_KEY",
          titleLocArgs: ["t1"]
        }
      }).message
      assert.deepStrictEqual(message, {
        notification: { title: "T", body: "B", image: "https://example.com/i.png" },
        android: {
          notification: {
            icon: "ic_stat",
            sound: "ding.caf",
            tag: "scores",
            color: "#00ff00",
            click_action: "OPEN_SCORES",
            channel_id: "news",
            body_loc_key: "BODY_KEY",
            body_loc_args: ["b1", "b2"],
            title_loc_key: "TITLE_KEY",
            title_loc_args: ["t1"]
          }
        },
        apns: {
          payload: {
            aps: {
              alert: {
                title: "T",
                body: "B",
                subtitle: "S",
                "loc-key": "BODY_KEY",
                "loc-args": ["b1", "b2"],
                "title-loc-key": "TITLE_KEY",
                "title-loc-args": ["t1"]
              },
              badge: 3,
              sound: "ding.caf",
              category: "OPEN_SCORES"
            }
          }
        },
        webpush: { notification: { icon: "ic_stat" } }
      })
    })

    it("badge becomes a number when it parses and is dropped otherwise", () => {
      assert.deepStrictEqual(translate({ notification: { badge: "0" } }).message, {
        apns: { payload: { aps: { badge: 0 } } }
      })
      assert.deepStrictEqual(translate({ notification: { badge: "12" } }).message, {
        apns: { payload: { aps: { badge: 12 } } }
      })
      assert.deepStrictEqual(translate({ notification: { badge: "many" } }).message, {})
      assert.deepStrictEqual(translate({ notification: { badge: "-1" } }).message, {})
    })

    it("subtitle alone makes an alert dictionary; title and body alone do not", () => {
      assert.deepStrictEqual(translate({ notification: { subtitle: "S" } }).message, {
        apns: { payload: { aps: { alert: { subtitle: "S" } } } }
      })
      assert.deepStrictEqual(translate({ notification: { title: "T", body: "B" } }).message, {
        notification: { title: "T", body: "B" }
      })
    })

    it("loc-args travel only with their loc-key", () => {
      assert.deepStrictEqual(translate({ notification: { bodyLocArgs: ["x"], titleLocArgs: ["y"] } }).message, {})
      assert.deepStrictEqual(translate({ notification: { titleLocKey: "K" } }).message, {
        android: { notification: { title_loc_key: "K" } },
        apns: { payload: { aps: { alert: { "title-loc-key": "K" } } } }
      })
    })

    it("an https clickAction is also the web push link", () => {
      assert.deepStrictEqual(translate({ notification: { clickAction: "https://example.com/scores" } }).message, {
        android: { notification: { click_action: "https://example.com/scores" } },
        apns: { payload: { aps: { category: "https://example.com/scores" } } },
        webpush: { fcm_options: { link: "https://example.com/scores" } }
      })
      const plain = translate({ notification: { clickAction: "http://example.com" } }).message as any
      assert.isUndefined(plain.webpush)
    })

    it("Android-only keys make no APNs block and no apns-priority", () => {
      assert.deepStrictEqual(translate({ priority: "high", notification: { color: "#123456", tag: "t" } }).message, {
        android: { priority: "HIGH", notification: { color: "#123456", tag: "t" } }
      })
    })
  })

  it("is shared by every request of a fan-out: adding a target copies, the translation is untouched", () => {
    const { message } = translate({ data: { k: "v" }, timeToLive: 5 })
    const before = JSON.stringify(message)
    const requests = ["t1", "t2"].map((token) => ({ ...message, token }))
    assert.strictEqual(requests[1]!.token, "t2")
    assert.strictEqual(JSON.stringify(message), before)
  })

  it("leaves no undefined values in", () => {
    const msg = Message.multicast(["a"], {
      data: { k: "v" },
      notification: { title: "T", body: undefined, subtitle: "S", bodyLocKey: undefined },
      collapseKey: undefined,
      priority: undefined,
      timeToLive: 1
    })
    assert.deepStrictEqual(undefinedPaths(MessageV1.fromMessage(msg, NOW).message), [])
  })
})

describe("MessageV1.toWire", () => {
  it("encodes a full firebase-admin-style message to the exact snake_case wire object", () => {
    const input = FULL
    assert.strictEqual(fieldOf(input), "<valid>")
    assert.deepStrictEqual(MessageV1.toWire(input), {
      token: "registration-token",
      data: { score: "3-0", time: "90+2" },
      notification: { title: "Match update", body: "Arsenal goal", image: "https://example.com/goal.png" },
      android: {
        collapse_key: "score_update",
        priority: "HIGH",
        ttl: "3.5s",
        restricted_package_name: "com.example.scores",
        data: { score: "3-0" },
        notification: {
          title: "Android title",
          body: "Android body",
          icon: "stock_ticker_update",
          color: "#f45342",
          sound: "default",
          tag: "score",
          click_action: "OPEN_SCORES",
          body_loc_key: "BODY",
          body_loc_args: ["Arsenal"],
          title_loc_key: "TITLE",
          title_loc_args: ["3", "0"],
          channel_id: "scores",
          ticker: "Goal!",
          sticky: false,
          event_time: "2024-05-01T12:00:00.123Z",
          local_only: true,
          notification_priority: "PRIORITY_MAX",
          vibrate_timings: ["0.5s", "1s", "0.25s"],
          default_vibrate_timings: false,
          default_sound: true,
          light_settings: {
            color: { red: 1, green: 0, blue: 0, alpha: 128 / 255 },
            light_on_duration: "0.1s",
            light_off_duration: "2.5s"
          },
          default_light_settings: false,
          visibility: "PRIVATE",
          notification_count: 7,
          image: "https://example.com/android.png",
          proxy: "IF_PRIORITY_LOWERED"
        },
        fcm_options: { analytics_label: "android_label" },
        direct_boot_ok: true,
        bandwidth_constrained_ok: true,
        restricted_satellite_ok: false
      },
      apns: {
        headers: { "apns-priority": "10", "apns-push-type": "alert" },
        payload: {
          aps: {
            alert: {
              title: "iOS title",
              subtitle: "iOS subtitle",
              body: "iOS body",
              "loc-key": "LOC",
              "loc-args": ["a"],
              "title-loc-key": "TLOC",
              "title-loc-args": ["b"],
              "subtitle-loc-key": "SLOC",
              "subtitle-loc-args": ["c"],
              "action-loc-key": "ALOC",
              "launch-image": "launch.png"
            },
            badge: 42,
            sound: { critical: 1, name: "alarm.caf", volume: 0.5 },
            "content-available": 1,
            "mutable-content": 1,
            category: "SCORES",
            "thread-id": "match-1",
            "interruption-level": "time-sensitive"
          },
          matchId: 1234,
          teams: ["Arsenal", "Chelsea"]
        },
        fcm_options: { analytics_label: "ios_label", image: "https://example.com/ios.png" },
        live_activity_token: "live-activity-token"
      },
      webpush: {
        headers: { TTL: "300", Urgency: "high" },
        data: { web: "1" },
        notification: {
          title: "Web title",
          body: "Web body",
          icon: "https://example.com/icon.png",
          requireInteraction: true,
          actions: [{ action: "open", title: "Open" }],
          customKey: { nested: [1, 2] }
        },
        fcm_options: { link: "https://example.com/match/1", analytics_label: "web_label" }
      },
      fcm_options: { analytics_label: "campaign_42" }
    })
  })

  it("encodes what validate returns, for input from untyped JSON", () => {
    const json = JSON.parse(
      `{"topic":"/topics/news","android":{"ttl":0,"notification":{"eventTimestamp":"2024-05-01T12:00:00+02:00"}}}`
    )
    const validated = Either.getOrThrow(MessageV1.validateEither(json))
    assert.deepStrictEqual(MessageV1.toWire(validated), {
      topic: "news",
      android: { ttl: "0s", notification: { event_time: "2024-05-01T12:00:00+02:00" } }
    })
  })

  it("encodes the example of docs/v1-translation.md as documented", () => {
    const message = DOCS_EXAMPLE
    assert.strictEqual(fieldOf(message), "<valid>")
    assert.deepStrictEqual(MessageV1.toWire(message), {
      topic: "scores",
      notification: { title: "Match update", body: "Arsenal goal in added time, score is now 3-0" },
      android: {
        ttl: "86400s",
        priority: "HIGH",
        notification: { click_action: "OPEN_SCORES", channel_id: "scores", color: "#f45342" }
      },
      apns: {
        headers: { "apns-priority": "5" },
        payload: { aps: { category: "NEW_MESSAGE_CATEGORY", "content-available": 1 }, matchId: "1234" }
      },
      webpush: { headers: { TTL: "86400" }, fcm_options: { link: "https://example.com/scores" } }
    })
  })

  it("sends the condition as written", () => {
    const condition = "'dogs' in topics || 'cats' in topics"
    assert.deepStrictEqual(MessageV1.toWire({ condition }), { condition })
  })

  it("drops false APNs flags and a non-critical sound's flag, as APNs expects 1 or nothing", () => {
    assert.deepStrictEqual(
      MessageV1.toWire({
        token: "t",
        apns: {
          payload: {
            aps: { contentAvailable: false, mutableContent: false, sound: { critical: false, name: "s" } }
          }
        }
      }),
      { token: "t", apns: { payload: { aps: { sound: { name: "s" } } } } }
    )
  })

  it("refuses the wire spelling of a known aps key in the camelCase message, naming it", () => {
    for (const key of ["content-available", "mutable-content", "thread-id"]) {
      const checked = MessageV1.validateEither({ token: "t", apns: { payload: { aps: { [key]: 1 } } } })
      assert.ok(Either.isLeft(checked))
      assert.strictEqual(checked.left.field, `apns.payload.aps.${key}`)
    }
  })

  it("converts #rrggbb light colours to opaque RGBA floats", () => {
    const wire = MessageV1.toWire({
      token: "t",
      android: {
        notification: {
          lightSettings: { color: "#3366CC", lightOnDurationMillis: 0, lightOffDurationMillis: 1 }
        }
      }
    }) as any
    assert.deepStrictEqual(wire.android.notification.light_settings, {
      color: { red: 0x33 / 255, green: 0x66 / 255, blue: 0xcc / 255, alpha: 1 },
      light_on_duration: "0s",
      light_off_duration: "0.001s"
    })
  })

  it("leaves no undefined values in, not even inside free-form objects", () => {
    const wire = MessageV1.toWire({
      token: "t",
      notification: { title: "T", body: undefined },
      android: { collapseKey: undefined, notification: { color: undefined, tag: "x" } },
      apns: { payload: { aps: { badge: undefined, custom: { a: undefined, b: 1 } }, extra: undefined } },
      webpush: { notification: { title: undefined, data: { x: undefined } }, fcmOptions: { link: undefined } }
    })
    assert.deepStrictEqual(undefinedPaths(wire), [])
    assert.deepStrictEqual(wire, {
      token: "t",
      notification: { title: "T" },
      android: { notification: { tag: "x" } },
      apns: { payload: { aps: { custom: { b: 1 } } } },
      webpush: { notification: { data: {} }, fcm_options: {} }
    })
  })
})

describe("durations", () => {
  const cases: ReadonlyArray<readonly [number, string]> = [
    [3500, "3.5s"],
    [1, "0.001s"],
    [0, "0s"],
    [1000, "1s"],
    [10, "0.01s"],
    [90_000, "90s"],
    [1_234_567, "1234.567s"],
    [MessageV1.MAX_TTL_MILLIS, "2419200s"],
    [0.5, "0.0005s"],
    [1.000001, "0.001000001s"]
  ]
  for (const [millis, expected] of cases) {
    it(`${millis} ms → ${expected}`, () => {
      assert.strictEqual(MessageV1.durationFromMillis(millis), expected)
    })
  }

  it("android.ttl goes on the wire as a duration", () => {
    const ttl = (ms: number) => (MessageV1.toWire({ token: "t", android: { ttl: ms } }) as any).android.ttl
    assert.strictEqual(ttl(3500), "3.5s")
    assert.strictEqual(ttl(1), "0.001s")
    assert.strictEqual(ttl(0), "0s")
  })
})

describe("MessageV1.validate", () => {
  describe("names the field as the caller wrote it", () => {
    const ok = { token: "t" }
    const cases: ReadonlyArray<readonly [string, unknown, string]> = [
      ["not an object", "hello", "message"],
      ["null", null, "message"],
      ["no target", { data: { a: "b" } }, "token"],
      ["two targets", { token: "t", topic: "news" }, "topic"],
      ["three targets", { token: "t", topic: "news", condition: "'a' in topics" }, "topic"],
      ["topic and condition", { topic: "news", condition: "'a' in topics" }, "condition"],
      ["an empty token", { token: "" }, "token"],
      ["a numeric token (untyped JS)", { token: 5 }, "token"],
      ["the seed's tokens list", { tokens: ["a"] }, "tokens"],
      ["a number as a data value", { ...ok, data: { int: 90 } }, "data.int"],
      ["a boolean as a data value", { ...ok, data: { flag: true } }, "data.flag"],
      ["a nested data value", { ...ok, data: { nested: { x: "1" } } }, "data.nested"],
      ["data as a string", { ...ok, data: "x" }, "data"],
      ["data as an array", { ...ok, data: ["x"] }, "data"],
      ["reserved key from", { ...ok, data: { from: "x" } }, "data.from"],
      ["reserved key message_type", { ...ok, data: { message_type: "x" } }, "data.message_type"],
      ["reserved key google.*", { ...ok, data: { "google.c.a.e": "1" } }, "data.google.c.a.e"],
      ["reserved key gcm*", { ...ok, data: { gcm_id: "x" } }, "data.gcm_id"],
      ["reserved key in android.data", { ...ok, android: { data: { from: "x" } } }, "android.data.from"],
      ["non-string android.data value", { ...ok, android: { data: { n: 1 } } }, "android.data.n"],
      ["reserved key in webpush.data", { ...ok, webpush: { data: { gcm: "x" } } }, "webpush.data.gcm"],
      ["non-string apns header", { ...ok, apns: { headers: { "apns-priority": 10 } } }, "apns.headers.apns-priority"],
      ["negative TTL", { ...ok, android: { ttl: -1 } }, "android.ttl"],
      ["TTL above four weeks", { ...ok, android: { ttl: MessageV1.MAX_TTL_MILLIS + 1 } }, "android.ttl"],
      ["fractional TTL", { ...ok, android: { ttl: 1.5 } }, "android.ttl"],
      ["TTL as a duration string", { ...ok, android: { ttl: "3.5s" } }, "android.ttl"],
      ["android as a string", { ...ok, android: "high" }, "android"],
      ["bad android priority", { ...ok, android: { priority: "urgent" } }, "android.priority"],
      ["upper-case android priority", { ...ok, android: { priority: "HIGH" } }, "android.priority"],
      ["bad colour word", { ...ok, android: { notification: { color: "red" } } }, "android.notification.color"],
      ["short colour", { ...ok, android: { notification: { color: "#fff" } } }, "android.notification.color"],
      [
        "colour with alpha where none is allowed",
        { ...ok, android: { notification: { color: "#ff000080" } } },
        "android.notification.color"
      ],
      [
        "bad light colour",
        {
          ...ok,
          android: {
            notification: { lightSettings: { color: "blue", lightOnDurationMillis: 1, lightOffDurationMillis: 1 } }
          }
        },
        "android.notification.lightSettings.color"
      ],
      [
        "light settings without durations",
        { ...ok, android: { notification: { lightSettings: { color: "#ffffff" } } } },
        "android.notification.lightSettings.lightOnDurationMillis"
      ],
      [
        "bad notification priority",
        { ...ok, android: { notification: { priority: "urgent" } } },
        "android.notification.priority"
      ],
      [
        "bad visibility",
        { ...ok, android: { notification: { visibility: "hidden" } } },
        "android.notification.visibility"
      ],
      [
        "negative vibrate timing",
        { ...ok, android: { notification: { vibrateTimingsMillis: [100, -1] } } },
        "android.notification.vibrateTimingsMillis[1]"
      ],
      [
        "empty vibrate timings",
        { ...ok, android: { notification: { vibrateTimingsMillis: [] } } },
        "android.notification.vibrateTimingsMillis"
      ],
      [
        "eventTimestamp that is not a timestamp",
        { ...ok, android: { notification: { eventTimestamp: "yesterday" } } },
        "android.notification.eventTimestamp"
      ],
      [
        "invalid Date",
        { ...ok, android: { notification: { eventTimestamp: new Date("nope") } } },
        "android.notification.eventTimestamp"
      ],
      [
        "eventTimestamp as epoch millis",
        { ...ok, android: { notification: { eventTimestamp: 1_700_000_000_000 } } },
        "android.notification.eventTimestamp"
      ],
      [
        "negative notification count",
        { ...ok, android: { notification: { notificationCount: -1 } } },
        "android.notification.notificationCount"
      ],
      [
        "bodyLocArgs without bodyLocKey",
        { ...ok, android: { notification: { bodyLocArgs: ["x"] } } },
        "android.notification.bodyLocKey"
      ],
      [
        "titleLocArgs without titleLocKey",
        { ...ok, android: { notification: { titleLocArgs: ["x"] } } },
        "android.notification.titleLocKey"
      ],
      [
        "alert locArgs without locKey",
        { ...ok, apns: { payload: { aps: { alert: { locArgs: ["x"] } } } } },
        "apns.payload.aps.alert.locKey"
      ],
      [
        "alert subtitleLocArgs without subtitleLocKey",
        { ...ok, apns: { payload: { aps: { alert: { subtitleLocArgs: ["x"] } } } } },
        "apns.payload.aps.alert.subtitleLocKey"
      ],
      ["http link", { ...ok, webpush: { fcmOptions: { link: "http://example.com" } } }, "webpush.fcmOptions.link"],
      ["relative link", { ...ok, webpush: { fcmOptions: { link: "/scores" } } }, "webpush.fcmOptions.link"],
      [
        "volume 2",
        { ...ok, apns: { payload: { aps: { sound: { name: "s", volume: 2 } } } } },
        "apns.payload.aps.sound.volume"
      ],
      [
        "negative volume",
        { ...ok, apns: { payload: { aps: { sound: { name: "s", volume: -0.1 } } } } },
        "apns.payload.aps.sound.volume"
      ],
      [
        "critical sound without a name",
        { ...ok, apns: { payload: { aps: { sound: { critical: true } } } } },
        "apns.payload.aps.sound.name"
      ],
      ["sound as a number", { ...ok, apns: { payload: { aps: { sound: 1 } } } }, "apns.payload.aps.sound"],
      ["alert as a number", { ...ok, apns: { payload: { aps: { alert: 1 } } } }, "apns.payload.aps.alert"],
      ["fractional badge", { ...ok, apns: { payload: { aps: { badge: 1.5 } } } }, "apns.payload.aps.badge"],
      ["badge as a string", { ...ok, apns: { payload: { aps: { badge: "3" } } } }, "apns.payload.aps.badge"],
      ["payload without aps", { ...ok, apns: { payload: { custom: 1 } } }, "apns.payload.aps"],
      [
        "both threadId and thread-id",
        { ...ok, apns: { payload: { aps: { threadId: "a", "thread-id": "b" } } } },
        "apns.payload.aps.thread-id"
      ],
      [
        "a function in a custom APNs key",
        { ...ok, apns: { payload: { aps: {}, custom: { f: () => 1 } } } },
        "apns.payload.custom.f"
      ],
      [
        "NaN inside the web notification",
        { ...ok, webpush: { notification: { extra: [1, Number.NaN] } } },
        "webpush.notification.extra[1]"
      ],
      [
        "web notification title as a number",
        { ...ok, webpush: { notification: { title: 5 } } },
        "webpush.notification.title"
      ],
      ["bad web notification dir", { ...ok, webpush: { notification: { dir: "up" } } }, "webpush.notification.dir"],
      ["unknown top-level field", { ...ok, priority: "high" }, "priority"],
      ["unknown android field", { ...ok, android: { timeToLive: 5 } }, "android.timeToLive"],
      ["snake_case field from wire habits", { ...ok, android: { collapse_key: "k" } }, "android.collapse_key"],
      [
        "unknown android.notification field",
        { ...ok, android: { notification: { click_action: "x" } } },
        "android.notification.click_action"
      ],
      [
        "unknown alert field",
        { ...ok, apns: { payload: { aps: { alert: { sub: "x" } } } } },
        "apns.payload.aps.alert.sub"
      ],
      ["unknown webpush field", { ...ok, webpush: { ttl: 5 } }, "webpush.ttl"],
      ["the legacy image key", { ...ok, notification: { image: "https://x.example/i.png" } }, "notification.image"],
      ["image URL that is not a URL", { ...ok, notification: { imageUrl: "goal.png" } }, "notification.imageUrl"],
      ["bad analytics label", { ...ok, fcmOptions: { analyticsLabel: "has space" } }, "fcmOptions.analyticsLabel"],
      [
        "analytics label over 50 characters",
        { ...ok, android: { fcmOptions: { analyticsLabel: "a".repeat(51) } } },
        "android.fcmOptions.analyticsLabel"
      ],
      ["directBootOk as a string", { ...ok, android: { directBootOk: "true" } }, "android.directBootOk"],
      ["bad topic name", { topic: "news flash" }, "topic"],
      ["bad topic after the prefix", { topic: "/topics/" }, "topic"],
      ["condition without topics", { condition: "true" }, "condition"],
      [
        "condition with six topics",
        { condition: ["a", "b", "c", "d", "e", "f"].map((t) => `'${t}' in topics`).join(" || ") },
        "condition"
      ],
      ["payload over 4096 bytes", { ...ok, data: { big: "x".repeat(4100) } }, "data"],
      ["topic payload over 2048 bytes", { topic: "news", data: { big: "x".repeat(2100) } }, "data"],
      [
        "oversized android data override",
        { ...ok, data: { k: "v" }, android: { data: { big: "x".repeat(4100) } } },
        "android.data"
      ],
      [
        "oversized APNs payload",
        { ...ok, apns: { payload: { aps: { alert: "x".repeat(4100) } } } },
        "apns.payload"
      ],
      [
        "oversized common notification",
        { ...ok, notification: { body: "x".repeat(4100) } },
        "notification"
      ]
    ]
    for (const [name, input, field] of cases) {
      it(name, () => assert.strictEqual(fieldOf(input), field))
    }
  })

  it("accepts what FCM accepts", () => {
    const valid = VALID
    for (const input of valid) assert.strictEqual(fieldOf(input), "<valid>", JSON.stringify(input))
  })

  it("counts multi-byte characters in the payload size", () => {
    assert.strictEqual(fieldOf({ token: "t", data: { k: "€".repeat(1400) } }), "data")
  })

  it.effect("fails with a tagged InvalidMessage whose message names field and reason", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(MessageV1.validate({ token: "t", android: { ttl: 2_419_200_001 } }))
      assert.strictEqual(error._tag, "InvalidMessage")
      assert.strictEqual(error.field, "android.ttl")
      assert.include(error.reason, "2419200000")
      assert.include(error.message, "android.ttl")
    }))

  it.effect("gives the reason in words", () =>
    Effect.gen(function*() {
      const reason = (input: unknown) => Effect.map(Effect.flip(MessageV1.validate(input)), (e) => e.reason)
      assert.include(yield* reason({ token: "t", data: { from: "x" } }), "reserved")
      assert.include(yield* reason({ token: "t", data: { n: 1 } }), "string")
      assert.include(yield* reason({ token: "t", android: { priority: "urgent" } }), `"high", "normal"`)
      assert.include(yield* reason({ token: "t", webpush: { fcmOptions: { link: "http://x.example" } } }), "https")
      assert.include(yield* reason({ token: "t", topic: "news" }), "exactly one")
      assert.include(yield* reason({ topic: "news", data: { big: "x".repeat(2100) } }), "2048")
    }))

  it.effect("succeeds with the message, Dates and free-form keys intact", () =>
    Effect.gen(function*() {
      const at = new Date("2024-05-01T12:00:00Z")
      const input = {
        topic: "news",
        android: { notification: { eventTimestamp: at } },
        apns: { payload: { aps: { custom: { x: 1 } }, top: [1] } }
      }
      const message = yield* MessageV1.validate(input)
      assert.deepStrictEqual(message, input)
      assert.strictEqual(message.android?.notification?.eventTimestamp, at)
    }))
})
