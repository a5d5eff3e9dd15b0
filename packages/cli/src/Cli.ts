/**
 * The `fcm` command line: `send`, `topic`, `emulator`, `token` and `demo`, as `@effect/cli` commands.
 *
 * {@link run} runs a command line in-process and returns its exit code, so tests and other programs can drive the
 * commands without a subprocess; `bin.ts` runs it as the `fcm` executable.
 *
 * @since 0.1.0
 */
import * as EmulatorCommand from "@effect-fcm/emulator/EmulatorCommand"
import { Args, CliConfig, Command, CommandDescriptor, HelpDoc, Options, ValidationError } from "@effect/cli"
import type { NodeContext } from "@effect/platform-node"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Argv from "./internal/argv.js"
import * as Broadcast from "./internal/broadcast.js"
import { CliError, ExitCode as Codes } from "./internal/errors.js"
import {
  boolean,
  connection,
  httpUrl,
  integer,
  invalid,
  nonEmpty,
  optional,
  redacted,
  repeatable,
  text,
  value
} from "./internal/flags.js"
import * as Send from "./internal/send.js"
import * as Token from "./internal/token.js"
import * as Topic from "./internal/topic.js"
import * as Version from "./internal/version.js"

/**
 * The exit codes of `fcm`:
 *
 * - `0` every target was delivered (a replaced, canonical token counts as delivered);
 * - `1` an unexpected error (a bug);
 * - `2` invalid input or usage: nothing was sent;
 * - `3` the credentials were rejected;
 * - `4` some targets are not registered or failed for good, or (`--at-most-once`) unknown: none left to retry;
 * - `5` some targets are still retryable after the retries;
 * - `6` the exchange with FCM failed as a whole (an unexpected answer);
 * - `130` interrupted (Ctrl-C).
 *
 * @example
 * ```ts
 * import { Cli } from "@effect-fcm/cli"
 * import * as NodeContext from "@effect/platform-node/NodeContext"
 * import { Effect } from "effect"
 *
 * const program = Cli.run(["send", "--emulator", "--token", "device-1", "--concurrency", "0"]).pipe(
 *   Effect.provide(NodeContext.layer)
 * )
 * Effect.runPromise(program).then((code) => assert.strictEqual(code, Cli.ExitCode.Usage)) // nothing was sent
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const ExitCode: typeof Codes = Codes

/**
 * @example
 * ```ts
 * import type { Cli } from "@effect-fcm/cli"
 *
 * const shouldRetryLater = (code: Cli.ExitCode): boolean => code === 5 || code === 6
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type ExitCode = (typeof Codes)[keyof typeof Codes]

/**
 * The version `fcm --version` prints: the version of the `@effect-fcm/cli` package, read from its package.json.
 *
 * @example
 * ```ts
 * import { Cli } from "@effect-fcm/cli"
 *
 * console.log(`fcm ${Cli.VERSION}`) // what `fcm --version` prints
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const VERSION: string = Version.version

/** Runs a command's program, turning its exit code into the command's result. */
const exitWith = <R>(program: Effect.Effect<ExitCode, CliError, R>): Effect.Effect<void, CliError, R> =>
  Effect.flatMap(program, (code) => code === Codes.Ok ? Effect.void : Effect.fail(new CliError({ code, message: "" })))

// -----------------------------------------------------------------------------
// fcm send
// -----------------------------------------------------------------------------

