/**
 * `fcm demo`: the seed's example multicast, sent over HTTP v1 with retries to an FCM emulator running in this
 * process, with tokens set up to land in every bucket; then a legacy send that shows a replaced (canonical) token;
 * then the report, what to do with each bucket, and the same send against real FCM.
 */
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import type { Model } from "@effect-fcm/emulator"
import type { Result } from "@effect-fcm/fcm"
import { Credentials, FcmLegacy, FcmV1, Message } from "@effect-fcm/fcm"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { CliError, ExitCode, fromConfigError, fromFcmError } from "./errors.js"
import * as Http from "./http.js"

/** The demo's tokens and how the emulator answers each. */
const DEVICES = {
  ok1: "device-ok-1",
  ok2: "device-ok-2",
  busy: "device-busy",
  gone: "device-gone",
  bad: "device-bad",
  other: "device-other-app",
  moved: "device-moved"
} as const

const NEW_TOKEN = "device-moved-v2"

const scenarios: Record<string, Scenario.Scenario> = {
  // Unavailable once, with Retry-After: 1, then delivered: the retry waits the second the server asked for.
  [DEVICES.busy]: Scenario.unavailable({ times: 1, retryAfter: 1 }),
  [DEVICES.gone]: Scenario.notRegistered,
  [DEVICES.bad]: Scenario.invalidToken,
  [DEVICES.other]: Scenario.senderMismatch,
  [DEVICES.moved]: Scenario.canonical(NEW_TOKEN)
}

/** The seed's example payload, with a notification to show. */
const payload: Message.Options = {
  data: { str: "string", int: 10 },
  notification: { title: "Hello", body: "From effect-fcm" },
  collapseKey: "my.key"
}

const v1Tokens = [DEVICES.ok1, DEVICES.ok2, DEVICES.busy, DEVICES.gone, DEVICES.bad, DEVICES.other]

/** A short schedule for the demo: up to 3 retries, 100 ms apart unless the server asks for longer. */
const schedule = Schedule.intersect(Schedule.spaced("100 millis"), Schedule.recurs(3))

