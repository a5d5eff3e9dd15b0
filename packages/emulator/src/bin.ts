/**
 * Command-line entry: starts the loopback emulator and prints where it is.
 *
 * ```
 * fcm-emulator [--port 0] [--host 127.0.0.1] [--tls] [--project emulator-project]
 *              [--api-key KEY]... [--default SCENARIO] [--token TOKEN=SCENARIO]...
 *              [--prefix PREFIX=SCENARIO]... [--mix-seed N --mix unavailable=0.01,notRegistered=0.001]
 *              [--latency MS] [--token-lifetime SECONDS] [--no-record] [--out DIR]
 * ```
 *
 * A SCENARIO is a name (`notRegistered`, `unavailable`, `reset`, …) or its
 * JSON form (`{"_tag":"Unavailable","times":2,"retryAfter":5}`).
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import * as FcmEmulator from "./FcmEmulator.js"
import * as Scenario from "./Scenario.js"

/**
 * Invalid command-line arguments.
 *
 * @example
 * ```ts
 * import { parseArgs } from "@effect-fcm/emulator/bin"
 * import { Effect } from "effect"
 *
 * const error = Effect.runSync(Effect.flip(parseArgs(["--port", "http"])))
 * assert.strictEqual(error.message, "--port needs a port number")
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

const scenarioArg = (text: string): Scenario.Scenario | string => {
  let u: unknown = text
  if (text.startsWith("{")) {
    try {
      u = JSON.parse(text)
    } catch {
      return `invalid JSON scenario: ${text}`
    }
  }
  return Scenario.fromJson(u)
}

/**
 * Parses the command line into a server config and an output directory.
 *
 * @example
 * ```ts
 * import { parseArgs } from "@effect-fcm/emulator/bin"
 * import { Effect } from "effect"
 *
 * const { config, out } = Effect.runSync(parseArgs(["--tls", "--prefix", "stale-=notRegistered", "--out", "/tmp/fcm"]))
 * assert.strictEqual(config.tls, true)
 * assert.deepStrictEqual(config.scenarios?.prefixes, { "stale-": { _tag: "NotRegistered" } })
 * assert.strictEqual(out, "/tmp/fcm")
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseArgs = (
  args: ReadonlyArray<string>
): Effect.Effect<{ readonly config: FcmEmulator.Config; readonly out: string | undefined }, UsageError> =>
  Effect.suspend(() => {
    let port = 0
    let host = "127.0.0.1"
    let tls = false
    let projectId: string | undefined
    const apiKeys: Array<string> = []
    let defaultScenario: Scenario.Scenario | undefined
    const tokens: Record<string, Scenario.Scenario> = {}
    const prefixes: Record<string, Scenario.Scenario> = {}
    let mixSeed: number | undefined
    let mixRates: Record<string, number> | undefined
    let latency = 0
    let lifetime: number | undefined
    let record = true
    let out: string | undefined
    const fail = (message: string) => Effect.fail(new UsageError({ message }))
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!
      const value = (): string | undefined => args[++i]
      switch (arg) {
        case "--port":
          port = Number(value())
          if (!Number.isInteger(port) || port < 0 || port > 65535) return fail("--port needs a port number")
          break
        case "--host":
          host = value() ?? host
          break
        case "--tls":
          tls = true
          break
        case "--project":
          projectId = value()
          break
        case "--api-key": {
          const k = value()
          if (k === undefined) return fail("--api-key needs a value")
          apiKeys.push(k)
          break
        }
        case "--default": {
          const s = scenarioArg(value() ?? "")
          if (typeof s === "string") return fail(s)
          defaultScenario = s
          break
        }
        case "--token":
        case "--prefix": {
          const v = value() ?? ""
          const eq = v.indexOf("=")
          if (eq <= 0) return fail(`${arg} needs KEY=SCENARIO`)
          const s = scenarioArg(v.slice(eq + 1))
          if (typeof s === "string") return fail(s)
          ;(arg === "--token" ? tokens : prefixes)[v.slice(0, eq)] = s
          break
        }
        case "--mix-seed":
          mixSeed = Number(value())
          if (!Number.isSafeInteger(mixSeed)) return fail("--mix-seed needs an integer")
          break
        case "--mix": {
          mixRates = {}
          for (const pair of (value() ?? "").split(",")) {
            const [name, rate] = pair.split("=")
            if (name === undefined || rate === undefined || !Number.isFinite(Number(rate))) {
              return fail("--mix needs name=rate,name=rate")
            }
            mixRates[name] = Number(rate)
          }
          break
        }
        case "--latency":
          latency = Number(value())
          if (!Number.isFinite(latency) || latency < 0) {
            return fail("--latency needs a number of milliseconds, 0 or more")
          }
          break
        case "--token-lifetime":
          lifetime = Number(value())
          if (!Number.isFinite(lifetime) || lifetime <= 0) {
            return fail("--token-lifetime needs a number of seconds above 0")
          }
          break
        case "--no-record":
          record = false
          break
        case "--out":
          out = value()
          break
        default:
          return fail(`unknown argument ${arg}`)
      }
    }
    if (mixRates !== undefined) {
      defaultScenario = Scenario.mix({ seed: mixSeed ?? 1, rates: mixRates })
    }
    if (latency > 0) defaultScenario = Scenario.latency(latency, defaultScenario ?? Scenario.delivered)
    return Effect.succeed({
      config: {
        host,
        port,
        tls,
        record,
        ...(projectId !== undefined ? { projectId } : {}),
        ...(apiKeys.length > 0 ? { apiKeys } : {}),
        ...(lifetime !== undefined ? { accessTokenLifetime: lifetime } : {}),
        scenarios: {
          ...(defaultScenario !== undefined ? { default: defaultScenario } : {}),
          tokens,
          prefixes
        }
      },
      out
    })
  })

/**
 * Starts the emulator, writes the throwaway service-account key (and the
 * certificate with `--tls`) to a directory, prints the URLs and paths, and
 * runs until interrupted.
 *
 * @example
 * ```ts
 * import { main } from "@effect-fcm/emulator/bin"
 * import { Effect } from "effect"
 *
 * // what `fcm-emulator --port 8085 --default unavailable` does: serve until interrupted
 * const serve = main(["--port", "8085", "--default", "unavailable"]).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category main
 */
