/**
 * `pnpm bench`: effect-fcm against its peers, side by side in one run, on the loopback FCM emulator over TLS.
 *
 *   pnpm bench [--tokens 20000] [--latency 0,50] [--stream 1000000] [--rounds 1] [--only NAME,NAME]
 *     [--concurrency 256] [--sessions 8] [--warmup 2000] [--json] [--out FILE] [--profile DIR] [--baseline DIR]
 *
 * The results are written as JSON to `packages/bench/results/latest.json` (or `--out FILE`); `--json` prints them
 * too. `--profile DIR` writes a CPU profile of each client's measured send (`src/profile.ts` summarises one).
 * `--baseline DIR` also runs effect-fcm's clients built from another copy of the repository (`packages/fcm/src`
 * and `packages/node/src` under DIR, e.g. `git archive` of a commit), for before/after comparisons.
 *
 * The emulator runs in a process of its own (so it never shares the client's event loop), and so does every client,
 * so CPU time and peak RSS are each client's own. For each latency the clients run one after the other against the
 * same emulator; with `--rounds N` the whole sequence repeats and the median round of each client is kept.
 */
import * as esbuild from "esbuild"
import { type ChildProcess, fork } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import type { Ready } from "./emulator.js"
import { type ClientName, type Job, labelOf, type Report } from "./job.js"
import { table } from "./table.js"

const here = path.dirname(fileURLToPath(import.meta.url))

const { values } = parseArgs({
  options: {
    tokens: { type: "string", default: "20000" },
    latency: { type: "string", default: "0,50" },
    stream: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "1" },
    only: { type: "string", default: "" },
    concurrency: { type: "string", default: "256" },
    sessions: { type: "string", default: "8" },
    warmup: { type: "string", default: "2000" },
    json: { type: "boolean", default: false },
    out: { type: "string" },
    profile: { type: "string" },
    baseline: { type: "string" }
  },
  allowPositionals: false
})

const tokens = Number(values.tokens)
const latencies = values.latency.split(",").filter((s) => s !== "").map(Number)
const streamTokens = Number(values.stream)
const rounds = Number(values.rounds)
const concurrency = Number(values.concurrency)
const sessions = Number(values.sessions)
const warmup = Number(values.warmup)
const only = new Set(values.only.split(",").map((s) => s.trim()).filter((s) => s !== ""))

const CLIENTS: ReadonlyArray<ClientName> = [
  "bare node:http2",
  "effect-fcm v1 (HTTP/2)",
  "effect-fcm v1 (fetch)",
  "firebase-admin",
  "effect-fcm legacy",
  "node-gcm"
]
const selected = (name: ClientName) => only.size === 0 || [...only].some((o) => name.includes(o))

/** Clients whose process needs Google's hosts routed to the emulator. */
const ROUTED: ReadonlySet<ClientName> = new Set(["firebase-admin"])

/** The process that runs each client. */
const ENTRY: Record<ClientName, string> = {
  "bare node:http2": "clients/bare",
  "effect-fcm v1 (HTTP/2)": "clients/effect",
  "effect-fcm v1 (fetch)": "clients/effect",
  "effect-fcm legacy": "clients/effect",
  "effect-fcm sendStream": "clients/effect",
  "firebase-admin": "clients/firebase-admin",
  "node-gcm": "clients/node-gcm"
}

const out = path.join(here, "..", "build", "bench")
const baselineOut = path.join(here, "..", "build", "bench-baseline")

/**
 * Bundles the client and emulator programs (the workspace's TypeScript compiled, npm packages left as they are), so
 * that the measured processes run plain JavaScript, as a deployed sender would, without a TypeScript loader's time
 * and memory in their numbers.
 */
const bundle = (baseline?: string) =>
  esbuild.build({
    entryPoints: [...new Set(Object.values(ENTRY)), "emulator"].map((e) => ({
      in: path.join(here, `${e}.ts`),
      out: e
    })),
    outdir: baseline === undefined ? out : baselineOut,
    // `--baseline DIR`: effect-fcm's packages from another copy of the repository (e.g. `git archive` of a commit)
    alias: baseline === undefined ? {} : {
      "@effect-fcm/fcm": path.resolve(baseline, "packages/fcm/src"),
      "@effect-fcm/node": path.resolve(baseline, "packages/node/src")
    },
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: ["effect", "@effect/platform", "firebase-admin", "node-gcm"].flatMap((p) => [p, `${p}/*`]),
    logLevel: "warning"
  })

const child = (
  entry: string,
  args: Array<string>,
  env: Record<string, string>,
  execArgv: Array<string>,
  dir = out
) =>
  fork(path.join(dir, `${entry}.mjs`), args, {
    execArgv,
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })

