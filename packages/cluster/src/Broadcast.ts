/**
 * Durable campaigns: one message to every token of a source, on `@effect/workflow`.
 *
 * A campaign is a `Broadcast` workflow whose idempotency key is the campaign id. It starts one child workflow per
 * segment (by default 100 chunks), and a segment runs its chunks (by default 1,000 targets) as activities. Workflow
 * payloads carry only the campaign id and numbers: the message is stored once, in the `fcm_campaigns` table, and each
 * chunk reads its targets from the {@link TokenSource} when it runs. On a cluster the segments spread over the
 * runners; after a crash a finished chunk is never run again, and the chunk that was running skips every target that
 * has an outcome in the {@link Ledger}.
 *
 * Chunks send through the `FcmClient` in context (its per-token outcomes, its transport), take their share of the
 * shared {@link Quota} before each batch, retry retryable targets with backoff, and write outcomes to the ledger in
 * batches as they arrive.
 *
 * @since 0.1.0
 */
import { Backoff, FcmClient, Message } from "@effect-fcm/fcm"
import type { FcmError, Result } from "@effect-fcm/fcm"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Activity from "@effect/workflow/Activity"
import * as Workflow from "@effect/workflow/Workflow"
import { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import type * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Sink from "effect/Sink"
import * as Stream from "effect/Stream"
import * as Campaign from "./Campaign.js"
import * as Tables from "./internal/tables.js"
import * as Ledger from "./Ledger.js"
import { Quota } from "./Quota.js"
import { TokenSource, type TokenSourceError } from "./TokenSource.js"

/**
 * How runners work through campaigns. In flight at once on one runner: up to `segmentConcurrency ×
 * chunkConcurrency × sendConcurrency` requests; what can be sent twice after a runner dies is bounded by the same
 * product plus one ledger batch per running chunk.
 *
 * @example
 * ```ts
 * import { Broadcast } from "@effect-fcm/cluster"
 *
 * const config: Broadcast.Config = { ...Broadcast.defaultConfig, sendConcurrency: 64 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /** Segments (child workflows) of one campaign running at once. */
  readonly segmentConcurrency: number
  /** Chunks of one segment running at once. */
  readonly chunkConcurrency: number
  /** Requests in flight per chunk. */
  readonly sendConcurrency: number
  /** Outcomes written to the ledger per statement (at least every 200 ms). */
  readonly ledgerBatch: number
  /** Targets per quota request. */
  readonly quotaBatch: number
  /** Attempts for a retryable target before its outcome is recorded as retryable. */
  readonly attempts: number
  /** The base of the backoff between attempts, in milliseconds. */
  readonly backoffMillis: number
}

/**
 * @example
 * ```ts
 * import { Broadcast } from "@effect-fcm/cluster"
 *
 * assert.strictEqual(Broadcast.defaultConfig.attempts, 4)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultConfig: Config = {
  segmentConcurrency: 4,
  chunkConcurrency: 4,
  sendConcurrency: 64,
  ledgerBatch: 100,
  quotaBatch: 50,
  attempts: 4,
  backoffMillis: Backoff.DEFAULT_BASE_MILLIS
}

/**
 * The campaign workflow: payload `{ campaignId }`, idempotency key the campaign id. Annotated `SuspendOnFailure`: a
 * failure (the database or FCM unreachable, credentials refused) suspends it, and {@link resume} continues it.
 *
 * @example
 * ```ts
 * import { Broadcast } from "@effect-fcm/cluster"
 * import { Effect } from "effect"
 *
 * const executionId = Broadcast.BroadcastWorkflow.executionId({ campaignId: "spring-sale" }) // a hash of the id
 * Effect.runPromise(executionId).then((id) => assert.strictEqual(typeof id, "string"))
 * ```
 *
 * @since 0.1.0
 * @category workflows
 */
export const BroadcastWorkflow = Workflow.make({
  name: "effect-fcm/Broadcast",
  payload: { campaignId: Schema.String },
  success: Campaign.Summary,
  idempotencyKey: ({ campaignId }) => campaignId,
  // a caller waiting on a suspended campaign asks again at most every 2 seconds (not 30): `resume` then `await`
  // returns soon after the campaign is done
  suspendedRetrySchedule: Schedule.exponential(200, 1.5).pipe(Schedule.either(Schedule.spaced("2 seconds")))
}).annotate(Workflow.SuspendOnFailure, true)

const ChunkResult = Schema.Struct({ sent: Schema.Number, skipped: Schema.Number })

