/**
 * `fcm emulator` is the emulator package's own command: its bad values come out in fcm's one-line format, naming the
 * flag, with exit code 2 and nothing started.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { fcmInProcess } from "./support.js"

describe("fcm emulator", () => {
  it.effect("refuses a bad value with one fcm: line naming the flag, exit 2, nothing started", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp]> = [
        [["--port", "70000"], /^fcm: --port PORT must be from 0 to 65535, not "70000"$/],
        [["--latency", "-5"], /^fcm: --latency MS must be 0 or more, not "-5"$/],
        [["--token-lifetime", "0"], /^fcm: --token-lifetime SECONDS must be above 0, not "0"$/],
        [["--default", "nonsense"], /^fcm: --default: unknown scenario "nonsense" \(one of delivered, /],
        [
          ["--token", "t1={\"_tag\":\"Unavailable\",\"times\":\"2\"}"],
          /^fcm: --token t1: times: Expected number, actual "2"$/
        ],
        [["--prefx", "a-=reset"], /^fcm: unknown flag --prefx .*--prefix/]
      ]
      for (const [args, expected] of cases) {
        const run = yield* fcmInProcess(["emulator", ...args])
        assert.strictEqual(run.code, 2, args.join(" "))
        assert.match(run.stderr, expected)
        assert.strictEqual(run.stdout, "", "nothing started")
      }
    }))
})
