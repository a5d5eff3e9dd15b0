/**
 * The commands run in-process (`Cli.run`) against an emulator in the test process, and the pure parts: `--data`,
 * message files, CSV fields, the progress bar, exit codes.
 */
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Demo from "../src/internal/demo.js"
import * as Parse from "../src/internal/parse.js"
import * as Progress from "../src/internal/progress.js"
import * as Report from "../src/internal/report.js"
import { fcmInProcess, sendsTo, tempDir, writeKey } from "./support.js"

const writeJson = (name: string, value: unknown): string => {
  const file = path.join(tempDir(), name)
  fs.writeFileSync(file, JSON.stringify(value))
  return file
}

describe("parsing", () => {
  it("--data pairs split at the first =, merge with --data-json, refuse duplicates and reserved keys", () => {
    assert.deepStrictEqual(
      Parse.parseData(["a=1", "b=x=y", "c="], undefined),
      Either.right({ a: "1", b: "x=y", c: "" })
    )
    assert.deepStrictEqual(Parse.parseData(["a=1"], "{\"n\":2,\"t\":true}"), Either.right({ n: 2, t: true, a: "1" }))
    assert.deepStrictEqual(Parse.parseData([], undefined), Either.right(undefined))
    const message = (r: Either.Either<unknown, { readonly message: string }>) =>
      Either.match(r, { onLeft: (e) => e.message, onRight: () => "ok" })
    assert.match(message(Parse.parseData(["=v"], undefined)), /expected key=value/)
    assert.match(message(Parse.parseData(["a=1", "a=2"], undefined)), /the key "a" is given twice/)
    assert.match(message(Parse.parseData(["google.x=1"], undefined)), /reserved key/)
    assert.match(message(Parse.parseData([], "{")), /--data-json is not valid JSON/)
  })

  it("a legacy message file maps its snake_case fields (and the seed's notification text) onto the message", () => {
    const decoded = Parse.decodeMessageFile(
      "m.json",
      JSON.stringify({
        registration_ids: ["a", "b"],
        data: { str: "string", int: 10 },
        collapse_key: "my.key",
        time_to_live: 0,
        dry_run: true,
        priority: "high",
        notification: { title: "Hi", text: "There", click_action: "OPEN", android_channel_id: "news" }
      })
    )
    assert.deepStrictEqual(
      decoded,
      Either.right({
        _tag: "Legacy" as const,
        targets: { _tag: "Tokens" as const, tokens: ["a", "b"] },
        options: {
          data: { str: "string", int: 10 },
          collapseKey: "my.key",
          timeToLive: 0,
          dryRun: true,
          priority: "high" as const,
          notification: { title: "Hi", body: "There", clickAction: "OPEN", channelId: "news" }
        }
      })
    )
    const topic = Parse.decodeMessageFile("m.json", JSON.stringify({ to: "/topics/news", data: { a: 1 } }))
    assert.deepStrictEqual(
      Either.map(topic, (m) => m.targets),
      Either.right({ _tag: "Topic" as const, topic: "/topics/news" })
    )
    const unknown = Parse.decodeMessageFile("m.json", JSON.stringify({ registration_ids: ["a"], sound: "x" }))
    assert.match(
      Either.getLeft(unknown).pipe((e) => e._tag === "Some" ? e.value.message : ""),
      /sound: is unexpected, expected: "registration_ids"/
    )
  })

  it("an HTTP v1 message file, camelCase or in wire form, decodes to the library's v1 message, its target apart", () => {
    const expected = Either.right({
      _tag: "V1" as const,
      targets: { _tag: "Topic" as const, topic: "/topics/scores" },
      payload: {
        notification: { title: "Goal", imageUrl: "https://example.com/a.png" },
        android: { ttl: 3_500, priority: "high" as const, notification: { channelId: "scores" } }
      },
      validateOnly: true
    })
    const camel = Parse.decodeMessageFile(
      "m.json",
      JSON.stringify({
        message: {
          topic: "/topics/scores",
          notification: { title: "Goal", imageUrl: "https://example.com/a.png" },
          android: { ttl: 3_500, priority: "high", notification: { channelId: "scores" } }
        },
        validate_only: true
      })
    )
    assert.deepStrictEqual(camel, expected)
    const wire = Parse.decodeMessageFile(
      "m.json",
      JSON.stringify({
        message: {
          topic: "/topics/scores",
          notification: { title: "Goal", image: "https://example.com/a.png" },
          android: { ttl: "3.5s", priority: "HIGH", notification: { channel_id: "scores" } }
        },
        validate_only: true
      })
    )
    assert.deepStrictEqual(wire, expected)
    const wireError = Parse.decodeMessageFile(
      "m.json",
      JSON.stringify({ token: "a", android: { ttl: "soon", notification: { body_loc_args: ["x"] } } })
    )
    assert.match(Either.getLeft(wireError).pipe((e) => e._tag === "Some" ? e.value.message : ""), /android\.ttl: /)
    const camelError = Parse.decodeMessageFile(
      "m.json",
      JSON.stringify({ token: "a", android: { notification: { bodyLocArgs: ["x"] } } })
    )
    assert.match(
      Either.getLeft(camelError).pipe((e) => e._tag === "Some" ? e.value.message : ""),
      /android\.notification\.bodyLocKey: is required when bodyLocArgs is set/
    )
    const multicast = Parse.decodeMessageFile("m.json", JSON.stringify({ tokens: ["a", "b"], data: { k: "v" } }))
    assert.deepStrictEqual(
      Either.map(multicast, (m) => m.targets),
      Either.right({ _tag: "Tokens" as const, tokens: ["a", "b"] })
    )
    const nonString = Parse.decodeMessageFile("m.json", JSON.stringify({ token: "a", data: { k: 1 } }))
    assert.match(
      Either.getLeft(nonString).pipe((e) => e._tag === "Some" ? e.value.message : ""),
      /data\.k: must be a string/
    )
  })
})