/**
 * A segment of a campaign: a child workflow that runs chunks `segment × segmentChunks` to the segment's end.
 *
 * @example
 * ```ts
 * import { Broadcast } from "@effect-fcm/cluster"
 *
 * assert.strictEqual(Broadcast.SegmentWorkflow.name, "effect-fcm/BroadcastSegment")
 * ```
 *
 * @since 0.1.0
 * @category workflows
 */
export const SegmentWorkflow = Workflow.make({
  name: "effect-fcm/BroadcastSegment",
  payload: { campaignId: Schema.String, segment: Schema.Int },
  success: ChunkResult,
  idempotencyKey: ({ campaignId, segment }) => `${campaignId}/${segment}`
}).annotate(Workflow.SuspendOnFailure, true)

/**
 * What `start` needs: the campaign id, the message (options and payload, stored once) and the name of the token
 * source, with the chunk and segment sizes.
 *
 * @example
 * ```ts
 * import type { Broadcast } from "@effect-fcm/cluster"
 *
 * const options: Broadcast.StartOptions = {
 *   id: "spring-sale",
 *   message: { notification: { title: "Spring sale" }, collapseKey: "spring-sale" }, // a repeat replaces
 *   source: "all-users"
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface StartOptions {
  readonly id: string
  readonly message: Message.Options
  readonly source: string
  /** Targets per chunk (an activity): 1,000 by default. */
  readonly chunkSize?: number | undefined
  /** Chunks per segment (a child workflow): 100 by default. */
  readonly segmentChunks?: number | undefined
}

interface Row {
  readonly id: string
  readonly message: string
  readonly source: string
  readonly total: number | string
  readonly chunk_size: number | string
  readonly segment_chunks: number | string
  readonly state: string
  readonly created_at: number | string
  readonly updated_at: number | string
}

interface Stored {
  readonly id: string
  readonly message: Message.Options
  readonly source: string
  readonly total: number
  readonly chunkSize: number
  readonly segmentChunks: number
  readonly state: Campaign.State
  readonly createdAt: number
  readonly updatedAt: number
}

const fromRow = (row: Row): Stored => ({
  id: row.id,
  message: JSON.parse(row.message) as Message.Options,
  source: row.source,
  total: Number(row.total),
  chunkSize: Number(row.chunk_size),
  segmentChunks: Number(row.segment_chunks),
  state: row.state as Campaign.State,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at)
})

const find = (id: string): Effect.Effect<Option.Option<Stored>, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<Row>`SELECT * FROM fcm_campaigns WHERE id = ${id}`,
      (rows) => rows.length === 0 ? Option.none() : Option.some(fromRow(rows[0]!))
    ))

const get = (id: string): Effect.Effect<Stored, Campaign.CampaignNotFound | SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(find(id), (found) =>
    Option.match(found, {
      onNone: () => Effect.fail(new Campaign.CampaignNotFound({ campaignId: id })),
      onSome: Effect.succeed
    }))

const readState = (id: string): Effect.Effect<Campaign.State, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ state: string }>`SELECT state FROM fcm_campaigns WHERE id = ${id}`,
      (rows) => (rows[0]?.state ?? "cancelled") as Campaign.State
    ))

const setState = (
  id: string,
  state: Campaign.State,
  from: ReadonlyArray<Campaign.State>
): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`UPDATE fcm_campaigns SET state = ${state}, updated_at = ${Date.now()}
        WHERE id = ${id} AND ${sql.in("state", from)}`.pipe(Effect.asVoid))

const isQuotaReason = (reason: string): boolean =>
  reason === "QUOTA_EXCEEDED" || reason === "RESOURCE_EXHAUSTED" || reason === "HTTP 429"

/**
 * Sends one chunk: reads its targets, skips those with an outcome in the ledger, and sends the others with the
 * campaign's message, writing outcomes in batches as they arrive. Retryable targets are sent again (with backoff)
 * up to `attempts` times; a quota answer pauses every runner through the shared quota.
 */