const sendOptions = {
  tokens: text("token", "TOKEN", "A registration token to send to (repeat for several).").pipe(
    repeatable,
    Options.mapEffect((tokens) =>
      tokens.some((t) => t.trim() === "") ? Effect.fail(invalid("must not be empty")) : Effect.succeed(tokens)
    )
  ),
  tokensFile: optional(
    nonEmpty(
      text(
        "tokens-file",
        "FILE",
        "A file of registration tokens, one a line (`-` for stdin), streamed: any size, constant memory."
      )
    )
  ),
  topic: optional(nonEmpty(text("topic", "TOPIC", "A topic to send to (`news` or `/topics/news`)."))),
  condition: optional(
    nonEmpty(text("condition", "CONDITION", "A topic condition, e.g. \"'dogs' in topics || 'cats' in topics\"."))
  ),
  data: repeatable(text("data", "KEY=VALUE", "A data pair key=value (repeat for several).")),
  dataJson: optional(text("data-json", "JSON", "Data as a JSON object of scalar values.")),
  title: optional(text("notification-title", "TEXT", "The notification's title.")),
  body: optional(text("notification-body", "TEXT", "The notification's body.")),
  image: optional(httpUrl(text("notification-image", "URL", "The notification's image URL."))),
  messageFile: optional(
    nonEmpty(
      text(
        "message-file",
        "FILE",
        "A whole message as JSON: an HTTP v1 message in firebase-admin's camelCase shape (token/topic/condition or tokens, data, notification, android, apns, webpush, fcmOptions), or a legacy message (registration_ids, data, notification, collapse_key, time_to_live, …)."
      )
    )
  ),
  ttl: optional(integer("ttl", "SECONDS", "Time to live in seconds (0 to 2419200).")),
  priority: optional(
    Options.choice("priority", ["high", "normal"]).pipe(Options.withDescription("Delivery priority."))
  ),
  collapseKey: optional(text("collapse-key", "KEY", "Collapse key.")),
  restrictedPackageName: optional(
    nonEmpty(text("restricted-package-name", "PACKAGE", "Only deliver to this Android package."))
  ),
  contentAvailable: boolean("content-available", "Wake the iOS app in the background (APNs content-available)."),
  mutableContent: boolean("mutable-content", "Let an iOS notification service extension modify the notification."),
  dryRun: boolean("dry-run", "Have FCM validate the message without delivering it."),
  credentials: optional(
    nonEmpty(
      text("credentials", "FILE", "Service-account key file for HTTP v1 (default: GOOGLE_APPLICATION_CREDENTIALS).")
    )
  ),
  project: optional(nonEmpty(text("project", "ID", "Firebase project id (default: the key's project_id)."))),
  apiKey: optional(redacted("api-key", "KEY", "Server key for the legacy API (default: FCM_API_KEY).")),
  legacy: boolean("legacy", "Use the legacy API (/fcm/send) with a server key."),
  baseUrl: optional(nonEmpty(text("base-url", "URL", "FCM origin (default https://fcm.googleapis.com)."))),
  ca: optional(nonEmpty(text("ca", "FILE", "A PEM certificate to trust too (an emulator's ca.pem)."))),
  emulator: boolean(
    "emulator",
    "Start an FCM emulator in this process and send to it (it provides credentials and URL)."
  ),
  maxAttempts: optional(
    integer("max-attempts", "N", `Attempts per target, the first included (default ${Send.DEFAULT_MAX_ATTEMPTS}).`)
  ),
  noRetry: boolean("no-retry", "Send once: the same as --max-attempts 1."),
  atMostOnce: boolean(
    "at-most-once",
    "Never send a target twice: one whose request may have reached FCM (a broken connection, a timeout) is reported unknown (unknown.txt) and not resent."
  ),
  concurrency: optional(
    integer(
      "concurrency",
      "N",
      "The most requests in flight (default 1024 for HTTP v1, 32 for legacy); below it, the number adapts to latency and errors."
    )
  ),
  rateLimit: optional(
    integer(
      "rate-limit",
      "N",
      `Messages a minute at most (default ${Send.DEFAULT_RATE_LIMIT}, FCM's default project quota): the send slows down before FCM answers 429.`
    )
  ),
  noRateLimit: boolean("no-rate-limit", "Send as fast as the adaptive concurrency allows, with no rate limit."),
  json: boolean("json", "Print a machine-readable report on stdout."),
  reportDir: optional(
    nonEmpty(
      text(
        "report-dir",
        "DIR",
        "Write not-registered.txt, canonical.csv (old,new), failed.csv (token,code), retryable.txt, unknown.txt and summary.json here."
      )
    )
  )
}

