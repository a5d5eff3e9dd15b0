/**
 * A 100,000-token file streamed through `fcm send` (a subprocess) to an emulator in the test process: every outcome is
 * accounted for in the summary and in the report files, which are written as the outcomes come in.
 */
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fcm, lines, tempDir } from "./support.js"

const TOTAL = 100_000

/** Every 100th token is gone, every 200th bad, every 400th replaced, every 1000th unavailable; the rest delivered. */
const tokenAt = (i: number): string => {
  const id = String(i).padStart(6, "0")
  if (i % 100 === 0) return `gone-${id}`
  if (i % 200 === 1) return `bad-${id}`
  if (i % 400 === 2) return `moved-${id}`
  if (i % 1000 === 3) return `down-${id}`
  return `ok-${id}`
}

const Emulator = FcmServer.layer({
  record: false,
  scenarios: {
    prefixes: {
      "gone-": Scenario.notRegistered,
      "bad-": Scenario.invalidToken,
      "moved-": Scenario.canonical(),
      "down-": Scenario.unavailable()
    }
  }
})

describe("fcm send --tokens-file (subprocess)", () => {
  layer(Emulator, { excludeTestServices: true, timeout: "60 seconds" })((it) => {
    it.effect(
      "streams 100,000 tokens: every outcome in the summary and the report files",
      () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const dir = tempDir()
          const file = path.join(dir, "tokens.txt")
          const all = Array.from({ length: TOTAL }, (_, i) => tokenAt(i))
          fs.writeFileSync(file, all.join("\n") + "\n")
          const expected = (prefix: string) => all.filter((t) => t.startsWith(prefix))

          const reports = path.join(dir, "reports")
          const run = yield* fcm([
            "send",
            "--legacy",
            "--api-key",
            emulator.apiKey,
            "--base-url",
            emulator.baseUrl,
            "--tokens-file",
            file,
            "--data",
            "campaign=spring",
            "--no-retry",
            "--no-rate-limit", // the default 600,000 a minute would hold 100,000 tokens back for nine seconds
            "--json",
            "--report-dir",
            reports
          ])
          assert.strictEqual(run.code, 5, run.stderr)
          assert.strictEqual(run.stderr, "")

          const report = JSON.parse(run.stdout)
          assert.deepStrictEqual(
            {
              total: report.total,
              delivered: report.delivered,
              canonical: report.canonical,
              notRegistered: report.notRegistered,
              failed: report.failed,
              failedByCode: report.failedByCode,
              retryable: report.retryable,
              tokens: report.tokens
            },
            {
              total: TOTAL,
              delivered: expected("ok-").length,
              canonical: expected("moved-").length,
              notRegistered: expected("gone-").length,
              failed: expected("bad-").length,
              failedByCode: { InvalidRegistration: expected("bad-").length },
              retryable: expected("down-").length,
              tokens: null
            }
          )
          assert.strictEqual(
            report.delivered + report.canonical + report.notRegistered + report.failed + report.retryable,
            TOTAL
          )

          assert.deepStrictEqual(lines(path.join(reports, "not-registered.txt")).sort(), expected("gone-"))
          assert.deepStrictEqual(lines(path.join(reports, "retryable.txt")).sort(), expected("down-"))
          const failed = lines(path.join(reports, "failed.csv"))
          assert.strictEqual(failed[0], "token,code")
          assert.deepStrictEqual(failed.slice(1).sort(), expected("bad-").map((t) => `${t},InvalidRegistration`))
          const canonical = lines(path.join(reports, "canonical.csv"))
          assert.strictEqual(canonical[0], "old,new")
          assert.deepStrictEqual(canonical.slice(1).map((l) => l.split(",")[0]).sort(), expected("moved-"))
          assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(reports, "summary.json"), "utf8")), report)

          const counters = yield* emulator.counters
          assert.strictEqual(counters.messages, TOTAL)
          assert.strictEqual(counters.routes.legacy, TOTAL / 1000)
        }),
      60_000
    )
  })
})