const sendChunk = (campaign: Stored, from: number, to: number, config: Config) =>
  Effect.gen(function*() {
    const source = yield* TokenSource
    const quota = yield* Quota
    const fcm = yield* FcmClient.FcmClient
    const read = yield* source.read(campaign.source, from, to)
    const unique = [...new Set(read)]
    const done = yield* Ledger.recorded(campaign.id, unique)
    let pending = unique.filter((token) => !done.has(token))
    const skipped = unique.length - pending.length
    let sent = 0
    const state = yield* Effect.cachedWithTTL(readState(campaign.id), "500 millis")
    const lock = yield* Effect.makeSemaphore(1)
    // waits while the campaign is paused; `false` once it is cancelled
    const proceed = (n: number): Effect.Effect<boolean, SqlError> =>
      Effect.flatMap(state, (current) => {
        if (current === "cancelled") return Effect.succeed(false)
        if (current === "paused") return Effect.zipRight(Effect.sleep("500 millis"), proceed(n))
        return Effect.as(quota.take(n), true)
      })
    for (let attempt = 1; pending.length > 0; attempt++) {
      const last = attempt >= config.attempts
      const again: Array<string> = []
      let stopped = false
      const tokens = Stream.fromIterable(pending).pipe(
        Stream.grouped(config.quotaBatch),
        Stream.mapEffect((group) => Effect.map(proceed(group.length), (go) => go ? group : undefined)),
        Stream.takeWhile((group): group is Chunk.Chunk<string> => {
          if (group === undefined) stopped = true
          return group !== undefined
        }),
        Stream.flattenChunks
      )
      // outcomes wait in `buffer` until a batch is full, or at most 200 ms (the flusher): a plain array and a check
      // per answer, no stream stage per answer. A flush takes its rows and writes them without interruption, so that
      // rows taken are always written.
      const buffer: Array<Result.TokenOutcome> = []
      const flush = lock.withPermits(1)(Effect.uninterruptible(Effect.suspend(() => {
        const outcomes = buffer.splice(0, config.ledgerBatch)
        sent += outcomes.length
        return Ledger.record(campaign.id, outcomes)
      })))
      const flushAll: Effect.Effect<void, SqlError, SqlClient.SqlClient> = Effect.suspend(() =>
        buffer.length === 0 ? Effect.void : Effect.zipRight(flush, flushAll)
      )
      const sending = fcm.sendStream(tokens, campaign.message, { concurrency: config.sendConcurrency, retry: false })
        .pipe(
          Stream.runForEach(({ outcome, token }) => {
            if (outcome._tag === "Retryable" && !last) {
              again.push(token)
              return isQuotaReason(outcome.reason)
                ? quota.pauseUntil(Date.now() + (outcome.retryAfterMillis ?? 60_000))
                : Effect.void
            }
            buffer.push({ outcome, token })
            const pause = outcome._tag === "Retryable" && isQuotaReason(outcome.reason)
              ? quota.pauseUntil(Date.now() + (outcome.retryAfterMillis ?? 60_000))
              : Effect.void
            return buffer.length >= config.ledgerBatch ? Effect.zipRight(pause, flush) : pause
          })
        )
      // the flusher ends only by failing (its failure is the chunk's); it is interrupted once the sending is done
      const flusher = Effect.forever(Effect.zipRight(Effect.sleep("200 millis"), flushAll))
      yield* Effect.raceFirst(sending, flusher)
      yield* flushAll
      if (stopped) break
      pending = again
      if (pending.length > 0) {
        yield* Effect.sleep(Math.min(Backoff.millis(config.backoffMillis, attempt - 1), Backoff.DEFAULT_CAP_MILLIS))
      }
    }
    return { sent, skipped }
  })

/** Turns every failure of a chunk into a defect: the workflow is suspended (resumable), never failed for good. */
const orSuspend = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, never, R> =>
  Effect.catchAll(effect, (error) => Effect.die(error instanceof Error ? error : new Error(String(error))))

const summarize = (id: string) =>
  Effect.gen(function*() {
    const campaign = yield* get(id)
    const counts = yield* Ledger.counts(id)
    return { campaignId: id, state: campaign.state, total: campaign.total, counts }
  })

