/**
 * The emulator's command line, as `fcm-emulator` and `fcm emulator` run it: flags into a typed server config, bad
 * values refused with a message naming the flag, and the control route driven over HTTP.
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as EmulatorCommand from "../src/EmulatorCommand.js"
import type * as FcmServer from "../src/FcmServer.js"
import * as Scenario from "../src/Scenario.js"

/** Parses a command line with the command's own flags, and returns the config `serve` would get. */
const parse = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    let parsed: { readonly config: FcmServer.Config; readonly out: string | undefined } | undefined
    const probe = Command.make("emulator", EmulatorCommand.flags, (flags) =>
      Effect.sync(() => {
        parsed = EmulatorCommand.toConfig(flags)
      }))
    yield* Command.run(probe, { name: "fcm-emulator", version: "0" })(["node", "fcm-emulator", ...args])
    return parsed!
  }).pipe(Effect.provide(NodeContext.layer))

/** The message of the flag error that the real command refuses a command line with. */
const refused = (args: ReadonlyArray<string>) =>
  Command.run(EmulatorCommand.command, { name: "fcm-emulator", version: "0" })(["node", "fcm-emulator", ...args]).pipe(
    Effect.flip,
    Effect.map((error) => {
      assert.isTrue(ValidationError.isValidationError(error), String(error))
      return HelpDoc.toAnsiText((error as ValidationError.InvalidValue).error).trim()
    }),
    Effect.provide(NodeContext.layer),
    Effect.provide(Logger.remove(Logger.defaultLogger))
  )

describe("command line", () => {
  it.effect("parses flags into a server config", () =>
    Effect.gen(function*() {
      const { config, out } = yield* parse([
        "--port",
        "8089",
        "--tls",
        "--project",
        "p1",
        "--api-key",
        "k1",
        "--token",
        "t1=notRegistered",
        "--prefix",
        "flaky-={\"_tag\":\"Unavailable\",\"times\":2,\"retryAfter\":5}",
        "--mix-seed",
        "9",
        "--mix",
        "unavailable=0.01,notRegistered=0.002",
        "--latency",
        "20",
        "--no-record",
        "--out",
        "/tmp/x"
      ])
      assert.strictEqual(out, "/tmp/x")
      assert.strictEqual(config.port, 8089)
      assert.isTrue(config.tls)
      assert.strictEqual(config.projectId, "p1")
      assert.deepStrictEqual(config.apiKeys, ["k1"])
      assert.isFalse(config.record)
      assert.deepStrictEqual(config.scenarios?.tokens, { t1: Scenario.notRegistered })
      assert.deepStrictEqual(config.scenarios?.prefixes, {
        "flaky-": Scenario.unavailable({ times: 2, retryAfter: 5 })
      })
      assert.deepStrictEqual(
        config.scenarios?.default,
        Scenario.latency(20, Scenario.mix({ seed: 9, rates: { unavailable: 0.01, notRegistered: 0.002 } }))
      )
      const defaults = yield* parse([])
      assert.deepStrictEqual(defaults.config, {
        host: "127.0.0.1",
        port: 0,
        tls: false,
        record: true,
        scenarios: { tokens: {}, prefixes: {} }
      })
      assert.strictEqual(defaults.out, undefined)
    }))

  it.effect("refuses a bad flag value with a message naming the flag, before anything starts", () =>
    Effect.gen(function*() {
      assert.match(yield* refused(["--default", "nonsense"]), /^--default: unknown scenario "nonsense"/)
      assert.strictEqual(
        yield* refused(["--token", "t1={\"_tag\":\"Unavailable\",\"times\":\"two\"}"]),
        "--token t1: times: Expected number, actual \"two\""
      )
      assert.strictEqual(yield* refused(["--prefix", "noequals"]), "--prefix needs PREFIX=SCENARIO")
      assert.strictEqual(yield* refused(["--port", "x"]), "--port PORT must be a whole number, not \"x\"")
      assert.strictEqual(yield* refused(["--port", "70000"]), "--port PORT must be from 0 to 65535, not \"70000\"")
      assert.strictEqual(yield* refused(["--latency", "fast"]), "--latency MS must be a whole number, not \"fast\"")
      assert.strictEqual(yield* refused(["--latency", "-5"]), "--latency MS must be 0 or more, not \"-5\"")
      assert.strictEqual(
        yield* refused(["--token-lifetime", "0"]),
        "--token-lifetime SECONDS must be above 0, not \"0\""
      )
      assert.strictEqual(yield* refused(["--mix-seed", "x"]), "--mix-seed N must be a whole number, not \"x\"")
      assert.strictEqual(yield* refused(["--mix", "unavailable"]), "--mix needs name=rate,name=rate")
      assert.match(
        yield* refused(["--mix", "sometimes=0.1"]),
        /^--mix: rates\.sometimes: is unexpected, expected: "unavailable" \| /
      )
    }))
})
