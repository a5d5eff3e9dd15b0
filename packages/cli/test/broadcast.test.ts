/**
 * `fcm broadcast` and `fcm runner` in-process, on a SQLite file, against the loopback emulator of the test process.
 */
import { FcmServer } from "@effect-fcm/emulator"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fcmInProcess, tempDir, writeKey } from "./support.js"

layer(FcmServer.layer({ scenarios: { prefixes: { "stale-": { _tag: "NotRegistered" } } } }), {
  excludeTestServices: true
})("fcm broadcast", (it) => {
  const setUp = (emulator: FcmServer.Service, tokens: ReadonlyArray<string>) => {
    const dir = tempDir()
    const file = path.join(dir, "tokens.txt")
    fs.writeFileSync(file, tokens.join("\n") + "\n")
    const db = path.join(dir, "campaigns.db")
    const fcmFlags = ["--credentials", writeKey(emulator, dir), "--base-url", emulator.baseUrl]
    return { db, file, fcmFlags }
  }

  it.effect("start sends a campaign, a second start sends nothing, status reports it", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.FcmServer
      const tokens = [...Array.from({ length: 40 }, (_, i) => `bc-${i}`), "stale-1"]
      const { db, fcmFlags, file } = setUp(emulator, tokens)
      const args = ["broadcast", "start", "--id", "promo", "--tokens-file", file, "--data", "k=v", "--db", db]
      const before = (yield* emulator.counters).routes.v1 ?? 0
      const first = yield* fcmInProcess([...args, "--chunk-size", "10", "--json", ...fcmFlags])
      assert.strictEqual(first.code, 4, first.stderr) // one token is not registered
      const report = JSON.parse(first.stdout)
      assert.deepStrictEqual([report.state, report.done, report.counts.success, report.counts.notRegistered], [
        "done",
        41,
        40,
        1
      ])
      const second = yield* fcmInProcess([...args, ...fcmFlags])
      assert.strictEqual(second.code, 4, second.stderr)
      assert.strictEqual((yield* emulator.counters).routes.v1! - before, 41) // the second start sent nothing
      const status = yield* fcmInProcess(["broadcast", "status", "--id", "promo", "--db", db])
      assert.strictEqual(status.code, 0, status.stderr)
      assert.match(status.stdout, /promo: done, 41 of 41 targets done/)
    }))

  it.effect("status, resume and cancel of an unknown campaign name it and exit 2", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.FcmServer
      const { db, fcmFlags } = setUp(emulator, [])
      for (const command of ["status", "cancel", "pause"]) {
        const run = yield* fcmInProcess(["broadcast", command, "--id", "nope", "--db", db])
        assert.strictEqual(run.code, 2)
        assert.include(run.stderr, `no campaign "nope"`)
      }
      const resume = yield* fcmInProcess(["broadcast", "resume", "--id", "nope", "--db", db, ...fcmFlags])
      assert.strictEqual(resume.code, 2)
      assert.include(resume.stderr, `no campaign "nope"`)
    }))

  it.effect("every command on a database that cannot be opened names it, says what to do and exits 6", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.FcmServer
      const { db, fcmFlags, file } = setUp(emulator, ["bc-x"])
      const missing = path.join(path.dirname(db), "gone", "campaigns.db") // its directory does not exist
      const commands = [
        ["broadcast", "status", "--id", "promo"],
        ["broadcast", "pause", "--id", "promo"],
        ["broadcast", "cancel", "--id", "promo"],
        ["broadcast", "start", "--id", "promo", "--tokens-file", file, "--data", "k=v", ...fcmFlags],
        ["broadcast", "resume", "--id", "promo", ...fcmFlags],
        ["runner", ...fcmFlags]
      ]
      for (const command of commands) {
        const run = yield* fcmInProcess([...command, "--db", missing])
        assert.strictEqual(run.code, 6, `${command.join(" ")}: ${run.stderr}`)
        assert.notInclude(run.stderr, "unexpected")
        assert.include(run.stderr, `fcm: cannot open the database file ${missing}: `)
        assert.include(run.stderr, "Create the directory, or correct the file's path")
      }
      assert.ok(!fs.existsSync(path.dirname(missing)))
      const status = yield* fcmInProcess([
        "broadcast",
        "status",
        "--id",
        "promo",
        "--postgres",
        "postgres://fcm:s3cret@127.0.0.1:1/fcm" // nothing listens on port 1
      ])
      assert.strictEqual(status.code, 6, status.stderr)
      assert.include(status.stderr, "fcm: cannot reach the database at postgres://fcm:***@127.0.0.1:1/fcm: ")
      assert.include(status.stderr, "Start PostgreSQL, or correct the host and port in the URL")
      assert.notInclude(status.stderr, "s3cret")
    }))

  it.effect("runner refuses a retention that is not a positive number of days, before opening the database", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.FcmServer
      const { db, fcmFlags } = setUp(emulator, [])
      const run = yield* fcmInProcess(["runner", "--db", db, "--retention-days", "0", ...fcmFlags])
      assert.strictEqual(run.code, 2)
      assert.include(run.stderr, "--retention-days must be a positive integer, got 0")
      assert.ok(!fs.existsSync(db))
    }))

  it.effect("an invalid message is refused before anything is stored or sent", () =>
    Effect.gen(function*() {
      const emulator = yield* FcmServer.FcmServer
      const { db, fcmFlags, file } = setUp(emulator, ["bc-x"])
      const before = (yield* emulator.counters).requests
      const run = yield* fcmInProcess([
        "broadcast",
        "start",
        "--id",
        "bad",
        "--tokens-file",
        file,
        "--data",
        "from=me",
        "--db",
        db,
        ...fcmFlags
      ])
      assert.strictEqual(run.code, 2)
      assert.include(run.stderr, "data")
      assert.strictEqual((yield* emulator.counters).requests, before)
      const status = yield* fcmInProcess(["broadcast", "status", "--id", "bad", "--db", db])
      assert.strictEqual(status.code, 2) // never stored
    }))
})