const send = Command.make("send", sendOptions, (o) =>
  exitWith(Send.run({
    tokens: o.tokens,
    tokensFile: value(o.tokensFile),
    topic: value(o.topic),
    condition: value(o.condition),
    data: o.data,
    dataJson: value(o.dataJson),
    title: value(o.title),
    body: value(o.body),
    image: value(o.image),
    messageFile: value(o.messageFile),
    ttl: value(o.ttl),
    priority: value(o.priority),
    collapseKey: value(o.collapseKey),
    restrictedPackageName: value(o.restrictedPackageName),
    contentAvailable: o.contentAvailable,
    mutableContent: o.mutableContent,
    dryRun: o.dryRun,
    ...connection(o),
    maxAttempts: value(o.maxAttempts),
    noRetry: o.noRetry,
    atMostOnce: o.atMostOnce,
    concurrency: value(o.concurrency),
    rateLimit: value(o.rateLimit),
    noRateLimit: o.noRateLimit,
    json: o.json,
    reportDir: value(o.reportDir)
  }))).pipe(
    Command.withDescription(
      "Send a message to registration tokens (given, or streamed from a file), a topic or a condition, with retries; print a summary per bucket and exit with a code scripts can use."
    )
  )

// -----------------------------------------------------------------------------
// fcm topic subscribe|unsubscribe
// -----------------------------------------------------------------------------

const topicCommand = (action: "subscribe" | "unsubscribe") =>
  Command.make(action, {
    topics: Args.text({ name: "TOPIC" }).pipe(
      Args.withDescription("A topic (`news` or `/topics/news`); several topics take the same tokens."),
      Args.atLeast(1)
    ),
    tokens: sendOptions.tokens,
    tokensFile: sendOptions.tokensFile,
    credentials: sendOptions.credentials,
    project: sendOptions.project,
    baseUrl: optional(
      Options.text("base-url").pipe(
        Options.withPseudoName("URL"),
        Options.withDescription("Instance ID API origin (default https://iid.googleapis.com)."),
        nonEmpty
      )
    ),
    ca: sendOptions.ca,
    emulator: Options.boolean("emulator").pipe(
      Options.withDescription(
        "Start an FCM emulator in this process and manage its topics (it provides credentials and URL)."
      )
    ),
    maxAttempts: sendOptions.maxAttempts,
    noRetry: sendOptions.noRetry,
    concurrency: optional(
      Options.integer("concurrency").pipe(
        Options.withPseudoName("N"),
        Options.withDescription("Requests of up to 1,000 tokens in flight at once (default 4).")
      )
    ),
    json: sendOptions.json,
    reportDir: optional(
      Options.text("report-dir").pipe(
        Options.withPseudoName("DIR"),
        Options.withDescription(
          "Write not-registered.txt, failed.csv (token,code), retryable.txt and summary.json here."
        ),
        nonEmpty
      )
    )
  }, (o) =>
    exitWith(Topic.run({
      action,
      topics: o.topics,
      tokens: o.tokens,
      tokensFile: value(o.tokensFile),
      credentials: value(o.credentials),
      project: value(o.project),
      baseUrl: value(o.baseUrl),
      ca: value(o.ca),
      emulator: o.emulator,
      maxAttempts: value(o.maxAttempts),
      noRetry: o.noRetry,
      concurrency: value(o.concurrency),
      json: o.json,
      reportDir: value(o.reportDir)
    }))).pipe(
      Command.withDescription(
        action === "subscribe"
          ? "Subscribe registration tokens (given, or from a file) to one topic or several, with retries; report per token and exit with fcm send's codes."
          : "Unsubscribe registration tokens (given, or from a file) from one topic or several, with retries; report per token and exit with fcm send's codes."
      )
    )

const topic = Command.make(
  "topic",
  {},
  () =>
    Effect.fail(new CliError({ code: Codes.Usage, message: "give a command: fcm topic subscribe|unsubscribe TOPIC" }))
).pipe(
  Command.withDescription("Manage topic subscriptions through the Instance ID API."),
  Command.withSubcommands([topicCommand("subscribe"), topicCommand("unsubscribe")])
)

// -----------------------------------------------------------------------------
// fcm emulator: the emulator package's own command, its errors in this command line's terms
// -----------------------------------------------------------------------------

const emulator = EmulatorCommand.command.pipe(
  // A port that cannot be listened on is for the user to fix. (transformHandler keeps the handler's error in the
  // type; every error is mapped here.)
  Command.transformHandler((handler) =>
    Effect.mapError(handler, (e) => new CliError({ code: Codes.Usage, message: e.message }))
  )
) as Command.Command<"emulator", never, CliError, EmulatorCommand.Flags>

