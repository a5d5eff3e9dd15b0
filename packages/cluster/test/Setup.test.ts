import { Broadcast, Setup } from "@effect-fcm/cluster"
import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const tempDb = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fcm-setup-")), "campaigns.db")

const opens = (filename: string) =>
  Effect.scoped(Effect.flatMap(Layer.build(Setup.embedded({ filename })), () => Effect.void))

describe("Setup.embedded", () => {
  it.live("refuses a SQLite file in use by another live process, naming it and the pid", () =>
    Effect.gen(function*() {
      const filename = tempDb()
      const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" })
      yield* Effect.addFinalizer(() => Effect.sync(() => other.kill("SIGKILL")))
      fs.writeFileSync(`${filename}.lock`, String(other.pid))
      const exit = yield* Effect.exit(opens(filename))
      assert.ok(Exit.isFailure(exit))
      const error = yield* Effect.flip(opens(filename))
      assert.ok(error instanceof Setup.DatabaseInUse)
      assert.include(error.message, `${filename} is in use by process ${other.pid}`)
    }).pipe(Effect.scoped))

  it.live("takes over the lock of a process that died, and releases it when done", () =>
    Effect.gen(function*() {
      const filename = tempDb()
      const dead = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" })
      yield* Effect.promise(() => new Promise((resolve) => dead.on("exit", resolve)))
      fs.writeFileSync(`${filename}.lock`, String(dead.pid))
      yield* Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(Setup.embedded({ filename }))
        assert.strictEqual(fs.readFileSync(`${filename}.lock`, "utf8"), String(process.pid))
        const sql = yield* Effect.provide(SqlClient.SqlClient, context)
        const tables = yield* sql<{ name: string }>`SELECT name FROM sqlite_master WHERE name = 'fcm_ledger'`
        assert.strictEqual(tables.length, 1)
      }))
      assert.ok(!fs.existsSync(`${filename}.lock`))
    }))
})

describe("a SQLite file that cannot be opened", () => {
  // a path whose directory does not exist: the driver throws, the set-ups fail with DatabaseUnavailable naming it
  const missing = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fcm-setup-")), "gone", "campaigns.db")

  it.live("fails Broadcast.status (and pause, cancel) on embeddedClient with DatabaseUnavailable naming the file", () =>
    Effect.gen(function*() {
      const filename = missing()
      for (const operation of [Broadcast.status("x"), Broadcast.pause("x"), Broadcast.cancel("x")]) {
        const error = yield* Effect.flip(Effect.provide(operation, Setup.embeddedClient({ filename })))
        assert.ok(error instanceof Setup.DatabaseUnavailable, String(error))
        assert.strictEqual(error.url, filename)
        assert.strictEqual(
          error.message,
          `cannot open the database file ${filename}: Cannot open database because the directory does not exist. ` +
            "Create the directory, or correct the file's path"
        )
      }
      assert.ok(!fs.existsSync(path.dirname(filename))) // nothing created
    }))

  it.live("fails embedded with DatabaseUnavailable naming the file", () =>
    Effect.gen(function*() {
      const filename = missing()
      const error = yield* Effect.flip(opens(filename))
      assert.ok(error instanceof Setup.DatabaseUnavailable, String(error))
      assert.include(error.message, `cannot open the database file ${filename}: the directory does not exist`)
      assert.include(error.message, "Create the directory, or correct the file's path")
    }))

  it.live("a directory in the file's place is named too", () =>
    Effect.gen(function*() {
      const filename = fs.mkdtempSync(path.join(os.tmpdir(), "fcm-setup-"))
      const error = yield* Effect.flip(Effect.provide(Broadcast.status("x"), Setup.embeddedClient({ filename })))
      assert.ok(error instanceof Setup.DatabaseUnavailable, String(error))
      assert.include(error.message, `cannot open the database file ${filename}: unable to open database file`)
      assert.include(error.message, "Check that the path names a file (not a directory)")
    }))
})

describe("Setup.embedded's database", () => {
  it.live("is in WAL mode with synchronous = NORMAL: a commit writes the log, without an fsync", () =>
    Effect.scoped(Effect.gen(function*() {
      const context = yield* Layer.build(Setup.embedded({ filename: tempDb() }))
      const sql = yield* Effect.provide(SqlClient.SqlClient, context)
      assert.deepStrictEqual(yield* sql`PRAGMA journal_mode`, [{ journal_mode: "wal" }])
      assert.deepStrictEqual(yield* sql`PRAGMA synchronous`, [{ synchronous: 1 }]) // NORMAL (FULL is 2)
    })))
})

describe("Setup.distributed", () => {
  it("hides the password of a database URL", () => {
    assert.strictEqual(Setup.redactUrl("postgres://fcm:s3cret@db:5432/fcm"), "postgres://fcm:***@db:5432/fcm")
    assert.strictEqual(Setup.redactUrl("postgres://db/fcm"), "postgres://db/fcm")
  })

  it.live("an unreachable database fails with the URL, its password hidden", () =>
    Effect.gen(function*() {
      const url = "postgres://fcm:s3cret@127.0.0.1:1/fcm"
      const error = yield* Effect.flip(
        Effect.scoped(Layer.build(Setup.distributed({ url: Redacted.make(url), clientOnly: true })))
      )
      assert.strictEqual(error._tag, "DatabaseUnavailable")
      assert.include(error.message, "postgres://fcm:***@127.0.0.1:1/fcm")
      assert.notInclude(error.message, "s3cret")
      assert.include(error.message, "Start PostgreSQL, or correct the host and port in the URL")
    }))
})
