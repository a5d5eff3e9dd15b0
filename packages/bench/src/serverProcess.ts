/**
 * What the benchmark's two server processes (`lean.ts`, `emulator.ts`) share with the parent that starts them: their
 * flags (`--latency MS`, `--dir DIR`, `--host HOST`), the one `Ready` message they send once listening, their answer
 * to the parent's `"cpu"` message (their own `process.cpuUsage()`), and stopping on SIGTERM or when the parent goes
 * away.
 */
import { parseArgs } from "node:util"

/** What a server process tells its parent once it listens. */
export interface Ready {
  readonly baseUrl: string
  readonly port: number
  readonly keyPath: string
  readonly caPath: string
  readonly apiKey: string
  readonly projectId: string
  readonly accessToken: string
}

/** The flags of a server process. */
export interface Flags {
  /** Milliseconds between a request and its answer. */
  readonly latency: number
  /** Where the service-account key and the certificate are written. */
  readonly dir: string
  readonly host: string
}

/** Reads the flags of this process. */
export const flags = (): Flags => {
  const { values } = parseArgs({
    options: {
      latency: { type: "string", default: "0" },
      dir: { type: "string" },
      host: { type: "string", default: "127.0.0.1" }
    }
  })
  return { latency: Number(values.latency), dir: values.dir!, host: values.host }
}

/** Answers the parent's `"cpu"` messages and calls `stop` on SIGTERM or when the parent goes away. */
export const serve = (stop: () => void): void => {
  process.on("message", (m) => {
    if (m === "cpu") process.send!(process.cpuUsage())
  })
  process.once("SIGTERM", stop)
  process.once("disconnect", stop)
}