// -----------------------------------------------------------------------------
// fcm token
// -----------------------------------------------------------------------------

const token = Command.make("token", {
  credentials: optional(
    nonEmpty(text("credentials", "FILE", "Service-account key file (default: GOOGLE_APPLICATION_CREDENTIALS)."))
  ),
  project: optional(nonEmpty(text("project", "ID", "Project id (default: the key's project_id)."))),
  ca: optional(nonEmpty(text("ca", "FILE", "A PEM certificate to trust too (an emulator's ca.pem)."))),
  reveal: boolean("reveal", "Print the token itself instead of its length.")
}, (o) =>
  exitWith(Token.run({
    credentials: value(o.credentials),
    project: value(o.project),
    ca: value(o.ca),
    reveal: o.reveal
  }))).pipe(
    Command.withDescription(
      "Exchange a service-account key for an OAuth2 access token for FCM and print it (redacted unless --reveal)."
    )
  )

// -----------------------------------------------------------------------------
// fcm demo
// -----------------------------------------------------------------------------

const demo = Command.make(
  "demo",
  {},
  () => exitWith(Effect.flatMap(Effect.promise(() => import("./internal/demo.js")), (demo) => demo.run))
).pipe(
  Command.withDescription(
    "Send the example multicast to an in-process FCM emulator over HTTP v1 with retries, plus a legacy send that replaces a token, and print what to do with each bucket."
  )
)

// -----------------------------------------------------------------------------
// fcm
// -----------------------------------------------------------------------------

/**
 * The `fcm` command and its subcommands.
 *
 * @example
 * ```ts
 * import { Cli } from "@effect-fcm/cli"
 * import { Command } from "@effect/cli"
 * import * as NodeContext from "@effect/platform-node/NodeContext"
 * import { Effect } from "effect"
 *
 * // the same commands under another name, inside your own program
 * const push = Command.run(Cli.command, { name: "push", version: Cli.VERSION })
 * const main = push(process.argv).pipe(Effect.provide(NodeContext.layer))
 * ```
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make(
  "fcm",
  {},
  () =>
    Effect.fail(
      new CliError({
        code: Codes.Usage,
        message: "give a command: send, topic, emulator, token or demo (see fcm --help)"
      })
    )
).pipe(
  Command.withDescription("Firebase Cloud Messaging from the command line."),
  Command.withSubcommands([send, topic, emulator, token, demo, Broadcast.broadcast, Broadcast.runner])
)

const exitCodeDocs: ReadonlyArray<readonly [string, string]> = [
  ["0", "every target was delivered (a canonical, replaced token counts as delivered)"],
  ["2", "invalid input or usage; nothing was sent"],
  ["3", "the credentials were rejected (service account or API key)"],
  ["4", "some targets are not registered or failed for good (or, --at-most-once, unknown); none is left to retry"],
  ["5", "some targets are still retryable after the retries"],
  ["6", "transport failure: FCM answered something unexpected (an unreachable server leaves targets retryable: 5)"],
  ["130", "interrupted (Ctrl-C)"]
]

const footer = HelpDoc.blocks([
  HelpDoc.h1("EXIT CODES"),
  HelpDoc.p(exitCodeDocs.map(([code, text]) => `${code.padStart(5)}  ${text}`).join("\n"))
])

const cli = Command.run(command, { name: "fcm", version: VERSION, footer })

let specs: ReadonlyMap<string, Argv.CommandSpec> | undefined
/** The flags of each subcommand, read from the commands themselves (once, on first use). */
const commandSpecs = (): ReadonlyMap<string, Argv.CommandSpec> =>
  specs ??= new Map(
    [...HashMap.entries(Command.getSubcommands(command))].map(([name, descriptor]) => [
      name,
      // a command with subcommands of its own (fcm broadcast start …) is left to @effect/cli
      Broadcast.nested.has(name) || name === "topic"
        ? { flags: new Map(), positional: true }
        : Argv.specOf(CommandDescriptor.getUsage(descriptor))
    ])
  )

