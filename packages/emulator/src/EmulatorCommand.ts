/**
 * The emulator's command line, defined once as an `@effect/cli` command: the `fcm-emulator` executable
 * (`bin.ts`) runs it, and the `fcm` command line mounts it as `fcm emulator`. Its flags become a typed
 * {@link FcmServer.Config} ({@link toConfig}), which {@link serve} runs with `FcmServer.layer`.
 *
 * ```
 * fcm-emulator [--port 0] [--host 127.0.0.1] [--tls] [--project emulator-project]
 *              [--api-key KEY]... [--default SCENARIO] [--token TOKEN=SCENARIO]...
 *              [--prefix PREFIX=SCENARIO]... [--mix-seed N --mix unavailable=0.01,notRegistered=0.001]
 *              [--latency MS] [--token-lifetime SECONDS] [--no-record] [--out DIR]
 * ```
 *
 * A SCENARIO is a name (`notRegistered`, `unavailable`, `reset`, …) or its JSON form
 * (`{"_tag":"Unavailable","times":2,"retryAfter":5}`). A bad value is refused before anything starts, with a
 * message naming the flag.
 *
 * This module needs the optional peer dependency `@effect/cli`; the package's index does not load it.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type * as FcmServer from "./FcmServer.js"
import * as Scenario from "./Scenario.js"

const invalid = (message: string) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(message)))

/**
 * A whole-number flag, refused in the `fcm` command line's words: `--port PORT must be a whole number, not "x"`, or
 * `--port PORT must be from 0 to 65535, not "70000"`.
 */
const wholeNumber = (name: string, pseudo: string, min: number, max: number, range: string) =>
  Options.text(name).pipe(
    Options.withPseudoName(pseudo),
    Options.mapEffect((text) => {
      const n = Number(text)
      const not = `, not ${JSON.stringify(text)}`
      if (text.trim() === "" || !Number.isSafeInteger(n)) {
        return invalid(`--${name} ${pseudo} must be a whole number${not}`)
      }
      return n >= min && n <= max ? Effect.succeed(n) : invalid(`--${name} ${pseudo} must be ${range}${not}`)
    })
  )

const scenarioOf = (flag: string, text: string): Effect.Effect<Scenario.Scenario, ValidationError.ValidationError> => {
  let json: unknown = text
  if (text.trimStart().startsWith("{")) {
    try {
      json = JSON.parse(text)
    } catch {
      return invalid(`${flag}: the scenario is not valid JSON: ${text}`)
    }
  }
  return Either.match(Scenario.decodeUnknown(json), {
    onLeft: (message) => invalid(`${flag}: ${message}`),
    onRight: Effect.succeed
  })
}

/** A repeated flag given no times is the empty list, and `--help` shows it as optional. */
const optionalRepeated = <A>(options: Options.Options<Array<A>>): Options.Options<Array<A>> =>
  Options.withDefault(options, [] as Array<A>)

/** `KEY=SCENARIO` flags, repeatable. */
const scenarioMap = (name: string, pseudo: string, description: string) =>
  Options.text(name).pipe(
    Options.withPseudoName(pseudo),
    Options.withDescription(description),
    Options.repeated,
    optionalRepeated,
    Options.mapEffect((pairs) =>
      Effect.reduce(pairs, {} as Record<string, Scenario.Scenario>, (acc, pair) => {
        const eq = pair.indexOf("=")
        if (eq <= 0) return invalid(`--${name} needs ${pseudo}`)
        return Effect.map(scenarioOf(`--${name} ${pair.slice(0, eq)}`, pair.slice(eq + 1)), (scenario) => ({
          ...acc,
          [pair.slice(0, eq)]: scenario
        }))
      })
    )
  )

const mixRates = Options.text("mix").pipe(
  Options.withPseudoName("RATES"),
  Options.withDescription("A seeded random mix of outcomes, e.g. unavailable=0.01,notRegistered=0.001."),
  Options.mapEffect((text) => {
    const rates: Record<string, number> = {}
    for (const pair of text.split(",")) {
      const [name, rate] = pair.split("=")
      if (name === undefined || rate === undefined || rate.trim() === "" || !Number.isFinite(Number(rate))) {
        return invalid("--mix needs name=rate,name=rate")
      }
      rates[name] = Number(rate)
    }
    return Either.match(Scenario.decodeUnknown({ _tag: "Mix", seed: 1, rates }), {
      onLeft: (message) => invalid(`--mix: ${message}`),
      onRight: () => Effect.succeed(rates as Scenario.MixRates)
    })
  })
)

