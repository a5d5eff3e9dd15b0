/**
 * Two ready set-ups of the workflow engine and its database.
 *
 * - `embedded`: one process, `SingleRunner` on a SQLite file. Nothing to run besides your program; campaigns survive
 *   a crash and continue when the process starts again. A SQLite file serves one process only: a second process that
 *   opens a file in use is refused with {@link DatabaseInUse} (two processes on one file lose work, upstream issue
 *   Effect-TS/effect#6179).
 * - `distributed`: runners on PostgreSQL that talk over sockets (`NodeClusterSocket`). Segments of a campaign spread
 *   over the runners, and a runner that dies has its shards taken over by the others after the lock expiry.
 *
 * @since 0.1.0
 */
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import type { Sharding } from "@effect/cluster/Sharding"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SingleRunner from "@effect/cluster/SingleRunner"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import type * as PgClient from "@effect/sql-pg/PgClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import * as Cause from "effect/Cause"
import type { ConfigError } from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as Tables from "./internal/tables.js"

/**
 * The SQLite file is open in another process (whose pid is named): two processes on one file lose work, so the
 * second is refused. Stop the other process, or use the distributed set-up on PostgreSQL to run several runners.
 *
 * @example
 * ```ts
 * import { Setup } from "@effect-fcm/cluster"
 *
 * const error = new Setup.DatabaseInUse({ filename: "fcm.db", pid: 4242 })
 * assert.ok(error.message.startsWith(`fcm.db is in use by process 4242`))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class DatabaseInUse extends Schema.TaggedError<DatabaseInUse>("@effect-fcm/cluster/DatabaseInUse")(
  "DatabaseInUse",
  { filename: Schema.String, pid: Schema.Number }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `${this.filename} is in use by process ${this.pid}: a SQLite database serves one process only. ` +
      `Stop that process, or run several runners on PostgreSQL (--postgres URL)`
  }
}

/**
 * The database could not be reached or opened: `url` is the PostgreSQL address with its password replaced by `***`,
 * or the SQLite file. The message says what to do from the driver's reason (start the server, create the database,
 * check the user and password; create the file's directory, make it writable).
 *
 * @example
 * ```ts
 * import { Setup } from "@effect-fcm/cluster"
 *
 * const error = new Setup.DatabaseUnavailable({ url: "postgres://fcm:***@db:5432/fcm", reason: "connect ECONNREFUSED" })
 * assert.ok(error.message.includes("postgres://fcm:***@db:5432/fcm"))
 * assert.ok(error.message.endsWith("Start PostgreSQL, or correct the host and port in the URL"))
 *
 * const file = new Setup.DatabaseUnavailable({ url: "/srv/fcm/campaigns.db", reason: "the directory does not exist" })
 * assert.ok(file.message.startsWith("cannot open the database file /srv/fcm/campaigns.db"))
 * assert.ok(file.message.endsWith("Create the directory, or correct the file's path"))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class DatabaseUnavailable extends Schema.TaggedError<DatabaseUnavailable>(
  "@effect-fcm/cluster/DatabaseUnavailable"
)("DatabaseUnavailable", { url: Schema.String, reason: Schema.String }) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    const what = /^[a-z][a-z0-9+.-]*:\/\//i.test(this.url)
      ? `cannot reach the database at ${this.url}`
      : `cannot open the database file ${this.url}`
    return `${what}: ${this.reason}. ${fixFor(this.reason)}`
  }
}

/** What to do about a database that cannot be opened, from the driver's reason. */
const fixFor = (reason: string): string => {
  const missing = /database "([^"]+)" does not exist/.exec(reason)
  if (missing) return `Create it (createdb ${missing[1]}) or correct the database name in the URL`
  if (/password authentication failed|no pg_hba\.conf entry|role "[^"]+" does not exist/.test(reason)) {
    return "Check the user and password in the URL, and that the server lets this user connect from this host"
  }
  if (/ECONNREFUSED/.test(reason)) return "Start PostgreSQL, or correct the host and port in the URL"
  if (/ENOTFOUND|EAI_AGAIN/.test(reason)) return "Correct the host name in the URL"
  if (/timeout|ETIMEDOUT|EHOSTUNREACH/i.test(reason)) return "Check that the host is reachable from this machine"
  if (reason.includes("npm install")) return "Install it and start again"
  // SQLite: the driver's reasons for a file it cannot open
  if (/directory does not exist|ENOENT/.test(reason)) return "Create the directory, or correct the file's path"
  if (/EACCES|EPERM|EROFS|read-?only/i.test(reason)) return "Check that this user can write the file and its directory"
  if (/unable to open database file|EISDIR/.test(reason)) {
    return "Check that the path names a file (not a directory) in a directory this user can write"
  }
  return "Check that it is running and that the URL, user and password are right"
}