describe("the demo's closing command", () => {
  it("is typed as fcm is where it runs: pnpm fcm in a clone, npx fcm from node_modules, fcm otherwise", () => {
    assert.strictEqual(Demo.commandName("/home/me/effect-fcm/packages/cli/src/bin.ts"), "pnpm fcm")
    assert.strictEqual(Demo.commandName("C:\\src\\effect-fcm\\packages\\cli\\src\\bin.ts"), "pnpm fcm")
    assert.strictEqual(Demo.commandName("/home/me/app/node_modules/.bin/fcm"), "npx fcm")
    assert.strictEqual(Demo.commandName("/usr/local/bin/fcm"), "fcm")
    assert.strictEqual(Demo.commandName(undefined), "fcm")
    assert.match(
      Demo.realInvocation(["a"], "pnpm fcm"),
      /^pnpm fcm send --credentials service-account\.json \\\n\s+--token a/
    )
  })
})

describe("reports", () => {
  it("quotes CSV fields only when needed", () => {
    assert.strictEqual(Report.csvField("abc:DEF_1-2"), "abc:DEF_1-2")
    assert.strictEqual(Report.csvField("a,b"), "\"a,b\"")
    assert.strictEqual(Report.csvField("say \"hi\""), "\"say \"\"hi\"\"\"")
  })

  it("exit codes: 5 wins over 4, canonical counts as delivered", () => {
    const summary = {
      total: 3,
      success: 2,
      canonical: 1,
      notRegistered: 0,
      failed: 0,
      retryable: 0,
      unknown: 0,
      failedByCode: {}
    }
    assert.strictEqual(Report.exitCodeOf(summary), 0)
    assert.strictEqual(Report.exitCodeOf({ ...summary, failed: 1 }), 4)
    assert.strictEqual(Report.exitCodeOf({ ...summary, notRegistered: 1 }), 4)
    assert.strictEqual(Report.exitCodeOf({ ...summary, failed: 1, retryable: 1 }), 5)
  })

  it("draws the progress bar with the rate, done/total and the time left", () => {
    assert.strictEqual(
      Progress.render({ done: 45_000, total: 100_000, elapsedMillis: 9_000, width: 20 }),
      "[#########-----------]  45,000/100,000  45%  5,000/s  ETA 0:11"
    )
    assert.strictEqual(
      Progress.render({ done: 100_000, total: 100_000, elapsedMillis: 20_000, width: 4 }),
      "[####]  100,000/100,000  100%  5,000/s  done"
    )
    assert.strictEqual(
      Progress.render({ done: 1_234, total: undefined, elapsedMillis: 2_000 }),
      "1,234 sent  617/s  0:02"
    )
  })
})