/**
 * The flags of the command.
 *
 * @example
 * ```ts
 * import * as EmulatorCommand from "@effect-fcm/emulator/EmulatorCommand"
 *
 * const names = Object.keys(EmulatorCommand.flags)
 * assert.ok(names.includes("tls"))
 * ```
 *
 * @since 0.1.0
 * @category options
 */
export const flags = {
  port: wholeNumber("port", "PORT", 0, 65535, "from 0 to 65535").pipe(
    Options.withDefault(0),
    Options.withDescription("Port (0: a free one).")
  ),
  host: Options.text("host").pipe(
    Options.withPseudoName("HOST"),
    Options.withDefault("127.0.0.1"),
    Options.withDescription("Interface to listen on.")
  ),
  tls: Options.boolean("tls").pipe(
    Options.withDescription("Serve TLS with a throwaway self-signed certificate (written as ca.pem).")
  ),
  project: Options.text("project").pipe(
    Options.withPseudoName("ID"),
    Options.withDescription("Firebase project (default emulator-project)."),
    Options.optional
  ),
  apiKeys: Options.text("api-key").pipe(
    Options.withPseudoName("KEY"),
    Options.withDescription("A legacy server key to accept (repeatable; default emulator-server-key)."),
    Options.repeated,
    optionalRepeated
  ),
  defaultScenario: Options.text("default").pipe(
    Options.withPseudoName("SCENARIO"),
    Options.withDescription("The scenario of every token, e.g. unavailable or {\"_tag\":\"Unavailable\",\"times\":2}."),
    Options.mapEffect((text) => scenarioOf("--default", text)),
    Options.optional
  ),
  tokens: scenarioMap(
    "token",
    "TOKEN=SCENARIO",
    "TOKEN=SCENARIO: how to answer one token, e.g. device-1=notRegistered (repeatable)."
  ),
  prefixes: scenarioMap(
    "prefix",
    "PREFIX=SCENARIO",
    "PREFIX=SCENARIO: how to answer tokens starting with PREFIX (repeatable)."
  ),
  mix: Options.optional(mixRates),
  mixSeed: wholeNumber("mix-seed", "N", -Infinity, Infinity, "").pipe(
    Options.withDescription("The seed of --mix (default 1)."),
    Options.optional
  ),
  latency: wholeNumber("latency", "MS", 0, Infinity, "0 or more").pipe(
    Options.withDescription("Milliseconds before each answer."),
    Options.optional
  ),
  tokenLifetime: wholeNumber("token-lifetime", "SECONDS", 1, Infinity, "above 0").pipe(
    Options.withDescription("Access token lifetime in seconds."),
    Options.optional
  ),
  noRecord: Options.boolean("no-record").pipe(Options.withDescription("Do not record requests (for load tests).")),
  out: Options.text("out").pipe(
    Options.withPseudoName("DIR"),
    Options.withDescription("Directory for service-account.json and ca.pem (default: a new temporary directory)."),
    Options.optional
  )
}

/**
 * The parsed flags.
 *
 * @example
 * ```ts
 * import type * as EmulatorCommand from "@effect-fcm/emulator/EmulatorCommand"
 *
 * const tlsOn = (parsed: EmulatorCommand.Flags): boolean => parsed.tls
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Flags = Command.Command.ParseConfig<typeof flags>

/**
 * The server config of the parsed flags, and the directory for the key and the certificate. `--mix` becomes the
 * default scenario (a `Mix`), and `--latency` delays whatever the default answers.
 *
 * @example
 * ```ts
 * import * as EmulatorCommand from "@effect-fcm/emulator/EmulatorCommand"
 * import { Scenario } from "@effect-fcm/emulator"
 * import { Option } from "effect"
 *
 * const { config } = EmulatorCommand.toConfig({
 *   port: 8085, host: "127.0.0.1", tls: true, project: Option.none(), apiKeys: [],
 *   defaultScenario: Option.some(Scenario.unavailable()), tokens: {}, prefixes: {}, mix: Option.none(),
 *   mixSeed: Option.none(), latency: Option.some(20), tokenLifetime: Option.none(), noRecord: false, out: Option.none()
 * })
 * assert.deepStrictEqual(config.scenarios?.default, Scenario.latency(20, Scenario.unavailable()))
 * ```
 *
 * @since 0.1.0
 * @category config
 */
