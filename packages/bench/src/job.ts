/**
 * What the orchestrator asks a client process to do, and what the client reports back.
 */
import type { Ready } from "./emulator.js"

export type ClientName =
  | "effect-fcm v1 (HTTP/2)"
  | "effect-fcm v1 (fetch)"
  | "firebase-admin"
  | "bare node:http2"
  | "effect-fcm legacy"
  | "node-gcm"
  | "effect-fcm sendStream"

export interface Job {
  readonly client: ClientName
  /** `baseline` runs effect-fcm's code from the `--baseline` directory (before/after comparisons). */
  readonly variant?: "baseline" | undefined
  readonly latency: number
  readonly tokens: number
  readonly warmup: number
  /** Requests in flight (v1 fan-outs and the bare loop). */
  readonly concurrency: number
  /** HTTP/2 sessions for the pool's maximum and the bare loop. */
  readonly sessions: number
  readonly emulator: Ready
}

export interface Report {
  readonly client: ClientName
  readonly variant?: "baseline" | undefined
  readonly latency: number
  readonly messages: number
  readonly delivered: number
  readonly seconds: number
  readonly rate: number
  /** User + system CPU of the client process during the measured send, in microseconds per message. */
  readonly cpuMicrosPerMessage: number
  /** The process's peak resident set size, in MiB. */
  readonly peakRssMiB: number
  readonly note?: string | undefined
}

/** A registration-token-shaped string (FCM tokens are ~150+ printable characters). */
export const token = (i: number): string => `bench-${i.toString(36).padStart(8, "0")}:` + "APA91b".padEnd(148, "x")

export const NOTIFICATION = { title: "Hello", body: "A benchmark message from the loopback emulator" }
export const DATA = { kind: "bench", n: "1" }

export const labelOf = (r: { readonly client: ClientName; readonly variant?: "baseline" | undefined }): string =>
  r.variant === "baseline" ? `${r.client} [baseline]` : r.client
