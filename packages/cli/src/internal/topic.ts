/**
 * `fcm topic subscribe|unsubscribe TOPIC… --token/--tokens-file`: topic management through the Instance ID API, with
 * the same credentials, retries, report files and exit codes as `fcm send`. Everything is read and checked first
 * (topics, tokens, files, credentials), so bad input never changes a subscription.
 */
import type { FcmServer } from "@effect-fcm/emulator"
import { Backoff, Credentials, FcmTopics } from "@effect-fcm/fcm"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"
import { CliError, ExitCode, fromConfigError, fromFcmError, usage } from "./errors.js"
import * as Http from "./http.js"
import { startEmulator } from "./inProcess.js"
import * as Parse from "./parse.js"
import { csvField, FILES } from "./report.js"
import { DEFAULT_MAX_ATTEMPTS, v1Credentials } from "./send.js"

/**
 * The flags of `fcm topic subscribe|unsubscribe`, as parsed.
 *
 * @internal
 */
export interface Input {
  readonly action: "subscribe" | "unsubscribe"
  readonly topics: ReadonlyArray<string>
  readonly tokens: ReadonlyArray<string>
  readonly tokensFile: string | undefined
  readonly credentials: string | undefined
  readonly project: string | undefined
  readonly baseUrl: string | undefined
  readonly ca: string | undefined
  readonly emulator: boolean
  readonly maxAttempts: number | undefined
  readonly noRetry: boolean
  readonly concurrency: number | undefined
  readonly json: boolean
  readonly reportDir: string | undefined
}

/** The tokens of `--token` or `--tokens-file` (one a line, blank lines skipped; `-` for stdin). */
const readTokens = (input: Input): Effect.Effect<ReadonlyArray<string>, CliError> => {
  if (input.tokens.length > 0 && input.tokensFile !== undefined) {
    return Effect.fail(usage("give tokens with --token or --tokens-file, not both"))
  }
  if (input.tokensFile === undefined) {
    return input.tokens.length > 0
      ? Effect.succeed(input.tokens)
      : Effect.fail(usage("no tokens: pass --token TOKEN (repeatable) or --tokens-file FILE"))
  }
  const file = input.tokensFile
  return Effect.map(
    file === "-" ? Parse.readText("/dev/stdin", "tokens file") : Parse.readText(file, "tokens file"),
    (text) => text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0)
  )
}

/** The HTTP client, the credentials and the Instance ID origin: an in-process emulator, or a service account. */
const connect = (input: Input) =>
  Effect.gen(function*() {
    if (input.concurrency !== undefined && (!Number.isInteger(input.concurrency) || input.concurrency < 1)) {
      return yield* usage(`--concurrency must be a positive integer, got ${input.concurrency}`)
    }
    let ca = input.ca === undefined ? undefined : [yield* Parse.readText(input.ca, "certificate file")]
    let baseUrl = input.baseUrl
    let emulatorKey: FcmServer.Service["serviceAccount"] | undefined
    if (input.emulator) {
      const emulator = yield* startEmulator([
        ["--credentials", input.credentials],
        ["--base-url", input.baseUrl],
        ["--ca", input.ca]
      ], input.project)
      baseUrl = emulator.baseUrl
      emulatorKey = emulator.serviceAccount
      ca = emulator.certificatePem === undefined ? undefined : [emulator.certificatePem]
    }
    const http = Context.get(yield* Layer.build(Http.layer({ ca, h2c: input.emulator })), HttpClient.HttpClient)
    const credentials = yield* v1Credentials({
      emulatorKey,
      flag: input.credentials,
      projectId: input.project,
      otherwise: "or use --emulator"
    }).pipe(Effect.provideService(HttpClient.HttpClient, http))
    const topics = yield* FcmTopics.make({
      ...(baseUrl === undefined ? {} : { baseUrl }),
      ...(input.concurrency === undefined ? {} : { concurrency: input.concurrency })
    }).pipe(
      Effect.provideService(HttpClient.HttpClient, http),
      Effect.provideService(Credentials.Credentials, credentials),
      Effect.mapError(fromConfigError)
    )
    return { topics, project: input.project ?? Option.getOrUndefined(credentials.projectId) }
  })

/**
 * The exit code of a finished call, as `fcm send`'s: 5 when some tokens are still retryable, else 4 when some are not
 * registered or refused, else 0.
 *
 * @internal
 */
export const exitCodeOf = (result: FcmTopics.Result): ExitCode => {
  let retryable = 0
  let refused = 0
  for (const t of result.topics) {
    retryable += t.retryable.size
    refused += t.notRegistered.length + t.invalid.size
  }
  return retryable > 0 ? ExitCode.Retryable : refused > 0 ? ExitCode.Partial : ExitCode.Ok
}

