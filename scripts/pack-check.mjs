// Checks that the published packages work when installed from their tarballs, outside the workspace:
// builds them, packs every public package with `pnpm pack`, installs the tarballs with npm into a scratch project in
// the system's temp directory, checks what each tarball ships (and that it ships nothing else), runs an ES module and
// a CommonJS program that start the emulator and send over HTTP v1 through `NodeFcm.layer`, runs the `fcm` command,
// type-checks a TypeScript consumer of both kinds, and follows docs/getting-started.md in a project of its own
// (scripts/getting-started-check.mjs). One line per check; exits 1 if any fails. The scratch
// directory is removed at the end. Set PACK_CHECK_KEEP=1 to keep it for inspection.
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { checkGettingStarted } from "./getting-started-check.mjs"
import { commandEnv, reporter } from "./steps.mjs"

const root = fileURLToPath(new URL("..", import.meta.url))
const { failures, finish, report } = reporter()

/** The environment of the tools run here. */
const env = commandEnv()

let current // the command running
let interrupted = false
for (const signal of ["SIGINT", "SIGTERM"]) {
  // Stops the command running, whose end stops the check, which then removes its scratch directory.
  process.on(signal, () => {
    interrupted = true
    current?.kill(signal)
  })
}

const run = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    if (interrupted) return reject(new Error("interrupted"))
    const child = spawn(command, args, {
      env: { ...env, ...options.env },
      cwd: options.cwd ?? root,
      shell: options.shell ?? false
    })
    current = child
    let stdout = ""
    let output = ""
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      stdout += chunk
      output += chunk
    })
    child.stderr.setEncoding("utf8").on("data", (chunk) => {
      output += chunk
    })
    const timeout = options.timeout ?? 120_000
    const timer = setTimeout(() => {
      output += `\ntimed out after ${timeout / 1000} s`
      child.kill("SIGKILL")
    }, timeout)
    child.on("error", (error) => {
      output += `\n${error}`
    })
    child.on("close", (code) => {
      clearTimeout(timer)
      current = undefined
      if (interrupted) reject(new Error("interrupted"))
      else resolve({ ok: code === 0, output: output.trim(), stdout })
    })
  })

const tail = (text, lines = 30) => text.split("\n").slice(-lines).join("\n")

const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]
  )

const readJson = (file) => JSON.parse(readFileSync(file, "utf8"))

const packages = readdirSync(join(root, "packages"))
  .map((name) => join(root, "packages", name))
  .filter((dir) => existsSync(join(dir, "package.json")) && readJson(join(dir, "package.json")).private !== true)
  .map((dir) => ({ dir, manifest: readJson(join(dir, "package.json")) }))