const quote = (s: string) => /^[A-Za-z0-9._\-/=:@]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`

/**
 * How `fcm` is typed where the running one was started: `pnpm fcm` in a clone (the source `bin.ts`), `npx fcm` from a
 * project's `node_modules/.bin`, `fcm` otherwise (installed globally, or run in-process).
 *
 * @internal
 */
export const commandName = (script: string | undefined): string => {
  const file = (script ?? "").replace(/\\/g, "/")
  if (/\/packages\/cli\/src\/bin\.ts$/.test(file)) return "pnpm fcm"
  if (file.includes("/node_modules/.bin/")) return "npx fcm"
  return "fcm"
}

/**
 * The `fcm send` line that sends the demo's multicast to real FCM, typed as `fcm` is typed where it runs.
 *
 * @internal
 */
export const realInvocation = (tokens: ReadonlyArray<string>, fcm = commandName(process.argv[1])): string =>
  [
    `${fcm} send --credentials service-account.json`,
    ...tokens.map((t) => `--token ${quote(t)}`),
    `--data-json ${quote(JSON.stringify(payload.data))}`,
    `--collapse-key ${quote(payload.collapseKey!)}`,
    `--notification-title ${quote(payload.notification!.title!)}`,
    `--notification-body ${quote(payload.notification!.body!)}`,
    "--report-dir fcm-report"
  ].join(" \\\n      ")

/** What the emulator saw for each token, in order: `delivered`, `Unavailable`, … */
const attemptsOf = (records: ReadonlyArray<Model.Record>, route: Model.Route): Map<string, Array<string>> => {
  const byToken = new Map<string, Array<string>>()
  for (const record of records) {
    if (record.route !== route || record.target === undefined) continue
    const tokens = record.target._tag === "Token"
      ? [record.target.token]
      : record.target._tag === "Tokens"
      ? record.target.tokens
      : []
    tokens.forEach((token, i) => {
      const list = byToken.get(token) ?? []
      list.push(`HTTP ${record.status} ${record.outcomes[i] ?? ""}`.trim())
      byToken.set(token, list)
    })
  }
  return byToken
}

const section = (title: string, advice: string, lines: ReadonlyArray<string>): Array<string> => [
  `${title}: ${lines.length}  -> ${advice}`,
  ...(lines.length === 0 ? ["  (none)"] : lines.map((line) => `  ${line}`))
]

/**
 * Runs the demo; its exit code is 0 when every bucket came out as the emulator was set up to answer.
 *
 * @internal
 */
export const run: Effect.Effect<ExitCode, CliError> = Effect.scoped(
  Effect.gen(function*() {
    const started = Date.now()
    const emulator = yield* FcmServer.make({ scenarios: { tokens: scenarios } }).pipe(
      Effect.mapError((e) => new CliError({ code: ExitCode.Transport, message: e.message }))
    )
    yield* Console.log(`FCM emulator running in this process at ${emulator.baseUrl} (project ${emulator.projectId})`)
    const http = Context.get(yield* Layer.build(Http.layer({ h2c: true })), HttpClient.HttpClient)

    // 1. HTTP v1 with a service account, retries honouring Retry-After.
    const credentials = yield* Credentials.serviceAccount(emulator.serviceAccount).pipe(
      Effect.provideService(HttpClient.HttpClient, http),
      Effect.mapError((e) => fromFcmError(e))
    )
    const v1 = yield* FcmV1.make({ baseUrl: emulator.baseUrl, projectId: emulator.projectId }).pipe(
      Effect.provideService(HttpClient.HttpClient, http),
      Effect.provideService(Credentials.Credentials, credentials),
      Effect.mapError(fromConfigError)
    )
    yield* Console.log(
      `\n1. HTTP v1: the seed's example multicast to ${v1Tokens.length} tokens, with retries (Retry-After honoured); what the emulator answered each token:`
    )
    const result: Result.Result = yield* v1.sendWithRetry(Message.multicast(v1Tokens, payload), { schedule }).pipe(
      Effect.mapError((e) => fromFcmError(e))
    )
    const v1Attempts = attemptsOf(yield* emulator.records, "v1")
    for (const token of v1Tokens) {
      const seen = v1Attempts.get(token) ?? []
      yield* Console.log(`   ${token.padEnd(18)} ${seen.join(" -> ")}`)
    }

    // 2. The legacy API, which reports replaced (canonical) tokens.
    yield* Console.log(`\n2. Legacy API: ${DEVICES.moved}, whose app now has a new token`)
    const legacy = yield* FcmLegacy.make({ apiKey: Redacted.make(emulator.apiKey), baseUrl: emulator.baseUrl }).pipe(
      Effect.provideService(HttpClient.HttpClient, http),
      Effect.mapError(fromConfigError)
    )
    const legacyResult = yield* legacy.sendWithRetry(Message.multicast([DEVICES.moved], payload), { schedule }).pipe(
      Effect.mapError((e) => fromFcmError(e))
    )
    const merged = {
      success: new Map([...result.success, ...legacyResult.success]),
      canonical: new Map([...result.canonical, ...legacyResult.canonical]),
      notRegistered: [...result.notRegistered, ...legacyResult.notRegistered],
      failed: new Map([...result.failed, ...legacyResult.failed]),
      retryable: new Map([...result.retryable, ...legacyResult.retryable])
    }

    const retried = (token: string) => {
      const seen = v1Attempts.get(token) ?? []
      return seen.length > 1 ? `  (after ${seen.length} attempts: ${seen.join(" -> ")})` : ""
    }
    const lines = [
      "",
      "Report",
      ...section(
        "Delivered",
        "nothing to do",
        [...merged.success].map(([token, id]) => `${token.padEnd(18)} ${id}${retried(token)}`)
      ),
      ...section(
        "Replaced (canonical)",
        "delivered; replace the old token with the new one in your database",
        [...merged.canonical].map(([token, next]) => `${token} -> ${next}`)
      ),
      ...section("Not registered", "delete these tokens from your database", merged.notRegistered),
      ...section(
        "Failed",
        "fix or drop these tokens (they are never retried)",
        [...merged.failed].map(([token, code]) => `${token.padEnd(18)} ${code}`)
      ),
      ...section(
        "Still retryable",
        "send these again later",
        [...merged.retryable].map(([token, reason]) => `${token.padEnd(18)} ${reason}`)
      ),
      "",
      `Done in ${((Date.now() - started) / 1000).toFixed(1)} s. The same multicast against real FCM:`,
      `    ${realInvocation(v1Tokens)}`
    ]
    yield* Console.log(lines.join("\n"))
    const expected = merged.success.size === 3 && merged.canonical.size === 1 && merged.notRegistered.length === 1 &&
      merged.failed.size === 2 && merged.retryable.size === 0
    return expected ? ExitCode.Ok : ExitCode.Unexpected
  })
)
