/**
 * The delivery ledger: one row per campaign and target (`campaign`, `target`, `outcome`, `detail`, `message_id`,
 * `at`), in the campaign's database, written in batches as outcomes arrive. A chunk that runs again (after a crash,
 * on another runner) first reads which of its targets have a row and sends only the others, so what can repeat is
 * limited to the answers in flight and not yet written when a runner died.
 *
 * The primary key (campaign, target) keeps one outcome per target: a second write of the same target is ignored.
 *
 * @since 0.1.0
 */
import type { Result } from "@effect-fcm/fcm"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type * as Campaign from "./Campaign.js"
import { decodeOutcome, encodeOutcome } from "./internal/outcome.js"
import * as Tables from "./internal/tables.js"

/**
 * Writes outcomes of a campaign in one statement; targets that already have an outcome keep it.
 *
 * @example
 * ```ts
 * import { Ledger } from "@effect-fcm/cluster"
 * import { Result } from "@effect-fcm/fcm"
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   yield* Ledger.record("c1", [{ token: "a", outcome: Result.Outcome.Delivered({ messageId: "m1" }) }])
 *   yield* Ledger.record("c1", [{ token: "a", outcome: Result.Outcome.Failed({ code: "INTERNAL" }) }]) // ignored
 *   assert.strictEqual((yield* Ledger.counts("c1")).success, 1)
 * })
 * Effect.runPromise(program.pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" }))))
 * ```
 *
 * @since 0.1.0
 * @category writing
 */
export const record = (
  campaignId: string,
  outcomes: ReadonlyArray<Result.TokenOutcome>
): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  outcomes.length === 0 ? Effect.void : Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* ensureTables
    const at = Date.now()
    const rows = outcomes.map(({ outcome, token }) => ({
      campaign: campaignId,
      target: token,
      ...encodeOutcome(outcome),
      at
    }))
    yield* sql`INSERT INTO fcm_ledger ${sql.insert(rows)} ON CONFLICT DO NOTHING`
  })

/**
 * Which of these targets already have an outcome in the campaign.
 *
 * @example
 * ```ts
 * import { Ledger } from "@effect-fcm/cluster"
 * import { Result } from "@effect-fcm/fcm"
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   yield* Ledger.record("c1", [{ token: "a", outcome: Result.Outcome.NotRegistered({ code: "UNREGISTERED" }) }])
 *   assert.deepStrictEqual([...yield* Ledger.recorded("c1", ["a", "b"])], ["a"])
 * })
 * Effect.runPromise(program.pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" }))))
 * ```
 *
 * @since 0.1.0
 * @category reading
 */
export const recorded = (
  campaignId: string,
  targets: ReadonlyArray<string>
): Effect.Effect<ReadonlySet<string>, SqlError, SqlClient.SqlClient> =>
  targets.length === 0 ? Effect.succeed(new Set()) : Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* ensureTables
    const rows = yield* sql<{ target: string }>`
      SELECT target FROM fcm_ledger WHERE campaign = ${campaignId} AND ${sql.in("target", targets)}
    `
    return new Set(rows.map((row) => row.target))
  })

/**
 * The number of targets of a campaign in each bucket.
 *
 * @example
 * ```ts
 * import { Ledger } from "@effect-fcm/cluster"
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Effect } from "effect"
 *
 * const program = Effect.map(Ledger.counts("never-started"), (counts) => assert.strictEqual(counts.success, 0))
 * Effect.runPromise(program.pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" }))))
 * ```
 *
 * @since 0.1.0
 * @category reading
 */
export const counts = (campaignId: string): Effect.Effect<Campaign.Counts, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* ensureTables
    const rows = yield* sql<{ outcome: string; n: number | string }>`
      SELECT outcome, COUNT(*) AS n FROM fcm_ledger WHERE campaign = ${campaignId} GROUP BY outcome
    `
    const counts = { success: 0, canonical: 0, notRegistered: 0, failed: 0, retryable: 0, unknown: 0 }
    for (const row of rows) {
      if (Object.hasOwn(counts, row.outcome)) counts[row.outcome as keyof typeof counts] = Number(row.n)
    }
    return counts
  })