/** Checks the installed copy of one package against its workspace sources. */
const inspect = ({ dir, manifest }, installed) => {
  const problems = []
  const shipped = walk(installed).map((f) => relative(installed, f))
  const sources = new Set(walk(join(dir, "src")).map((f) => relative(join(dir, "src"), f)))
  const layout = [
    [/^build\/esm\/(.+)\.js(\.map)?$/, ".ts"],
    [/^build\/cjs\/(.+)\.js(\.map)?$/, ".ts"],
    [/^build\/dts\/(.+)\.d\.ts(\.map)?$/, ".ts"],
    [/^src\/(.+)$/, ""]
  ]
  for (const file of shipped) {
    if (/^(package\.json|README\.md|LICENSE|CHANGELOG\.md|build\/cjs\/package\.json)$/.test(file)) continue
    const source = layout.map(([re, ext]) => {
      const match = file.match(re)
      return match === null ? undefined : match[1] + ext
    }).find((s) => s !== undefined)
    if (source === undefined) problems.push(`ships ${file}`)
    else if (!sources.has(source)) problems.push(`ships ${file}, which no source of ${manifest.name} produces`)
  }
  for (const source of sources) {
    const stem = source.replace(/\.ts$/, "")
    for (const built of [`build/esm/${stem}.js`, `build/cjs/${stem}.js`, `build/dts/${stem}.d.ts`]) {
      if (!shipped.includes(built)) problems.push(`misses ${built}`)
    }
  }
  const pkg = readJson(join(installed, "package.json"))
  const cjsType = existsSync(join(installed, "build/cjs/package.json"))
    ? readJson(join(installed, "build/cjs/package.json")).type
    : undefined
  if (cjsType !== "commonjs") problems.push(`build/cjs/package.json does not say "type": "commonjs"`)
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
    for (const [name, range] of Object.entries(pkg[field] ?? {})) {
      if (String(range).startsWith("workspace:")) problems.push(`${field}.${name} is ${range}`)
    }
  }
  for (const [name, range] of Object.entries(pkg.peerDependencies ?? {})) {
    if (pkg.dependencies?.[name] !== undefined) problems.push(`${name} is both a dependency and a peer (${range})`)
  }
  // Every module at the top of src/ is an entry point, with types, ES module and CommonJS; internals are not.
  const exportsMap = pkg.exports ?? {}
  const entries = [...sources].filter((s) => !s.includes("/") && s.endsWith(".ts")).map((s) => s.slice(0, -3))
  for (const m of entries) {
    const key = m === "index" ? "." : `./${m}`
    const e = exportsMap[key]
    const want = { types: `./build/dts/${m}.d.ts`, import: `./build/esm/${m}.js`, require: `./build/cjs/${m}.js` }
    if (JSON.stringify(e) !== JSON.stringify(want)) problems.push(`exports["${key}"] is not ${JSON.stringify(want)}`)
    if (m !== "index" && pkg.typesVersions?.["*"]?.[m]?.[0] !== want.types) problems.push(`typesVersions misses ${m}`)
  }
  for (const key of Object.keys(exportsMap)) {
    if (key.includes("internal")) problems.push(`exports ${key}`)
  }
  const targets = (value) =>
    typeof value === "string" ? [value] : value === null ? [] : Object.values(value).flatMap(targets)
  for (const target of [pkg.main, pkg.module, pkg.types, ...targets(exportsMap), ...Object.values(pkg.bin ?? {})]) {
    if (target !== undefined && !existsSync(join(installed, target))) problems.push(`points at missing ${target}`)
  }
  for (const [name, target] of Object.entries(pkg.bin ?? {})) {
    if (!readFileSync(join(installed, target), "utf8").startsWith("#!/usr/bin/env node\n")) {
      problems.push(`bin ${name} (${target}) has no "#!/usr/bin/env node" line`)
    }
    const effects = Array.isArray(pkg.sideEffects) ? pkg.sideEffects : []
    if (!effects.includes(target)) problems.push(`sideEffects does not list the bin ${target}`)
  }
  if (pkg.bin === undefined && pkg.sideEffects !== false) problems.push(`sideEffects is not false`)
  return { problems, files: shipped.length }
}

const programEsm = `
import { FcmClient, Message } from "@effect-fcm/fcm"
import * as Credentials from "@effect-fcm/fcm/Credentials"
import { NodeFcm } from "@effect-fcm/node"
import { FcmServer } from "@effect-fcm/emulator"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"

const tokens = ["esm-1", "esm-2", "esm-3"]
const program = Effect.gen(function*() {
  const emulator = yield* FcmServer.make({ tls: true })
  const keyFile = path.join(process.cwd(), "esm-service-account.json")
  fs.writeFileSync(keyFile, JSON.stringify(emulator.serviceAccount))
  process.env.GOOGLE_APPLICATION_CREDENTIALS = keyFile
  const result = yield* FcmClient.send(Message.multicast(tokens, { data: { format: "esm" } })).pipe(
    Effect.provide(NodeFcm.layer({ baseUrl: emulator.baseUrl, transport: { ca: emulator.certificatePem, proxy: "none" } }))
  )
  const received = (yield* emulator.counters).routes.v1
  if (result.counts.success !== tokens.length || !tokens.every((t) => result.success.has(t)) || received !== tokens.length) {
    throw new Error("not delivered: " + JSON.stringify({ counts: result.counts, received }))
  }
  if (typeof Credentials.layerConfig !== "function") throw new Error("@effect-fcm/fcm/Credentials: no layerConfig")
  return result.counts.success
})
const delivered = await Effect.runPromise(Effect.scoped(program))
for (const internal of ["@effect-fcm/fcm/internal/http", "@effect-fcm/emulator/internal/server"]) {
  const error = await import(internal).then(() => undefined, (e) => e)
  if (error?.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw new Error(internal + " is importable")
}
console.log("delivered " + delivered + " over HTTP v1 (HTTP/2, TLS), internals not exported")
`

