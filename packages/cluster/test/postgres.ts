/**
 * What the PostgreSQL tests share: the server's URL (FCM_TEST_POSTGRES_URL, set by `.ci/run`), a fresh database per
 * test, runner processes of the distributed set-up, and reads of the ledger through a connection of the test's own.
 */
import { Broadcast } from "@effect-fcm/cluster"
import type { FcmServer } from "@effect-fcm/emulator"
import { PgClient } from "@effect/sql-pg"
import { describe } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

/** The server the PostgreSQL tests run on; without it they are skipped. */
export const postgresUrl = process.env.FCM_TEST_POSTGRES_URL

/** A `describe` that runs on PostgreSQL, or is skipped with the reason in its name. */
export const describePostgres = (name: string, body: () => void) => {
  if (postgresUrl !== undefined && postgresUrl !== "") return describe(name, body)
  const reason = "FCM_TEST_POSTGRES_URL is not set (scripts/with-postgres.sh, which .ci/run uses, starts a server " +
    "and sets it; see docs/contributing.md)"
  console.warn(`skipped "${name}": ${reason}`)
  return describe.skip(`${name} (skipped: ${reason})`, body)
}

const connect = (url: string) => PgClient.layer({ url: Redacted.make(url), maxConnections: 2 })

/** Creates a database of its own for a test (dropped when the scope closes) and returns its URL. */
export const freshDatabase = Effect.gen(function*() {
  const name = `fcm_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  const admin = (statement: string) =>
    Effect.flatMap(PgClient.PgClient, (sql) => sql.unsafe(statement)).pipe(Effect.provide(connect(postgresUrl!)))
  yield* Effect.acquireRelease(
    admin(`CREATE DATABASE ${name}`),
    () => Effect.ignore(admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  )
  const url = new URL(postgresUrl!)
  url.pathname = `/${name}`
  return url.toString()
})

/** Runs a query on a database through a connection of the test's own. */
export const query = <A extends object>(url: string, statement: string) =>
  Effect.flatMap(PgClient.PgClient, (sql) => sql.unsafe<A>(statement)).pipe(Effect.provide(connect(url)))

/** The ledger's rows for a campaign (0 while the tables do not exist yet). */
export const ledgerRows = (url: string, campaign: string) =>
  query<{ n: string; distinct_targets: string }>(
    url,
    `SELECT COUNT(*) AS n, COUNT(DISTINCT target) AS distinct_targets FROM fcm_ledger WHERE campaign = '${campaign}'`
  ).pipe(
    Effect.map((rows) => ({ n: Number(rows[0]!.n), distinctTargets: Number(rows[0]!.distinct_targets) })),
    Effect.catchAll(() => Effect.succeed({ n: 0, distinctTargets: 0 }))
  )

/** A campaign's state in `fcm_campaigns` (undefined before it is stored). */
export const campaignState = (url: string, campaign: string) =>
  query<{ state: string }>(url, `SELECT state FROM fcm_campaigns WHERE id = '${campaign}'`).pipe(
    Effect.map((rows) => rows[0]?.state),
    Effect.catchAll(() => Effect.succeed(undefined))
  )

/** A free TCP port on 127.0.0.1 (for a runner to listen on). */
export const freePort = Effect.async<number>((resume) => {
  const server = net.createServer().listen(0, "127.0.0.1", () => {
    const port = (server.address() as net.AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** What a runner process is given: `Broadcast.Config` overrides and the test's own knobs (see fixtures/pgRunner.ts). */
export type RunnerConfig = Partial<Broadcast.Config> & {
  readonly perMinute?: number
  readonly quotaName?: string
  readonly lockExpirationSeconds?: number
  readonly chunkSize?: number
  readonly segmentChunks?: number
}

export interface Runner {
  readonly child: ChildProcess
  readonly port: number
  readonly output: () => string
  readonly exited: Promise<number | null>
}

const runnerScript = path.join(import.meta.dirname, "fixtures/pgRunner.ts")

/**
 * Starts a runner as a real node process (not through a wrapper, so that SIGKILL reaches it), sending to the given
 * emulator; killed when the scope closes. Waits until it says `ready`.
 */
export const startRunner = (options: {
  readonly url: string
  readonly emulator: FcmServer.Service
  readonly config: RunnerConfig
  /** Load the tokens and start a campaign once this many runners hold shards. */
  readonly start?: { readonly id: string; readonly tokens: number; readonly runners: number } | undefined
}) =>
  Effect.gen(function*() {
    const port = yield* freePort
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fcm-pg-runner-"))
    const key = path.join(dir, "service-account.json")
    fs.writeFileSync(key, JSON.stringify(options.emulator.serviceAccount))
    const args = [runnerScript, options.url, options.emulator.baseUrl, String(port), JSON.stringify(options.config)]
    if (options.start) {
      args.push("--start", options.start.id, String(options.start.tokens), String(options.start.runners))
    }
    const runner = yield* Effect.acquireRelease(
      Effect.sync((): Runner => {
        const child = spawn(process.execPath, ["--import", "tsx", ...args], {
          env: { ...process.env, GOOGLE_APPLICATION_CREDENTIALS: key },
          stdio: ["ignore", "pipe", "pipe"]
        })
        let output = ""
        child.stdout!.on("data", (chunk) => output += chunk)
        child.stderr!.on("data", (chunk) => output += chunk)
        const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
        return { child, port, output: () => output, exited }
      }),
      (runner) =>
        Effect.promise(() => {
          if (runner.child.exitCode === null && runner.child.signalCode === null) runner.child.kill("SIGKILL")
          fs.rmSync(dir, { recursive: true, force: true })
          return runner.exited
        })
    )
    yield* Effect.async<void, Error>((resume) => {
      const check = setInterval(() => {
        if (runner.output().includes("ready")) {
          clearInterval(check)
          resume(Effect.void)
        } else if (runner.child.exitCode !== null) {
          clearInterval(check)
          resume(Effect.fail(new Error(`runner exited ${runner.child.exitCode}: ${runner.output()}`)))
        }
      }, 50)
      return Effect.sync(() => clearInterval(check))
    }).pipe(
      Effect.timeoutFail({
        duration: "90 seconds",
        onTimeout: () => new Error(`runner not ready: ${runner.output()}`)
      })
    )
    return runner
  })

/** Per token, the v1 requests an emulator delivered. */
export const deliveries = (emulator: FcmServer.Service) =>
  Effect.map(emulator.records, (records) => {
    const counts = new Map<string, number>()
    for (const record of records) {
      if (record.route !== "v1" || record.delivered === 0 || record.target?._tag !== "Token") continue
      counts.set(record.target.token, (counts.get(record.target.token) ?? 0) + 1)
    }
    return counts
  })

/** The configuration's bound on targets sent twice when one runner dies. */
export const bound = (config: RunnerConfig) => Broadcast.repeatBound({ ...Broadcast.defaultConfig, ...config })