/** The report of `--json` and `summary.json`: per topic, each bucket's tokens. */
const jsonReport = (input: Input, result: FcmTopics.Result, project: string | undefined, elapsedMillis: number) => ({
  exitCode: exitCodeOf(result),
  action: input.action,
  project: project ?? null,
  elapsedMillis,
  reportDir: input.reportDir ?? null,
  topics: result.topics.map((t) => ({
    topic: t.topic,
    ok: t.ok.length,
    notRegistered: t.notRegistered,
    invalid: Object.fromEntries(t.invalid),
    retryable: Object.fromEntries(Array.from(t.retryable, ([token, retry]) => [token, retry.reason]))
  }))
})

const number = new Intl.NumberFormat("en-US")

/**
 * Writes the report files, as `fcm send` names them: `not-registered.txt` (delete these tokens), `failed.csv`
 * (`token,code`: refused for good), `retryable.txt` (run the command again with it as `--tokens-file`; a token
 * already subscribed is harmless), each token once whatever the number of topics, and `summary.json`.
 */
const writeReports = (dir: string, report: unknown, result: FcmTopics.Result): Effect.Effect<void, CliError> =>
  Effect.try({
    try: () => {
      fs.mkdirSync(dir, { recursive: true })
      const notRegistered = new Set<string>()
      const failed = new Map<string, string>()
      const retryable = new Set<string>()
      for (const t of result.topics) {
        for (const token of t.notRegistered) notRegistered.add(token)
        for (const [token, code] of t.invalid) if (!failed.has(token)) failed.set(token, code)
        for (const token of t.retryable.keys()) retryable.add(token)
      }
      const text = (tokens: Iterable<string>) => Array.from(tokens, (t) => `${t}\n`).join("")
      fs.writeFileSync(path.join(dir, FILES.notRegistered), text(notRegistered))
      fs.writeFileSync(
        path.join(dir, FILES.failed),
        "token,code\n" + Array.from(failed, ([t, c]) => `${csvField(t)},${csvField(c)}\n`).join("")
      )
      fs.writeFileSync(path.join(dir, FILES.retryable), text(retryable))
      fs.writeFileSync(path.join(dir, FILES.summary), JSON.stringify(report, null, 2) + "\n")
    },
    catch: (error) =>
      new CliError({
        code: ExitCode.Usage,
        message: `cannot write the report to ${dir}: ${error instanceof Error ? error.message : String(error)}`
      })
  })

/**
 * Runs `fcm topic subscribe|unsubscribe` and returns its exit code.
 *
 * @internal
 */
export const run = (input: Input): Effect.Effect<ExitCode, CliError> =>
  Effect.scoped(Effect.gen(function*() {
    if (input.noRetry && input.maxAttempts !== undefined && input.maxAttempts !== 1) {
      return yield* usage("--no-retry conflicts with --max-attempts: use one of them")
    }
    const attempts = input.noRetry ? 1 : input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
    if (!Number.isInteger(attempts) || attempts < 1) {
      return yield* usage(`--max-attempts must be a positive integer, got ${attempts}`)
    }
    if (input.topics.length === 0) return yield* usage("name a topic: fcm topic subscribe TOPIC --tokens-file FILE")
    const tokens = yield* readTokens(input)
    if (input.reportDir !== undefined) {
      const dir = input.reportDir
      yield* Effect.try({
        try: () => fs.mkdirSync(dir, { recursive: true }),
        catch: (error) =>
          usage(`cannot create report directory ${dir}: ${error instanceof Error ? error.message : String(error)}`)
      })
    }
    const { project, topics } = yield* connect(input)
    const started = Date.now()
    const names = input.topics.length === 1 ? input.topics[0]! : input.topics
    const call = attempts === 1
      ? topics[input.action](names, tokens)
      : topics[input.action === "subscribe" ? "subscribeWithRetry" : "unsubscribeWithRetry"](names, tokens, {
        schedule: Backoff.schedule({ retries: attempts - 1 })
      })
    const result = yield* call.pipe(
      Effect.mapError((error) =>
        error._tag === "InvalidMessage" && error.status === undefined
          ? usage(`${error.field}: ${error.reason}`)
          : fromFcmError(error)
      )
    )
    const report = jsonReport(input, result, project, Date.now() - started)
    if (input.reportDir !== undefined) yield* writeReports(input.reportDir, report, result)
    if (input.json) {
      yield* Console.log(JSON.stringify(report, null, 2))
    } else {
      const done = input.action === "subscribe" ? "subscribed" : "unsubscribed"
      const lines = [
        `${input.action === "subscribe" ? "Subscribed" : "Unsubscribed"} ${number.format(tokens.length)} token${
          tokens.length === 1 ? "" : "s"
        } ${input.action === "subscribe" ? "to" : "from"} ${result.topics.length} topic${
          result.topics.length === 1 ? "" : "s"
        }${project === undefined ? "" : ` (project ${project})`}`
      ]
      for (const t of result.topics) {
        lines.push(
          `  ${t.topic}: ${number.format(t.ok.length)} ${done}, ${number.format(t.notRegistered.length)} not ` +
            `registered, ${number.format(t.invalid.size)} refused, ${number.format(t.retryable.size)} still retryable`
        )
      }
      if (input.reportDir !== undefined) lines.push(`Reports in ${input.reportDir}`)
      yield* Console.log(lines.join("\n"))
    }
    return report.exitCode
  }))
