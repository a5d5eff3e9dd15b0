/**
 * Summarises a V8 heap snapshot (`pnpm bench --heap-snapshot DIR`, or `v8.writeHeapSnapshot`): the heap's objects
 * grouped by kind and constructor, largest self size first. What a send keeps alive while it runs.
 *
 *   tsx packages/bench/src/snapshot.ts FILE.heapsnapshot [--top 25]
 */
import * as fs from "node:fs"
import { parseArgs } from "node:util"

interface Snapshot {
  readonly snapshot: {
    readonly meta: { readonly node_fields: ReadonlyArray<string>; readonly node_types: [ReadonlyArray<string>] }
  }
  readonly nodes: ReadonlyArray<number>
  readonly strings: ReadonlyArray<string>
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "25" } }
})

for (const file of positionals) {
  const json = JSON.parse(fs.readFileSync(file, "utf8")) as Snapshot
  const fields = json.snapshot.meta.node_fields
  const types = json.snapshot.meta.node_types[0]
  const width = fields.length
  const [type, name, size] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [number, number, number]
  const groups = new Map<string, { count: number; bytes: number }>()
  let total = 0
  for (let i = 0; i < json.nodes.length; i += width) {
    const kind = types[json.nodes[i + type]!]!
    const label = kind === "object" || kind === "closure" ? `${kind} ${json.strings[json.nodes[i + name]!]}` : kind
    const bytes = json.nodes[i + size]!
    total += bytes
    const group = groups.get(label) ?? { count: 0, bytes: 0 }
    group.count++
    group.bytes += bytes
    groups.set(label, group)
  }
  console.log(
    `${file}: ${(total / 1024 / 1024).toFixed(1)} MiB in ${
      (json.nodes.length / width).toLocaleString("en-US")
    } objects\n`
  )
  const rows = [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(values.top))
  for (const [label, { bytes, count }] of rows) {
    console.log(
      `${(bytes / 1024 / 1024).toFixed(1).padStart(7)} MiB ${count.toLocaleString("en-US").padStart(10)}  ${label}`
    )
  }
}
