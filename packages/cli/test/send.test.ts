/**
 * `fcm send` as a subprocess against an emulator running in the test process: the buckets, the report files, the
 * retries and every exit code a finished send can have.
 */
import { FcmServer, Scenario, ServiceAccount } from "@effect-fcm/emulator"
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fcm, lines, oneLineError, sendsTo, tempDir, writeKey } from "./support.js"

const Emulator = FcmServer.layer({
  scenarios: {
    prefixes: {
      "gone-": Scenario.notRegistered,
      "bad-": Scenario.invalidToken,
      "other-": Scenario.senderMismatch,
      "busy-": Scenario.unavailable({ times: 1, retryAfter: 1 }),
      "down-": Scenario.unavailable({ retryAfter: 1 }),
      "moved-": Scenario.canonical(),
      "reset-": Scenario.reset
    }
  }
})

const concurrent = { concurrent: true, timeout: 60_000 }

describe("fcm send (subprocess)", () => {
  layer(Emulator, { excludeTestServices: true, timeout: "60 seconds" })((it) => {
    it.effect("--at-most-once: a request reset on the wire is unknown (unknown.txt, exit 4), never sent again", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const dir = tempDir()
        const once = path.join(dir, "once")
        const args = (token: string) => [
          "send",
          "--credentials",
          writeKey(emulator, dir),
          "--base-url",
          emulator.baseUrl,
          "--token",
          "ok-m1",
          "--token",
          token,
          "--max-attempts",
          "2"
        ]
        const run = yield* fcm([...args("reset-m1"), "--at-most-once", "--report-dir", once])
        assert.strictEqual(run.code, 4, run.stderr)
        assert.match(run.stdout, /unknown\s+1\s+delivered once or not at all/)
        assert.deepStrictEqual(lines(path.join(once, "unknown.txt")), ["reset-m1"])
        assert.deepStrictEqual(lines(path.join(once, "retryable.txt")), [])
        assert.strictEqual((yield* sendsTo(emulator, ["reset-m1"])).length, 1, "sent once")

        // by default the same reset is retried, and left retryable when the attempts run out
        const least = path.join(dir, "least")
        const again = yield* fcm([...args("reset-m2"), "--report-dir", least])
        assert.strictEqual(again.code, 5, again.stderr)
        assert.deepStrictEqual(lines(path.join(least, "retryable.txt")), ["reset-m2"])
        assert.deepStrictEqual(lines(path.join(least, "unknown.txt")), [])
        assert.strictEqual((yield* sendsTo(emulator, ["reset-m2"])).length, 2, "sent twice")
      }))

    it.effect(
      "HTTP v1 to every bucket: summary, report files, a retry that honours Retry-After, exit 4",
      () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const reports = path.join(tempDir(), "reports")
          const tokens = ["ok-a1", "ok-a2", "busy-a", "gone-a", "bad-a", "other-a"]
          const run = yield* fcm([
            "send",
            "--credentials",
            writeKey(emulator),
            "--base-url",
            emulator.baseUrl,
            ...tokens.flatMap((t) => ["--token", t]),
            "--data",
            "kind=greeting",
            "--notification-title",
            "Hello",
            "--report-dir",
            reports
          ])
          assert.strictEqual(run.code, 4, run.stderr)
          assert.strictEqual(run.stderr, "")
          assert.match(run.stdout, /Sent to 6 tokens over HTTP v1 \(project emulator-project\)/)
          assert.match(run.stdout, /delivered\s+3\n/)
          assert.match(run.stdout, /not registered\s+1\s+delete these tokens/)
          assert.match(run.stdout, /failed\s+2\s+fix or drop these tokens/)
          assert.match(run.stdout, /INVALID_ARGUMENT\s+1/)
          assert.match(run.stdout, /SENDER_ID_MISMATCH\s+1/)
          assert.match(run.stdout, /still retryable\s+0/)

          assert.deepStrictEqual(lines(path.join(reports, "not-registered.txt")), ["gone-a"])
          assert.deepStrictEqual(lines(path.join(reports, "failed.csv")).sort(), [
            "bad-a,INVALID_ARGUMENT",
            "other-a,SENDER_ID_MISMATCH",
            "token,code"
          ])
          assert.deepStrictEqual(lines(path.join(reports, "canonical.csv")), ["old,new"])
          assert.deepStrictEqual(lines(path.join(reports, "retryable.txt")), [])
          const summary = JSON.parse(fs.readFileSync(path.join(reports, "summary.json"), "utf8"))
          assert.deepStrictEqual(
            { total: summary.total, delivered: summary.delivered, exitCode: summary.exitCode },
            { total: 6, delivered: 3, exitCode: 4 }
          )

          // busy-a was unavailable once with Retry-After: 1, and resent a second later.
          const busy = yield* sendsTo(emulator, ["busy-a"])
          assert.strictEqual(busy.length, 2)
          assert.isAtLeast(busy[1]!.time - busy[0]!.time, 1000)
          // Delivered targets are never sent twice.
          assert.strictEqual((yield* sendsTo(emulator, ["ok-a1"])).length, 1)
        }),
      concurrent
    )

    it.effect("everything delivered, tokens streamed from stdin, --json: exit 0", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const run = yield* fcm([
          "send",
          "--credentials",
          writeKey(emulator),
          "--base-url",
          emulator.baseUrl,
          "--tokens-file",
          "-",
          "--data-json",
          "{\"n\":1}",
          "--json"
        ], { stdin: "ok-b1\n\n  ok-b2  \r\nok-b3" })
        assert.strictEqual(run.code, 0, run.stderr)
        assert.strictEqual(run.stderr, "")
        const report = JSON.parse(run.stdout)
        assert.deepStrictEqual(
          [report.exitCode, report.protocol, report.total, report.delivered, report.tokens],
          [0, "v1", 3, 3, null]
        )
        assert.strictEqual((yield* sendsTo(emulator, ["ok-b1", "ok-b2", "ok-b3"])).length, 3)
      }), concurrent)

    it.effect("still retryable after --max-attempts 2: retryable.txt, exit 5", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const reports = tempDir()
        const run = yield* fcm([
          "send",
          "--credentials",
          writeKey(emulator),
          "--base-url",
          emulator.baseUrl,
          "--token",
          "down-c",
          "--token",
          "ok-c",
          "--max-attempts",
          "2",
          "--report-dir",
          reports
        ])
        assert.strictEqual(run.code, 5, run.stderr)
        assert.match(run.stdout, /still retryable\s+1\s+send these again later/)
        assert.deepStrictEqual(lines(path.join(reports, "retryable.txt")), ["down-c"])
        assert.strictEqual((yield* sendsTo(emulator, ["down-c"])).length, 2)
      }), concurrent)

    it.effect(
      "legacy API: a replaced token goes to canonical.csv and counts as delivered (exit 0)",
      () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const reports = tempDir()
          const run = yield* fcm([
            "send",
            "--legacy",
            "--base-url",
            emulator.baseUrl,
            "--token",
            "ok-d",
            "--token",
            "moved-d",
            "--collapse-key",
            "k",
            "--report-dir",
            reports
          ], { env: { FCM_API_KEY: emulator.apiKey } })
          assert.strictEqual(run.code, 0, run.stderr)
          assert.match(run.stdout, /over the legacy API/)
          assert.match(run.stdout, /canonical\s+1\s+delivered; replace the old tokens with the new ones/)
          const canonical = lines(path.join(reports, "canonical.csv"))
          assert.strictEqual(canonical[0], "old,new")
          assert.match(canonical[1]!, /^moved-d,.+/)
          const [request] = yield* sendsTo(emulator, ["moved-d"])
          assert.strictEqual((request!.body as { collapse_key?: string }).collapse_key, "k")
        }),
      concurrent
    )

    it.effect("credentials the token endpoint rejects: one line, exit 3, nothing sent", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const stranger = ServiceAccount.unsafeGenerate({ projectId: emulator.projectId, tokenUri: emulator.tokenUri })
        const key = path.join(tempDir(), "stranger.json")
        fs.writeFileSync(key, JSON.stringify(stranger))
        const run = yield* fcm(["send", "--credentials", key, "--base-url", emulator.baseUrl, "--token", "ok-e"])
        assert.strictEqual(run.code, 3, run.stderr)
        assert.match(oneLineError(run), /Authentication failed \(HTTP 400\): invalid_grant/)
        assert.notInclude(run.stderr, stranger.private_key.slice(40, 80))
        assert.strictEqual((yield* sendsTo(emulator, ["ok-e"])).length, 0)
      }), concurrent)

    it.effect("an endpoint that answers an HTML 404: transport failure, exit 6", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const run = yield* fcm([
          "send",
          "--credentials",
          writeKey(emulator),
          "--base-url",
          `${emulator.baseUrl}/not-fcm`,
          "--token",
          "ok-g"
        ])
        assert.strictEqual(run.code, 6, run.stderr)
        assert.match(oneLineError(run), /^fcm: transport failure: .*HTTP 404/)
      }), concurrent)
  })
})
