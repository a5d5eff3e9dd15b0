import { Broadcast } from "@effect-fcm/cluster"
import { Emulator, FcmServer } from "@effect-fcm/emulator"
import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { config } from "./fixtures/config.js"

const TOKENS = 20_000
const runnerScript = path.join(import.meta.dirname, "fixtures/runner.ts")

/** Starts the runner as a real node process (not through a wrapper, so that SIGKILL reaches it). */
const startRunner = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv) =>
  Effect.sync(() => {
    const child = spawn(process.execPath, ["--import", "tsx", runnerScript, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk) => output += chunk)
    child.stderr.on("data", (chunk) => output += chunk)
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    return { child, exited, output: () => output }
  })

const exitOf = (runner: { exited: Promise<number | null> }) => Effect.promise(() => runner.exited)

const kill = (child: ChildProcess) => Effect.sync(() => child.kill("SIGKILL"))

/** Counts the ledger rows of a campaign through a connection of the test's own (reads only). */
const ledgerRows = (filename: string, campaign: string) =>
  Effect.gen(function*() {
    if (!fs.existsSync(filename)) return { n: 0, distinct_targets: 0 }
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ n: number; distinct_targets: number }>`
      SELECT COUNT(*) AS n, COUNT(DISTINCT target) AS distinct_targets FROM fcm_ledger WHERE campaign = ${campaign}
    `
    return rows[0]!
  }).pipe(
    Effect.provide(SqliteClient.layer({ filename })),
    Effect.catchAllCause(() => Effect.succeed({ n: 0, distinct_targets: 0 })) // not created yet
  )

describe("a runner killed mid-campaign", () => {
  const Server = FcmServer.layer({ recordCapacity: 200_000 })

  it.live(
    "resumes after kill -9: every token one outcome, none missing, repeats only those in flight",
    () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fcm-crash-"))
        const db = path.join(dir, "campaigns.db")
        const key = path.join(dir, "service-account.json")
        fs.writeFileSync(key, JSON.stringify(emulator.serviceAccount))
        const args = [db, emulator.baseUrl, "crash-1", String(TOKENS)]
        const env = { GOOGLE_APPLICATION_CREDENTIALS: key }

        const first = yield* startRunner(args, env)
        // kill on an event: once the ledger holds a quarter of the campaign (polled, with a pause between polls)
        yield* ledgerRows(db, "crash-1").pipe(
          Effect.repeat({
            schedule: Schedule.spaced("100 millis"),
            until: (rows) => rows.n >= TOKENS / 4 || first.child.exitCode !== null
          }),
          Effect.timeoutFail({
            duration: "90 seconds",
            onTimeout: () => new Error(`runner never got going: ${first.output()}`)
          })
        )
        assert.strictEqual(first.child.exitCode, null, `the runner stopped before the kill: ${first.output()}`)
        yield* kill(first.child)
        yield* exitOf(first)
        const atKill = yield* ledgerRows(db, "crash-1")
        assert.ok(atKill.n < TOKENS, "killed mid-campaign")

        const second = yield* startRunner(args, env)
        const code = yield* exitOf(second)
        assert.strictEqual(code, 0, second.output())
        const { summary, total } = JSON.parse(second.output().trim().split("\n").pop()!)
        assert.strictEqual(total, TOKENS)
        assert.strictEqual(summary.counts.success, TOKENS)

        const rows = yield* ledgerRows(db, "crash-1")
        assert.deepStrictEqual(rows, { n: TOKENS, distinct_targets: TOKENS }) // exactly one outcome each, none missing

        const deliveries = new Map<string, number>()
        for (const record of yield* (yield* Emulator.Emulator).records) {
          if (record.route !== "v1" || record.delivered === 0 || record.target?._tag !== "Token") continue
          deliveries.set(record.target.token, (deliveries.get(record.target.token) ?? 0) + 1)
        }
        assert.strictEqual(deliveries.size, TOKENS)
        const repeated = [...deliveries.values()].filter((n) => n > 1).length
        const bound = Broadcast.repeatBound({ ...Broadcast.defaultConfig, ...config })
        console.log(
          `crash test: killed at ${atKill.n} ledger rows; ${repeated} tokens delivered twice (bound ${bound})`
        )
        assert.ok(repeated <= bound, `${repeated} repeats > bound ${bound}`)
        fs.rmSync(dir, { recursive: true, force: true })
      }).pipe(Effect.provide(Server)),
    { timeout: 240_000 }
  )
})
