/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or `pnpm bench --profile DIR`): the functions with the most self
 * time, and the most inclusive time, as a share of the profile's samples. A sampling heap profile
 * (`pnpm bench --heap-profile DIR`, `.heapprofile`) is summarised the same way, by bytes allocated instead of time;
 * with `--messages N` its total is also given per message.
 *
 *   tsx packages/bench/src/profile.ts FILE.cpuprofile|FILE.heapprofile [--top 30] [--filter TEXT]
 *     [--callers NAME [--depth 4]] [--messages N] [--packages]
 *
 * `--packages` adds the self share of each package: Node's own code (`node:`), `effect`, `@effect/platform`, the
 * bundled workspace code (effect-fcm and the bench client, `bench/build`), other npm packages by name, and what has
 * no script (V8, native code, GC, idle).
 */
import * as fs from "node:fs"
import { parseArgs } from "node:util"

interface Node {
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
  }
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<Node>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}
interface HeapNode {
  readonly id: number
  readonly callFrame: Node["callFrame"]
  readonly selfSize: number
  readonly children: ReadonlyArray<HeapNode>
}
interface HeapProfile {
  readonly head: HeapNode
}

/** The profile's nodes, and what each sample weighs: microseconds in a CPU profile, bytes in a heap profile. */
const load = (file: string): { nodes: Array<Node>; weights: Array<readonly [number, number]>; heap: boolean } => {
  const json = JSON.parse(fs.readFileSync(file, "utf8")) as Profile | HeapProfile
  if ("head" in json) {
    const nodes: Array<Node> = []
    const weights: Array<readonly [number, number]> = []
    const walk = (n: HeapNode) => {
      nodes.push({ id: n.id, callFrame: n.callFrame, children: n.children.map((c) => c.id) })
      if (n.selfSize > 0) weights.push([n.id, n.selfSize])
      n.children.forEach(walk)
    }
    walk(json.head)
    return { nodes, weights, heap: true }
  }
  return {
    nodes: [...json.nodes],
    weights: json.samples.map((id, i) => [id, json.timeDeltas[i] ?? 0] as const),
    heap: false
  }
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: "string", default: "30" },
    filter: { type: "string", default: "" },
    callers: { type: "string" },
    depth: { type: "string", default: "4" },
    messages: { type: "string" },
    packages: { type: "boolean", default: false }
  }
})
const top = Number(values.top)

for (const file of positionals) {
  const profile = load(file)
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const label = (n: Node) => {
    const url = n.callFrame.url.replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, "").replace(
      /^file:\/\/.*\/packages\//,
      ""
    )
    return `${n.callFrame.functionName || "(anonymous)"} ${url}:${n.callFrame.lineNumber + 1}`
  }
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  let all = 0
  profile.weights.forEach(([id, dt]) => {
    all += dt
    const node = byId.get(id)!
    self.set(label(node), (self.get(label(node)) ?? 0) + dt)
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!)
      if (seen.has(l)) continue
      seen.add(l)
      total.set(l, (total.get(l) ?? 0) + dt)
    }
  })
  const print = (title: string, map: Map<string, number>) => {
    console.log(`\n${title}`)
    const rows = [...map].filter(([l]) => l.includes(values.filter)).sort((a, b) => b[1] - a[1]).slice(0, top)
    for (const [l, t] of rows) console.log(`${((t / all) * 100).toFixed(1).padStart(5)}%  ${l}`)
  }
  if (profile.heap) {
    const perMessage = values.messages === undefined
      ? ""
      : `, ${(all / 1024 / Number(values.messages)).toFixed(1)} KiB a message`
    console.log(`${file}: ${(all / 1024 / 1024).toFixed(1)} MiB allocated${perMessage}`)
  } else {
    console.log(`${file}: ${(all / 1e6).toFixed(2)} s sampled`)
  }
  if (values.callers !== undefined) {
    // the call paths (innermost first) that lead to the functions whose label contains the text
    const paths = new Map<string, number>()
    profile.weights.forEach(([id, dt]) => {
      const chain: Array<string> = []
      let found = false
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const l = label(byId.get(cur)!)
        if (!found && l.includes(values.callers!)) found = true
        if (found) chain.push(l)
        if (chain.length > Number(values.depth)) break
      }
      if (found) paths.set(chain.join("  <-  "), (paths.get(chain.join("  <-  ")) ?? 0) + dt)
    })
    print(`callers of ${values.callers}`, paths)
    continue
  }
  if (values.packages) {
    const byPackage = new Map<string, number>()
    profile.weights.forEach(([id, w]) => {
      const url = byId.get(id)!.callFrame.url
      const pkg = url.startsWith("node:")
        ? "node (node:*)"
        : url.includes("bench/build/")
        ? "workspace code (effect-fcm, the bench client)"
        : /node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?((@[^/]+\/)?[^/]+)/.exec(url)?.[2] ??
          "(no script: V8, native, GC)"
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + w)
    })
    print("self by package", byPackage)
  }
  print("self", self)
  print("inclusive", total)
}
