/**
 * The distributed set-up's scaling: the same campaign sent by 1, 2 and 4 runner processes (`Setup.distributed`,
 * NodeClusterSocket) on PostgreSQL, against the loopback emulator answering after a fixed latency. Each runner count
 * gets a fresh database; the campaign starts once every runner holds its share of the shards. Segments in flight grow
 * with the runners (`segmentConcurrency` = 2 per runner, each segment 2 chunks of 32 requests), so that each runner
 * is bound by its requests in flight, as a runner of a real cluster is.
 *
 *   bash scripts/with-postgres.sh node --import tsx packages/cluster/scripts/scale.ts [TOKENS=20000] [LATENCY_MS=50] [RUNNERS=1,2,4]
 *
 * Prints, per runner count: throughput (from the emulator's own clock, first to last request), the ideal rate of
 * the requests in flight at that latency, and the CPU time per token of the runner processes and of the PostgreSQL
 * server from the campaign's start to its end (from /proc: Linux only; the runners' start-up is not counted), and the
 * rows each table holds at the end (PostgreSQL's statistics: approximate).
 */
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted, Schedule } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

const tokens = Number(process.argv[2] ?? 20_000)
const latency = Number(process.argv[3] ?? 50)
const counts = (process.argv[4] ?? "1,2,4").split(",").map(Number)
const baseUrl = process.env.FCM_TEST_POSTGRES_URL
const serverPid = process.env.FCM_TEST_POSTGRES_PID
if (!baseUrl) {
  console.error("set FCM_TEST_POSTGRES_URL, or run: bash scripts/with-postgres.sh node --import tsx " + process.argv[1])
  process.exit(2)
}
const runnerScript = path.join(import.meta.dirname, "../test/fixtures/pgRunner.ts")
const CLOCK_TICK = 100 // USER_HZ on Linux

/** CPU seconds of a process (and, with children, of its reaped children) from /proc. */
const cpuOf = (pid: number, children = false): number => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const ticks = Number(fields[11]) + Number(fields[12]) + (children ? Number(fields[13]) + Number(fields[14]) : 0)
    return ticks / CLOCK_TICK
  } catch {
    return 0
  }
}

/** CPU seconds of the PostgreSQL server: the postmaster, its live backends, and those that exited. */
const serverCpu = (): number => {
  if (!serverPid) return Number.NaN
  const pid = Number(serverPid)
  let total = cpuOf(pid, true)
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8")
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      if (ppid === pid) total += cpuOf(Number(entry))
    } catch {
      // gone
    }
  }
  return total
}

const admin = (url: string, statement: string) =>
  Effect.flatMap(PgClient.PgClient, (sql) => sql.unsafe<Record<string, unknown>>(statement)).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 }))
  )

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