const parse = (args: ReadonlyArray<string>) =>
  Effect.either(CommandDescriptor.parse(command.descriptor, ["fcm", ...args], CliConfig.defaultConfig))

/**
 * The usage error of a command line, as one line naming the flag (without the `fcm: ` prefix), or none: the line is
 * checked against the commands' flags, then parsed; a value `@effect/cli` refuses is traced back to its flag by
 * parsing each flag alone.
 */
const usageError = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const problem = Argv.check("fcm", commandSpecs(), args)
    if (problem !== undefined) return Option.some(problem)
    const parsed = yield* parse(args)
    if (Either.isRight(parsed)) {
      const directive = parsed.right
      return directive._tag === "UserDefined" && directive.leftover.length > 0
        ? Option.some(`unexpected argument ${JSON.stringify(directive.leftover[0])} (see fcm --help)`)
        : Option.none()
    }
    if (ValidationError.isHelpRequested(parsed.left)) return Option.none()
    const [name, ...rest] = args
    const spec = name === undefined ? undefined : commandSpecs().get(name)
    if (spec !== undefined) {
      for (const [flag, value] of Argv.flagValues(spec, rest)) {
        const alone = yield* parse([name!, flag, value])
        if (Either.isLeft(alone)) {
          return Option.some(Argv.valueError(flag, spec.flags.get(flag), value, Argv.plain(alone.left.error)))
        }
      }
    }
    return Option.some(Argv.plain(parsed.left.error))
  })

/** Colour only for a terminal, and not when NO_COLOR is set (https://no-color.org). */
const colour = (): boolean => process.stdout.isTTY === true && (process.env.NO_COLOR ?? "") === ""

/** A console that drops ANSI colours and styles (those of `@effect/cli`'s help). */
const withoutColour = (base: Console.Console): Console.Console => {
  const strip = (args: ReadonlyArray<unknown>) => args.map((a) => typeof a === "string" ? a.replace(Argv.ansi, "") : a)
  return {
    ...base,
    log: (...args) => base.log(...strip(args)),
    info: (...args) => base.info(...strip(args)),
    error: (...args) => base.error(...strip(args)),
    warn: (...args) => base.warn(...strip(args))
  }
}

/**
 * Runs a command line (the arguments after `fcm`) and returns its exit code. Errors are printed on stderr as one line
 * starting with `fcm: ` and naming what to fix (for a usage error: the flag, and what it accepts or the flag that was
 * probably meant); summaries and reports go to stdout. Help has colour only when stdout is a terminal and `NO_COLOR`
 * is not set.
 *
 * @example
 * ```ts
 * import { Cli } from "@effect-fcm/cli"
 * import * as NodeContext from "@effect/platform-node/NodeContext"
 * import { Effect } from "effect"
 *
 * const program = Cli.run(["send", "--emulator", "--token", "device-1", "--notification-title", "Hi"]).pipe(
 *   Effect.provide(NodeContext.layer)
 * )
 * Effect.runPromise(program).then((code) => assert.strictEqual(code, Cli.ExitCode.Ok))
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const run = (args: ReadonlyArray<string>): Effect.Effect<ExitCode, never, NodeContext.NodeContext> =>
  Effect.flatMap(usageError(args), (problem) =>
    Option.isSome(problem)
      ? Effect.as(Console.error(`fcm: ${problem.value}`), Codes.Usage as ExitCode)
      : cli(["node", "fcm", ...args]).pipe(
        Effect.as(Codes.Ok as ExitCode),
        Effect.catchAll((error) => {
          if (ValidationError.isValidationError(error)) {
            // @effect/cli has printed the problem already.
            return Effect.succeed(Codes.Usage as ExitCode)
          }
          return Effect.as(
            error.message.length > 0 ? Console.error(`fcm: ${error.message}`) : Effect.void,
            error.code
          )
        })
      )).pipe(
      Effect.catchAllDefect((defect) =>
        Effect.as(
          Console.error(`fcm: unexpected error: ${Cause.pretty(Cause.die(defect))}`),
          Codes.Unexpected as ExitCode
        )
      ),
      (program) =>
        colour() ? program : Effect.flatMap(Effect.console, (base) => Effect.withConsole(program, withoutColour(base)))
    )
