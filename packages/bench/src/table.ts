/**
 * The benchmark's table: one row per client and latency, with its ratios to the reference of its protocol at the same
 * latency (the bare `node:http2` loop for v1 clients, node-gcm for legacy ones) and, for v1 clients, to
 * firebase-admin.
 */
import { type ClientName, labelOf, type Report } from "./job.js"

const LEGACY: ReadonlySet<ClientName> = new Set(["effect-fcm legacy", "node-gcm"])

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

const ratio = (n: number) => `${fmt(n, 2)}×`

export const table = (results: ReadonlyArray<Report>, stream: Report | undefined): string => {
  const header = [
    "latency",
    "client",
    "tokens",
    "msg/s",
    "÷ base",
    "÷ firebase-admin",
    "CPU µs/msg",
    "CPU ÷ base",
    "peak RSS MiB",
    "RSS ÷ base",
    "alloc KiB/msg",
    "server µs/msg"
  ]
  const rows: Array<Array<string>> = []
  for (const r of results) {
    const same = (name: ClientName) =>
      results.find((o) => o.latency === r.latency && o.client === name && o.variant === undefined)
    const legacy = LEGACY.has(r.client)
    const base = same(legacy ? "node-gcm" : "bare node:http2")
    const admin = legacy ? undefined : same("firebase-admin")
    const vs = (peer: Report | undefined, f: (x: Report) => number) =>
      peer === undefined || peer === r ? "" : ratio(f(r) / f(peer))
    rows.push([
      `${r.latency} ms`,
      labelOf(r),
      fmt(r.messages),
      fmt(r.rate),
      vs(base, (x) => x.rate),
      vs(admin, (x) => x.rate),
      fmt(r.cpuMicrosPerMessage, 1),
      vs(base, (x) => x.cpuMicrosPerMessage),
      fmt(r.peakRssMiB),
      vs(base, (x) => x.peakRssMiB),
      fmt(r.allocatedKiBPerMessage, 1),
      r.serverCpuMicrosPerMessage === undefined ? "" : fmt(r.serverCpuMicrosPerMessage, 1)
    ])
  }
  if (stream !== undefined) {
    rows.push([
      `${stream.latency} ms`,
      stream.client,
      fmt(stream.messages),
      fmt(stream.rate),
      "",
      "",
      fmt(stream.cpuMicrosPerMessage, 1),
      "",
      fmt(stream.peakRssMiB),
      "",
      fmt(stream.allocatedKiBPerMessage, 1),
      stream.serverCpuMicrosPerMessage === undefined ? "" : fmt(stream.serverCpuMicrosPerMessage, 1)
    ])
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    "| " + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ") + " |"
  const rule = "|" + widths.map((w, i) => (i < 2 ? ":" + "-".repeat(w + 1) : "-".repeat(w + 1) + ":")).join("|") + "|"
  return [line(header), rule, ...rows.map(line)].join("\n")
}
