/**
 * Bad input: a one-line error on stderr naming what to fix, exit code 2, and nothing sent. The emulator of this file
 * is given a valid key and URL in every case, so it would receive the send if the input were let through; the last
 * test checks that it received nothing at all.
 */
import { FcmServer } from "@effect-fcm/emulator"
import { Command, CommandDescriptor } from "@effect/cli"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, HashMap } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Cli from "../src/Cli.js"
import * as Argv from "../src/internal/argv.js"
import { fcm, fcmInProcess, oneLineError, tempDir, writeKey } from "./support.js"

const dir = tempDir()
const malformedKey = path.join(dir, "malformed.json")
fs.writeFileSync(malformedKey, "{ \"type\": \"service_account\", ")
const incompleteKey = path.join(dir, "incomplete.json")
fs.writeFileSync(incompleteKey, JSON.stringify({ type: "service_account", project_id: "p" }))
const tokensDir = path.join(dir, "tokens-dir")
fs.mkdirSync(tokensDir)
const badMessage = path.join(dir, "bad-message.json")
fs.writeFileSync(badMessage, JSON.stringify({ registration_ids: ["a"], time_to_live: -5 }))
const badV1Message = path.join(dir, "bad-v1.json")
fs.writeFileSync(badV1Message, JSON.stringify({ token: "a", android: { notification: { color: "red" } } }))

interface Case {
  readonly name: string
  readonly args: (key: string, baseUrl: string) => ReadonlyArray<string>
  readonly error: RegExp
  readonly subprocess?: boolean
}