const programCjs = `
const { FcmClient, Message } = require("@effect-fcm/fcm")
const { NodeFcm } = require("@effect-fcm/node")
const { FcmServer } = require("@effect-fcm/emulator")
const { Cli } = require("@effect-fcm/cli")
const { Effect } = require("effect")
const fs = require("node:fs")
const path = require("node:path")

if (typeof Cli.run !== "function") throw new Error("@effect-fcm/cli: no Cli.run")
const tokens = ["cjs-1", "cjs-2", "cjs-3"]
const program = Effect.gen(function*() {
  const emulator = yield* FcmServer.make({ tls: true })
  const keyFile = path.join(process.cwd(), "cjs-service-account.json")
  fs.writeFileSync(keyFile, JSON.stringify(emulator.serviceAccount))
  process.env.GOOGLE_APPLICATION_CREDENTIALS = keyFile
  const result = yield* FcmClient.send(Message.multicast(tokens, { data: { format: "cjs" } })).pipe(
    Effect.provide(NodeFcm.layer({ baseUrl: emulator.baseUrl, transport: { ca: emulator.certificatePem, proxy: "none" } }))
  )
  const received = (yield* emulator.counters).routes.v1
  if (result.counts.success !== tokens.length || !tokens.every((t) => result.success.has(t)) || received !== tokens.length) {
    throw new Error("not delivered: " + JSON.stringify({ counts: result.counts, received }))
  }
  return result.counts.success
})
Effect.runPromise(Effect.scoped(program)).then(
  (delivered) => console.log("delivered " + delivered + " over HTTP v1 (HTTP/2, TLS)"),
  (error) => {
    console.error(error)
    process.exitCode = 1
  }
)
`

// A consumer of the types, once as an ES module and once as CommonJS. `typed` fails to compile if a type resolved to
// any (a declaration importing a module that does not resolve, which skipLibCheck would not report).
const consumerBody = `
type Typed<T> = 0 extends 1 & T ? "resolved to any" : "typed"

const send: Effect.Effect<Result.Result, FcmError.FcmError, FcmClient.FcmClient> = FcmClient.send(
  Message.multicast(["a", "b"], { data: { k: "v" } })
)
const layer = NodeFcm.layer({ requestTimeout: "5 seconds" })
const provided: Effect.Effect<Result.Result, unknown> = send.pipe(Effect.provide(layer))
const server: Effect.Effect<FcmServer.Service, FcmServer.ServerError, Scope.Scope> = FcmServer.make({ tls: true })
export const typed: ReadonlyArray<"typed"> = [] as ReadonlyArray<
  | Typed<typeof send>
  | Typed<Layer.Layer.Success<typeof layer>>
  | Typed<Layer.Layer.Error<typeof layer>>
  | Typed<NodeFcm.Options["baseUrl"]>
  | Typed<typeof provided>
  | Typed<FcmServer.Service["baseUrl"]>
  | Typed<typeof server>
>
// @ts-expect-error a send needs an FcmClient
export const missing: Effect.Effect<Result.Result, unknown> = send
`
const consumerEsm = `import { FcmClient, FcmError, Message, Result } from "@effect-fcm/fcm"
import { FcmServer } from "@effect-fcm/emulator"
import { NodeFcm } from "@effect-fcm/node"
import { Effect, Layer, Scope } from "effect"
${consumerBody}`
const consumerCjs = `import fcm = require("@effect-fcm/fcm")
import emulator = require("@effect-fcm/emulator")
import node = require("@effect-fcm/node")
import effect = require("effect")
import FcmClient = fcm.FcmClient
import FcmError = fcm.FcmError
import Message = fcm.Message
import Result = fcm.Result
import FcmServer = emulator.FcmServer
import NodeFcm = node.NodeFcm
import Effect = effect.Effect
import Layer = effect.Layer
import Scope = effect.Scope
${consumerBody}`

