/**
 * `fcm broadcast start|status|pause|resume|cancel` and `fcm runner`: durable campaigns of `@effect-fcm/cluster`, on
 * a SQLite file (`--db`, the default: this process is the runner) or on PostgreSQL (`--postgres`: runner processes
 * started with `fcm runner` send the campaigns).
 *
 * @internal
 */
import type * as Cluster from "@effect-fcm/cluster"
import { FcmClient } from "@effect-fcm/fcm"
import { Command, Options } from "@effect/cli"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { CliError, ExitCode } from "./errors.js"
import { boolean, connection, type ConnectionFlags, integer, optional, redacted, text, value } from "./flags.js"
import * as Parse from "./parse.js"
import * as Send from "./send.js"

/** The default campaign database of the embedded set-up. */
export const DEFAULT_DB = "fcm-campaigns.db"

const usage = (message: string) => new CliError({ code: ExitCode.Usage, message })

/** The package that holds campaigns, and what `fcm broadcast` says when it is missing. */
export const CLUSTER_PACKAGE = "@effect-fcm/cluster"

/**
 * Loads `@effect-fcm/cluster`, an optional peer of the command line: campaigns need SQLite (a native module built at
 * install), which `fcm send` and the other commands do not. Absent, the command fails with exit code 2, naming the
 * package to install. `importer` is for tests.
 *
 * @internal
 */
export const loadCluster = (
  importer: () => Promise<typeof Cluster> = () => import("@effect-fcm/cluster")
): Effect.Effect<typeof Cluster, CliError> =>
  Effect.tryPromise({
    try: importer,
    catch: (cause) => {
      const error = cause as { readonly code?: string; readonly message?: string }
      const missing = (error.code === "ERR_MODULE_NOT_FOUND" || error.code === "MODULE_NOT_FOUND") &&
        String(error.message).includes(CLUSTER_PACKAGE)
      return usage(
        missing
          ? `fcm broadcast and fcm runner need ${CLUSTER_PACKAGE}, which is not installed: ` +
            `npm install ${CLUSTER_PACKAGE} (next to @effect-fcm/cli)`
          : `fcm broadcast and fcm runner need ${CLUSTER_PACKAGE}, which failed to load: ${error.message ?? cause}`
      )
    }
  })

/** Every failure of the campaign layer, as the one error type of the commands. */
const toCliError = (error: unknown): CliError => {
  if (error instanceof CliError) return error
  const tagged = error as { readonly _tag?: string; readonly message?: string }
  switch (tagged._tag) {
    case "CampaignNotFound":
    case "InvalidCampaign":
    case "InvalidMessage":
    case "DatabaseInUse":
    case "TokenSourceError":
      return usage(tagged.message ?? String(error))
    case "DatabaseUnavailable":
      return new CliError({ code: ExitCode.Transport, message: tagged.message ?? String(error) })
    case "SqlError":
      return new CliError({ code: ExitCode.Transport, message: `database: ${tagged.message ?? String(error)}` })
    default:
      return new CliError({ code: ExitCode.Unexpected, message: String(tagged.message ?? error) })
  }
}

const where = {
  db: optional(text("db", "FILE", `The SQLite campaign database (default ${DEFAULT_DB}); this process is the runner.`)),
  postgres: optional(
    redacted("postgres", "URL", "A PostgreSQL URL: campaigns are sent by the runners (`fcm runner --postgres URL`).")
  )
}

const campaignId = text("id", "ID", "The campaign id.")
const json = boolean("json", "Print a machine-readable report on stdout.")

/** The flags that say how to reach FCM (those of `fcm send`). */
const fcmFlags = {
  credentials: optional(
    text("credentials", "FILE", "Service-account key file for HTTP v1 (default: GOOGLE_APPLICATION_CREDENTIALS).")
  ),
  project: optional(text("project", "ID", "Firebase project id.")),
  apiKey: optional(redacted("api-key", "KEY", "Server key (legacy API).")),
  legacy: boolean("legacy", "Use the legacy API with a server key."),
  baseUrl: optional(text("base-url", "URL", "FCM origin.")),
  ca: optional(text("ca", "FILE", "A PEM certificate to trust too.")),
  emulator: boolean("emulator", "Start an FCM emulator in this process and send to it."),
  concurrency: optional(integer("concurrency", "N", "Requests in flight per chunk (default 64).")),
  perMinute: optional(
    integer("per-minute", "N", "The project's budget shared by every runner, messages a minute (default 600000).")
  )
}

