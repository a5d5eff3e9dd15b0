// Follows docs/getting-started.md as a new user would, in a scratch project outside the repository, with the page's
// own commands and code read from the page (so the page cannot drift from what works):
//   1. packs the workspace with the page's `pnpm -r pack --pack-destination ~/effect-fcm-tarballs` (`~` standing for a
//      scratch directory: the page's lines run with `~/` replaced by its path),
//   2. runs the page's `npm install` lines in a new project, tarballs in place of the package names, as it says,
//   3. starts the page's `npx fcm emulator --port 9099 --out .` (on a free port instead of 9099) and runs the page's
//      program, with the one edit the page describes (its base URL), checking that it prints what the page says,
//   4. runs the page's test, with the in-memory FCM, through the project's own vitest.
// TypeScript runs through the workspace's tsx, as `npx tsx` would. `pnpm run pack:check` runs it after its build;
// `node scripts/getting-started-check.mjs` runs it alone (bootstrap and build included). One line per step.
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { commandEnv, reporter } from "./steps.mjs"

const root = fileURLToPath(new URL("..", import.meta.url))
const page = "docs/getting-started.md"

/** The environment of the commands: no package manager's script variables, no credentials. */
const baseEnv = () => {
  const env = commandEnv()
  delete env.FCM_BASE_URL
  env.NO_COLOR = "1"
  return env
}

const children = new Set() // process groups still running, ended on SIGINT/SIGTERM
/** Starts a command in a process group of its own, so that `stop` ends it with whatever it started (npx's children). */
const start = (command, args, { cwd, env, onStdout } = {}) => {
  const child = spawn(command, args, { cwd, env: { ...baseEnv(), ...env }, detached: true })
  children.add(child)
  let stdout = ""
  let output = ""
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    stdout += chunk
    output += chunk
    onStdout?.(stdout)
  })
  child.stderr.setEncoding("utf8").on("data", (chunk) => {
    output += chunk
  })
  const done = new Promise((resolve) => {
    child.on("error", (error) => {
      output += String(error)
      resolve({ ok: false, code: null, stdout, output })
    })
    child.on("close", (code) => {
      children.delete(child)
      resolve({ ok: code === 0, code, stdout, output })
    })
  })
  const stop = (signal) => {
    try {
      process.kill(-child.pid, signal)
    } catch {
      // already gone
    }
  }
  return { child, done, stop }
}

const run = (command, args, options = {}) => {
  const { done, stop } = start(command, args, options)
  const timer = setTimeout(() => stop("SIGKILL"), options.timeout ?? 120_000)
  return done.finally(() => clearTimeout(timer))
}

/** A shell command line of the page, as typed: `sh -c LINE`. */
const sh = (line, options) => run("sh", ["-c", line], options)

const tail = (text, lines = 25) => text.trim().split("\n").slice(-lines).join("\n")

/** The page's fenced blocks of one language, in order. */
const blocks = (text, lang) =>
  [...text.matchAll(/^```(\w*)[^\n]*\n([\s\S]*?)^```/gm)].filter((m) => m[1] === lang).map((m) => m[2])