const cases: ReadonlyArray<Case> = [
  {
    name: "a missing key file",
    subprocess: true,
    args: (_, url) => ["send", "--credentials", path.join(dir, "nope.json"), "--base-url", url, "--token", "t1"],
    error: /cannot read service account key file .*nope\.json: no such file/
  },
  {
    name: "a malformed key file",
    subprocess: true,
    args: (_, url) => ["send", "--credentials", malformedKey, "--base-url", url, "--token", "t1"],
    error: /service account key .*malformed\.json: not valid JSON/
  },
  {
    name: "a bad --data pair",
    subprocess: true,
    args: (key, url) => ["send", "--credentials", key, "--base-url", url, "--token", "t1", "--data", "novalue"],
    error: /--data "novalue": expected key=value/
  },
  {
    name: "an unreadable tokens file",
    subprocess: true,
    args: (key, url) => ["send", "--credentials", key, "--base-url", url, "--tokens-file", path.join(dir, "none.txt")],
    error: /cannot read tokens file .*none\.txt: no such file/
  },
  {
    name: "an invalid message (--ttl -5)",
    subprocess: true,
    args: (key, url) => ["send", "--credentials", key, "--base-url", url, "--token", "t1", "--ttl", "-5"],
    error: /timeToLive: must be between 0 and 2419200 seconds \(set by --ttl\)/
  },
  {
    name: "conflicting targets",
    subprocess: true,
    args: (key, url) => ["send", "--credentials", key, "--base-url", url, "--token", "t1", "--topic", "news"],
    error: /conflicting targets: use only one of --token/
  },
  {
    name: "a key file without its fields",
    args: (_, url) => ["send", "--credentials", incompleteKey, "--base-url", url, "--token", "t1"],
    error: /service account key .*incomplete\.json: private_key_id is missing/
  },
  {
    name: "a tokens file that is a directory",
    args: (key, url) => ["send", "--credentials", key, "--base-url", url, "--tokens-file", tokensDir],
    error: /cannot read tokens file .*tokens-dir: is a directory/
  },
  {
    name: "a reserved data key",
    args: (key, url) => ["send", "--credentials", key, "--base-url", url, "--token", "t1", "--data", "from=me"],
    error: /"from" is a reserved key/
  },
  {
    name: "--data-json that is not an object",
    args: (key, url) => ["send", "--credentials", key, "--base-url", url, "--token", "t1", "--data-json", "[1]"],
    error: /--data-json must be a JSON object/
  },
  {
    name: "a duplicate token",
    args: (key, url) => ["send", "--credentials", key, "--base-url", url, "--token", "t1", "--token", "t1"],
    error: /tokens\[1\]: duplicates tokens\[0\]/
  },
  {
    name: "a nested data value",
    args: (key, url) => ["send", "--credentials", key, "--base-url", url, "--token", "t1", "--data-json", "{\"a\":{}}"],
    error: /Invalid message: data\.a: .*\(set by --data \/ --data-json\)/
  },
  {
    name: "no target",
    args: (key, url) => ["send", "--credentials", key, "--base-url", url, "--data", "a=1"],
    error: /no target: give --token/
  },
  {
    name: "a legacy message file with a bad TTL",
    args: (key, url) => ["send", "--credentials", key, "--base-url", url, "--message-file", badMessage],
    error: /bad-message\.json: time_to_live: must be between 0 and 2419200 seconds/
  },
  {
    name: "a v1 message file with a bad colour",
    args: (key, url) => ["send", "--credentials", key, "--base-url", url, "--message-file", badV1Message],
    error: /bad-v1\.json: android\.notification\.color: must be a colour in the form #rrggbb/
  },
  {
    name: "a message file and payload flags",
    args: (key, url) => ["send", "--credentials", key, "--base-url", url, "--message-file", badMessage, "--ttl", "5"],
    error: /--message-file holds the whole message: drop --ttl/
  },
  {
    name: "--api-key without --legacy",
    args: (_, url) => ["send", "--api-key", "k", "--base-url", url, "--token", "t1"],
    error: /--api-key is for the legacy API: add --legacy/
  },
  {
    name: "--legacy without a key",
    args: (_, url) => ["send", "--legacy", "--base-url", url, "--token", "t1"],
    error: /--legacy needs a server key: pass --api-key KEY or set FCM_API_KEY/
  },
  {
    name: "no credentials",
    args: (_, url) => ["send", "--base-url", url, "--token", "t1"],
    error: /no credentials: pass --credentials service-account.json or set GOOGLE_APPLICATION_CREDENTIALS/
  },
  {
    name: "--max-attempts 0",
    args: (key, url) => ["send", "--credentials", key, "--base-url", url, "--token", "t1", "--max-attempts", "0"],
    error: /--max-attempts must be a positive integer/
  },
  {
    name: "an invalid base URL",
    args: (key) => ["send", "--credentials", key, "--base-url", "ftp://example", "--token", "t1"],
    error: /baseUrl/
  },
  {
    name: "--rate-limit with --no-rate-limit",
    args: (key, url) => [
      "send",
      "--credentials",
      key,
      "--base-url",
      url,
      "--token",
      "t1",
      "--rate-limit",
      "1000",
      "--no-rate-limit"
    ],
    error: /--rate-limit and --no-rate-limit contradict each other/
  }
]

/** The flags of each command, as `fcm` reads them from its own commands. */
const commands = new Map(
  [...HashMap.entries(Command.getSubcommands(Cli.command))].map(([name, d]) => [
    name,
    Argv.specOf(CommandDescriptor.getUsage(d))
  ])
)
const builtIn = new Set(["--help", "-h", "--version", "--wizard", "--completions", "--log-level"])
const flagsOf = (command: string) => {
  const spec = commands.get(command)!
  return [...new Set(spec.flags.values())].filter((f) => !builtIn.has(f.names[0]!)).map((f) => ({
    name: f.names[0]!,
    value: f.value
  }))
}

/** Flags whose values `@effect/cli` reads as numbers. */
const integers: Record<string, ReadonlyArray<string>> = {
  send: ["--ttl", "--max-attempts", "--concurrency", "--rate-limit"],
  emulator: ["--port", "--mix-seed", "--latency", "--token-lifetime"]
}

/**
 * A wrong value for each flag of `fcm send` and `fcm token` that takes one, checked by `fcm` itself: the arguments
 * after the key and URL of the emulator, and the error. Flags whose every value is valid (a notification's text) are
 * listed with `undefined`.
 */
