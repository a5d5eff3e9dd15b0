/**
 * FCM's per-project budget, shared by every runner of a campaign: a rate limit (600,000 messages a minute by
 * default) counted in the campaign's database, and a shared "paused until" set when FCM answers `QUOTA_EXCEEDED`, so
 * that every runner backs off together instead of each discovering the quota on its own.
 *
 * The SQL limiter counts messages in one-second slots (`fcm_quota`): a sender takes its next batch's share of the
 * current slot, and waits for the next slot when the slot is full. Every runner sees the same counts, so the project
 * stays within the limit whatever the number of runners (to within one batch per runner).
 *
 * @since 0.1.0
 */
import type { Governor } from "@effect-fcm/fcm"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Tables from "./internal/tables.js"

/**
 * FCM's default budget: 600,000 messages a minute per project.
 *
 * @example
 * ```ts
 * import { Quota } from "@effect-fcm/cluster"
 *
 * assert.strictEqual(Quota.DEFAULT_PER_MINUTE / 60, 10_000) // per second
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_PER_MINUTE = 600_000

/**
 * @example
 * ```ts
 * import { Quota } from "@effect-fcm/cluster"
 * import { Effect } from "effect"
 *
 * const sendBatch = (tokens: ReadonlyArray<string>) =>
 *   Effect.gen(function*() {
 *     const quota: Quota.Service = yield* Quota.Quota
 *     yield* quota.take(tokens.length) // waits for room in the project's budget
 *   })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Waits until `n` messages fit in the budget (and any shared pause is over), then counts them. */
  readonly take: (n: number) => Effect.Effect<void, SqlError>
  /** Pauses every sender until this time (milliseconds since the epoch), unless a later pause is already set. */
  readonly pauseUntil: (millis: number) => Effect.Effect<void, SqlError>
  /** The shared pause in force, if any (milliseconds since the epoch). */
  readonly pausedUntil: Effect.Effect<number | undefined, SqlError>
}

/**
 * @example
 * ```ts
 * import { Quota } from "@effect-fcm/cluster"
 * import { Effect } from "effect"
 *
 * const program = Effect.flatMap(Quota.Quota, (quota) => quota.take(500))
 * Effect.runPromise(program.pipe(Effect.provide(Quota.layerUnlimited)))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class Quota extends Context.Tag("@effect-fcm/cluster/Quota")<Quota, Service>() {}

/**
 * No limit and no shared pause (a single sender that relies on FCM's answers alone).
 *
 * @example
 * ```ts
 * import { Quota } from "@effect-fcm/cluster"
 * import { Effect } from "effect"
 *
 * const paused = Effect.runSync(Effect.flatMap(Quota.Quota, (q) => q.pausedUntil).pipe(Effect.provide(Quota.layerUnlimited)))
 * assert.strictEqual(paused, undefined)
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerUnlimited: Layer.Layer<Quota> = Layer.succeed(Quota, {
  take: () => Effect.void,
  pauseUntil: () => Effect.void,
  pausedUntil: Effect.succeed(undefined)
})

/**
 * @example
 * ```ts
 * import type { Quota } from "@effect-fcm/cluster"
 *
 * const options: Quota.Options = { perMinute: 60_000, name: "my-project" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Messages a minute for the whole project (defaults to {@link DEFAULT_PER_MINUTE}). */
  readonly perMinute?: number | undefined
  /** The budget's name: runners with the same name share it (defaults to `fcm`). */
  readonly name?: string | undefined
}

/**
 * The shared limiter in the campaign's SQL database (SQLite or PostgreSQL).
 *
 * @example
 * ```ts
 * import { Quota } from "@effect-fcm/cluster"
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Effect, Layer } from "effect"
 *
 * const Limited = Quota.layerSql({ perMinute: 6000 }).pipe(Layer.provide(SqliteClient.layer({ filename: ":memory:" })))
 * const program = Effect.gen(function*() {
 *   const quota = yield* Quota.Quota
 *   yield* quota.take(100) // 100 of this second's 100
 *   yield* quota.pauseUntil(Date.now() + 60_000) // FCM said QUOTA_EXCEEDED: everyone waits a minute
 *   assert.ok((yield* quota.pausedUntil)! > Date.now())
 * })
 * Effect.runPromise(program.pipe(Effect.provide(Limited)))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSql = (options: Options = {}): Layer.Layer<Quota, SqlError, SqlClient.SqlClient> =>
  Layer.effect(
    Quota,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* Tables.migrate
      const name = options.name ?? "fcm"
      const perSecond = Math.max(1, Math.floor((options.perMinute ?? DEFAULT_PER_MINUTE) / 60))
      let lastPruned = 0

      const pausedUntil = Effect.map(
        sql<{ until: number | string }>`SELECT until FROM fcm_quota_pause WHERE name = ${name}`,
        (rows) => rows.length === 0 ? undefined : Number(rows[0]!.until)
      )

      const pauseUntil = (millis: number) =>
        sql`INSERT INTO fcm_quota_pause (name, until) VALUES (${name}, ${millis})
            ON CONFLICT (name) DO UPDATE SET until = excluded.until WHERE fcm_quota_pause.until < excluded.until`.pipe(
          Effect.asVoid
        )

      const prune = (slot: number) =>
        slot - lastPruned < 60 ? Effect.void : Effect.zipRight(
          Effect.sync(() => lastPruned = slot),
          sql`DELETE FROM fcm_quota WHERE name = ${name} AND slot < ${slot - 60}`
        )

      const take = (n: number): Effect.Effect<void, SqlError> =>
        Effect.gen(function*() {
          while (true) {
            const now = yield* Clock.currentTimeMillis
            const until = yield* pausedUntil
            if (until !== undefined && until > now) {
              yield* Effect.sleep(Math.min(until - now, 5_000))
              continue
            }
            const slot = Math.floor(now / 1000)
            const rows = yield* sql<{ used: number | string }>`
              INSERT INTO fcm_quota (name, slot, used) VALUES (${name}, ${slot}, ${n})
              ON CONFLICT (name, slot) DO UPDATE SET used = fcm_quota.used + excluded.used
              RETURNING used
            `
            const used = Number(rows[0]?.used ?? n)
            // the first batch of a slot always goes, so that a batch larger than the limit still makes progress
            if (used <= perSecond || used === n) {
              yield* prune(slot)
              return
            }
            yield* Effect.sleep((slot + 1) * 1000 - now)
          }
        })

      return { take, pauseUntil, pausedUntil }
    })
  )

/**
 * The shared quota as the rate store of an FCM client's governor (`governor: { store }`): each request the client
 * sends takes its messages from the project's budget here, waiting for room (and for a shared pause to end), so that
 * clients outside a campaign count against the same budget as the campaign's runners. A database error lets the
 * request go, with a warning: the client's adaptive limit still reacts to FCM's answers.
 *
 * @example
 * ```ts
 * import { Quota } from "@effect-fcm/cluster"
 * import { FcmV1 } from "@effect-fcm/fcm"
 * import { Effect, Layer } from "effect"
 *
 * // an FcmV1 layer whose sends draw from the campaigns' budget
 * const Fcm = Layer.unwrapEffect(
 *   Effect.map(Quota.Quota, (quota) => FcmV1.layer({ governor: { store: Quota.governorStore(quota) } }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const governorStore = (quota: Service): Governor.Store => ({
  take: (messages) =>
    quota.take(messages).pipe(
      Effect.as(0),
      Effect.catchAll((error) =>
        Effect.as(Effect.logWarning(`the shared quota could not be read; sending without it: ${error.message}`), 0)
      )
    )
})
