/**
 * The tables a campaign keeps next to the engine's own: campaigns (the message, stored once), the delivery ledger,
 * loaded token sources and the shared quota. Created when a layer starts, in SQLite and PostgreSQL dialects.
 *
 * @internal
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"

/** A timestamp column: an integer in SQLite, a float8 in PostgreSQL (so that `pg` returns numbers). @internal */
const time = (sql: SqlClient.SqlClient) =>
  sql.onDialectOrElse({ pg: () => sql`DOUBLE PRECISION`, orElse: () => sql`INTEGER` })

/** Creates every table this package uses, if missing. @internal */
export const migrate: Effect.Effect<void, SqlError, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const at = time(sql)
  yield* sql`CREATE TABLE IF NOT EXISTS fcm_campaigns (
    id TEXT PRIMARY KEY,
    message TEXT NOT NULL,
    source TEXT NOT NULL,
    total INTEGER NOT NULL,
    chunk_size INTEGER NOT NULL,
    segment_chunks INTEGER NOT NULL,
    state TEXT NOT NULL,
    created_at ${at} NOT NULL,
    updated_at ${at} NOT NULL
  )`
  yield* sql`CREATE TABLE IF NOT EXISTS fcm_ledger (
    campaign TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    message_id TEXT,
    at ${at} NOT NULL,
    PRIMARY KEY (campaign, target)
  )`
  // the recent rate (`status`) reads the last seconds' rows of every campaign: an index on the time alone is enough
  yield* sql`CREATE INDEX IF NOT EXISTS fcm_ledger_time ON fcm_ledger (at)`
  // in SQLite, a table without rowid is stored in its primary key's order: no second copy of the key in an index
  yield* sql`CREATE TABLE IF NOT EXISTS fcm_targets (
    source TEXT NOT NULL,
    position INTEGER NOT NULL,
    token TEXT NOT NULL,
    PRIMARY KEY (source, position)
  ) ${sql.onDialectOrElse({ sqlite: () => sql`WITHOUT ROWID`, orElse: () => sql`` })}`
  yield* sql`CREATE TABLE IF NOT EXISTS fcm_quota (
    name TEXT NOT NULL,
    slot ${at} NOT NULL,
    used INTEGER NOT NULL,
    PRIMARY KEY (name, slot)
  )`
  yield* sql`CREATE TABLE IF NOT EXISTS fcm_quota_pause (
    name TEXT PRIMARY KEY,
    until ${at} NOT NULL
  )`
}).pipe(
  // two runners starting at once may both try to create a table: the loser's error is harmless
  Effect.retry({ times: 3 })
)
