/**
 * `pnpm bench`: effect-fcm against its peers, side by side in one run, over TLS on loopback.
 *
 *   pnpm bench [--full] [--tokens N] [--legacy-tokens 50000] [--latency 0,50,100] [--emulator-latency 0] [--stream 0]
 *     [--rounds 1] [--only NAME,NAME] [--concurrency N] [--sessions N] [--warmup 2000] [--json] [--out FILE]
 *     [--profile DIR] [--heap-profile DIR] [--heap-snapshot DIR [--heap-snapshot-after MS]] [--baseline DIR]
 *
 * Two servers, two tables. The client-throughput rows run against the lean server (`lean.ts`: a minimal
 * `node:http2` server answering a fixed success body, far cheaper per request than any client), at each `--latency`;
 * the second table runs the same clients against the project's emulator (`emulator.ts`, an Effect program doing real
 * work per request) at each `--emulator-latency` (an empty list skips it). `--stream N` adds the streamed send of N
 * tokens against the lean server at 0 ms.
 *
 * The default run is sized to finish in about two minutes on a busy two-core machine: v1 clients send to 20,000
 * tokens against the lean server at 0 ms (the reference multicast) and to 10,000 elsewhere, legacy clients to
 * 50,000. `--full` is the long run: 20,000 v1 tokens everywhere, 200,000 legacy tokens and the 1,000,000-token
 * stream. An explicit `--tokens`, `--legacy-tokens` or `--stream` wins over both.
 *
 * The results are written as JSON to `packages/bench/results/latest.json` (or `--out FILE`); `--json` prints them
 * too. `--profile DIR` writes a CPU profile of each client's measured send and of each server's life,
 * `--heap-profile DIR` a sampling heap profile of each client's measured send (`src/profile.ts` summarises both; a
 * profiled run's figures include the profiler's cost), `--heap-snapshot DIR` a heap snapshot taken MS milliseconds
 * into each client's measured send (`src/snapshot.ts` summarises one).
 * `--baseline DIR` also runs effect-fcm's clients (the streamed send included) built from another copy of the
 * repository (`packages/fcm/src` and `packages/node/src` under DIR, e.g. `git archive` of a commit), for before/after
 * comparisons.
 *
 * Each server runs in a process of its own (so it never shares the client's event loop), and so does every client,
 * so CPU time, allocation and peak RSS are each client's own; the server's CPU during each client's run is recorded
 * too. Each server is warmed up by an unmeasured run of the bare loop first, so that its own JIT compilation is not
 * charged to the first client measured against it. For each server and latency the clients run one after the other against the same server process; with
 * `--rounds N` the whole sequence repeats and the median round of each client is kept.
 */
import * as esbuild from "esbuild"
import { type ChildProcess, execFileSync, fork } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { type ClientName, type Job, labelOf, type Report, type ServerName } from "./job.js"
import type { Ready } from "./serverProcess.js"
import { table } from "./table.js"

const here = path.dirname(fileURLToPath(import.meta.url))

const { values } = parseArgs({
  options: {
    full: { type: "boolean", default: false },
    tokens: { type: "string", default: "" },
    "legacy-tokens": { type: "string", default: "" },
    latency: { type: "string", default: "0,50,100" },
    "emulator-latency": { type: "string", default: "0" },
    stream: { type: "string", default: "" },
    rounds: { type: "string", default: "1" },
    only: { type: "string", default: "" },
    concurrency: { type: "string", default: "" },
    sessions: { type: "string", default: "" },
    warmup: { type: "string", default: "2000" },
    json: { type: "boolean", default: false },
    out: { type: "string" },
    profile: { type: "string" },
    "heap-profile": { type: "string" },
    "heap-snapshot": { type: "string" },
    "heap-snapshot-after": { type: "string", default: "1000" },
    baseline: { type: "string" }
  },
  allowPositionals: false
})

const numbers = (list: string) => list.split(",").filter((s) => s.trim() !== "").map(Number)
const full = values.full
/** v1 tokens: the reference multicast (lean server, 0 ms) is 20,000 tokens; the other rows 10,000 unless `--full`. */
const tokensOption = values.tokens === "" ? undefined : Number(values.tokens)
const tokensFor = (server: ServerName, latency: number) =>
  tokensOption ?? (full || (server === "lean" && latency === 0) ? 20_000 : 10_000)
