// Builds the publishable packages (those not marked private) into what their tarballs ship:
//   build/esm  ES modules and source maps, by `tsc -b tsconfig.build.json` (which also type-checks)
//   build/dts  declarations and declaration maps, by the same tsc run
//   build/cjs  CommonJS and source maps, transpiled file by file from the same sources, with a
//              `{"type":"commonjs"}` package.json (the packages themselves are `"type": "module"`)
// The sources compile one file at a time (`isolatedModules`), so the CommonJS files need no second type-check.
// `import.meta.url` becomes `require("node:url").pathToFileURL(__filename).href`; any other `import.meta` is an error.
// Outputs whose source is gone are removed, so a tarball never ships a module that no longer exists.
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = fileURLToPath(new URL("..", import.meta.url))

const publicPackages = () =>
  readdirSync(join(root, "packages"))
    .map((name) => join(root, "packages", name))
    .filter((dir) => existsSync(join(dir, "package.json")))
    .filter((dir) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).private !== true)

const walk = (dir) =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]
    )
    : []

const cjsOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  isolatedModules: true,
  verbatimModuleSyntax: false,
  sourceMap: true
}

/** `import.meta.url` → `require("node:url").pathToFileURL(__filename).href` */
const importMetaToCjs = (fileName) => (context) => {
  const f = context.factory
  const visit = (node) => {
    if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) {
      const parent = node.parent
      if (!parent || !ts.isPropertyAccessExpression(parent) || parent.name.text !== "url") {
        throw new Error(`${fileName}: import.meta is only supported as import.meta.url in the CommonJS build`)
      }
    }
    if (
      ts.isPropertyAccessExpression(node) && ts.isMetaProperty(node.expression) &&
      node.expression.keywordToken === ts.SyntaxKind.ImportKeyword && node.name.text === "url"
    ) {
      const url = f.createCallExpression(f.createIdentifier("require"), undefined, [f.createStringLiteral("node:url")])
      const href = f.createCallExpression(f.createPropertyAccessExpression(url, "pathToFileURL"), undefined, [
        f.createIdentifier("__filename")
      ])
      return f.createPropertyAccessExpression(href, "href")
    }
    return ts.visitEachChild(node, visit, context)
  }
  return (sourceFile) => ts.visitNode(sourceFile, visit)
}

const buildCjs = (pkg) => {
  const src = join(pkg, "src")
  const out = join(pkg, "build/cjs")
  rmSync(out, { recursive: true, force: true })
  let count = 0
  for (const file of walk(src).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))) {
    const rel = relative(src, file)
    const target = join(out, rel.replace(/\.ts$/, ".js"))
    const { diagnostics, outputText, sourceMapText } = ts.transpileModule(readFileSync(file, "utf8"), {
      fileName: file,
      compilerOptions: cjsOptions,
      reportDiagnostics: true,
      transformers: { before: [importMetaToCjs(file)] }
    })
    if (diagnostics && diagnostics.length > 0) {
      throw new Error(ts.formatDiagnostics(diagnostics, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => root,
        getNewLine: () => "\n"
      }))
    }
    const map = JSON.parse(sourceMapText)
    map.file = target.slice(dirname(target).length + 1)
    map.sources = [relative(dirname(target), file)]
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, outputText)
    writeFileSync(`${target}.map`, JSON.stringify(map))
    count++
  }
  writeFileSync(join(out, "package.json"), JSON.stringify({ type: "commonjs" }, null, 2) + "\n")
  return count
}

/** Removes files of build/esm and build/dts that no source file produces any more. */
const prune = (pkg) => {
  const src = join(pkg, "src")
  let removed = 0
  for (const [dir, output] of [["build/esm", /\.js(\.map)?$/], ["build/dts", /\.d\.ts(\.map)?$/]]) {
    for (const file of walk(join(pkg, dir))) {
      const rel = relative(join(pkg, dir), file)
      const stem = rel.replace(output, "")
      if (stem !== rel && existsSync(join(src, `${stem}.ts`))) continue
      rmSync(file)
      removed++
    }
  }
  return removed
}

execFileSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-b", join(root, "tsconfig.build.json")],
  {
    stdio: "inherit"
  }
)
for (const pkg of publicPackages()) {
  const count = buildCjs(pkg)
  const removed = prune(pkg)
  const name = relative(root, pkg)
  console.log(
    `build: ${name}: esm, dts, ${count} cjs modules${removed > 0 ? `, ${removed} stale outputs removed` : ""}`
  )
}