let scratch
try {
  // 1. Build.
  const build = await run(process.execPath, [join(root, "scripts/build.mjs")], { timeout: 600_000 })
  report(
    build.ok,
    "build",
    build.ok ? "esm, cjs and dts of " + packages.length + " packages" : `\n${tail(build.output)}`
  )
  if (!build.ok) throw new Error("build failed")

  scratch = mkdtempSync(join(tmpdir(), "effect-fcm-pack-check-"))
  const tarballs = join(scratch, "tarballs")
  const project = join(scratch, "project")
  mkdirSync(tarballs)
  mkdirSync(project)

  // 2. Pack.
  const packed = []
  for (const pkg of packages) {
    const res = await run("pnpm", ["pack", "--pack-destination", tarballs], { cwd: pkg.dir })
    const file = res.stdout.trim().split("\n").pop()?.trim()
    const ok = res.ok && file !== undefined && existsSync(file)
    report(
      ok,
      `pack ${pkg.manifest.name}`,
      ok ? `${(statSync(file).size / 1024).toFixed(0)} KiB` : `\n${tail(res.output)}`
    )
    if (ok) packed.push(file)
  }
  if (packed.length !== packages.length) throw new Error("pack failed")

  // 3. Install, outside the workspace, with npm; the Effect peers at the versions the workspace is tested with.
  const peers = new Map()
  for (const { manifest } of packages) {
    for (const name of Object.keys(manifest.peerDependencies ?? {})) {
      if (name.startsWith("@effect-fcm/")) continue
      const version = manifest.devDependencies?.[name]
      if (version === undefined) throw new Error(`${manifest.name}: peer ${name} is not a devDependency`)
      peers.set(name, version)
    }
  }
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "effect-fcm-pack-check", version: "0.0.0", private: true }, null, 2)
  )
  const specs = [...packed, ...[...peers].map(([name, version]) => `${name}@${version}`)]
  const install = await run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...specs], {
    cwd: project,
    timeout: 300_000
  })
  report(
    install.ok,
    "npm install",
    install.ok ? `${packed.length} tarballs, ${[...peers.keys()].join(", ")}` : `\n${tail(install.output)}`
  )
  if (!install.ok) throw new Error("install failed")

  // 4. What each package ships.
  for (const pkg of packages) {
    const { files, problems } = inspect(pkg, join(project, "node_modules", pkg.manifest.name))
    report(
      problems.length === 0,
      `contents ${pkg.manifest.name}`,
      problems.length === 0 ? `${files} files` : problems.join("; ")
    )
  }

  // 5. Programs, as an ES module and as CommonJS.
  writeFileSync(join(project, "send.mjs"), programEsm)
  writeFileSync(join(project, "send.cjs"), programCjs)
  for (const [file, label] of [["send.mjs", "ESM"], ["send.cjs", "CJS"]]) {
    const res = await run(process.execPath, [file], { cwd: project, timeout: 60_000 })
    report(res.ok, `${label} program`, res.ok ? res.stdout.trim() : `\n${tail(res.output)}`)
  }

  // 6. The fcm command, through the bin npm linked.
  const bin = join(project, "node_modules/.bin", process.platform === "win32" ? "fcm.cmd" : "fcm")
  const shell = process.platform === "win32"
  const version = await run(bin, ["--version"], { cwd: project, timeout: 60_000, shell })
  const demo = version.ok
    ? await run(bin, ["demo"], { cwd: project, timeout: 60_000, env: { NO_COLOR: "1" }, shell })
    : version
  const delivered = demo.stdout.match(/^Delivered: (\d+)/m)?.[1]
  const cliVersion = packages.find((p) => p.manifest.name === "@effect-fcm/cli")?.manifest.version
  // Run from node_modules/.bin, the demo's closing command is the one that works there.
  const hint = /^ {4}npx fcm send --credentials/m.test(demo.stdout)
  report(
    demo.ok && delivered !== undefined && version.stdout.trim() === cliVersion && hint,
    "fcm bin",
    demo.ok
      ? `fcm --version ${version.stdout.trim()} (package ${cliVersion}); fcm demo delivered ${delivered}${
        hint ? ", closing with npx fcm send" : ", without its npx fcm send line"
      }`
      : `\n${tail(demo.output)}`
  )

  // 7. Types, with the workspace's TypeScript: an ES module and a CommonJS consumer, module NodeNext.
  writeFileSync(join(project, "consumer.mts"), consumerEsm)
  writeFileSync(join(project, "consumer.cts"), consumerCjs)
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        exactOptionalPropertyTypes: true,
        noEmit: true,
        module: "NodeNext",
        moduleResolution: "NodeNext",
        target: "ES2022",
        lib: ["ES2022"],
        types: ["node"],
        typeRoots: [join(root, "node_modules/@types")],
        skipLibCheck: true
      },
      files: ["consumer.mts", "consumer.cts"]
    })
  )
  const typecheck = await run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", project], {
    cwd: project
  })
  report(
    typecheck.ok,
    "types",
    typecheck.ok ? "ESM and CJS consumers type-check (NodeNext)" : `\n${tail(typecheck.output)}`
  )

  // 8. docs/getting-started.md, followed word for word in a project of its own.
  const gettingStarted = join(scratch, "getting-started")
  mkdirSync(gettingStarted)
  await checkGettingStarted({ scratch: gettingStarted, report, built: true })
} catch (error) {
  if (failures() === 0 || error.message === "interrupted") report(false, "pack check", error.message)
} finally {
  if (scratch !== undefined) {
    if (process.env.PACK_CHECK_KEEP === "1") console.log(`kept ${scratch}`)
    else rmSync(scratch, { recursive: true, force: true })
  }
}

finish("pack check")