const tokens = tokensOption ?? 20_000
// legacy clients send 1000 tokens a request: 20,000 tokens would be 20 requests, too few to measure
const legacyTokens = values["legacy-tokens"] === "" ? (full ? 200_000 : 50_000) : Number(values["legacy-tokens"])
const leanLatencies = numbers(values.latency)
const emulatorLatencies = numbers(values["emulator-latency"])
const streamTokens = values.stream === "" ? (full ? 1_000_000 : 0) : Number(values.stream)
const rounds = Number(values.rounds)
// effect-fcm runs with its default options unless these are given; the bare loop with 256 in flight on 3 sessions
const concurrencyOption = values.concurrency === "" ? undefined : Number(values.concurrency)
const sessionsOption = values.sessions === "" ? undefined : Number(values.sessions)
const concurrency = concurrencyOption ?? 256
const sessions = sessionsOption ?? Math.ceil(concurrency / 100)
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
/** Run only when `--only` names them. */
const OPT_IN: ReadonlySet<ClientName> = new Set(["effect-fcm v1 (fetch)"])
const selected = (name: ClientName) => only.size === 0 ? !OPT_IN.has(name) : [...only].some((o) => name.includes(o))

/** Clients whose process needs Google's hosts routed to the server. */
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

const SERVER_ENTRY: Record<ServerName, string> = { lean: "lean", emulator: "emulator" }

const out = path.join(here, "..", "build", "bench")
const baselineOut = path.join(here, "..", "build", "bench-baseline")

/**
 * Bundles the client and server programs (the workspace's TypeScript compiled, npm packages left as they are), so
 * that the measured processes run plain JavaScript, as a deployed sender would, without a TypeScript loader's time
 * and memory in their numbers.
 */