/** The command lines of a sh block, without their trailing comments. */
const commands = (block) =>
  block.split("\n").map((line) => line.replace(/\s+#.*$/, "").trim()).filter((line) => line.length > 0)

const find = (list, predicate, what) => {
  const found = list.find(predicate)
  if (found === undefined) throw new Error(`${page} has no ${what}`)
  return found
}

/**
 * Runs the page's steps in `scratch` (a new directory); `report(ok, step, detail)` gets one call per step.
 * `built`: the workspace is already bootstrapped and built (by pack-check), so only its pack command runs.
 */
export const checkGettingStarted = async ({ scratch, report, built }) => {
  const text = readFileSync(join(root, page), "utf8")
  const sh_ = blocks(text, "sh")
  const ts = blocks(text, "ts")
  const home = join(scratch, "home")
  const app = join(scratch, "app")
  mkdirSync(home)
  mkdirSync(app)
  /** A line of the page, with `~/` in the scratch directory instead of the user's home. */
  const local = (line) => line.replaceAll("~/", `${home}/`)

  // 1. Pack, with the page's commands, in the clone.
  const packBlock = commands(find(sh_, (b) => b.includes("pnpm -r pack"), "pnpm -r pack block"))
  for (const line of built ? packBlock.filter((l) => l.includes("pnpm -r pack")) : packBlock) {
    const res = await sh(local(line), { cwd: root, timeout: 600_000 })
    if (!res.ok) return report(false, `getting started: ${line}`, `\n${tail(res.output)}`)
  }
  const tarballs = readdirSync(join(home, "effect-fcm-tarballs"))
  report(true, "getting started: pnpm -r pack", tarballs.join(", "))

  // 2. Install, with the page's commands, in a new project.
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "my-app", version: "1.0.0", private: true }, null, 2))
  const installs = commands(
    find(sh_, (b) => b.includes("~/effect-fcm-tarballs/effect-fcm-fcm-"), "tarball install block")
  )
  for (const line of installs) {
    const res = await sh(`${local(line)} --no-audit --no-fund`, { cwd: app, timeout: 300_000 })
    if (!res.ok) return report(false, `getting started: ${line}`, `\n${tail(res.output)}`)
  }
  const installed = JSON.parse(readFileSync(join(app, "node_modules/effect/package.json"), "utf8")).version
  report(/^3\./.test(installed), "getting started: npm install", `${installs.length} commands, effect ${installed}`)

  // 3. The emulator, and the program pointed at it as the page says.
  const emulatorLine = find(
    commands(find(sh_, (b) => b.includes("fcm emulator"), "emulator block")),
    (l) => l.includes("fcm emulator"),
    "fcm emulator command"
  )
  const pagePort = /--port (\d+)/.exec(emulatorLine)?.[1]
  const edit = /`(FcmV1\.layer\(\{ baseUrl: "http:\/\/127\.0\.0\.1:(\d+)" \}\))` in place of `(FcmV1\.layer\(\))`/.exec(
    text
  )
  const expected = /Both tokens are delivered:\s*`([^`]+)`/.exec(text)?.[1]
  if (pagePort === undefined || edit === null || edit[2] !== pagePort || expected === undefined) {
    return report(false, "getting started: program", "the page no longer says how to point the program at the emulator")
  }
  let url
  const emulator = start("sh", ["-c", `exec ${emulatorLine.replace(`--port ${pagePort}`, "--port 0")}`], {
    cwd: app,
    onStdout: (out) => {
      url ??= /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1]
    }
  })
  try {
    for (let i = 0; i < 600 && url === undefined && emulator.child.exitCode === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    if (url === undefined) {
      emulator.stop("SIGKILL")
      return report(false, `getting started: ${emulatorLine}`, `\n${tail((await emulator.done).output)}`)
    }
    const program = find(ts, (b) => b.includes("Credentials.layerFile(\"service-account.json\")"), "program")
    if (!program.includes(edit[3])) return report(false, "getting started: program", `it has no ${edit[3]}`)
    const port = new URL(url).port
    writeFileSync(join(app, "send.ts"), program.replace(edit[3], edit[1].replace(`:${pagePort}`, `:${port}`)))
    const tsx = pathToFileURL(createRequire(join(root, "package.json")).resolve("tsx")).href
    const sent = await run(process.execPath, ["--import", tsx, "send.ts"], { cwd: app, timeout: 60_000 })
    // console.log breaks an object over lines when it is long: the page writes it on one
    const printed = sent.stdout.replace(/\s+/g, " ")
    const matched = sent.ok && printed.includes(expected)
    report(
      matched,
      "getting started: the program against the emulator",
      matched ? printed.trim() : `expected ${expected}\n${tail(sent.output)}`
    )
  } finally {
    emulator.stop("SIGINT")
    const timer = setTimeout(() => emulator.stop("SIGKILL"), 10_000)
    await emulator.done
    clearTimeout(timer)
  }

  // 4. The page's test, with the in-memory FCM, through the project's vitest.
  const test = find(ts, (b) => b.includes("from \"@effect/vitest\""), "test")
  writeFileSync(join(app, "push.test.ts"), test)
  const tested = await run(process.execPath, [join(app, "node_modules/vitest/vitest.mjs"), "run"], {
    cwd: app,
    timeout: 120_000
  })
  const summary = /Tests\s+(\d+ passed[^\n]*)/.exec(tested.output)?.[1]
  report(tested.ok, "getting started: the test with the fake layer", tested.ok ? summary : `\n${tail(tested.output)}`)
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const child of children) {
      try {
        process.kill(-child.pid, "SIGKILL")
      } catch {
        // already gone
      }
    }
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { finish, report } = reporter()
  const scratch = mkdtempSync(join(tmpdir(), "effect-fcm-getting-started-"))
  try {
    await checkGettingStarted({ scratch, report, built: false })
  } catch (error) {
    report(false, "getting started", error.message)
  } finally {
    if (process.env.PACK_CHECK_KEEP === "1") console.log(`kept ${scratch}`)
    else rmSync(scratch, { recursive: true, force: true })
  }
  finish("getting started check")
}
