/**
 * The benchmark's table: one row per client and latency, with its ratio to each peer of the same latency.
 */
import { type ClientName, labelOf, type Report } from "./job.js"

const PEERS: ReadonlyArray<readonly [ClientName, string]> = [
  ["firebase-admin", "÷ firebase-admin"],
  ["bare node:http2", "÷ bare"],
  ["node-gcm", "÷ node-gcm"]
]

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

export const table = (results: ReadonlyArray<Report>, stream: Report | undefined): string => {
  const header = [
    "latency",
    "client",
    "msg/s",
    ...PEERS.map(([, label]) => label),
    "CPU µs/msg",
    "CPU ÷ bare",
    "peak RSS MiB"
  ]
  const rows: Array<Array<string>> = []
  for (const r of results) {
    const same = (name: ClientName) =>
      results.find((o) => o.latency === r.latency && o.client === name && o.variant === undefined)
    const legacy = r.client === "effect-fcm legacy" || r.client === "node-gcm"
    const ratios = PEERS.map(([name]) => {
      const peer = same(name)
      const isLegacyPeer = name === "node-gcm"
      if (peer === undefined || peer === r || legacy !== isLegacyPeer) return ""
      return `${fmt(r.rate / peer.rate, 2)}×`
    })
    const bare = same("bare node:http2")
    rows.push([
      `${r.latency} ms`,
      labelOf(r),
      fmt(r.rate),
      ...ratios,
      fmt(r.cpuMicrosPerMessage, 1),
      bare !== undefined && !legacy && bare !== r ? `${fmt(r.cpuMicrosPerMessage / bare.cpuMicrosPerMessage, 2)}×` : "",
      fmt(r.peakRssMiB)
    ])
  }
  if (stream !== undefined) {
    rows.push([
      `${stream.latency} ms`,
      `${stream.client}, ${fmt(stream.messages)} tokens`,
      fmt(stream.rate),
      "",
      "",
      "",
      fmt(stream.cpuMicrosPerMessage, 1),
      "",
      fmt(stream.peakRssMiB)
    ])
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    "| " + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ") + " |"
  const rule = "|" + widths.map((w, i) => (i < 2 ? ":" + "-".repeat(w + 1) : "-".repeat(w + 1) + ":")).join("|") + "|"
  return [line(header), rule, ...rows.map(line)].join("\n")
}
