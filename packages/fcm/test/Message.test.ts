import { Message } from "@effect-fcm/fcm"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import * as Legacy from "../src/internal/legacy.js"

const fieldOf = (input: unknown): string => {
  const result = Message.validateEither(input)
  if (Either.isRight(result)) return "<valid>"
  return result.left.field
}

describe("Message", () => {
  it("encodes the seed's T2 message to its exact legacy payload", () => {
    const msg = Message.multicast(["A", "B", "C", "D", "E"], {
      data: { str: "string", int: 90, bool: true },
      collapseKey: "collapse.key",
      timeToLive: 90,
      delayWhileIdle: true,
      dryRun: true,
      priority: "high"
    })
    assert.deepStrictEqual(Legacy.encode(msg, Message.targets(msg)), {
      collapse_key: "collapse.key",
      delay_while_idle: true,
      registration_ids: ["A", "B", "C", "D", "E"],
      data: { str: "string", int: 90, bool: true },
      time_to_live: 90,
      dry_run: true,
      priority: "high"
    })
    assert.isTrue(Either.isRight(Message.validateEither(msg)))
  })

  it("round-trips through JSON (the seed's pickle and __getstate__ round trips)", () => {
    const msg = Message.multicast(["A", "B"], {
      data: { k: "v" },
      notification: { title: "T", body: "B" },
      collapseKey: "c",
      timeToLive: 0
    })
    const back = Message.validateEither(JSON.parse(JSON.stringify(msg)))
    assert.deepStrictEqual(Either.getOrThrow(back), msg)
  })

  it("keeps time_to_live 0 and false booleans on the wire", () => {
    assert.deepStrictEqual(Legacy.encode(Message.multicast(["a"], { timeToLive: 0 }), ["a"]), {
      time_to_live: 0,
      registration_ids: ["a"]
    })
    assert.deepStrictEqual(Legacy.encode(Message.multicast(["a"], { dryRun: false, delayWhileIdle: false }), ["a"]), {
      delay_while_idle: false,
      dry_run: false,
      registration_ids: ["a"]
    })
  })

  it("omits empty data and sends the notification body as body (the seed sent `text`)", () => {
    assert.deepStrictEqual(Legacy.encode(Message.multicast(["a"], { data: {} }), ["a"]), { registration_ids: ["a"] })
    assert.deepStrictEqual(Legacy.encode(Message.multicast(["a"], { notification: { title: "T" } }), ["a"]), {
      notification: { title: "T" },
      registration_ids: ["a"]
    })
    assert.deepStrictEqual(Legacy.encode(Message.multicast(["a"], { notification: { body: "B" } }), ["a"]), {
      notification: { body: "B" },
      registration_ids: ["a"]
    })
  })

  it("encodes the options the seed lacked: content_available, mutable_content, notification keys", () => {
    const msg = Message.multicast(["a"], {
      contentAvailable: true,
      mutableContent: true,
      restrictedPackageName: "com.example",
      notification: { clickAction: "OPEN", channelId: "news", bodyLocArgs: ["x"], color: "#ff0000" }
    })
    assert.deepStrictEqual(Legacy.encode(msg, ["a"]), {
      restricted_package_name: "com.example",
      content_available: true,
      mutable_content: true,
      notification: { click_action: "OPEN", android_channel_id: "news", body_loc_args: ["x"], color: "#ff0000" },
      registration_ids: ["a"]
    })
  })

  it("targets topics and conditions", () => {
    assert.deepStrictEqual(Legacy.encode(Message.toTopic("news"), Message.targets(Message.toTopic("news"))), {
      to: "/topics/news"
    })
    const cond = Message.toCondition("'dogs' in topics || 'cats' in topics")
    assert.deepStrictEqual(Legacy.encode(cond, Message.targets(cond)), {
      condition: "'dogs' in topics || 'cats' in topics"
    })
    assert.strictEqual(fieldOf(Message.toTopic("/topics/news")), "<valid>")
  })

  describe("validation names the field", () => {
    const cases: ReadonlyArray<readonly [string, unknown, string]> = [
      ["no target", { data: { a: "b" } }, "tokens"],
      ["two targets", { tokens: ["a"], topic: "news" }, "tokens"],
      ["empty token list", { tokens: [] }, "tokens"],
      ["null tokens (untyped caller)", { tokens: null }, "tokens"],
      ["a string where tokens go (the seed split it into characters)", { tokens: "abc" }, "tokens"],
      ["a number where tokens go", { tokens: 5 }, "tokens"],
      ["an empty token", { tokens: ["a", ""] }, "tokens[1]"],
      ["a duplicate token", { tokens: ["a", "b", "a"] }, "tokens[2]"],
      ["nested data", { tokens: ["a"], data: { nested: { x: 1 } } }, "data.nested"],
      ["an array data value", { tokens: ["a"], data: { list: [1] } }, "data.list"],
      ["a non-finite data value", { tokens: ["a"], data: { n: Number.NaN } }, "data.n"],
      ["reserved key from", { tokens: ["a"], data: { from: "x" } }, "data.from"],
      ["reserved key message_type", { tokens: ["a"], data: { message_type: "x" } }, "data.message_type"],
      ["reserved key google.*", { tokens: ["a"], data: { "google.sent_time": "x" } }, "data.google.sent_time"],
      ["reserved key gcm*", { tokens: ["a"], data: { gcm_x: "x" } }, "data.gcm_x"],
      ["negative TTL", { tokens: ["a"], timeToLive: -1 }, "timeToLive"],
      ["TTL above four weeks", { tokens: ["a"], timeToLive: 2_419_201 }, "timeToLive"],
      ["fractional TTL", { tokens: ["a"], timeToLive: 1.5 }, "timeToLive"],
      ["TTL as a string (the seed coerced it)", { tokens: ["a"], timeToLive: "90" }, "timeToLive"],
      ["unknown priority", { tokens: ["a"], priority: "urgent" }, "priority"],
      ["numeric priority (the seed stringified it)", { tokens: ["a"], priority: 10 }, "priority"],
      ["numeric collapse key (the seed stringified it)", { tokens: ["a"], collapseKey: 5 }, "collapseKey"],
      ["empty collapse key (the seed dropped it silently)", { tokens: ["a"], collapseKey: "" }, "collapseKey"],
      ["string dry run (the seed took \"false\" as true)", { tokens: ["a"], dryRun: "false" }, "dryRun"],
      ["unknown option (the seed dropped it silently)", { tokens: ["a"], foo: "bar" }, "foo"],
      ["snake_case option from seed habits", { tokens: ["a"], time_to_live: 5 }, "time_to_live"],
      ["bad topic name", { topic: "news flash" }, "topic"],
      ["condition without topics", { condition: "true" }, "condition"],
      [
        "condition with six topics",
        { condition: ["a", "b", "c", "d", "e", "f"].map((t) => `'${t}' in topics`).join(" || ") },
        "condition"
      ],
      ["bad notification colour", { tokens: ["a"], notification: { color: "red" } }, "notification.color"],
      ["payload over 4096 bytes", { tokens: ["a"], data: { big: "x".repeat(4100) } }, "data"],
      ["topic payload over 2048 bytes", { topic: "news", data: { big: "x".repeat(2100) } }, "data"],
      ["not an object", "hello", "message"]
    ]
    for (const [name, input, field] of cases) {
      it(name, () => assert.strictEqual(fieldOf(input), field))
    }

    it.effect("fails with a tagged InvalidMessage whose message names field and reason", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Message.validate({ tokens: ["a"], timeToLive: 3_000_000 }))
        assert.strictEqual(error._tag, "InvalidMessage")
        assert.strictEqual(error.field, "timeToLive")
        assert.include(error.message, "timeToLive")
        assert.include(error.reason, "2419200")
      }))
  })

  it("says which rule a data key broke, and Message.Data refuses it on its own too", () => {
    const reason = (data: object) => {
      const checked = Message.validateEither(Message.multicast(["a"], { data } as Message.Options))
      return Either.isLeft(checked) ? `${checked.left.field}: ${checked.left.reason}` : "valid"
    }
    assert.strictEqual(reason({ from: "x" }), "data.from: is a reserved key (from, message_type, google…, gcm…)")
    assert.strictEqual(
      reason({ "google.c.a.e": "1" }),
      "data.google.c.a.e: is a reserved key (from, message_type, google…, gcm…)"
    )
    assert.strictEqual(reason({ "": "x" }), "data[\"\"]: must not be empty")
    assert.strictEqual(reason({ fromage: "brie" }), "valid")
    // decoded alone, a reserved key is refused, not silently dropped
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Message.Data)({ from: "me" })))
  })

  it("says what a data value may be when one is not (not just \"Expected string\")", () => {
    const reason = (data: object) => {
      const checked = Message.validateEither(Message.multicast(["a"], { data } as Message.Options))
      return Either.isLeft(checked) ? `${checked.left.field}: ${checked.left.reason}` : "valid"
    }
    const accepted = "must be a string, a finite number or a boolean (nested structures are not allowed)"
    assert.strictEqual(reason({ nested: { x: 1 } }), `data.nested: ${accepted}`)
    assert.strictEqual(reason({ list: [1] }), `data.list: ${accepted}`)
    assert.strictEqual(reason({ n: Number.POSITIVE_INFINITY }), `data.n: ${accepted}`)
    assert.strictEqual(reason({ s: "x", n: 1, b: false }), "valid")
  })

  it("accepts more than 1000 tokens (the legacy sender splits them)", () => {
    const tokens = Array.from({ length: 2500 }, (_, i) => `t${i}`)
    assert.strictEqual(fieldOf(Message.multicast(tokens)), "<valid>")
  })

  it("counts multi-byte characters in the payload size", () => {
    // 1400 three-byte characters are 4200 bytes though only 1400 UTF-16 units.
    assert.strictEqual(fieldOf(Message.multicast(["a"], { data: { k: "€".repeat(1400) } })), "data")
    assert.strictEqual(fieldOf(Message.multicast(["a"], { data: { k: "€".repeat(1300) } })), "<valid>")
  })

  it("withTokens keeps options and payload", () => {
    const msg = Message.multicast(["A", "B"], { data: { x: 1 }, collapseKey: "k" })
    assert.deepStrictEqual(Message.withTokens(msg, ["B"]), { data: { x: 1 }, collapseKey: "k", tokens: ["B"] })
  })
})