export const toConfig = (parsed: Flags): { readonly config: FcmServer.Config; readonly out: string | undefined } => {
  let defaultScenario = Option.getOrUndefined(parsed.defaultScenario)
  if (Option.isSome(parsed.mix)) {
    defaultScenario = Scenario.mix({ seed: Option.getOrElse(parsed.mixSeed, () => 1), rates: parsed.mix.value })
  }
  const latency = Option.getOrElse(parsed.latency, () => 0)
  if (latency > 0) defaultScenario = Scenario.latency(latency, defaultScenario ?? Scenario.delivered)
  const project = Option.getOrUndefined(parsed.project)
  const lifetime = Option.getOrUndefined(parsed.tokenLifetime)
  return {
    config: {
      host: parsed.host,
      port: parsed.port,
      tls: parsed.tls,
      record: !parsed.noRecord,
      ...(project !== undefined ? { projectId: project } : {}),
      ...(parsed.apiKeys.length > 0 ? { apiKeys: parsed.apiKeys } : {}),
      ...(lifetime !== undefined ? { accessTokenLifetime: lifetime } : {}),
      scenarios: {
        ...(defaultScenario !== undefined ? { default: defaultScenario } : {}),
        tokens: parsed.tokens,
        prefixes: parsed.prefixes
      }
    },
    out: Option.getOrUndefined(parsed.out)
  }
}

/**
 * Runs `FcmServer.layer(config)`, writes its throwaway service-account key (and its certificate with TLS) to
 * `out` (default: a new temporary directory), prints the URLs and paths, and serves until interrupted.
 *
 * @example
 * ```ts
 * import * as EmulatorCommand from "@effect-fcm/emulator/EmulatorCommand"
 *
 * // what `fcm-emulator --port 8085 --default unavailable` does
 * const serving = EmulatorCommand.serve({ port: 8085, scenarios: { default: { _tag: "Unavailable", times: Infinity, retryAfter: undefined, level: "token" } } })
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const serve = (
  config: FcmServer.Config,
  out?: string
): Effect.Effect<never, FcmServer.ServerError> =>
  Effect.gen(function*() {
    // Loaded when the command runs, so that a command line mounting this command starts without the server.
    const { FcmServer, layer } = yield* Effect.promise(() => import("./FcmServer.js"))
    return yield* Effect.flatMap(FcmServer, (emulator) => announce(emulator, out)).pipe(Effect.provide(layer(config)))
  }).pipe(Effect.onInterrupt(() => Console.log("FCM emulator stopped")))

const announce = (emulator: FcmServer.Service, out: string | undefined): Effect.Effect<never> =>
  Effect.gen(function*() {
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

/**
 * The `emulator` command: parses the flags, then {@link serve}s. `fcm-emulator` runs it under its own name; the
 * `fcm` command line mounts it as a subcommand.
 *
 * @example
 * ```ts
 * import * as EmulatorCommand from "@effect-fcm/emulator/EmulatorCommand"
 * import { Command } from "@effect/cli"
 *
 * const cli = Command.run(EmulatorCommand.command, { name: "fcm-emulator", version: "0.1.0" })
 * ```
 *
 * @since 0.1.0
 * @category commands
 */
export const command: Command.Command<"emulator", never, FcmServer.ServerError, Flags> = Command.make(
  "emulator",
  flags,
  (parsed) => {
    const { config, out } = toConfig(parsed)
    return serve(config, out)
  }
).pipe(
  Command.withDescription(
    "Run an FCM emulator (legacy and HTTP v1, OAuth2 token endpoint, metadata server, /__emulator control routes) on loopback until interrupted; print its URL and write a throwaway service-account key (and ca.pem with --tls)."
  )
)