const wrongValues: Record<string, Record<string, readonly [ReadonlyArray<string>, RegExp] | undefined>> = {
  send: {
    "--token": [["--token", " "], /^fcm: --token TOKEN must not be empty$/],
    "--tokens-file": [["--tokens-file", path.join(dir, "none.txt")], /cannot read tokens file .*none\.txt/],
    "--topic": [["--topic", "bad topic!"], /topic: must be a topic name .*\(set by --topic\)/],
    "--condition": [["--condition", "nonsense"], /condition: must name at least one topic.*\(set by --condition\)/],
    "--data": [["--token", "t1", "--data", "novalue"], /--data "novalue": expected key=value/],
    "--data-json": [["--token", "t1", "--data-json", "{"], /--data-json is not valid JSON/],
    "--notification-title": undefined,
    "--notification-body": undefined,
    "--notification-image": [
      ["--token", "t1", "--notification-image", "cat.png"],
      /--notification-image URL must be an http\(s\) URL/
    ],
    "--message-file": [["--message-file", path.join(dir, "none.json")], /cannot read message file .*none\.json/],
    "--ttl": [["--token", "t1", "--ttl", "1h"], /^fcm: --ttl SECONDS must be a whole number, not "1h"$/],
    "--priority": [
      ["--token", "t1", "--priority", "urgent"],
      /^fcm: --priority must be one of high, normal, not "urgent"$/
    ],
    "--collapse-key": [
      ["--token", "t1", "--collapse-key", ""],
      /collapseKey must not be empty \(set by --collapse-key\)/
    ],
    "--restricted-package-name": [
      ["--token", "t1", "--restricted-package-name", " "],
      /--restricted-package-name PACKAGE must not be empty/
    ],
    "--credentials": [
      ["--token", "t1", "--credentials", path.join(dir, "nope.json")],
      /cannot read service account key file/
    ],
    "--project": [["--token", "t1", "--project", "Bad Project"], /not a valid Firebase project id: Bad Project/],
    "--api-key": [["--token", "t1", "--api-key", "k"], /--api-key is for the legacy API: add --legacy/],
    "--base-url": [["--token", "t1", "--base-url", "ftp://example"], /baseUrl/],
    "--ca": [["--token", "t1", "--ca", path.join(dir, "none.pem")], /cannot read certificate file .*none\.pem/],
    "--max-attempts": [["--token", "t1", "--max-attempts", "0"], /--max-attempts must be a positive integer/],
    "--concurrency": [["--token", "t1", "--concurrency", "0"], /--concurrency must be a positive integer/],
    "--rate-limit": [["--token", "t1", "--rate-limit", "0"], /--rate-limit must be a positive integer/],
    "--report-dir": [
      ["--token", "t1", "--report-dir", malformedKey],
      /cannot create report directory .*malformed\.json/
    ]
  },
  token: {
    "--credentials": [["--credentials", path.join(dir, "nope.json")], /cannot read service account key file/],
    "--project": [["--project", " "], /^fcm: --project ID must not be empty$/],
    "--ca": [["--ca", path.join(dir, "none.pem")], /cannot read certificate file .*none\.pem/]
  }
}

