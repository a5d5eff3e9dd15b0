/**
 * Bad input: a one-line error on stderr naming what to fix, exit code 2, and nothing sent. The emulator of this file
 * is given a valid key and URL in every case, so it would receive the send if the input were let through; the last
 * test checks that it received nothing at all.
 */
import { FcmEmulator } from "@effect-fcm/emulator"
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
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
  }
]

describe("fcm send: bad input", () => {
  layer(FcmEmulator.layer({ projectId: "bad-input-project" }), { excludeTestServices: true, timeout: "60 seconds" })(
    (it) => {
      for (const c of cases) {
        if (c.subprocess !== true) continue
        it.effect(`${c.name}: exit 2, one line naming the fix (subprocess)`, () =>
          Effect.gen(function*() {
            const emulator = yield* FcmEmulator.FcmEmulator
            const run = yield* fcm(c.args(writeKey(emulator), emulator.baseUrl))
            assert.strictEqual(run.code, 2, run.stderr)
            assert.match(oneLineError(run), c.error)
            assert.strictEqual(run.stdout, "")
          }), { concurrent: true, timeout: 60_000 })
      }

      for (const c of cases) {
        it.effect(`${c.name}: exit 2 (in process)`, () =>
          Effect.gen(function*() {
            const emulator = yield* FcmEmulator.FcmEmulator
            const run = yield* fcmInProcess(c.args(writeKey(emulator), emulator.baseUrl))
            assert.strictEqual(run.code, 2, run.stderr)
            assert.match(oneLineError(run), c.error)
            assert.strictEqual(run.stdout, "")
          }))
      }

      it.effect("an unknown flag is a usage error (exit 2)", () =>
        Effect.gen(function*() {
          const run = yield* fcmInProcess(["send", "--token", "t1", "--bogus"])
          assert.strictEqual(run.code, 2)
          assert.match(run.stderr, /Received unknown argument: '--bogus'/)
        }))

      it.effect("the emulator received nothing: no token request, no send", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmEmulator.FcmEmulator
          const counters = yield* emulator.counters
          assert.strictEqual(counters.requests, 0, JSON.stringify(counters))
          assert.deepStrictEqual(yield* emulator.records, [])
        }))
    }
  )
})
