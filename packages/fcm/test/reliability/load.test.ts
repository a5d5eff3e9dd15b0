/**
 * The load run of packages/fcm/scripts/load.ts at CI size: 20,000 tokens through `sendStream` and
 * `Result.summarySink` over the pooled HTTP/2 transport, 1% of the requests answered with a seeded mix of faults, the
 * emulator's records off. The invariants are checked from counters.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runLoad } from "../../scripts/load.js"
import { assertNoEscapes, installProcessGuards, openSockets, processGuards, waitForSockets } from "./support/harness.js"
import { publish } from "./support/table.js"

installProcessGuards()

describe("load", () => {
  it.live(
    "20,000 tokens with 1% faults: one outcome each, nothing lost, nothing delivered twice",
    () =>
      Effect.gen(function*() {
        const guards = processGuards()
        const sockets = openSockets()
        const report = yield* runLoad({ tokens: 20_000, faultRate: 0.01, seed: 1, emulator: "inprocess" })
        const s = report.summary
        const line = `| ${report.tokens} | ${
          (report.elapsedMillis / 1000).toFixed(1)
        } s | ${report.rate}/s | ${report.peakRssMiB} MiB | ${s.success} | ${
          s.notRegistered + s.failed
        } | ${s.retryable} | ${report.retried} | ${report.answerLost} |`
        console.log(`load (CI size): ${JSON.stringify({ ...report, summary: s })}`)
        publish(
          "load-ci",
          [
            "| tokens | elapsed | rate | peak RSS | delivered | failed | retryable | retried | answer lost |",
            "|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
            line
          ].join("\n")
        )
        assert.deepStrictEqual(report.violations, [])
        assert.strictEqual(s.total, 20_000)
        assert.strictEqual(report.answerLost, 0, "every delivery the emulator made was reported")
        assert.strictEqual(report.emulatorCounters.delivered, s.success + s.canonical)
        assert.strictEqual(s.retryable, 0, "every transient fault was retried away")
        assert.isAbove(report.retried, 0, "faults were injected and retried")
        assert.isAbove(report.emulatorCounters.faults.Reset ?? 0, 0, "streams were reset")
        assert.isAbove(s.failed + s.notRegistered, 0, "permanent failures were reported")
        assert.strictEqual(
          report.emulatorCounters.sendRequests,
          20_000 + report.retried,
          "the emulator received one request per token and per retry"
        )
        assert.isAtMost(yield* waitForSockets(sockets, 2_000), sockets, "every socket closed")
        assertNoEscapes(guards, "load")
      }),
    60_000
  )
})