/**
 * A database URL with its password replaced by `***`, for messages and logs.
 *
 * @example
 * ```ts
 * import { Setup } from "@effect-fcm/cluster"
 *
 * assert.strictEqual(Setup.redactUrl("postgres://fcm:s3cret@db:5432/fcm"), "postgres://fcm:***@db:5432/fcm")
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.toString()
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@")
  }
}

const isAlive = (pid: number): boolean => {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * Holds `<filename>.lock` (with this process's pid) while the scope is open; refuses when a live process holds it,
 * takes it over from a dead one.
 */
const lockFile = (filename: string): Effect.Effect<void, DatabaseInUse | DatabaseUnavailable, Scope.Scope> =>
  Effect.suspend(() => {
    if (filename === ":memory:") return Effect.void
    const path = `${filename}.lock`
    return Effect.acquireRelease(
      Effect.suspend((): Effect.Effect<void, DatabaseInUse | DatabaseUnavailable> => {
        for (let attempt = 0; attempt < 3; attempt++) {
          try {
            fs.writeFileSync(path, String(process.pid), { flag: "wx" })
            return Effect.void
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code
            if (code === "ENOENT") {
              return Effect.fail(new DatabaseUnavailable({ url: filename, reason: "the directory does not exist" }))
            }
            if (code !== "EEXIST") {
              return Effect.fail(new DatabaseUnavailable({ url: filename, reason: (error as Error).message }))
            }
          }
          const pid = Number(fs.readFileSync(path, "utf8").trim())
          if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
            return Effect.fail(new DatabaseInUse({ filename, pid }))
          }
          fs.rmSync(path, { force: true }) // left by a process that died
        }
        return Effect.die(new Error(`cannot take ${path}`))
      }),
      () => Effect.sync(() => fs.rmSync(path, { force: true }))
    )
  })

/**
 * @example
 * ```ts
 * import type { Setup } from "@effect-fcm/cluster"
 *
 * const options: Setup.EmbeddedOptions = { filename: "campaigns.db" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface EmbeddedOptions {
  /** The SQLite file (created if missing). */
  readonly filename: string
  /** Overrides of the engine's sharding configuration. */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}

/**
 * A SQLite client on `filename`. The driver throws when it cannot open the file (its directory missing, a directory
 * in its place, no permission): that fails with {@link DatabaseUnavailable} naming the file, not with a defect.
 */
type Sqlite = SqliteClient.SqliteClient | SqlClient.SqlClient

const sqlite = (filename: string): Layer.Layer<Sqlite, DatabaseUnavailable | ConfigError> =>
  SqliteClient.layer({ filename }).pipe(
    Layer.catchAllCause((cause): Layer.Layer<Sqlite, DatabaseUnavailable | ConfigError> =>
      Option.match(Cause.dieOption(cause), {
        onNone: () => Layer.failCause(cause),
        onSome: (defect) =>
          Layer.fail(
            new DatabaseUnavailable({
              url: filename,
              reason: defect instanceof Error ? defect.message : String(defect)
            })
          )
      })
    )
  )

/**
 * The embedded database's settings: WAL (the client's default) with `synchronous = NORMAL`, so that a commit is a write
 * to the log and not an fsync: a process killed at any point loses no committed row (only a power cut can take the
 * last commits back), and the ledger's and the engine's many small commits stop waiting for the disk.
 */
const pragmas = Effect.flatMap(
  SqliteClient.SqliteClient,
  (sql) => Effect.zipRight(sql`PRAGMA synchronous = NORMAL`, sql`PRAGMA busy_timeout = 5000`)
)