/**
 * The runner's side of campaigns: registers the two workflows with the `WorkflowEngine` in context. Chunks send
 * through the `FcmClient`, read targets from the `TokenSource` and share the `Quota`.
 *
 * @example
 * ```ts
 * import { Broadcast, Quota, TokenSource } from "@effect-fcm/cluster"
 * import { FcmFake } from "@effect-fcm/emulator"
 * import { FcmLegacy } from "@effect-fcm/fcm"
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { WorkflowEngine } from "@effect/workflow"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const Fcm = FcmLegacy.layer({ apiKey: Redacted.make("emulator-server-key") }).pipe(Layer.provide(FcmFake.layer()))
 * const Runner = Broadcast.layer().pipe(
 *   Layer.provide([Quota.layerUnlimited, Fcm]),
 *   Layer.provideMerge(TokenSource.layerMemory({ beta: ["phone-1", "phone-2"] })),
 *   Layer.provideMerge(WorkflowEngine.layerMemory),
 *   Layer.provideMerge(SqliteClient.layer({ filename: ":memory:" }))
 * )
 * const program = Broadcast.run({ id: "beta-1", message: { data: { ping: "1" } }, source: "beta" })
 * Effect.runPromise(program.pipe(Effect.provide(Runner))).then((s) => assert.strictEqual(s.counts.success, 2))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: Partial<Config> = {}
): Layer.Layer<
  never,
  SqlError,
  WorkflowEngine | SqlClient.SqlClient | FcmClient.FcmClient | TokenSource | Quota
> => {
  const c: Config = { ...defaultConfig, ...config }
  const campaign = BroadcastWorkflow.toLayer(({ campaignId }) =>
    Effect.gen(function*() {
      const stored = yield* orSuspend(get(campaignId))
      const chunks = Math.ceil(stored.total / stored.chunkSize)
      const segments = Math.ceil(chunks / stored.segmentChunks)
      yield* Effect.forEach(
        Array.from({ length: segments }, (_, segment) => segment),
        (segment) => SegmentWorkflow.execute({ campaignId, segment }),
        { concurrency: c.segmentConcurrency, discard: true }
      )
      return yield* Activity.make({
        name: "finish",
        success: Campaign.Summary,
        execute: orSuspend(Effect.zipRight(setState(campaignId, "done", ["running", "paused"]), summarize(campaignId)))
      })
    })
  )
  const segment = SegmentWorkflow.toLayer(({ campaignId, segment }) =>
    Effect.gen(function*() {
      const stored = yield* orSuspend(get(campaignId))
      const first = segment * stored.segmentChunks
      const end = Math.min(first + stored.segmentChunks, Math.ceil(stored.total / stored.chunkSize))
      const results = yield* Effect.forEach(
        Array.from({ length: Math.max(0, end - first) }, (_, i) => first + i),
        (chunk) => {
          const from = chunk * stored.chunkSize
          const to = Math.min(from + stored.chunkSize, stored.total)
          return Activity.make({
            name: `chunk-${chunk}`,
            success: ChunkResult,
            execute: orSuspend(sendChunk(stored, from, to, c))
          })
        },
        { concurrency: c.chunkConcurrency }
      )
      return results.reduce((a, b) => ({ sent: a.sent + b.sent, skipped: a.skipped + b.skipped }), {
        sent: 0,
        skipped: 0
      })
    })
  )
  return Layer.mergeAll(campaign, segment).pipe(Layer.provide(Layer.effectDiscard(Tables.migrate)))
}

/**
 * Stores a campaign and starts its workflow, returning its id without waiting for it. The message and the token
 * source are checked first: an invalid one is refused (`InvalidMessage` naming the field, `InvalidCampaign`) with
 * nothing stored or sent. Starting a campaign id that exists returns it as it is: the stored message is kept and
 * nothing is sent twice.
 *
 * @example
 * ```ts
 * import { Broadcast } from "@effect-fcm/cluster"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const id = yield* Broadcast.start({ id: "spring-sale", message: { data: { sale: "spring" } }, source: "all-users" })
 *   yield* Effect.log(`started ${id}`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const start = (
  options: StartOptions
): Effect.Effect<
  string,
  Campaign.InvalidCampaign | FcmError.InvalidMessage | SqlError | TokenSourceError,
  WorkflowEngine | SqlClient.SqlClient | TokenSource
> =>
  Effect.gen(function*() {
    const id = yield* store(options)
    yield* BroadcastWorkflow.execute({ campaignId: id }, { discard: true })
    return id
  })

/** Validates and stores a campaign (idempotently); returns its id. */
const store = (options: StartOptions) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* Tables.migrate
    if (!Schema.is(Campaign.CampaignId)(options.id)) {
      return yield* new Campaign.InvalidCampaign({
        field: "id",
        reason: `${JSON.stringify(options.id)}: a campaign id is 1-128 letters, digits, '.', '_', ':' or '-'`
      })
    }
    const existing = yield* find(options.id)
    if (Option.isSome(existing)) return options.id
    const chunkSize = options.chunkSize ?? 1000
    const segmentChunks = options.segmentChunks ?? 100
    if (!Number.isInteger(chunkSize) || chunkSize < 1) {
      return yield* new Campaign.InvalidCampaign({ field: "chunkSize", reason: "must be a positive integer" })
    }
    if (!Number.isInteger(segmentChunks) || segmentChunks < 1) {
      return yield* new Campaign.InvalidCampaign({ field: "segmentChunks", reason: "must be a positive integer" })
    }
    // the message is checked as sent (with a placeholder token), with the field named as in the message
    const probe = yield* Message.validate({ ...options.message, tokens: ["probe"] })
    const { tokens: _, ...message } = probe
    const total = yield* Effect.flatMap(TokenSource, (source) => source.size(options.source))
    if (total === undefined) {
      return yield* new Campaign.InvalidCampaign({
        field: "source",
        reason: `no token source named "${options.source}"`
      })
    }
    const now = Date.now()
    yield* sql`INSERT INTO fcm_campaigns ${
      sql.insert({
        id: options.id,
        message: JSON.stringify(message),
        source: options.source,
        total,
        chunk_size: chunkSize,
        segment_chunks: segmentChunks,
        state: "running",
        created_at: now,
        updated_at: now
      })
    } ON CONFLICT DO NOTHING`
    return options.id
  })