interface FcmFlags extends ConnectionFlags {
  readonly concurrency: Option.Option<number>
  readonly perMinute: Option.Option<number>
}

const sendInput = (
  o: FcmFlags,
  message: Partial<Send.Input> = {}
): Send.Input => ({
  tokens: [],
  tokensFile: undefined,
  topic: undefined,
  condition: undefined,
  data: [],
  dataJson: undefined,
  title: undefined,
  body: undefined,
  image: undefined,
  messageFile: undefined,
  ttl: undefined,
  priority: undefined,
  collapseKey: undefined,
  restrictedPackageName: undefined,
  contentAvailable: false,
  mutableContent: false,
  dryRun: false,
  ...connection(o),
  maxAttempts: undefined,
  noRetry: false,
  concurrency: undefined,
  json: false,
  reportDir: undefined,
  ...message
})

/** The database of a command: `--postgres` or `--db` (not both). */
const database = (
  w: { readonly db: Option.Option<string>; readonly postgres: Option.Option<Redacted.Redacted<string>> }
) =>
  Option.isSome(w.db) && Option.isSome(w.postgres)
    ? Effect.fail(usage("--db and --postgres name two databases: give one"))
    : Effect.succeed(
      Option.isSome(w.postgres)
        ? { _tag: "Postgres" as const, url: w.postgres.value }
        : { _tag: "Sqlite" as const, filename: value(w.db) ?? DEFAULT_DB }
    )

type Database = Effect.Effect.Success<ReturnType<typeof database>>
type Embedded = ReturnType<typeof Cluster.Setup.embedded>
type Client = ReturnType<typeof Cluster.Setup.embeddedClient>

/** A runner: the set-up, the campaign workflows, and FCM as the flags say. */
const runnerLayer = (db: Database, o: FcmFlags, options: { readonly host?: string; readonly port?: number } = {}) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const { Broadcast, Quota, Setup, TokenSource } = yield* loadCluster()
    const connection = yield* Send.connect(sendInput(o), undefined)
    const concurrency = value(o.concurrency)
    if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
      return yield* usage(`--concurrency must be a positive integer, got ${concurrency}`)
    }
    const perMinute = value(o.perMinute)
    const setup: Layer.Layer<
      Layer.Layer.Success<Embedded>,
      Layer.Layer.Error<Embedded> | Cluster.Setup.DatabaseUnavailable
    > = db._tag === "Postgres"
      ? Setup.distributed({ url: db.url, host: options.host, port: options.port })
      : Setup.embedded({ filename: db.filename })
    return Broadcast.layer(concurrency === undefined ? {} : { sendConcurrency: concurrency }).pipe(
      Layer.provide([Quota.layerSql({ perMinute }), Layer.succeed(FcmClient.FcmClient, connection.client)]),
      Layer.provideMerge(TokenSource.layerSql),
      Layer.provideMerge(setup)
    )
  }))

/** A client of the database only: no runner, the file not taken. */
const clientLayer = (
  db: Database
): Layer.Layer<Layer.Layer.Success<Client>, Layer.Layer.Error<Client> | Cluster.Setup.DatabaseUnavailable | CliError> =>
  Layer.unwrapEffect(Effect.map(loadCluster(), ({ Setup }) =>
    db._tag === "Postgres"
      ? Setup.distributed({ url: db.url, clientOnly: true })
      : Setup.embeddedClient({ filename: db.filename })))

/** A client of a cluster on PostgreSQL: starts and resumes campaigns that the runners send. */
const clusterClient = (url: Redacted.Redacted<string>) =>
  Layer.unwrapEffect(Effect.map(loadCluster(), ({ Setup }) => Setup.distributed({ url, clientOnly: true })))

/** The exit code of a finished campaign, as `fcm send`'s. */
const exitCodeOf = (counts: Cluster.Campaign.Counts): ExitCode =>
  counts.retryable > 0
    ? ExitCode.Retryable
    : counts.notRegistered + counts.failed + counts.unknown > 0
    ? ExitCode.Partial
    : ExitCode.Ok

const describe = (s: Cluster.Campaign.Status): string => {
  const eta = s.etaSeconds === undefined ? "" : `, about ${Duration.format(Duration.seconds(s.etaSeconds))} left`
  return `${s.campaignId}: ${s.state}${s.workflow === "unknown" ? "" : ` (workflow ${s.workflow})`}, ` +
    `${s.done} of ${s.total} targets done at ${s.perSecond.toFixed(0)}/s${eta}\n` +
    `  delivered ${s.counts.success}, canonical ${s.counts.canonical}, not registered ${s.counts.notRegistered}, ` +
    `failed ${s.counts.failed}, retryable ${s.counts.retryable}` +
    (s.counts.unknown > 0 ? `, unknown ${s.counts.unknown}` : "")
}

