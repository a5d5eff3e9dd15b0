/**
 * `fcm topic subscribe|unsubscribe` as a subprocess against an emulator running in the test process: the buckets per
 * token, the report files and the exit codes of `fcm send`, several topics in one call.
 */
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fcm, lines, oneLineError, tempDir, writeKey } from "./support.js"

const Emulator = FcmServer.layer({
  scenarios: { prefixes: { "gone-": Scenario.notRegistered, "bad-": Scenario.invalidToken } }
})

describe("fcm topic (subprocess)", () => {
  layer(Emulator, { excludeTestServices: true, timeout: "60 seconds" })((it) => {
    it.effect("subscribe 1,500 tokens from a file to two topics: exit 0, every token subscribed to both", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const dir = tempDir()
        const tokens = Array.from({ length: 1500 }, (_, i) => `phone-${i}`)
        const file = path.join(dir, "tokens.txt")
        fs.writeFileSync(file, tokens.join("\n") + "\n")
        const run = yield* fcm([
          "topic",
          "subscribe",
          "news",
          "/topics/scores",
          "--tokens-file",
          file,
          "--credentials",
          writeKey(emulator, dir),
          "--base-url",
          emulator.baseUrl
        ])
        assert.strictEqual(run.code, 0, run.stderr)
        assert.match(run.stdout, /Subscribed 1,500 tokens to 2 topics \(project emulator-project\)/)
        assert.match(run.stdout, /news: 1,500 subscribed, 0 not registered, 0 refused, 0 still retryable/)
        assert.deepStrictEqual(emulator.model.subscribers("news"), tokens)
        assert.deepStrictEqual(emulator.model.subscribers("scores"), tokens)

        const off = yield* fcm([
          "topic",
          "unsubscribe",
          "news",
          ...tokens.slice(0, 2).flatMap((t) => ["--token", t]),
          "--credentials",
          writeKey(emulator, dir),
          "--base-url",
          emulator.baseUrl,
          "--json"
        ])
        assert.strictEqual(off.code, 0, off.stderr)
        const report = JSON.parse(off.stdout)
        assert.deepStrictEqual(report.topics, [{ topic: "news", ok: 2, notRegistered: [], invalid: {}, retryable: {} }])
        assert.deepStrictEqual(emulator.model.subscribers("news"), tokens.slice(2))
      }))

    it.effect("not registered and invalid tokens: exit 4, the report files of fcm send", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const dir = tempDir()
        const reports = path.join(dir, "reports")
        const run = yield* fcm([
          "topic",
          "subscribe",
          "alerts",
          "--token",
          "ok-1",
          "--token",
          "gone-1",
          "--token",
          "bad-1",
          "--credentials",
          writeKey(emulator, dir),
          "--base-url",
          emulator.baseUrl,
          "--report-dir",
          reports
        ])
        assert.strictEqual(run.code, 4, run.stderr)
        assert.match(run.stdout, /alerts: 1 subscribed, 1 not registered, 1 refused, 0 still retryable/)
        assert.deepStrictEqual(lines(path.join(reports, "not-registered.txt")), ["gone-1"])
        assert.deepStrictEqual(lines(path.join(reports, "failed.csv")).slice(0, 1), ["token,code"])
        assert.match(lines(path.join(reports, "failed.csv"))[1]!, /^bad-1,/)
        assert.deepStrictEqual(lines(path.join(reports, "retryable.txt")), [])
        const summary = JSON.parse(fs.readFileSync(path.join(reports, "summary.json"), "utf8"))
        assert.strictEqual(summary.exitCode, 4)
        assert.deepStrictEqual(emulator.model.subscribers("alerts"), ["ok-1"])
      }))

    it.effect("a bad topic name exits 2 naming it, with nothing sent", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const before = (yield* emulator.records).filter((r) => r.route === "topics").length
        const run = yield* fcm([
          "topic",
          "subscribe",
          "news",
          "bad topic!",
          "--token",
          "ok-2",
          "--credentials",
          writeKey(emulator),
          "--base-url",
          emulator.baseUrl
        ])
        assert.strictEqual(run.code, 2)
        assert.match(oneLineError(run), /topics\[1\]/)
        assert.strictEqual((yield* emulator.records).filter((r) => r.route === "topics").length, before)
      }))

    it.effect("a topic unavailable to the end: exit 5, the tokens in retryable.txt", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* emulator.enqueue("topics", Scenario.unavailable())
        const dir = tempDir()
        const reports = path.join(dir, "reports")
        const run = yield* fcm([
          "topic",
          "subscribe",
          "weather",
          "--token",
          "ok-3",
          "--no-retry",
          "--credentials",
          writeKey(emulator, dir),
          "--base-url",
          emulator.baseUrl,
          "--report-dir",
          reports
        ])
        assert.strictEqual(run.code, 5, run.stderr)
        assert.deepStrictEqual(lines(path.join(reports, "retryable.txt")), ["ok-3"])
      }))
  })
})
