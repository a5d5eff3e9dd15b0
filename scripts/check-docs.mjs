// Type-checks every ```ts block of README.md, docs/*.md and packages/*/README.md as a module of its own, against the
// workspace's packages.
// A block whose info string says `ts nocheck` is a fragment and is skipped. A block that imports @effect/vitest is a
// test: it is also written to packages/fcm/test/docs-generated/, where the test run picks it up. A doc that says
// `<!-- docs-check: one-module -->` is one program split across its blocks: they are checked together, and its
// tests are run by a test file of their own.
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
const out = join(root, "packages/fcm/build/docs-check")
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

const sources = [
  "README.md",
  ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`),
  ...readdirSync(join(root, "packages"))
    .filter((p) => existsSync(join(root, "packages", p, "README.md")))
    .map((p) => `packages/${p}/README.md`)
]
// docs/architecture.md names the files of each hop and of each kind of change: every path it names must exist.
{
  const architecture = readFileSync(join(root, "docs/architecture.md"), "utf8")
  const named = [...architecture.matchAll(/`((?:fcm|node|emulator|cli|cluster|bench)\/(?:src|test)\/[\w./]+\.ts)`/g)]
    .map((m) => m[1])
  const missing = named.filter((path) => !existsSync(join(root, "packages", path)))
  if (named.length === 0 || missing.length > 0) {
    console.error(`docs/architecture.md names files that do not exist: ${missing.join(", ") || "(none found)"}`)
    process.exit(1)
  }
  // "What each change touches": each row names instances of a kind of change and the source files they are named
  // in. Every packages/*/src file naming an instance in code (as a string literal) must be one of the row's files.
  const section = architecture.split("### What each change touches")[1]?.split(/\n#/)[0] ?? ""
  const rows = section.split("\n").filter((line) =>
    line.startsWith("| ") && !line.startsWith("| change") && !line.startsWith("| ---")
  )
  const sources = readdirSync(join(root, "packages"))
    .filter((p) => existsSync(join(root, "packages", p, "src")))
    .flatMap((p) =>
      readdirSync(join(root, "packages", p, "src"), { recursive: true })
        .filter((f) => f.endsWith(".ts"))
        .map((f) => `${p}/src/${f}`)
    )
    .map((f) => [f, readFileSync(join(root, "packages", f), "utf8")])
  const problems = []
  for (const row of rows) {
    const [change, instances, files] = row.split(" | ").map((cell) => cell.replace(/^\| /, ""))
    const allowed = new Set([...files.matchAll(/`([^`]+)`/g)].map((m) => m[1]))
    for (const [, instance] of instances.matchAll(/`([^`]+)`/g)) {
      const found = sources.filter(([, text]) => text.includes(`"${instance}"`)).map(([f]) => f)
      const outside = found.filter((f) => !allowed.has(f))
      if (found.length === 0) problems.push(`${change}: ${instance} is named in no source file`)
      if (outside.length > 0) problems.push(`${change}: ${instance} is also named in ${outside.join(", ")}`)
    }
  }
  if (rows.length < 3 || problems.length > 0) {
    console.error(`docs/architecture.md, what each change touches:\n  ${problems.join("\n  ") || "fewer than 3 rows"}`)
    process.exit(1)
  }
}
const tests = join(root, "packages/fcm/test/docs-generated")
rmSync(tests, { recursive: true, force: true })
mkdirSync(tests, { recursive: true })
const files = []
for (const source of sources) {
  const text = readFileSync(join(root, source), "utf8")
  const blocks = [...text.matchAll(/^```(ts|typescript)([^\n]*)\n([\s\S]*?)^```/gm)]
  if (text.includes("<!-- docs-check: one-module -->")) {
    const name = `${source.replace(/[/.]/g, "_")}.ts`
    const code = blocks.filter((b) => !/\bnocheck\b/.test(b[2])).map((b) => b[3]).join("\n")
    writeFileSync(join(out, name), `// ${source}\n${code}\nexport {}\n`)
    files.push(name)
    continue
  }
  blocks.forEach((block, i) => {
    if (/\bnocheck\b/.test(block[2])) return
    const name = `${source.replace(/[/.]/g, "_")}_${i + 1}.ts`
    const code = `// ${source}, block ${i + 1}\n${block[3]}\nexport {}\n`
    writeFileSync(join(out, name), code)
    if (block[3].includes("from \"@effect/vitest\"")) {
      writeFileSync(join(tests, name.replace(/\.ts$/, ".test.ts")), code)
    }
    files.push(name)
  })
}
writeFileSync(
  join(out, "tsconfig.json"),
  JSON.stringify(
    {
      extends: "../../../../tsconfig.base.json",
      compilerOptions: {
        noEmit: true,
        composite: false,
        incremental: false,
        declaration: false,
        declarationMap: false,
        noUnusedLocals: false,
        noUnusedParameters: false,
        // the packages the core does not have as dev dependencies (they depend on the core)
        paths: {
          "@effect-fcm/cli": ["../../../cli/src/index.ts"],
          "@effect-fcm/cluster": ["../../../cluster/src/index.ts"]
        }
      },
      include: ["*.ts"]
    },
    null,
    2
  )
)
try {
  execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", join(out, "tsconfig.json")], { stdio: "inherit" })
  console.log(`docs: ${files.length} code blocks type-check`)
} catch {
  console.error("docs: code blocks do not type-check (see above)")
  process.exit(1)
}
