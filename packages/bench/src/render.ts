/**
 * Renders a results file of `pnpm bench` (by default `packages/bench/results/latest.json`) as the Markdown of
 * docs/performance.md: the command, the machine, and the two tables.
 *
 *   tsx packages/bench/src/render.ts [FILE]
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { Report } from "./job.js"
import { table } from "./table.js"

interface Results {
  readonly date: string
  readonly machine: {
    readonly cpus: number
    readonly model?: string
    readonly node: string
    readonly platform: string
    readonly loadAverageAtStart?: ReadonlyArray<number>
    readonly loadAverageAtEnd?: ReadonlyArray<number>
  }
  readonly command: string
  readonly commit?: string | undefined
  readonly lean: ReadonlyArray<Report>
  readonly emulator: ReadonlyArray<Report>
  readonly stream?: Report | undefined
  readonly seconds: number
}

const here = path.dirname(fileURLToPath(import.meta.url))
const file = process.argv[2] ?? path.join(here, "..", "results", "latest.json")
const results = JSON.parse(fs.readFileSync(file, "utf8")) as Results
const { machine } = results
const loads = (l: ReadonlyArray<number> | undefined) => l?.map((n) => n.toFixed(1)).join(", ")
const load = machine.loadAverageAtStart === undefined ?
  undefined :
  `load average ${loads(machine.loadAverageAtStart)} at the start` +
  (machine.loadAverageAtEnd === undefined ? "" : `, ${loads(machine.loadAverageAtEnd)} at the end`)

console.log(
  [
    `\`${results.command}\`${results.commit === undefined ? "" : ` at ${results.commit}`}, ` +
    `${results.date.slice(0, 10)}: ${machine.cpus} × ${machine.model ?? "unknown CPU"}, ` +
    `${machine.platform}, Node ${machine.node}${load === undefined ? "" : `, ${load}`}; ` +
    `${results.seconds.toFixed(0)} s.`,
    "",
    ...(results.lean.length === 0 && results.stream === undefined ?
      [] :
      ["Against the lean server:", "", table(results.lean, results.stream)]),
    ...(results.emulator.length === 0 ? [] : ["", "Against the emulator:", "", table(results.emulator, undefined)])
  ].join("\n")
)