const printStatus = (s: Cluster.Campaign.Status, asJson: boolean) =>
  Console.log(asJson ? JSON.stringify(s) : describe(s))

/** Runs a stored campaign to its end on this process's runner, printing progress on stderr. */
const runToEnd = (id: string, asJson: boolean) =>
  Effect.gen(function*() {
    const { Broadcast } = yield* loadCluster()
    const progress = yield* Broadcast.status(id).pipe(
      Effect.flatMap((s) => Console.error(describe(s))),
      Effect.repeat(Schedule.spaced("5 seconds")),
      Effect.delay("5 seconds"),
      Effect.ignore,
      Effect.fork
    )
    yield* Broadcast.await(id)
    yield* Fiber.interrupt(progress)
    const status = yield* Broadcast.status(id)
    yield* printStatus(status, asJson)
    return exitCodeOf(status.counts)
  })

const start = Command.make("start", {
  id: campaignId,
  tokensFile: text("tokens-file", "FILE", "The campaign's tokens, one a line: loaded once into the database."),
  data: text("data", "KEY=VALUE", "A data pair key=value (repeat for several).").pipe(Options.repeated),
  dataJson: optional(text("data-json", "JSON", "Data as JSON.")),
  title: optional(text("notification-title", "TEXT", "Title.")),
  body: optional(text("notification-body", "TEXT", "Body.")),
  ttl: optional(integer("ttl", "SECONDS", "Time to live.")),
  collapseKey: optional(
    text("collapse-key", "KEY", "Collapse key: a message sent twice replaces itself on the device.")
  ),
  chunkSize: optional(integer("chunk-size", "N", "Targets per chunk (1000).")),
  json,
  ...where,
  ...fcmFlags
}, (o) =>
  Effect.gen(function*() {
    const db = yield* database(o)
    const { Broadcast, TokenSource } = yield* loadCluster()
    const plan = yield* Send.plan(sendInput(o, {
      tokensFile: o.tokensFile,
      data: o.data,
      dataJson: value(o.dataJson),
      title: value(o.title),
      body: value(o.body),
      ttl: value(o.ttl),
      collapseKey: value(o.collapseKey)
    }))
    const options = { id: o.id, message: plan.options, source: o.id, chunkSize: value(o.chunkSize) }
    const store = Effect.gen(function*() {
      yield* TokenSource.load(o.id, Parse.tokensOf(o.tokensFile))
      return yield* Broadcast.start(options)
    })
    if (db._tag === "Postgres") {
      yield* Effect.provide(
        Effect.zipRight(store, Console.log(`campaign ${o.id} started: the runners send it (fcm broadcast status)`)),
        TokenSource.layerSql.pipe(Layer.provideMerge(clusterClient(db.url)))
      )
      return ExitCode.Ok
    }
    return yield* Effect.provide(Effect.zipRight(store, runToEnd(o.id, o.json)), runnerLayer(db, o))
  }).pipe(Effect.scoped, Effect.mapError(toCliError), exitWith)).pipe(
    Command.withDescription(
      "Store a campaign (its tokens loaded into the database) and send it durably: with --db this process sends it and can be killed and resumed; with --postgres the runners send it. Starting an existing id again continues it."
    )
  )

const statusCommand = Command.make("status", { id: campaignId, json, ...where }, (o) =>
  Effect.gen(function*() {
    const db = yield* database(o)
    const { Broadcast } = yield* loadCluster()
    const status = yield* Effect.provide(Broadcast.status(o.id), clientLayer(db))
    yield* printStatus(status, o.json)
    return ExitCode.Ok
  }).pipe(Effect.scoped, Effect.mapError(toCliError), exitWith)).pipe(
    Command.withDescription("Print a campaign's progress: targets done per bucket, rate and time left.")
  )

const pauseCommand = Command.make("pause", { id: campaignId, ...where }, (o) =>
  Effect.gen(function*() {
    const db = yield* database(o)
    const { Broadcast } = yield* loadCluster()
    yield* Effect.provide(Broadcast.pause(o.id), clientLayer(db))
    yield* Console.log(`campaign ${o.id} paused: fcm broadcast resume --id ${o.id} to continue`)
    return ExitCode.Ok
  }).pipe(Effect.scoped, Effect.mapError(toCliError), exitWith)).pipe(
    Command.withDescription("Pause a campaign: runners hold its chunks until it is resumed.")
  )

