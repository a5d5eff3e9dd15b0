/**
 * The frame of a client process: reads the job from `BENCH_JOB`, warms up with `job.warmup` tokens (not measured),
 * sends to `job.tokens` tokens while measuring wall time, the process's CPU time (user + system) and its peak RSS,
 * and reports over IPC.
 */
import * as fs from "node:fs"
import * as inspector from "node:inspector"
import { type Job, type Report, token } from "./job.js"

export interface Client {
  /** Sends one message to every token; resolves with the number delivered. */
  readonly send: (tokens: ReadonlyArray<string>) => Promise<number>
  readonly close: () => Promise<void>
  /** Something to print next to the result (sessions used, …). */
  readonly note?: () => string | undefined
}

export const job: Job = JSON.parse(process.env.BENCH_JOB!)

export const tokens = (from: number, n: number): Array<string> => Array.from({ length: n }, (_, i) => token(from + i))

export const report = (
  delivered: number,
  seconds: number,
  cpu: NodeJS.CpuUsage,
  note: string | undefined
): Report => ({
  client: job.client,
  variant: job.variant,
  latency: job.latency,
  messages: job.tokens,
  delivered,
  seconds,
  rate: job.tokens / seconds,
  cpuMicrosPerMessage: (cpu.user + cpu.system) / job.tokens,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  note
})

const post = (session: inspector.Session, method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) =>
    session.post(method, params, (error, result) => error ? reject(error) : resolve(result))
  )

/**
 * With `BENCH_PROFILE` set to a file name, a CPU profile of the measured part only (no start-up, no warm-up) is
 * written there (100 µs sampling).
 */
export const profiled = async <A>(run: () => Promise<A>): Promise<A> => {
  const file = process.env.BENCH_PROFILE
  if (file === undefined || file === "") return run()
  const session = new inspector.Session()
  session.connect()
  await post(session, "Profiler.enable")
  await post(session, "Profiler.setSamplingInterval", { interval: 100 })
  await post(session, "Profiler.start")
  try {
    return await run()
  } finally {
    const { profile } = await post(session, "Profiler.stop") as { profile: unknown }
    fs.writeFileSync(file, JSON.stringify(profile))
    session.disconnect()
  }
}

const measure = async (client: Client): Promise<Report> => {
  if (job.warmup > 0) await client.send(tokens(-job.warmup - 1, job.warmup))
  const batch = tokens(0, job.tokens)
  const { cpu, delivered, seconds } = await profiled(async () => {
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const delivered = await client.send(batch)
    const seconds = (performance.now() - t0) / 1000
    return { cpu: process.cpuUsage(cpu0), delivered, seconds }
  })
  const note = client.note?.()
  await client.close()
  return report(delivered, seconds, cpu, note)
}

/** Runs a client process: either a `Client` to measure, or a function that measures itself. */
export const main = (make: () => Promise<Client | Report>): void => {
  make().then((made) => "send" in made ? measure(made) : made).then(
    (result) => process.send!(result, () => process.exit(0)),
    (error) => {
      console.error(`${job.client}:`, error)
      process.exit(1)
    }
  )
}