const bundle = (baseline?: string) =>
  esbuild.build({
    entryPoints: [...new Set(Object.values(ENTRY)), ...Object.values(SERVER_ENTRY)].map((e) => ({
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

// "close", not "exit": a process that reports and exits at once may fire "exit" before its last IPC message is read
const once = <A>(proc: ChildProcess, what: string): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const onClose = (code: number | null) => reject(new Error(`${what} exited with code ${code} before reporting`))
    proc.once("message", (m) => {
      proc.off("close", onClose)
      resolve(m as A)
    })
    proc.once("close", onClose)
  })

interface Server {
  readonly name: ServerName
  readonly ready: Ready
  /** The server process's CPU time so far, in microseconds. */
  readonly cpu: () => Promise<number>
  readonly stop: () => Promise<void>
}

const startServer = async (name: ServerName, latency: number, dir: string): Promise<Server> => {
  // with `--profile DIR`, the server's whole life is profiled too (Node writes the profile when it exits)
  const execArgv = values.profile === undefined ? [] : [
    "--cpu-prof",
    "--cpu-prof-dir",
    path.resolve(values.profile),
    "--cpu-prof-name",
    `server-${name}-${latency}ms.cpuprofile`
  ]
  const proc = child(SERVER_ENTRY[name], ["--latency", String(latency), "--dir", dir], {}, execArgv)
  const ready = await once<Ready>(proc, `the ${name} server`)
  return {
    name,
    ready,
    cpu: async () => {
      const reply = once<NodeJS.CpuUsage>(proc, `the ${name} server`)
      proc.send("cpu")
      const usage = await reply
      return usage.user + usage.system
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve()
        proc.once("exit", () => resolve())
        proc.kill("SIGTERM")
      })
  }
}

const runClient = async (job: Job, server: Server): Promise<Report> => {
  const env: Record<string, string> = {
    BENCH_JOB: JSON.stringify(job),
    NODE_EXTRA_CA_CERTS: job.emulator.caPath,
    BENCH_EMULATOR_PORT: String(job.emulator.port)
  }
  const execArgv = ROUTED.has(job.client) ? ["--require", path.join(here, "route.cjs")] : []
  const name = `${labelOf(job).replace(/\W+/g, "-")}-${job.server}-${job.latency}ms`
  if (values.profile !== undefined) {
    fs.mkdirSync(values.profile, { recursive: true })
    env.BENCH_PROFILE = path.resolve(values.profile, `${name}.cpuprofile`)
  }
  if (values["heap-snapshot"] !== undefined) {
    fs.mkdirSync(values["heap-snapshot"], { recursive: true })
    env.BENCH_HEAP_SNAPSHOT = path.resolve(values["heap-snapshot"], `${name}.heapsnapshot`)
    env.BENCH_HEAP_SNAPSHOT_AFTER = values["heap-snapshot-after"]
  }
  if (values["heap-profile"] !== undefined) {
    fs.mkdirSync(values["heap-profile"], { recursive: true })
    env.BENCH_HEAP_PROFILE = path.resolve(values["heap-profile"], `${name}.heapprofile`)
  }
  const cpu0 = await server.cpu()
  const proc = child(ENTRY[job.client], [], env, execArgv, job.variant === "baseline" ? baselineOut : out)
  const report = await once<Report>(proc, labelOf(job))
  const serverCpu = (await server.cpu()) - cpu0
  return { ...report, serverCpuMicrosPerMessage: serverCpu / (job.tokens + job.warmup) }
}

const median = (reports: ReadonlyArray<Report>): Report => {
  const sorted = [...reports].sort((a, b) => a.rate - b.rate)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}

const fmt = (n: number, digits = 0) => n.toFixed(digits)

const log = (r: Report) => {
  console.log(
    `  ${r.server.padEnd(8)} ${String(r.latency).padStart(3)} ms  ${labelOf(r).padEnd(35)} ` +
      `${String(r.messages).padStart(7)} tokens in ${fmt(r.seconds, 1).padStart(4)} s ` +
      `${fmt(r.rate).padStart(7)} msg/s  ${fmt(r.cpuMicrosPerMessage, 1).padStart(6)} µs CPU/msg  ` +
      `${fmt(r.peakRssMiB).padStart(4)} MiB (heap ${fmt(r.peakHeapMiB)}, live ${fmt(r.peakHeapAfterMarkSweepMiB)})  ` +
      `${fmt(r.allocatedKiBPerMessage, 1).padStart(6)} KiB/msg  ${r.gcCount} GCs  ` +
      `server ${fmt(r.serverCpuMicrosPerMessage ?? 0, 1)} µs/msg${r.note ? `  (${r.note})` : ""}`
  )
  if (r.delivered !== r.messages) console.log(`    !! ${r.delivered} of ${r.messages} delivered`)
  // the server must stay the cheaper side, or the row measures it rather than the client
  const server = r.serverCpuMicrosPerMessage ?? 0
  if (server > 0.75 * r.cpuMicrosPerMessage) {
    console.log(
      `    !! the server used ${fmt((100 * server) / r.cpuMicrosPerMessage)}% of the client's CPU per message`
    )
  }
}

const LEGACY: ReadonlySet<ClientName> = new Set(["effect-fcm legacy", "node-gcm"])

const job = (client: ClientName, server: Server, latency: number, n: number, variant?: "baseline"): Job => ({
  client,
  server: server.name,
  variant,
  latency,
  tokens: n,
  // legacy clients warm up with ten times as many tokens (20 requests of 1000 by default)
  warmup: Math.min(LEGACY.has(client) ? warmup * 10 : warmup, n),
  concurrency,
  concurrencyOption,
  sessions,
  sessionsOption,
  emulator: server.ready
})

/**
 * Sends 2,000 messages with the bare loop, unmeasured, to a server that has just started: its JIT compilation and
 * first connections would otherwise be charged to the first client measured against it.
 */
const warmUp = async (server: Server, latency: number) => {
  const n = 2_000
  const proc = child(ENTRY["bare node:http2"], [], {
    BENCH_JOB: JSON.stringify({ ...job("bare node:http2", server, latency, n), warmup: 0 }),
    NODE_EXTRA_CA_CERTS: server.ready.caPath
  }, [])
  await once<Report>(proc, "the server's warm-up")
}

const runTable = async (name: ServerName, latencies: ReadonlyArray<number>, dir: string) => {
  const results: Array<Report> = []
  for (const latency of latencies) {
    const server = await startServer(name, latency, dir)
    try {
      await warmUp(server, latency)
      const byClient = new Map<string, Array<Report>>()
      const variants = values.baseline === undefined ? [undefined] : [undefined, "baseline" as const]
      for (let round = 0; round < rounds; round++) {
        for (const client of CLIENTS) {
          for (const variant of variants) {
            if (!selected(client)) continue
            if (variant !== undefined && !client.startsWith("effect-fcm")) continue
            const n = LEGACY.has(client) ? legacyTokens : tokensFor(name, latency)
            const report = await runClient(job(client, server, latency, n, variant), server)
            log(report)
            byClient.set(labelOf(report), [...(byClient.get(labelOf(report)) ?? []), report])
          }
        }
      }
      for (const reports of byClient.values()) results.push(median(reports))
    } finally {
      await server.stop()
    }
  }
  return results
}

/** The commit measured (with `+` when the sources measured have changes), or `undefined` outside a git checkout. */
const gitCommit = (): string | undefined => {
  try {
    const run = (...args: Array<string>) => execFileSync("git", args, { cwd: here, encoding: "utf8" }).trim()
    return run("rev-parse", "--short", "HEAD") +
      (run("status", "--porcelain", "--", "../../fcm/src", "../../node/src", ".") === "" ? "" : "+")
  } catch {
    return undefined
  }
}

const main = async () => {
  await bundle()
  if (values.baseline !== undefined) await bundle(values.baseline)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-fcm-bench-"))
  const started = Date.now()
  const loadAverageAtStart = os.loadavg()
  console.log(
    `effect-fcm benchmark: ${
      tokensOption ?? (full ? "20000" : "20000 (lean server, 0 ms) or 10000")
    } tokens per v1 client and latency, ${legacyTokens} per legacy client, ` +
      `effect-fcm ${concurrencyOption === undefined ? "with its default concurrency" : `${concurrency} in flight`}, ` +
      `bare loop ${concurrency} in flight on ${sessions} sessions, ${rounds} round(s); ` +
      `Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? "unknown"}), ` +
      `load average ${loadAverageAtStart.map((l) => l.toFixed(1)).join(" ")}`
  )
  try {
    const lean = await runTable("lean", leanLatencies, dir)
    const emulator = await runTable("emulator", emulatorLatencies, dir)
    let stream: Report | undefined
    let streamBaseline: Report | undefined
    if (streamTokens > 0 && selected("effect-fcm sendStream")) {
      const server = await startServer("lean", 0, dir)
      try {
        // with `--baseline`, the baseline's stream too, each round the two one after the other; medians of the rounds
        const runs: Array<Report> = []
        const based: Array<Report> = []
        for (let round = 0; round < rounds; round++) {
          runs.push(await runClient(job("effect-fcm sendStream", server, 0, streamTokens), server))
          log(runs[runs.length - 1]!)
          if (values.baseline === undefined) continue
          based.push(await runClient(job("effect-fcm sendStream", server, 0, streamTokens, "baseline"), server))
          log(based[based.length - 1]!)
        }
        stream = median(runs)
        streamBaseline = based.length === 0 ? undefined : median(based)
      } finally {
        await server.stop()
      }
    }
    const output = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model.trim(),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        loadAverageAtStart,
        loadAverageAtEnd: os.loadavg()
      },
      command: `pnpm bench ${process.argv.slice(2).join(" ")}`.trim(),
      commit: gitCommit(),
      options: {
        full,
        tokens: tokensOption ?? (full ? tokens : "20000 (lean server, 0 ms), 10000 (elsewhere)"),
        legacyTokens,
        latencies: leanLatencies,
        emulatorLatencies,
        concurrency: concurrencyOption ?? "default",
        sessions: sessionsOption ?? "default",
        bare: { concurrency, sessions },
        rounds,
        warmup,
        stream: streamTokens
      },
      lean,
      emulator,
      stream,
      ...(streamBaseline === undefined ? {} : { streamBaseline }),
      seconds: (Date.now() - started) / 1000
    }
    console.log()
    if (lean.length > 0) console.log(`Lean server\n\n${table(lean, stream)}\n`)
    if (emulator.length > 0) console.log(`Emulator\n\n${table(emulator, undefined)}\n`)
    console.log(`finished in ${output.seconds.toFixed(0)} s`)
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
