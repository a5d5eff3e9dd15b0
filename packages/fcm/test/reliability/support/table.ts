/**
 * Where the fault table goes: printed by the suite, written to `packages/fcm/build/reliability/`, and, when
 * `RELIABILITY_WRITE_DOCS=1`, into the marked section of docs/reliability.md.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
export const packageRoot = path.resolve(here, "../../..")
export const repoRoot = path.resolve(packageRoot, "../..")

/** Writes `text` to build/reliability/<name> and, when asked, between `<!-- name:begin -->` and `<!-- name:end -->`. */
export const publish = (name: string, text: string): void => {
  const dir = path.join(packageRoot, "build", "reliability")
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, `${name}.md`), `${text}\n`)
  if (process.env.RELIABILITY_WRITE_DOCS !== "1") return
  const doc = path.join(repoRoot, "docs", "reliability.md")
  const current = fs.readFileSync(doc, "utf8")
  const begin = `<!-- ${name}:begin -->`
  const end = `<!-- ${name}:end -->`
  const from = current.indexOf(begin)
  const to = current.indexOf(end)
  if (from < 0 || to < from) throw new Error(`docs/reliability.md has no ${begin} … ${end} section`)
  fs.writeFileSync(doc, `${current.slice(0, from + begin.length)}\n${text}\n${current.slice(to)}`)
}