const once = <A>(proc: ChildProcess, what: string): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    proc.once("message", (m) => resolve(m as A))
    proc.once("exit", (code) => reject(new Error(`${what} exited with code ${code} before reporting`)))
  })

const startEmulator = async (latency: number, dir: string) => {
  const proc = child("emulator", ["--latency", String(latency), "--dir", dir], {}, [])
  const ready = await once<Ready>(proc, "the emulator")
  return {
    ready,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve()
        proc.once("exit", () => resolve())
        proc.kill("SIGTERM")
      })
  }
}

const runClient = async (job: Job): Promise<Report> => {
  const env: Record<string, string> = {
    BENCH_JOB: JSON.stringify(job),
    NODE_EXTRA_CA_CERTS: job.emulator.caPath,
    BENCH_EMULATOR_PORT: String(job.emulator.port)
  }
  const execArgv = ROUTED.has(job.client) ? ["--require", path.join(here, "route.cjs")] : []
  if (values.profile !== undefined) {
    fs.mkdirSync(values.profile, { recursive: true })
    const name = `${labelOf(job).replace(/\W+/g, "-")}-${job.latency}ms.cpuprofile`
    env.BENCH_PROFILE = path.resolve(values.profile, name)
  }
  const proc = child(ENTRY[job.client], [], env, execArgv, job.variant === "baseline" ? baselineOut : out)
  return once<Report>(proc, labelOf(job))
}

const median = (reports: ReadonlyArray<Report>): Report => {
  const sorted = [...reports].sort((a, b) => a.rate - b.rate)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

const main = async () => {
  await bundle()
  if (values.baseline !== undefined) await bundle(values.baseline)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-fcm-bench-"))
  const started = Date.now()
  const results: Array<Report> = []
  console.log(
    `effect-fcm benchmark: ${tokens} tokens per client and latency, ${concurrency} requests in flight, ` +
      `up to ${sessions} HTTP/2 sessions, ${rounds} round(s); Node ${process.version}, ${os.cpus().length} CPUs ` +
      `(${os.cpus()[0]?.model.trim() ?? "unknown"})`
  )
  try {
    for (const latency of latencies) {
      const emulator = await startEmulator(latency, dir)
      try {
        const byClient = new Map<string, Array<Report>>()
        const variants = values.baseline === undefined ? [undefined] : [undefined, "baseline" as const]
        for (let round = 0; round < rounds; round++) {
          for (const client of CLIENTS) {
            for (const variant of variants) {
              if (!selected(client)) continue
              if (variant !== undefined && !client.startsWith("effect-fcm")) continue
              const report = await runClient({
                client,
                variant,
                latency,
                tokens,
                warmup: Math.min(warmup, tokens),
                concurrency,
                sessions,
                emulator: emulator.ready
              })
              console.log(
                `  ${latency} ms  ${labelOf(report).padEnd(35)} ${report.rate.toFixed(0).padStart(7)} msg/s  ` +
                  `${report.cpuMicrosPerMessage.toFixed(1).padStart(6)} µs CPU/msg  ` +
                  `${report.peakRssMiB.toFixed(0).padStart(4)} MiB${report.note ? `  (${report.note})` : ""}`
              )
              if (report.delivered !== report.messages) {
                console.log(`    !! ${report.delivered} of ${report.messages} delivered`)
              }
              byClient.set(labelOf(report), [...(byClient.get(labelOf(report)) ?? []), report])
            }
          }
        }
        for (const reports of byClient.values()) results.push(median(reports))
      } finally {
        await emulator.stop()
      }
    }
    let stream: Report | undefined
    if (streamTokens > 0 && selected("effect-fcm sendStream")) {
      const emulator = await startEmulator(0, dir)
      try {
        stream = await runClient({
          client: "effect-fcm sendStream",
          latency: 0,
          tokens: streamTokens,
          warmup: Math.min(warmup, streamTokens),
          concurrency,
          sessions,
          emulator: emulator.ready
        })
      } finally {
        await emulator.stop()
      }
    }
    const output = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model.trim(),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`
      },
      command: `pnpm bench ${process.argv.slice(2).join(" ")}`.trim(),
      options: { tokens, latencies, concurrency, sessions, rounds, warmup, stream: streamTokens },
      results,
      stream,
      seconds: (Date.now() - started) / 1000
    }
    console.log()
    console.log(table(results, stream))
    console.log(`\nfinished in ${output.seconds.toFixed(0)} s`)
    const file = values.out ?? path.join(here, "..", "results", "latest.json")
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, JSON.stringify(output, null, 2) + "\n")
    console.log(`results written to ${path.relative(process.cwd(), file)}`)
    if (values.json) console.log(JSON.stringify(output, null, 2))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