describe("fcm send: bad input", () => {
  layer(FcmServer.layer({ projectId: "bad-input-project" }), { excludeTestServices: true, timeout: "60 seconds" })(
    (it) => {
      for (const c of cases) {
        if (c.subprocess !== true) continue
        it.effect(`${c.name}: exit 2, one line naming the fix (subprocess)`, () =>
          Effect.gen(function*() {
            const emulator = yield* FcmServer.FcmServer
            const run = yield* fcm(c.args(writeKey(emulator), emulator.baseUrl))
            assert.strictEqual(run.code, 2, run.stderr)
            assert.match(oneLineError(run), c.error)
            assert.strictEqual(run.stdout, "")
          }), { concurrent: true, timeout: 60_000 })
      }

      for (const c of cases) {
        it.effect(`${c.name}: exit 2 (in process)`, () =>
          Effect.gen(function*() {
            const emulator = yield* FcmServer.FcmServer
            const run = yield* fcmInProcess(c.args(writeKey(emulator), emulator.baseUrl))
            assert.strictEqual(run.code, 2, run.stderr)
            assert.match(oneLineError(run), c.error)
            assert.strictEqual(run.stdout, "")
          }))
      }

      it.effect("an unknown flag or command is a usage error naming it, with the one probably meant", () =>
        Effect.gen(function*() {
          const expectations: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
            [["send", "--tokens", "f"], "fcm: unknown flag --tokens (did you mean --tokens-file?)"],
            [["send", "--token", "t1", "--prority", "high"], "fcm: unknown flag --prority (did you mean --priority?)"],
            [["send", "--token", "t1", "--bogus"], "fcm: unknown flag --bogus for fcm send (see fcm send --help)"],
            [
              ["token", "--token", "t1"],
              "fcm: unknown flag --token for fcm token (it is a flag of fcm emulator and fcm send)"
            ],
            [["sned"], "fcm: unknown command sned (did you mean send?)"],
            [["emulater", "--port", "0"], "fcm: unknown command emulater (did you mean emulator?)"],
            [
              ["frobnicate"],
              "fcm: unknown command frobnicate: use one of broadcast, demo, emulator, runner, send, token, topic"
            ],
            [["--reveal"], "fcm: --reveal is a flag of fcm token: put it after the command"],
            [["--token", "t1"], "fcm: --token is a flag of fcm emulator and fcm send: put it after the command"],
            [["send", "t1"], "fcm: unexpected argument \"t1\": fcm send takes flags only (see fcm send --help)"],
            [["send", "--ttl", "5", "--ttl", "6", "--token", "t1"], "fcm: --ttl is given twice: it takes one value"]
          ]
          for (const [args, error] of expectations) {
            const run = yield* fcmInProcess(args)
            assert.strictEqual(run.code, 2, args.join(" "))
            assert.strictEqual(oneLineError(run), error)
            assert.strictEqual(run.stdout, "")
          }
        }))

      it.effect(
        "every flag of every command, given without its value or with a wrong one: exit 2, one line naming it",
        () =>
          Effect.gen(function*() {
            const emulator = yield* FcmServer.FcmServer
            const key = writeKey(emulator)
            const expect = (args: ReadonlyArray<string>, error: RegExp) =>
              Effect.gen(function*() {
                const run = yield* fcmInProcess(args)
                assert.strictEqual(run.code, 2, `${args.join(" ")}: ${run.stderr}${run.stdout}`)
                assert.match(oneLineError(run), error, args.join(" "))
                assert.strictEqual(run.stdout, "")
              })
            let checked = 0
            for (const command of commands.keys()) {
              for (const flag of flagsOf(command)) {
                const name = flag.name.replace(/[-]/g, "\\-")
                if (flag.value === undefined) {
                  yield* expect([command, `${flag.name}=maybe`], new RegExp(`^fcm: ${name} is a switch: give it alone`))
                } else {
                  yield* expect([command, flag.name], new RegExp(`^fcm: ${name} needs a value: ${name} `))
                  yield* expect([command, `${flag.name}=`], new RegExp(`^fcm: ${name} needs a value`))
                }
                if (integers[command]?.includes(flag.name)) {
                  yield* expect(
                    [command, flag.name, "x"],
                    new RegExp(`^fcm: ${name} \\S+ must be a whole number, not "x"$`)
                  )
                }
                const wrong = wrongValues[command]
                if (wrong !== undefined && flag.value !== undefined) {
                  assert.isTrue(flag.name in wrong, `fcm ${command} ${flag.name} has no wrong value in this test`)
                  const c = wrong[flag.name]
                  if (c !== undefined) {
                    const base = command === "send" && !c[0].includes("--base-url")
                      ? ["--base-url", emulator.baseUrl]
                      : []
                    const credentials = c[0].includes("--credentials") ? [] : ["--credentials", key]
                    yield* expect([command, ...credentials, ...base, ...c[0]], c[1])
                  }
                }
                checked++
              }
            }
            assert.isAbove(checked, 40)
          }),
        { timeout: 60_000 }
      )

      it.effect("the emulator received nothing: no token request, no send", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const counters = yield* emulator.counters
          assert.strictEqual(counters.requests, 0, JSON.stringify(counters))
          assert.deepStrictEqual(yield* emulator.records, [])
        }))
    }
  )
})
