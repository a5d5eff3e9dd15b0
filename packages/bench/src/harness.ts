/**
 * The frame of a client process: reads the job from `BENCH_JOB`, warms up with `job.warmup` tokens (not measured),
 * sends to `job.tokens` tokens while measuring wall time, the process's CPU time (user + system), the bytes it
 * allocates on V8's heap and its peak RSS, and reports over IPC.
 */
import * as fs from "node:fs"
import * as inspector from "node:inspector"
import * as v8 from "node:v8"
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

/** What one measured send cost the client process. */
export interface Measured {
  readonly seconds: number
  readonly cpu: NodeJS.CpuUsage
  /** Bytes allocated on V8's heap (see `Report.allocatedKiBPerMessage`). */
  readonly allocated: number
  readonly gcCount: number
  readonly gcMillis: number
  /** The most heap in use seen (before a collection, or at the end), and the most after a full collection. */
  readonly peakHeap: number
  readonly peakHeapAfterMarkSweep: number
}

interface GcStatistics {
  readonly gcType: string
  readonly cost: number
  readonly beforeGC: { readonly heapStatistics: { readonly usedHeapSize: number } }
  readonly afterGC: { readonly heapStatistics: { readonly usedHeapSize: number } }
}

/**
 * Runs `run` and measures it: wall time, CPU time, and allocation, i.e. the heap in use at the end minus at the start
 * plus what every garbage collection in between freed, from `v8.GCProfiler` (which records the heap before and after
 * each collection, at a cost per collection, not per allocation). Inside `profiled`, so a CPU profile covers it.
 */
export const measured = <A>(run: () => Promise<A>): Promise<{ readonly value: A; readonly measured: Measured }> =>
  profiled(async () => {
    const gc = new v8.GCProfiler()
    gc.start()
    const used0 = v8.getHeapStatistics().used_heap_size
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const value = await run()
    const seconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const used1 = v8.getHeapStatistics().used_heap_size
    const statistics = (gc.stop() as unknown as { readonly statistics: ReadonlyArray<GcStatistics> }).statistics
    let freed = 0
    let gcMicros = 0
    let peakHeap = Math.max(used0, used1)
    let peakHeapAfterMarkSweep = 0
    for (const s of statistics) {
      freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize
      gcMicros += s.cost
      peakHeap = Math.max(peakHeap, s.beforeGC.heapStatistics.usedHeapSize)
      if (s.gcType === "MarkSweepCompact") {
        peakHeapAfterMarkSweep = Math.max(peakHeapAfterMarkSweep, s.afterGC.heapStatistics.usedHeapSize)
      }
    }
    return {
      value,
      measured: {
        seconds,
        cpu,
        allocated: used1 - used0 + freed,
        gcCount: statistics.length,
        gcMillis: gcMicros / 1000,
        peakHeap,
        peakHeapAfterMarkSweep
      }
    }
  })

export const report = (delivered: number, m: Measured, note: string | undefined): Report => ({
  client: job.client,
  server: job.server,
  variant: job.variant,
  latency: job.latency,
  messages: job.tokens,
  delivered,
  seconds: m.seconds,
  rate: job.tokens / m.seconds,
  cpuMicrosPerMessage: (m.cpu.user + m.cpu.system) / job.tokens,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  allocatedKiBPerMessage: m.allocated / 1024 / job.tokens,
  gcCount: m.gcCount,
  gcMillis: m.gcMillis,
  peakHeapMiB: m.peakHeap / 1024 / 1024,
  peakHeapAfterMarkSweepMiB: m.peakHeapAfterMarkSweep / 1024 / 1024,
  note
})

const post = (session: inspector.Session, method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) =>
    session.post(method, params, (error, result) => error ? reject(error) : resolve(result))
  )

/**
 * With `BENCH_PROFILE` set to a file name, a CPU profile of the measured part only (no start-up, no warm-up) is
 * written there (100 µs sampling). With `BENCH_HEAP_PROFILE`, a sampling heap profile of it (an allocation sampled
 * every 4 KiB on average, the objects collected since kept in the profile): where the allocation comes from.
 */
export const profiled = async <A>(run: () => Promise<A>): Promise<A> => {
  const snapshot = process.env.BENCH_HEAP_SNAPSHOT ?? ""
  if (snapshot !== "") {
    // `--heap-snapshot DIR`: the heap of the measured send, `BENCH_HEAP_SNAPSHOT_AFTER` ms into it
    const timer = setTimeout(() => v8.writeHeapSnapshot(snapshot), Number(process.env.BENCH_HEAP_SNAPSHOT_AFTER))
    try {
      return await profiledRun(run)
    } finally {
      clearTimeout(timer)
    }
  }
  return profiledRun(run)
}

const profiledRun = async <A>(run: () => Promise<A>): Promise<A> => {
  const file = process.env.BENCH_PROFILE ?? ""
  const heapFile = process.env.BENCH_HEAP_PROFILE ?? ""
  if (file === "" && heapFile === "") return run()
  const session = new inspector.Session()
  session.connect()
  if (file !== "") {
    await post(session, "Profiler.enable")
    await post(session, "Profiler.setSamplingInterval", { interval: 100 })
    await post(session, "Profiler.start")
  }
  if (heapFile !== "") {
    await post(session, "HeapProfiler.enable")
    await post(session, "HeapProfiler.startSampling", {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true
    })
  }
  try {
    return await run()
  } finally {
    if (file !== "") {
      const { profile } = await post(session, "Profiler.stop") as { profile: unknown }
      fs.writeFileSync(file, JSON.stringify(profile))
    }
    if (heapFile !== "") {
      const { profile } = await post(session, "HeapProfiler.stopSampling") as { profile: unknown }
      fs.writeFileSync(heapFile, JSON.stringify(profile))
    }
    session.disconnect()
  }
}

const measure = async (client: Client): Promise<Report> => {
  if (job.warmup > 0) await client.send(tokens(-job.warmup - 1, job.warmup))
  const batch = tokens(0, job.tokens)
  const { measured: m, value: delivered } = await measured(() => client.send(batch))
  const note = client.note?.()
  await client.close()
  return report(delivered, m, note)
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
