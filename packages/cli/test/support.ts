import type { FcmServer } from "@effect-fcm/emulator"
import { Model } from "@effect-fcm/emulator"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { afterAll } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import type { Console } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as Cli from "../src/Cli.js"

const here = path.dirname(fileURLToPath(import.meta.url))

/** The workspace root, where `pnpm fcm` runs. */
export const ROOT = path.resolve(here, "../../..")

/** The `fcm` executable's source. */
export const BIN = path.resolve(here, "../src/bin.ts")

/** tsx's loader, as `node --import` wants it. */
export const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href

export interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Environment of the subprocess: the parent's, without credentials that could leak in. */
const childEnv = (extra: Record<string, string | undefined>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" }
  delete env.GOOGLE_APPLICATION_CREDENTIALS
  delete env.FCM_API_KEY
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

/**
 * Runs `node --import tsx packages/cli/src/bin.ts …args` and collects its output and exit code.
 */
export const fcm = (
  args: ReadonlyArray<string>,
  options: {
    readonly stdin?: string
    readonly env?: Record<string, string | undefined>
    /** Called with each stdout chunk; return true to send SIGINT. */
    readonly interruptWhen?: (stdout: string) => boolean
  } = {}
): Effect.Effect<Run> =>
  Effect.async<Run>((resume) => {
    const child = spawn(process.execPath, ["--import", TSX, BIN, ...args], {
      cwd: ROOT,
      env: childEnv(options.env ?? {}),
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    let interrupted = false
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
      if (!interrupted && options.interruptWhen?.(stdout) === true) {
        interrupted = true
        child.kill("SIGINT")
      }
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
    })
    child.on("close", (code, signal) => resume(Effect.succeed({ code, signal, stdout, stderr })))
    child.stdin.on("error", () => {})
    child.stdin.end(options.stdin ?? "")
    return Effect.sync(() => {
      child.kill("SIGKILL")
    })
  })

/**
 * Runs `fcm …args` in this process (the same commands, without a subprocess), capturing what goes to stdout and
 * stderr. The environment seen through `Config` is `env` only.
 */
export const fcmInProcess = (
  args: ReadonlyArray<string>,
  env: Record<string, string> = {}
): Effect.Effect<{
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}> =>
  Effect.gen(function*() {
    const out: Array<string> = []
    const err: Array<string> = []
    const base = yield* Effect.console
    const capture: Console.Console = {
      ...base,
      log: (...a) => Effect.sync(() => void out.push(a.join(" "))),
      info: (...a) => Effect.sync(() => void out.push(a.join(" "))),
      error: (...a) => Effect.sync(() => void err.push(a.join(" "))),
      warn: (...a) => Effect.sync(() => void err.push(a.join(" ")))
    }
    const code = yield* Cli.run(args).pipe(
      Effect.withConsole(capture),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.provide(NodeContext.layer)
    )
    return { code, stdout: out.join("\n"), stderr: err.join("\n") }
  })

const created: Array<string> = []
afterAll(() => {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/** A new temporary directory, removed after the test file's tests. */
export const tempDir = (prefix = "fcm-cli-test-"): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  created.push(dir)
  return dir
}

/** Writes the emulator's trusted service-account key to a file and returns its path. */
export const writeKey = (emulator: FcmServer.Service, dir = tempDir()): string => {
  const file = path.join(dir, "service-account.json")
  fs.writeFileSync(file, JSON.stringify(emulator.serviceAccount))
  return file
}

/** The send requests (legacy and v1) the emulator received for any of `tokens`. */
export const sendsTo = (
  emulator: FcmServer.Service,
  tokens: ReadonlyArray<string>
): Effect.Effect<ReadonlyArray<Model.Record>> =>
  Effect.map(emulator.messages, (records) => records.filter((r) => Model.targetsOf(r).some((t) => tokens.includes(t))))

/** The lines of a file, without the trailing empty line. */
export const lines = (file: string): Array<string> => {
  const text = fs.readFileSync(file, "utf8")
  return text.length === 0 ? [] : text.replace(/\n$/, "").split("\n")
}

/** The single line of stderr of a failed command, checked to be one line starting with `fcm: `. */
export const oneLineError = (run: { readonly stderr: string }): string => {
  const text = run.stderr.trim()
  if (text.includes("\n")) throw new Error(`expected one line on stderr, got:\n${run.stderr}`)
  if (!text.startsWith("fcm: ")) throw new Error(`expected stderr to start with "fcm: ", got: ${run.stderr}`)
  return text
}
