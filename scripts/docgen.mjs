// Generates the API reference in docs/api/ from the JSDoc of every package that has a docgen.json.
//
//   node scripts/docgen.mjs           runs @effect/docgen in each package (it type-checks and runs every @example),
//                                     then writes docs/api/<package>/<Module>.ts.md and docs/api/README.md
//   node scripts/docgen.mjs --check   the same, but leaves docs/api/ alone and fails when it is out of date
//                                     (part of `pnpm docs:check`)
//
// docgen writes its own layout under packages/<package>/docs/ (a Jekyll site); only the module pages are kept, with
// the front matter replaced by a title, a link to the source file and a link back to the index.
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"

const root = new URL("..", import.meta.url).pathname
const check = process.argv.includes("--check")
const bin = join(root, "node_modules/.bin")
const out = join(root, "docs/api")
// docgen is mostly single-threaded (parsing, then tsc and tsx on the examples): two packages at a time
const concurrency = 2

const packages = readdirSync(join(root, "packages"))
  .filter((dir) => existsSync(join(root, "packages", dir, "docgen.json")))
  .sort()

/** Runs docgen in packages/<dir>; resolves with its output when it fails. */
const docgen = (dir) =>
  new Promise((resolve) => {
    const cwd = join(root, "packages", dir)
    rmSync(join(cwd, "docs"), { recursive: true, force: true })
    const started = Date.now()
    const child = spawn(join(bin, "docgen"), [], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` }
    })
    let output = ""
    child.stdout.on("data", (chunk) => output += chunk)
    child.stderr.on("data", (chunk) => output += chunk)
    child.on("close", (code) => {
      console.log(
        `docs:api: packages/${dir} ${code === 0 ? "done" : "FAILED"} (${((Date.now() - started) / 1000).toFixed(1)} s)`
      )
      resolve(code === 0 ? undefined : output)
    })
  })

const queue = [...packages]
const failures = []
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (queue.length > 0) {
    const dir = queue.shift()
    const failure = await docgen(dir)
    if (failure !== undefined) failures.push([dir, failure])
  }
}))
for (const [dir, output] of failures) {
  process.stderr.write(output)
  console.error(`docs:api: docgen failed in packages/${dir}`)
}
if (failures.length > 0) process.exit(1)

/** The generated files: path under docs/api → content. */
const files = new Map()
const index = [
  "# API reference",
  "",
  "Generated from the JSDoc of each package's source by `pnpm docs:api`; do not edit by hand. Every example on",
  "these pages is type-checked and run when the reference is generated.",
  ""
]

for (const dir of packages) {
  const cwd = join(root, "packages", dir)
  const name = JSON.parse(readFileSync(join(cwd, "package.json"), "utf8")).name
  const generated = join(cwd, "docs")
  const modules = join(generated, "modules")
  const pages = readdirSync(modules).filter((f) => f.endsWith(".ts.md")).sort((a, b) => {
    // index.ts first, then the modules in alphabetical order
    if (a === "index.ts.md") return -1
    if (b === "index.ts.md") return 1
    return a.localeCompare(b)
  })
  index.push(`## ${name}`, "")
  for (const page of pages) {
    const module = page.replace(/\.ts\.md$/, "")
    const source = `packages/${dir}/src/${module}.ts`
    const text = readFileSync(join(modules, page), "utf8")
    // Drop docgen's front matter: everything up to and including the first line that is exactly `---`.
    let body = text.slice(text.indexOf("\n---\n") + 5).trimStart()
    if (module === "index") body = linkReExports(body)
    body = unlink(body)
    const title = module === "index" ? name : `${name}/${module}`
    const header = [
      `# ${title}`,
      "",
      `Source: [${source}](${relative(join(out, dir), join(root, source))}) · [API reference](../README.md)`,
      "",
      ""
    ].join("\n")
    files.set(`${dir}/${page}`, header + body)
    const overview = /^## \S+ overview\n\n([\s\S]*?)\n\nAdded in/m.exec(body)?.[1]
    const summary = overview === undefined ? "" : `: ${firstSentence(overview.split("\n\n**Example**")[0])}`
    index.push(`- [${module === "index" ? name : module}](${dir}/${page})${summary}`)
  }
  index.push("")
  rmSync(generated, { recursive: true, force: true })
}
files.set("README.md", index.join("\n"))

/** The first sentence of a paragraph: up to the first full stop outside code spans and parentheses. */
function firstSentence(text) {
  const flat = text.replace(/\s+/g, " ").trim()
  let depth = 0
  let code = false
  for (let i = 0; i < flat.length; i++) {
    const c = flat[i]
    if (c === "`") code = !code
    else if (!code && c === "(") depth++
    else if (!code && c === ")") depth--
    else if (!code && depth === 0 && c === "." && (i + 1 === flat.length || flat[i + 1] === " ")) {
      return flat.slice(0, i + 1)
    }
  }
  return flat
}

/**
 * Links each re-export of an index page to its module's page. docgen documents the first re-export in the source
 * with the module's own comment (both are leading comments of the first statement): that duplicate is dropped.
 */
function linkReExports(body) {
  const overview = /^## \S+ overview\n\n([\s\S]*?)\n\nAdded in/m.exec(body)?.[1] ?? ""
  const description = overview.split("\n\n**Example**")[0]
  return body.replace(/^## From "\.\/(\w+)\.js"\n\n([\s\S]*?)(?=^Added in)/gm, (_, name, section) => {
    const rest = description.length > 0 && section.startsWith(description + "\n\n")
      ? section.slice(description.length + 2).replace(/\*\*Example\*\*\n\n```ts\n[\s\S]*?\n```\n\n/, "")
      : section
    return `## From "./${name}.js"\n\nThe [${name}](${name}.ts.md) module.\n\n${rest}`
  })
}

/** `{@link Foo.bar}` as code: docgen leaves JSDoc links as they are. */
function unlink(text) {
  return text.replace(/\{@link\s+([^}\s|]+)(?:\s*\|\s*([^}]+))?\}/g, (_, target, label) => `\`${label ?? target}\``)
}

const existing = new Map()
const walk = (dir) => {
  if (!existsSync(dir)) return
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(path)
    else existing.set(relative(out, path), readFileSync(path, "utf8"))
  }
}
walk(out)

const stale = [
  ...[...files].filter(([path, text]) => existing.get(path) !== text).map(([path]) => path),
  ...[...existing.keys()].filter((path) => !files.has(path))
].sort()

if (check) {
  if (stale.length > 0) {
    console.error(`docs:api: docs/api is out of date (${stale.join(", ")}); run pnpm docs:api`)
    process.exit(1)
  }
  console.log(`docs:api: docs/api is up to date (${files.size} pages)`)
} else {
  rmSync(out, { recursive: true, force: true })
  for (const [path, text] of files) {
    mkdirSync(join(out, path, ".."), { recursive: true })
    writeFileSync(join(out, path), text)
  }
  console.log(`docs:api: wrote ${files.size} pages to docs/api (${stale.length} changed)`)
}