const runOnce = (runners: number) =>
  Effect.gen(function*() {
    const emulator = yield* FcmServer.make({
      recordCapacity: tokens + 1000,
      scenarios: { default: Scenario.latency(latency) }
    })
    const name = `fcm_scale_${process.pid}_${runners}`
    yield* Effect.acquireRelease(
      admin(baseUrl, `CREATE DATABASE ${name}`),
      () => Effect.ignore(admin(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    )
    const url = new URL(baseUrl)
    url.pathname = `/${name}`
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fcm-scale-"))
    const key = path.join(dir, "service-account.json")
    fs.writeFileSync(key, JSON.stringify(emulator.serviceAccount))
    const config = {
      segmentConcurrency: 2 * runners,
      chunkConcurrency: 2,
      sendConcurrency: 32,
      perMinute: 600_000,
      chunkSize: 500,
      segmentChunks: 4
    }
    const outputs: Array<() => string> = []
    const children = yield* Effect.acquireRelease(
      Effect.promise(async () => {
        const started: Array<ReturnType<typeof spawn>> = []
        for (let i = 0; i < runners; i++) {
          const port = await freePort()
          const args = [runnerScript, url.toString(), emulator.baseUrl, String(port), JSON.stringify(config)]
          if (i === runners - 1) args.push("--start", "scale", String(tokens), String(runners))
          const child = spawn(process.execPath, ["--import", "tsx", ...args], {
            env: { ...process.env, GOOGLE_APPLICATION_CREDENTIALS: key },
            stdio: ["ignore", "ignore", "pipe"]
          })
          let output = ""
          child.stderr.on("data", (chunk) => output += chunk)
          // wait for each runner to be up before the next, so that the shards settle as they would in a cluster
          outputs.push(() => output)
          await new Promise<void>((resolve, reject) => {
            const check = setInterval(() => {
              if (output.includes("ready") || i === runners - 1) {
                clearInterval(check)
                resolve()
              } else if (child.exitCode !== null) {
                clearInterval(check)
                reject(new Error(output))
              }
            }, 50)
          })
          started.push(child)
        }
        return started
      }),
      (children) =>
        Effect.promise(() =>
          Promise.all(children.map((child) =>
            new Promise((resolve) => {
              if (child.exitCode !== null) return resolve(null)
              child.on("exit", resolve)
              child.kill("SIGKILL")
            })
          ))
        )
    )
    // the campaign is started by the last runner once the shards are spread: from then on, the CPU is the campaign's
    yield* Effect.sync(() => outputs.every((output) => output().includes("ready"))).pipe(
      Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (ready) => ready })
    )
    const runnersBefore = children.reduce((n, child) => n + cpuOf(child.pid!), 0)
    const serverBefore = serverCpu()
    yield* admin(url.toString(), `SELECT state FROM fcm_campaigns WHERE id = 'scale'`).pipe(
      Effect.catchAll(() => Effect.succeed([])),
      Effect.repeat({
        schedule: Schedule.spaced("500 millis"),
        until: (rows) => rows[0]?.state === "done" || children.some((child) => child.exitCode !== null)
      })
    )
    const runnerSeconds = children.reduce((n, child) => n + cpuOf(child.pid!), 0) - runnersBefore
    const times = (yield* emulator.records).filter((r) => r.route === "v1").map((r) => r.time)
    const ledger = yield* admin(url.toString(), `SELECT COUNT(*) AS n FROM fcm_ledger WHERE campaign = 'scale'`)
    const tables = yield* admin(
      url.toString(),
      `SELECT relname AS name, n_live_tup AS n FROM pg_stat_user_tables WHERE n_live_tup > 0 ORDER BY relname`
    )
    fs.rmSync(dir, { recursive: true, force: true })
    return {
      rows: tables.map((row) => `${row.name} ${row.n}`).join(", "),
      runners,
      inFlight: config.segmentConcurrency * config.chunkConcurrency * config.sendConcurrency,
      requests: times.length,
      ledger: Number(ledger[0]!.n),
      seconds: (Math.max(...times) - Math.min(...times)) / 1000,
      runnerSeconds,
      serverBefore
    }
  }).pipe(Effect.scoped)

const program = Effect.gen(function*() {
  console.log(`${tokens} tokens, ${latency} ms latency, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}`)
  const rows = []
  for (const runners of counts) {
    const result = yield* runOnce(runners)
    yield* Effect.sleep("1 second") // the killed runners' backends exit and are counted in the server's time
    const serverSeconds = serverCpu() - result.serverBefore
    const rate = result.ledger / result.seconds
    rows.push({ ...result, rate, serverSeconds })
    const ideal = result.inFlight / (latency / 1000)
    console.log(
      `${runners} runner(s): ${rate.toFixed(0)} tokens/s (${result.seconds.toFixed(1)} s; ${result.ledger} outcomes, ` +
        `${result.requests} requests), ideal ${ideal.toFixed(0)}/s at ${result.inFlight} in flight; CPU per token: ` +
        `runners ${(result.runnerSeconds / result.ledger * 1e6).toFixed(0)} µs, PostgreSQL ` +
        `${(serverSeconds / result.ledger * 1e6).toFixed(0)} µs; load ${os.loadavg()[0]!.toFixed(1)}`
    )
    console.log(`  rows: ${result.rows}`)
  }
  const one = rows.find((row) => row.runners === 1)
  if (one) {
    console.log(rows.map((row) => `${row.runners}: ${(row.rate / one.rate).toFixed(2)}×`).join(", "))
  }
})

Effect.runPromise(Effect.scoped(program)).then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