/**
 * Starts a campaign (as {@link start}) and waits for it to finish, returning its summary.
 *
 * @example
 * ```ts
 * import { Broadcast } from "@effect-fcm/cluster"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const summary = yield* Broadcast.run({ id: "spring-sale", message: { data: { sale: "spring" } }, source: "all" })
 *   yield* Effect.log(`${summary.counts.success} delivered, ${summary.counts.notRegistered} to delete`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const run = (
  options: StartOptions
): Effect.Effect<
  Campaign.Summary,
  Campaign.InvalidCampaign | FcmError.InvalidMessage | SqlError | TokenSourceError,
  WorkflowEngine | SqlClient.SqlClient | TokenSource
> => Effect.flatMap(store(options), (id) => BroadcastWorkflow.execute({ campaignId: id }))

/**
 * Waits for a stored campaign to finish (starting or continuing its workflow on this runner's engine).
 *
 * @example
 * ```ts
 * import { Broadcast } from "@effect-fcm/cluster"
 *
 * const program = Broadcast.await("spring-sale")
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const await_ = (
  campaignId: string
): Effect.Effect<Campaign.Summary, Campaign.CampaignNotFound | SqlError, WorkflowEngine | SqlClient.SqlClient> =>
  Effect.zipRight(get(campaignId), BroadcastWorkflow.execute({ campaignId }))

export {
  /**
   * Waits for a stored campaign to finish (starting or continuing its workflow on this runner's engine).
   *
   * @example
   * ```ts
   * import { Broadcast } from "@effect-fcm/cluster"
   *
   * const program = Broadcast.await("spring-sale")
   * ```
   *
   * @since 0.1.0
   * @category operations
   */
  await_ as await
}