const Emulator = FcmServer.layer({
  projectId: "in-process",
  scenarios: { prefixes: { "gone-": Scenario.notRegistered } }
})

describe("fcm send (in process)", () => {
  layer(Emulator, { excludeTestServices: true, timeout: "60 seconds" })((it) => {
    it.effect("a topic and a condition, with the per-target report in --json", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const key = writeKey(emulator)
        const topic = yield* fcmInProcess([
          "send",
          "--credentials",
          key,
          "--base-url",
          emulator.baseUrl,
          "--topic",
          "/topics/news",
          "--notification-title",
          "Extra",
          "--json"
        ])
        assert.strictEqual(topic.code, 0, topic.stderr)
        assert.deepStrictEqual(Object.keys(JSON.parse(topic.stdout).tokens.delivered), ["/topics/news"])
        const condition = yield* fcmInProcess([
          "send",
          "--credentials",
          key,
          "--base-url",
          emulator.baseUrl,
          "--condition",
          "'a' in topics && 'b' in topics",
          "--data",
          "k=v"
        ])
        assert.strictEqual(condition.code, 0, condition.stderr)
        assert.match(
          condition.stdout,
          /Sent to condition 'a' in topics && 'b' in topics over HTTP v1 \(project in-process\)/
        )
      }))

    it.effect("an HTTP v1 message file goes out as written, platform blocks included, to each of its tokens", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const file = writeJson("v1.json", {
          tokens: ["v1-a", "gone-v1"],
          notification: { title: "Match update", body: "3-0" },
          android: { ttl: 3_600_000, notification: { channelId: "scores", color: "#f45342" } },
          apns: { payload: { aps: { badge: 42 } } }
        })
        const run = yield* fcmInProcess([
          "send",
          "--credentials",
          writeKey(emulator),
          "--base-url",
          emulator.baseUrl,
          "--message-file",
          file,
          "--dry-run"
        ])
        assert.strictEqual(run.code, 4, run.stderr)
        const [request] = yield* sendsTo(emulator, ["v1-a"])
        assert.deepStrictEqual(request!.body, {
          message: {
            token: "v1-a",
            notification: { title: "Match update", body: "3-0" },
            android: { ttl: "3600s", notification: { color: "#f45342", channel_id: "scores" } },
            apns: { payload: { aps: { badge: 42 } } }
          },
          validate_only: true
        })
      }))

    it.effect("a message file holding a JSON array of v1 messages goes out through FcmV1.sendEach, one request each", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const file = writeJson("each.json", [
          { token: "each-a", notification: { title: "Your order shipped" } },
          { token: "gone-each", data: { kind: "sync" } },
          { fid: "each-installation", data: { kind: "sync" } },
          { topic: "each-news", android: { ttl: "60s" } }
        ])
        const run = yield* fcmInProcess([
          "send",
          "--credentials",
          writeKey(emulator),
          "--base-url",
          emulator.baseUrl,
          "--message-file",
          file,
          "--json"
        ])
        assert.strictEqual(run.code, 4, run.stderr)
        const report = JSON.parse(run.stdout)
        assert.strictEqual(report.target, "4 messages")
        assert.deepStrictEqual([report.total, report.delivered, report.notRegistered], [4, 3, 1])
        assert.deepStrictEqual(report.tokens.notRegistered, ["gone-each"])
        assert.deepStrictEqual(Object.keys(report.tokens.delivered).sort(), [
          "/topics/each-news",
          "each-a",
          "each-installation"
        ])
        const [a] = yield* sendsTo(emulator, ["each-a"])
        assert.deepStrictEqual(a!.body, { message: { token: "each-a", notification: { title: "Your order shipped" } } })
        const [fid] = yield* sendsTo(emulator, ["each-installation"])
        assert.deepStrictEqual(fid!.body, { message: { fid: "each-installation", data: { kind: "sync" } } })
        assert.strictEqual((yield* sendsTo(emulator, ["gone-each"])).length, 1)

        const bad = writeJson("bad-each.json", [{ token: "x" }, { token: "y", android: { ttl: "soon" } }])
        const refused = yield* fcmInProcess([
          "send",
          "--credentials",
          writeKey(emulator),
          "--base-url",
          emulator.baseUrl,
          "--message-file",
          bad
        ])
        assert.strictEqual(refused.code, 2)
        assert.match(refused.stderr, /message file .*bad-each\.json: \[1\]\.android\.ttl: /)
        assert.strictEqual((yield* sendsTo(emulator, ["x", "y"])).length, 0)
      }))

    it.effect("a legacy message file over the legacy API; a v1 file refuses --legacy", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const seed = writeJson("seed.json", {
          registration_ids: ["seed-a", "seed-b"],
          data: { str: "string", int: 10 },
          collapse_key: "my.key",
          time_to_live: 90
        })
        const run = yield* fcmInProcess([
          "send",
          "--legacy",
          "--api-key",
          emulator.apiKey,
          "--base-url",
          emulator.baseUrl,
          "--message-file",
          seed
        ])
        assert.strictEqual(run.code, 0, run.stderr)
        const [request] = yield* sendsTo(emulator, ["seed-a"])
        assert.deepStrictEqual(request!.body, {
          collapse_key: "my.key",
          time_to_live: 90,
          data: { str: "string", int: 10 },
          registration_ids: ["seed-a", "seed-b"]
        })
        const v1 = writeJson("v1.json", { token: "x", data: { k: "v" } })
        const refused = yield* fcmInProcess(["send", "--legacy", "--api-key", "k", "--message-file", v1])
        assert.strictEqual(refused.code, 2)
        assert.match(refused.stderr, /is an HTTP v1 message: drop --legacy/)
      }))

    it.effect("a wrong legacy server key: exit 3, nothing delivered", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const run = yield* fcmInProcess(
          ["send", "--legacy", "--base-url", emulator.baseUrl, "--token", "wrong-key-1"],
          { FCM_API_KEY: "not-the-key" }
        )
        assert.strictEqual(run.code, 3)
        assert.match(run.stderr, /^fcm: Authentication failed \(HTTP 401\)/)
        assert.notInclude(run.stderr, "not-the-key")
        const [request] = yield* sendsTo(emulator, ["wrong-key-1"])
        assert.strictEqual(request?.delivered ?? 0, 0)
      }))

    it.effect("GOOGLE_APPLICATION_CREDENTIALS names the key when --credentials is absent", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const run = yield* fcmInProcess(
          ["send", "--base-url", emulator.baseUrl, "--token", "env-key-1"],
          { GOOGLE_APPLICATION_CREDENTIALS: writeKey(emulator) }
        )
        assert.strictEqual(run.code, 0, run.stderr)
        assert.strictEqual((yield* sendsTo(emulator, ["env-key-1"])).length, 1)
      }))

    it.effect("--emulator starts its own emulator and takes its credentials and URL", () =>
      Effect.gen(function*() {
        const run = yield* fcmInProcess(["send", "--emulator", "--token", "e1", "--token", "e2", "--json"])
        assert.strictEqual(run.code, 0, run.stderr)
        const report = JSON.parse(run.stdout)
        assert.deepStrictEqual([report.protocol, report.project, report.delivered], ["v1", "emulator-project", 2])
        const legacy = yield* fcmInProcess(["send", "--emulator", "--legacy", "--token", "e1", "--dry-run"])
        assert.strictEqual(legacy.code, 0, legacy.stderr)
        assert.match(legacy.stdout, /Validated \(dry run\) to 1 token over the legacy API/)
        const clash = yield* fcmInProcess(["send", "--emulator", "--credentials", "k.json", "--token", "e1"])
        assert.strictEqual(clash.code, 2)
        assert.match(clash.stderr, /--emulator provides the credentials and the URL: drop --credentials/)
      }))

    it.effect("an empty tokens file is a usage error", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const empty = path.join(tempDir(), "empty.txt")
        fs.writeFileSync(empty, "\n\n")
        const run = yield* fcmInProcess([
          "send",
          "--credentials",
          writeKey(emulator),
          "--base-url",
          emulator.baseUrl,
          "--tokens-file",
          empty
        ])
        assert.strictEqual(run.code, 2)
        assert.match(run.stderr, /no tokens in .*empty\.txt/)
      }))
  })
})
