/**
 * Retention: what a finished campaign leaves in its database, and when it goes. The engine never deletes its own
 * messages (each workflow run, each chunk's activity and its result), and the ledger keeps one row per target: a
 * campaign of 50 million tokens leaves tens of gigabytes. A campaign is finished when it is `done` or `cancelled` and
 * its workflow is complete; then
 *
 * - {@link pruneEngine} deletes the engine's messages and replies of its workflows (the ledger stays: `status`,
 *   `drain` and the counts still work), and
 * - {@link forget} deletes everything of it: the engine's messages, the ledger rows and the stored campaign (its id
 *   can then start a new campaign, which sends again).
 *
 * {@link layer} runs {@link prune} as a `ClusterCron` job (once a day by default): every campaign that finished more
 * than `after` (30 days by default) ago is forgotten. Export what you need first (`Broadcast.drain`). The loaded
 * token sources (`fcm_targets`) are yours and stay.
 *
 * @since 0.1.0
 */
import * as ClusterCron from "@effect/cluster/ClusterCron"
import type { Sharding } from "@effect/cluster/Sharding"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import * as Clock from "effect/Clock"
import * as Cron from "effect/Cron"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { BroadcastWorkflow, SegmentWorkflow } from "./Broadcast.js"
import * as Campaign from "./Campaign.js"
import * as Tables from "./internal/tables.js"

/**
 * The campaign has not finished (it is running or paused, or its workflow is not complete yet): nothing of it is
 * pruned.
 *
 * @example
 * ```ts
 * import { Retention } from "@effect-fcm/cluster"
 *
 * const error = new Retention.CampaignNotFinished({ campaignId: "spring-sale", state: "running" })
 * assert.strictEqual(error.message, `campaign "spring-sale" has not finished (running): nothing was pruned`)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class CampaignNotFinished
  extends Schema.TaggedError<CampaignNotFinished>("@effect-fcm/cluster/CampaignNotFinished")("CampaignNotFinished", {
    campaignId: Schema.String,
    state: Schema.String
  })
{
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `campaign "${this.campaignId}" has not finished (${this.state}): nothing was pruned`
  }
}

/** The campaign's number of segments if it is finished: `done` or `cancelled`, and its workflow complete. */
const finished = (
  campaignId: string
): Effect.Effect<number, Campaign.CampaignNotFound | CampaignNotFinished | SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* Tables.migrate
    const rows = yield* sql<{
      state: string
      total: number | string
      chunk_size: number | string
      segment_chunks: number | string
    }>`SELECT state, total, chunk_size, segment_chunks FROM fcm_campaigns WHERE id = ${campaignId}`
    const row = rows[0]
    if (row === undefined) return yield* new Campaign.CampaignNotFound({ campaignId })
    if (row.state !== "done" && row.state !== "cancelled") {
      return yield* new CampaignNotFinished({ campaignId, state: row.state })
    }
    // a cancelled campaign's workflow finishes after its chunks in hand: wait for it (when an engine is here to ask)
    const engine = yield* Effect.serviceOption(WorkflowEngine)
    if (Option.isSome(engine)) {
      const executionId = yield* BroadcastWorkflow.executionId({ campaignId })
      const result = yield* Effect.provideService(BroadcastWorkflow.poll(executionId), WorkflowEngine, engine.value)
      if (result !== undefined && result._tag !== "Complete") {
        return yield* new CampaignNotFinished({ campaignId, state: `${row.state}, workflow suspended` })
      }
      if (result === undefined && row.state === "cancelled") {
        return yield* new CampaignNotFinished({ campaignId, state: `${row.state}, workflow running` })
      }
    }
    const chunks = Math.ceil(Number(row.total) / Number(row.chunk_size))
    return Math.ceil(chunks / Number(row.segment_chunks))
  })