export const main = (
  args: ReadonlyArray<string>
): Effect.Effect<never, UsageError | FcmEmulator.ServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const { config, out } = yield* parseArgs(args)
    const emulator = yield* FcmEmulator.make(config)
    const dir = out ?? fs.mkdtempSync(path.join(os.tmpdir(), "fcm-emulator-"))
    fs.mkdirSync(dir, { recursive: true })
    const keyPath = path.join(dir, "service-account.json")
    fs.writeFileSync(keyPath, JSON.stringify(emulator.serviceAccount, null, 2) + "\n", { mode: 0o600 })
    let certPath: string | undefined
    if (emulator.certificatePem !== undefined) {
      certPath = path.join(dir, "ca.pem")
      fs.writeFileSync(certPath, emulator.certificatePem)
    }
    yield* Console.log(
      [
        `FCM emulator listening on ${emulator.baseUrl}`,
        `  legacy:   POST ${emulator.baseUrl}/fcm/send  (Authorization: key=${emulator.apiKey})`,
        `  v1:       POST ${emulator.baseUrl}/v1/projects/${emulator.projectId}/messages:send`,
        `  token:    POST ${emulator.tokenUri}`,
        `  control:  ${emulator.baseUrl}/__emulator/{counters,records,reset,scenarios}`,
        `  service account key: ${keyPath}`,
        ...(certPath !== undefined ? [`  certificate (trust as CA): ${certPath}`] : [])
      ].join("\n")
    )
    return yield* Effect.never
  })

const isEntryPoint = (): boolean => {
  const script = process.argv[1]
  return script !== undefined && import.meta.url === pathToFileURL(script).href
}

if (isEntryPoint()) {
  const fiber = Effect.runFork(
    main(process.argv.slice(2)).pipe(
      Effect.scoped,
      Effect.catchAll((e) =>
        Console.error(`fcm-emulator: ${e.message}`).pipe(Effect.zipRight(Effect.sync(() => {
          process.exitCode = 1
        })))
      )
    )
  )
  const stop = () => Effect.runFork(Fiber.interrupt(fiber))
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
}