/**
 * A campaign's progress: state, counts per bucket, rate over the last ten seconds and time left at that rate. With a
 * `WorkflowEngine` in context it also says whether the workflow is running, suspended or complete (`unknown`
 * without one: a status read from the database alone, for instance while another process runs the campaign).
 *
 * @example
 * ```ts
 * import { Broadcast } from "@effect-fcm/cluster"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const s = yield* Broadcast.status("spring-sale")
 *   yield* Effect.log(`${s.done}/${s.total} (${s.state}), ${s.perSecond.toFixed(0)}/s`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const status = (
  campaignId: string
): Effect.Effect<Campaign.Status, Campaign.CampaignNotFound | SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    yield* Tables.migrate
    const campaign = yield* get(campaignId)
    const counts = yield* Ledger.counts(campaignId)
    const done = Campaign.total(counts)
    const now = Date.now()
    const recent = yield* Ledger.recordedSince(campaignId, now - 10_000)
    const perSecond = recent / 10
    const engine = yield* Effect.serviceOption(WorkflowEngine)
    let workflow: Campaign.Status["workflow"] = "unknown"
    if (Option.isSome(engine)) {
      const executionId = yield* BroadcastWorkflow.executionId({ campaignId })
      const result = yield* Effect.provideService(BroadcastWorkflow.poll(executionId), WorkflowEngine, engine.value)
      workflow = result === undefined ? "running" : result._tag === "Suspended" ? "suspended" : "complete"
    }
    const left = Math.max(0, campaign.total - done)
    return {
      campaignId,
      state: campaign.state,
      workflow,
      total: campaign.total,
      done,
      counts,
      perSecond,
      etaSeconds: left === 0 ? 0 : perSecond > 0 ? Math.ceil(left / perSecond) : undefined,
      createdAt: campaign.createdAt,
      updatedAt: campaign.updatedAt
    } satisfies Campaign.Status
  })

/**
 * Pauses a running campaign: runners finish the batch in hand and hold their chunks until it is resumed.
 *
 * @example
 * ```ts
 * import { Broadcast } from "@effect-fcm/cluster"
 *
 * const program = Broadcast.pause("spring-sale")
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const pause = (
  campaignId: string
): Effect.Effect<void, Campaign.CampaignNotFound | SqlError, SqlClient.SqlClient> =>
  Effect.zipRight(Effect.zipRight(Tables.migrate, get(campaignId)), setState(campaignId, "paused", ["running"]))

/**
 * Resumes a campaign: a paused one runs again, and a workflow suspended by a failure (the database or FCM was
 * unreachable) continues from its last finished chunk.
 *
 * @example
 * ```ts
 * import { Broadcast } from "@effect-fcm/cluster"
 *
 * const program = Broadcast.resume("spring-sale")
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const resume = (
  campaignId: string
): Effect.Effect<void, Campaign.CampaignNotFound | SqlError, WorkflowEngine | SqlClient.SqlClient> =>
  Effect.gen(function*() {
    yield* Tables.migrate
    const campaign = yield* get(campaignId)
    yield* setState(campaignId, "running", ["paused"])
    // a failure suspends the segment it happened in, and the campaign waiting on it: the segments first (a segment
    // that completes resumes the campaign), then the campaign (suspended by a failure of its own)
    const segments = Math.ceil(Math.ceil(campaign.total / campaign.chunkSize) / campaign.segmentChunks)
    yield* Effect.forEach(
      Array.from({ length: segments }, (_, segment) => segment),
      (segment) =>
        Effect.flatMap(SegmentWorkflow.executionId({ campaignId, segment }), (id) => SegmentWorkflow.resume(id)),
      { concurrency: 16, discard: true }
    )
    const executionId = yield* BroadcastWorkflow.executionId({ campaignId })
    yield* BroadcastWorkflow.resume(executionId)
  })

/**
 * Cancels a campaign: no new target is sent (a batch in flight completes), and the workflow finishes with the
 * state `cancelled`.
 *
 * @example
 * ```ts
 * import { Broadcast } from "@effect-fcm/cluster"
 *
 * const program = Broadcast.cancel("spring-sale")
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const cancel = (
  campaignId: string
): Effect.Effect<void, Campaign.CampaignNotFound | SqlError, SqlClient.SqlClient> =>
  Effect.zipRight(
    Effect.zipRight(Tables.migrate, get(campaignId)),
    setState(campaignId, "cancelled", ["running", "paused"])
  )

/**
 * Runs every recorded outcome of a campaign into a sink (in target order): the place to delete tokens that are not
 * registered and to store canonical ones.
 *
 * @example
 * ```ts
 * import { Broadcast } from "@effect-fcm/cluster"
 * import { Result } from "@effect-fcm/fcm"
 *
 * const summary = Broadcast.drain("spring-sale", Result.summarySink)
 * ```
 *
 * @since 0.1.0
 * @category operations
 */
export const drain = <A, E, R>(
  campaignId: string,
  sink: Sink.Sink<A, Result.TokenOutcome, unknown, E, R>
): Effect.Effect<A, Campaign.CampaignNotFound | SqlError | E, R | SqlClient.SqlClient> =>
  Effect.zipRight(Effect.zipRight(Tables.migrate, get(campaignId)), Stream.run(Ledger.outcomes(campaignId), sink))

/**
 * The configuration in force (for tools that report the in-flight bound).
 *
 * @example
 * ```ts
 * import { Broadcast } from "@effect-fcm/cluster"
 *
 * const c = Broadcast.defaultConfig
 * const bound = Broadcast.repeatBound(c) // targets that can be sent twice if a runner dies
 * assert.strictEqual(bound, c.segmentConcurrency * c.chunkConcurrency * (c.sendConcurrency + c.ledgerBatch))
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const repeatBound = (config: Config): number =>
  config.segmentConcurrency * config.chunkConcurrency * (config.sendConcurrency + config.ledgerBatch)