const cancelCommand = Command.make("cancel", { id: campaignId, ...where }, (o) =>
  Effect.gen(function*() {
    const db = yield* database(o)
    const { Broadcast } = yield* loadCluster()
    yield* Effect.provide(Broadcast.cancel(o.id), clientLayer(db))
    yield* Console.log(`campaign ${o.id} cancelled: no new target will be sent`)
    return ExitCode.Ok
  }).pipe(Effect.scoped, Effect.mapError(toCliError), exitWith)).pipe(
    Command.withDescription("Cancel a campaign: no new target is sent.")
  )

const resumeCommand = Command.make(
  "resume",
  { id: campaignId, json, ...where, ...fcmFlags },
  (o) =>
    Effect.gen(function*() {
      const db = yield* database(o)
      const { Broadcast } = yield* loadCluster()
      if (db._tag === "Postgres") {
        yield* Effect.provide(Broadcast.resume(o.id), clusterClient(db.url))
        yield* Console.log(`campaign ${o.id} resumed: the runners send it`)
        return ExitCode.Ok
      }
      return yield* Effect.provide(Effect.zipRight(Broadcast.resume(o.id), runToEnd(o.id, o.json)), runnerLayer(db, o))
    }).pipe(Effect.scoped, Effect.mapError(toCliError), exitWith)
).pipe(
  Command.withDescription(
    "Continue a campaign after a crash, a pause or a failure: with --db this process sends the rest; nothing with an outcome is sent again."
  )
)

/** Runs a command's program, turning its exit code into the command's result. */
const exitWith = <R>(program: Effect.Effect<ExitCode, CliError, R>): Effect.Effect<void, CliError, R> =>
  Effect.flatMap(
    program,
    (code) => code === ExitCode.Ok ? Effect.void : Effect.fail(new CliError({ code, message: "" }))
  )

/** `fcm broadcast`. @internal */
export const broadcast = Command.make("broadcast").pipe(
  Command.withDescription("Durable campaigns: start, status, pause, resume, cancel (see docs/scale.md)."),
  Command.withSubcommands([start, statusCommand, pauseCommand, resumeCommand, cancelCommand])
)

/** The commands with subcommands of their own, whose command lines `@effect/cli` checks. @internal */
export const nested: ReadonlySet<string> = new Set(["broadcast"])

/** `fcm runner`. @internal */
export const runner = Command.make("runner", {
  ...where,
  ...fcmFlags,
  host: Options.text("host").pipe(
    Options.withPseudoName("HOST"),
    Options.withDefault("localhost"),
    Options.withDescription("The host other runners reach this one at (--postgres).")
  ),
  port: Options.integer("port").pipe(
    Options.withPseudoName("PORT"),
    Options.withDefault(34431),
    Options.withDescription("The port this runner listens on (--postgres).")
  ),
  retentionDays: optional(
    Options.integer("retention-days").pipe(
      Options.withPseudoName("DAYS"),
      Options.withDescription(
        "Forget campaigns finished more than DAYS days ago (engine messages, ledger rows, the campaign), every day at 03:00 UTC."
      )
    )
  )
}, (o) =>
  Effect.gen(function*() {
    const db = yield* database(o)
    const { Retention, Setup } = yield* loadCluster()
    const days = value(o.retentionDays)
    if (days !== undefined && (!Number.isInteger(days) || days < 1)) {
      return yield* usage(`--retention-days must be a positive integer, got ${days}`)
    }
    yield* Console.error(
      db._tag === "Postgres"
        ? `runner ${o.host}:${o.port} on ${
          Setup.redactUrl(Redacted.value(db.url))
        }: sending campaigns until interrupted`
        : `runner on ${db.filename}: sending its campaigns until interrupted`
    )
    const runner = runnerLayer(db, o, { host: o.host, port: o.port })
    return yield* Layer.launch(
      days === undefined ? runner : Layer.provideMerge(Retention.layer({ after: Duration.days(days) }), runner)
    )
  }).pipe(Effect.scoped, Effect.mapError(toCliError))).pipe(
    Command.withDescription(
      "Run a campaign runner until interrupted: on PostgreSQL with other runners, or on a SQLite file."
    )
  )
