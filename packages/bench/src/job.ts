/**
 * What the orchestrator asks a client process to do, and what the client reports back.
 */
import type { Ready } from "./serverProcess.js"

export type ClientName =
  | "effect-fcm v1 (HTTP/2)"
  | "effect-fcm v1 (fetch)"
  | "firebase-admin"
  | "bare node:http2"
  | "effect-fcm legacy"
  | "node-gcm"
  | "effect-fcm sendStream"

/** The server the clients send to: the lean `node:http2` server (`lean.ts`) or the project's emulator. */
export type ServerName = "lean" | "emulator"

export interface Job {
  readonly client: ClientName
  readonly server: ServerName
  /** `baseline` runs effect-fcm's code from the `--baseline` directory (before/after comparisons). */
  readonly variant?: "baseline" | undefined
  readonly latency: number
  readonly tokens: number
  readonly warmup: number
  /** Requests in flight: the bare loop's, and effect-fcm's v1 `concurrency` option when set (else its default). */
  readonly concurrency: number
  readonly concurrencyOption: number | undefined
  /** The bare loop's HTTP/2 sessions; effect-fcm's pool `maxSessionsPerOrigin` when set (else its default). */
  readonly sessions: number
  readonly sessionsOption: number | undefined
  readonly emulator: Ready
}

export interface Report {
  readonly client: ClientName
  readonly server: ServerName
  readonly variant?: "baseline" | undefined
  readonly latency: number
  readonly messages: number
  readonly delivered: number
  readonly seconds: number
  readonly rate: number
  /** User + system CPU of the client process during the measured send, in microseconds per message. */
  readonly cpuMicrosPerMessage: number
  /** The process's peak resident set size, in MiB (warm-up included). */
  readonly peakRssMiB: number
  /**
   * Bytes allocated on V8's heap during the measured send, per message, in KiB: the heap in use at the end minus at
   * the start, plus what each garbage collection in between freed (`v8.GCProfiler`). What is not retained of it is
   * garbage; at the end of a send nearly none of it is retained.
   */
  readonly allocatedKiBPerMessage: number
  /** Garbage collections during the measured send, and the milliseconds they took on the main thread. */
  readonly gcCount: number
  readonly gcMillis: number
  /**
   * The most V8 heap in use during the measured send (live objects and garbage not yet collected), and the most
   * left after a full collection (what was live), in MiB; the latter is 0 when no full collection ran.
   */
  readonly peakHeapMiB: number
  readonly peakHeapAfterMarkSweepMiB: number
  /** The server process's CPU during the client's whole run (warm-up included), per message sent. */
  readonly serverCpuMicrosPerMessage?: number | undefined
  readonly note?: string | undefined
}

/** A registration-token-shaped string (FCM tokens are ~150+ printable characters). */
export const token = (i: number): string => `bench-${i.toString(36).padStart(8, "0")}:` + "APA91b".padEnd(148, "x")

export const NOTIFICATION = { title: "Hello", body: "A benchmark message from the loopback emulator" }
export const DATA = { kind: "bench", n: "1" }

export const labelOf = (r: { readonly client: ClientName; readonly variant?: "baseline" | undefined }): string =>
  r.variant === "baseline" ? `${r.client} [baseline]` : r.client