/** Whether the engine's tables are in this database (not with `WorkflowEngine.layerMemory`). */
const hasEngineTables = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(
    sql.onDialectOrElse({
      pg: () => sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM pg_tables WHERE tablename = 'cluster_messages'`,
      orElse: () =>
        sql<
          { n: number | string }
        >`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'cluster_messages'`
    }),
    (rows) => Number(rows[0]?.n ?? 0) > 0
  ))

/** Deletes the engine's messages and replies of a campaign's workflows (the campaign's and its segments'). */
const deleteEngineMessages = (campaignId: string, segments: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    if (!(yield* hasEngineTables)) return
    const groups: Array<readonly [string, ReadonlyArray<string>]> = [
      [`Workflow/${BroadcastWorkflow.name}`, [yield* BroadcastWorkflow.executionId({ campaignId })]],
      [
        `Workflow/${SegmentWorkflow.name}`,
        yield* Effect.forEach(
          Array.from({ length: segments }, (_, segment) => segment),
          (segment) => SegmentWorkflow.executionId({ campaignId, segment })
        )
      ]
    ]
    for (const [entityType, ids] of groups) {
      for (let i = 0; i < ids.length; i += 500) {
        const page = ids.slice(i, i + 500)
        yield* sql.withTransaction(Effect.zipRight(
          sql`DELETE FROM cluster_replies WHERE request_id IN (
            SELECT request_id FROM cluster_messages WHERE entity_type = ${entityType} AND ${sql.in("entity_id", page)}
          )`,
          sql`DELETE FROM cluster_messages WHERE entity_type = ${entityType} AND ${sql.in("entity_id", page)}`
        ))
      }
    }
  })

/**
 * Deletes the engine's messages and replies of a finished campaign's workflows (about 0.7 KB per chunk), keeping its
 * ledger and its stored message: `status` and `drain` still work. A campaign that has not finished is refused with
 * {@link CampaignNotFinished}, an unknown one with `CampaignNotFound`.
 *
 * @example
 * ```ts
 * import { Broadcast, Retention } from "@effect-fcm/cluster"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   yield* Broadcast.run({ id: "spring-sale", message: { data: { sale: "spring" } }, source: "all-users" })
 *   yield* Retention.pruneEngine("spring-sale") // the ledger stays
 * })
 * ```
 *
 * @since 0.1.0
 * @category pruning
 */
export const pruneEngine = (
  campaignId: string
): Effect.Effect<void, Campaign.CampaignNotFound | CampaignNotFinished | SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(finished(campaignId), (segments) => deleteEngineMessages(campaignId, segments))

/**
 * Deletes everything of a finished campaign: the engine's messages, the ledger rows and the stored campaign. Its id
 * is then free: starting it again is a new campaign, which sends again.
 *
 * @example
 * ```ts
 * import { Broadcast, Retention } from "@effect-fcm/cluster"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   yield* Broadcast.run({ id: "spring-sale", message: { data: { sale: "spring" } }, source: "all-users" })
 *   yield* Retention.forget("spring-sale")
 * })
 * ```
 *
 * @since 0.1.0
 * @category pruning
 */
export const forget = (
  campaignId: string
): Effect.Effect<void, Campaign.CampaignNotFound | CampaignNotFinished | SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const segments = yield* finished(campaignId)
    yield* deleteEngineMessages(campaignId, segments)
    yield* sql`DELETE FROM fcm_ledger WHERE campaign = ${campaignId}`
    yield* sql`DELETE FROM fcm_campaigns WHERE id = ${campaignId}`
  })

/**
 * Forgets (as {@link forget}) every campaign that finished more than `olderThan` ago (by the `Clock`), returning
 * their ids. Campaigns still running or paused, and those whose workflow is not complete, are kept.
 *
 * @example
 * ```ts
 * import { Retention } from "@effect-fcm/cluster"
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Effect } from "effect"
 *
 * const program = Retention.prune({ olderThan: "30 days" })
 * Effect.runPromise(program.pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" })))).then((ids) =>
 *   assert.deepStrictEqual(ids, [])
 * )
 * ```
 *
 * @since 0.1.0
 * @category pruning
 */
export const prune = (options: {
  readonly olderThan: Duration.DurationInput
}): Effect.Effect<ReadonlyArray<string>, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* Tables.migrate
    const now = yield* Clock.currentTimeMillis
    const before = now - Duration.toMillis(options.olderThan)
    const candidates = yield* sql<{ id: string }>`
      SELECT id FROM fcm_campaigns WHERE state IN ('done', 'cancelled') AND updated_at < ${before} ORDER BY id
    `
    const pruned: Array<string> = []
    for (const { id } of candidates) {
      const outcome = yield* Effect.either(forget(id))
      if (outcome._tag === "Right") pruned.push(id)
      else if (outcome.left._tag === "SqlError") return yield* outcome.left
    }
    return pruned
  })

/**
 * @example
 * ```ts
 * import type { Retention } from "@effect-fcm/cluster"
 * import { Cron } from "effect"
 *
 * const options: Retention.Options = { after: "7 days", cron: Cron.unsafeParse("30 4 * * *") }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How long a finished campaign is kept (30 days by default). */
  readonly after?: Duration.DurationInput | undefined
  /** When the job runs (every day at 03:00 UTC by default). */
  readonly cron?: Cron.Cron | undefined
}

/**
 * The job's effect: {@link prune} with the options' `after` (30 days by default), logging what it forgot.
 *
 * @example
 * ```ts
 * import { Retention } from "@effect-fcm/cluster"
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Effect } from "effect"
 *
 * Effect.runPromise(Retention.job({ after: "7 days" }).pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" }))))
 * ```
 *
 * @since 0.1.0
 * @category pruning
 */
export const job = (options: Options = {}): Effect.Effect<ReadonlyArray<string>, SqlError, SqlClient.SqlClient> =>
  Effect.tap(
    prune({ olderThan: options.after ?? Duration.days(30) }),
    (ids) => ids.length === 0 ? Effect.void : Effect.logInfo(`retention: forgot campaigns ${ids.join(", ")}`)
  )

/**
 * Retention as a `ClusterCron` job: one runner of the cluster runs {@link job} on the schedule (every day at 03:00 UTC
 * by default), forgetting the campaigns finished more than `after` (30 days by default) ago.
 *
 * @example
 * ```ts
 * import { Broadcast, Quota, Retention, Setup, TokenSource } from "@effect-fcm/cluster"
 * import { NodeFcm } from "@effect-fcm/node"
 * import { Layer } from "effect"
 *
 * const Runner = Layer.mergeAll(Broadcast.layer(), Retention.layer({ after: "7 days" })).pipe(
 *   Layer.provide([TokenSource.layerSql, Quota.layerSql(), NodeFcm.layer()]),
 *   Layer.provideMerge(Setup.embedded({ filename: "campaigns.db" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<never, never, Sharding | SqlClient.SqlClient | WorkflowEngine> =>
  ClusterCron.make({
    name: "effect-fcm/Retention",
    cron: options.cron ?? Cron.unsafeParse("0 3 * * *"),
    execute: Effect.asVoid(job(options))
  })
