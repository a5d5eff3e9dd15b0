/**
 * Where a campaign's tokens come from. A campaign stores the name of its source, never its tokens: each chunk reads
 * its own position range (`from` inclusive, `to` exclusive) when it runs, so the engine's messages stay small
 * whatever the number of tokens.
 *
 * `layerSql` reads the `fcm_targets` table of the campaign's database (fill it with {@link load}); {@link make} wraps
 * any other store (your users table, a file with an index of line offsets).
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Tables from "./internal/tables.js"

/**
 * A token source could not be read.
 *
 * @example
 * ```ts
 * import { TokenSource } from "@effect-fcm/cluster"
 *
 * const error = new TokenSource.TokenSourceError({ source: "users", reason: "connection refused" })
 * assert.strictEqual(error.message, `token source "users": connection refused`)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenSourceError extends Schema.TaggedError<TokenSourceError>("@effect-fcm/cluster/TokenSourceError")(
  "TokenSourceError",
  { source: Schema.String, reason: Schema.String }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `token source "${this.source}": ${this.reason}`
  }
}

/**
 * @example
 * ```ts
 * import { TokenSource } from "@effect-fcm/cluster"
 * import { Effect } from "effect"
 *
 * const tokens = ["a", "b", "c"]
 * const source: TokenSource.Service = {
 *   size: () => Effect.succeed(tokens.length),
 *   read: (_source, from, to) => Effect.succeed(tokens.slice(from, to))
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The number of positions in the source; `undefined` when there is no source by that name. */
  readonly size: (source: string) => Effect.Effect<number | undefined, TokenSourceError>
  /** The tokens at positions `from` (inclusive) to `to` (exclusive). */
  readonly read: (source: string, from: number, to: number) => Effect.Effect<ReadonlyArray<string>, TokenSourceError>
}

/**
 * @example
 * ```ts
 * import { TokenSource } from "@effect-fcm/cluster"
 * import { Effect } from "effect"
 *
 * const program = Effect.flatMap(TokenSource.TokenSource, (source) => source.read("users", 0, 1000))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class TokenSource extends Context.Tag("@effect-fcm/cluster/TokenSource")<TokenSource, Service>() {}

/**
 * A token source from two functions.
 *
 * @example
 * ```ts
 * import { TokenSource } from "@effect-fcm/cluster"
 * import { Effect } from "effect"
 *
 * // positions are user ids here: a chunk reads a range of them from your own database
 * const Users = TokenSource.make({
 *   size: () => Effect.succeed(2),
 *   read: (_source, from, to) => Effect.succeed(["token-of-0", "token-of-1"].slice(from, to))
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (service: Service): Layer.Layer<TokenSource> => Layer.succeed(TokenSource, service)

/**
 * Sources held in memory, by name (for tests and small campaigns).
 *
 * @example
 * ```ts
 * import { TokenSource } from "@effect-fcm/cluster"
 * import { Effect } from "effect"
 *
 * const program = Effect.flatMap(TokenSource.TokenSource, (source) => source.read("beta", 1, 3))
 * const tokens = Effect.runSync(program.pipe(Effect.provide(TokenSource.layerMemory({ beta: ["a", "b", "c"] }))))
 * assert.deepStrictEqual(tokens, ["b", "c"])
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (sources: Readonly<Record<string, ReadonlyArray<string>>>): Layer.Layer<TokenSource> =>
  make({
    size: (source) => Effect.sync(() => Object.hasOwn(sources, source) ? sources[source]!.length : undefined),
    read: (source, from, to) =>
      Effect.sync(() => (Object.hasOwn(sources, source) ? sources[source]! : []).slice(from, to))
  })

const sqlError = (source: string) => (error: SqlError) => new TokenSourceError({ source, reason: error.message })

/**
 * Sources stored in the `fcm_targets` table (`source`, `position`, `token`) of the campaign's database.
 *
 * @example
 * ```ts
 * import { TokenSource } from "@effect-fcm/cluster"
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Effect, Layer, Stream } from "effect"
 *
 * const Db = SqliteClient.layer({ filename: ":memory:" })
 * const program = Effect.gen(function*() {
 *   yield* TokenSource.load("beta", Stream.make("a", "b", "c"))
 *   const source = yield* TokenSource.TokenSource
 *   assert.deepStrictEqual(yield* source.read("beta", 1, 3), ["b", "c"])
 *   assert.strictEqual(yield* source.size("beta"), 3)
 * })
 * Effect.runPromise(program.pipe(Effect.provide(TokenSource.layerSql.pipe(Layer.provideMerge(Db)))))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSql: Layer.Layer<TokenSource, SqlError, SqlClient.SqlClient> = Layer.effect(
  TokenSource,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* Tables.migrate
    return {
      size: (source) =>
        sql<{ n: number | string; present: number | string }>`
          SELECT COALESCE(MAX(position) + 1, 0) AS n, COUNT(*) AS present FROM fcm_targets WHERE source = ${source}
        `.pipe(
          Effect.map((rows) => Number(rows[0]?.present ?? 0) === 0 ? undefined : Number(rows[0]!.n)),
          Effect.mapError(sqlError(source))
        ),
      read: (source, from, to) =>
        sql<{ token: string }>`
          SELECT token FROM fcm_targets WHERE source = ${source} AND position >= ${from} AND position < ${to}
          ORDER BY position
        `.pipe(
          Effect.map((rows) => rows.map((row) => row.token)),
          Effect.mapError(sqlError(source))
        )
    }
  })
)

/**
 * Loads a stream of tokens into the `fcm_targets` table as source `source`, positions 0, 1, 2… in batches of 500
 * rows, and returns the source's size. A source that is already loaded is left as it is (loading is idempotent, so a
 * second `start` of a campaign does not load its file twice).
 *
 * @example
 * ```ts
 * import { TokenSource } from "@effect-fcm/cluster"
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * import { Effect, Stream } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   assert.strictEqual(yield* TokenSource.load("beta", Stream.make("a", "b")), 2)
 *   assert.strictEqual(yield* TokenSource.load("beta", Stream.make("x", "y", "z")), 2) // already loaded
 * })
 * Effect.runPromise(program.pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" }))))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const load = <E, R>(
  source: string,
  tokens: Stream.Stream<string, E, R>
): Effect.Effect<number, E | SqlError, R | SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* Tables.migrate
    const existing = yield* sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM fcm_targets WHERE source = ${source}`
    if (Number(existing[0]?.n ?? 0) > 0) {
      const size = yield* sql<
        { n: number | string }
      >`SELECT MAX(position) + 1 AS n FROM fcm_targets WHERE source = ${source}`
      return Number(size[0]?.n ?? 0)
    }
    let position = 0
    yield* sql.withTransaction(
      tokens.pipe(
        Stream.grouped(500),
        Stream.runForEach((chunk) => {
          const rows = Array.from(chunk, (token) => ({ source, position: position++, token }))
          return sql`INSERT INTO fcm_targets ${sql.insert(rows)}`
        })
      )
    )
    return position
  })