/**
 * One process on a SQLite file: the workflow engine (`SingleRunner`) and the `SqlClient` the campaigns use. A file
 * another live process holds fails with {@link DatabaseInUse}; a file that cannot be opened (its directory missing,
 * not writable) with {@link DatabaseUnavailable}, naming it.
 *
 * @example
 * ```ts
 * import { Broadcast, Quota, Setup, TokenSource } from "@effect-fcm/cluster"
 * import { NodeFcm } from "@effect-fcm/node"
 * import { Layer } from "effect"
 *
 * const Runner = Broadcast.layer().pipe(
 *   Layer.provide([TokenSource.layerSql, Quota.layerSql(), NodeFcm.layer()]),
 *   Layer.provideMerge(Setup.embedded({ filename: "campaigns.db" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const embedded = (
  options: EmbeddedOptions
): Layer.Layer<
  WorkflowEngine | Sharding | SqlClient.SqlClient,
  DatabaseInUse | DatabaseUnavailable | SqlError | ConfigError
> => {
  const db = sqlite(options.filename).pipe(
    Layer.tap((context) => Effect.provide(Effect.zipRight(pragmas, Tables.migrate), context)),
    Layer.provide(Layer.scopedDiscard(lockFile(options.filename)))
  )
  return ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(SingleRunner.layer({ runnerStorage: "sql", shardingConfig: options.shardingConfig })),
    Layer.provideMerge(db)
  )
}

/**
 * The `SqlClient` of a SQLite campaign database without a runner and without taking the file: for `status`, `pause`,
 * `cancel` and `drain` while a runner (another process) works on it. Statements wait up to five seconds for the
 * runner's writes. A file that cannot be opened fails with {@link DatabaseUnavailable}, naming it.
 *
 * @example
 * ```ts
 * import { Broadcast, Setup } from "@effect-fcm/cluster"
 * import { Effect } from "effect"
 *
 * const status = Broadcast.status("spring-sale").pipe(Effect.provide(Setup.embeddedClient({ filename: "campaigns.db" })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const embeddedClient = (options: {
  readonly filename: string
}): Layer.Layer<SqlClient.SqlClient, DatabaseUnavailable | SqlError | ConfigError> =>
  sqlite(options.filename).pipe(
    Layer.tap((context) =>
      Effect.provide(
        Effect.flatMap(
          SqliteClient.SqliteClient,
          (sql) => Effect.zipRight(sql`PRAGMA busy_timeout = 5000`, Tables.migrate)
        ),
        context
      )
    )
  )

/**
 * @example
 * ```ts
 * import type { Setup } from "@effect-fcm/cluster"
 * import { Redacted } from "effect"
 *
 * const options: Setup.DistributedOptions = {
 *   url: Redacted.make("postgres://fcm:secret@127.0.0.1:5432/fcm"),
 *   host: "10.0.0.5", // how the other runners reach this one
 *   port: 34431
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface DistributedOptions {
  /** The PostgreSQL URL (redacted: it holds a password). */
  readonly url: Redacted.Redacted<string>
  /** The host the other runners reach this runner at (defaults to `localhost`). */
  readonly host?: string | undefined
  /** The port this runner listens on (defaults to 34431). */
  readonly port?: number | undefined
  /** A client that starts and inspects campaigns but runs none of them. */
  readonly clientOnly?: boolean | undefined
  /** Overrides of the engine's sharding configuration. */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}

/**
 * A runner (or a client) of a cluster on PostgreSQL: runners register in the database, own shards, and talk to
 * each other over sockets. An unreachable database fails with {@link DatabaseUnavailable}, naming the URL with its
 * password hidden.
 *
 * @example
 * ```ts
 * import { Broadcast, Quota, Setup, TokenSource } from "@effect-fcm/cluster"
 * import { NodeFcm } from "@effect-fcm/node"
 * import { Layer, Redacted } from "effect"
 *
 * const Runner = Broadcast.layer().pipe(
 *   Layer.provide([TokenSource.layerSql, Quota.layerSql(), NodeFcm.layer()]),
 *   Layer.provideMerge(Setup.distributed({ url: Redacted.make("postgres://fcm@127.0.0.1/fcm"), port: 34431 }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const distributed = (
  options: DistributedOptions
): Layer.Layer<WorkflowEngine | Sharding | SqlClient.SqlClient, DatabaseUnavailable | SqlError | ConfigError> => {
  const url = Redacted.value(options.url)
  // @effect/sql-pg is an optional peer: loaded only by the set-up that needs it, so that the embedded one (and the
  // `fcm` command line) runs without it installed.
  const loadPg = Effect.tryPromise({
    try: (): Promise<typeof PgClient> => import("@effect/sql-pg/PgClient"),
    catch: () =>
      new DatabaseUnavailable({
        url: redactUrl(url),
        reason: "the distributed set-up needs @effect/sql-pg: npm install @effect/sql-pg@^0.53.0"
      })
  })
  const db = Layer.unwrapEffect(Effect.map(loadPg, (Pg) =>
    Pg.layer({ url: options.url }).pipe(
      Layer.catchAll((error) =>
        Layer.fail(new DatabaseUnavailable({ url: redactUrl(url), reason: String(error.cause ?? error.message) }))
      )
    ))).pipe(
      Layer.tap((context) => Effect.provide(Tables.migrate, context))
    )
  const cluster = NodeClusterSocket.layer({
    clientOnly: options.clientOnly ?? false,
    storage: "sql",
    shardingConfig: {
      runnerAddress: Option.some(RunnerAddress.make(options.host ?? "localhost", options.port ?? 34431)),
      ...options.shardingConfig
    }
  }) as Layer.Layer<never, ConfigError, SqlClient.SqlClient>
  return ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(cluster as any as Layer.Layer<any, ConfigError, SqlClient.SqlClient>),
    Layer.provideMerge(db)
  ) as any
}