/**
 * The number of outcomes a campaign recorded since a time (milliseconds since the epoch): its recent rate.
 *
 * @example
 * ```ts
 * import { Ledger } from "@effect-fcm/cluster"
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Effect } from "effect"
 *
 * const lastMinute = Ledger.recordedSince("c1", Date.now() - 60_000)
 * Effect.runPromise(lastMinute.pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" }))))
 * ```
 *
 * @since 0.1.0
 * @category reading
 */
export const recordedSince = (
  campaignId: string,
  since: number
): Effect.Effect<number, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* ensureTables
    const rows = yield* sql<{ n: number | string }>`
      SELECT COUNT(*) AS n FROM fcm_ledger WHERE at >= ${since} AND ${
      // SQLite: `+campaign` keeps the planner on the time index (the last seconds' rows), off the campaign's whole key
      sql.onDialectOrElse({ sqlite: () => sql`+campaign`, orElse: () => sql`campaign` })} = ${campaignId}
    `
    return Number(rows[0]?.n ?? 0)
  })

/**
 * Every outcome of a campaign, in target order, read in pages of 1,000 rows: run it into your own `Sink` to delete
 * the tokens that are not registered and store the canonical ones.
 *
 * @example
 * ```ts
 * import { Ledger } from "@effect-fcm/cluster"
 * import { Result } from "@effect-fcm/fcm"
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Effect, Sink, Stream } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   yield* Ledger.record("c1", [
 *     { token: "a", outcome: Result.Outcome.Delivered({ messageId: "m1" }) },
 *     { token: "b", outcome: Result.Outcome.NotRegistered({ code: "UNREGISTERED" }) }
 *   ])
 *   const stale = yield* Ledger.outcomes("c1").pipe(
 *     Stream.filter(({ outcome }) => outcome._tag === "NotRegistered"),
 *     Stream.map(({ token }) => token),
 *     Stream.run(Sink.collectAll())
 *   )
 *   assert.deepStrictEqual([...stale], ["b"]) // delete these from your database
 * })
 * Effect.runPromise(program.pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" }))))
 * ```
 *
 * @since 0.1.0
 * @category reading
 */
export const outcomes = (campaignId: string): Stream.Stream<Result.TokenOutcome, SqlError, SqlClient.SqlClient> =>
  Stream.paginateChunkEffect(Option.none<string>(), (after) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* ensureTables
      const rows = yield* sql<{ target: string; outcome: string; detail: string; message_id: string | null }>`
        SELECT target, outcome, detail, message_id FROM fcm_ledger
        WHERE campaign = ${campaignId} ${Option.isSome(after) ? sql`AND target > ${after.value}` : sql``}
        ORDER BY target LIMIT 1000
      `
      const page = Chunk.fromIterable(rows.map((row): Result.TokenOutcome => ({
        token: row.target,
        outcome: decodeOutcome(row.outcome, row.detail, row.message_id)
      })))
      const next: Option.Option<Option.Option<string>> = rows.length < 1000
        ? Option.none()
        : Option.some(Option.some(rows[rows.length - 1]!.target))
      return [page, next] as const
    }))

/**
 * Deletes the ledger rows of a campaign (retention), returning nothing.
 *
 * @example
 * ```ts
 * import { Ledger } from "@effect-fcm/cluster"
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Effect } from "effect"
 *
 * Effect.runPromise(Ledger.prune("old-campaign").pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" }))))
 * ```
 *
 * @since 0.1.0
 * @category writing
 */
export const prune = (campaignId: string): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* ensureTables
    yield* sql`DELETE FROM fcm_ledger WHERE campaign = ${campaignId}`
  })

const migrated = new WeakSet<object>()

/** Creates the tables once per client. */
const ensureTables: Effect.Effect<void, SqlError, SqlClient.SqlClient> = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    migrated.has(sql) ? Effect.void : Effect.tap(
      Effect.provideService(Tables.migrate, SqlClient.SqlClient, sql),
      () => Effect.sync(() => migrated.add(sql))
    )
)
