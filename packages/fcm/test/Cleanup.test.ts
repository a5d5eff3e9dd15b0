import { Cleanup, Message, Result } from "@effect-fcm/fcm"
import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Stream } from "effect"

const token = (i: number) => `token-${String(i).padStart(5, "0")}`

/** `n` outcomes: every tenth token dead (3, 13, …), every twentieth replaced (5, 25, …), the rest delivered. */
const outcomes = (n: number): Array<Result.TokenOutcome> =>
  Array.from({ length: n }, (_, i) => ({
    token: token(i),
    outcome: i % 10 === 3
      ? Result.Outcome.NotRegistered({ code: "UNREGISTERED" })
      : i % 20 === 5
      ? Result.Outcome.Canonical({ messageId: `0:${i}`, newToken: `${token(i)}-new` })
      : Result.Outcome.Delivered({ messageId: `0:${i}` })
  }))

const dead = (n: number) => outcomes(n).filter((o) => o.outcome._tag === "NotRegistered").map((o) => o.token)

describe("Cleanup.sink", () => {
  it.effect("10,000 outcomes, 10% dead: the user's SQLite table loses exactly those rows, in batches", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE devices (token TEXT PRIMARY KEY, user_id INTEGER NOT NULL)`
      const all = Array.from({ length: 10_000 }, (_, i) => ({ token: token(i), user_id: i % 97 }))
      for (let i = 0; i < all.length; i += 500) yield* sql`INSERT INTO devices ${sql.insert(all.slice(i, i + 500))}`
      const deletes: Array<number> = []
      const updates: Array<number> = []
      const summary = yield* Stream.fromIterable(outcomes(10_000)).pipe(
        Stream.rechunk(64), // as a streamed send emits them: a few at a time
        Stream.run(Cleanup.sink({
          onNotRegistered: (tokens) =>
            Effect.zipRight(
              Effect.sync(() => deletes.push(tokens.length)),
              sql`DELETE FROM devices WHERE ${sql.in("token", tokens)}`
            ),
          onCanonical: (replacements) =>
            Effect.zipRight(
              Effect.sync(() => updates.push(replacements.length)),
              sql.withTransaction(Effect.forEach(replacements, ({ newToken, token }) =>
                sql`UPDATE devices SET token = ${newToken} WHERE token = ${token}`, { discard: true }))
            ),
          batchSize: 300
        }))
      )
      assert.deepStrictEqual(deletes, [300, 300, 300, 100])
      assert.deepStrictEqual(updates, [300, 200])
      assert.deepStrictEqual(summary, { deleted: 1000, replaced: 500, batches: 6 })

      const left = yield* sql<{ token: string }>`SELECT token FROM devices ORDER BY token`
      const gone = new Set(dead(10_000))
      assert.strictEqual(left.length, 9000)
      assert.ok(left.every((row) => !gone.has(row.token)))
      const expected = outcomes(10_000).filter((o) => o.outcome._tag !== "NotRegistered").map((o) =>
        o.outcome._tag === "Canonical" ? o.outcome.newToken : o.token
      ).sort()
      assert.deepStrictEqual(left.map((row) => row.token), expected)
    }).pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" }))))

  it.effect("hands over full batches while the stream runs, one at a time, and the last partial one at the end", () =>
    Effect.gen(function*() {
      const events: Array<string> = []
      const source = Stream.fromIterable(outcomes(100)).pipe(
        Stream.rechunk(10),
        Stream.tap((o) => Effect.sync(() => events.push(`in ${o.token}`)))
      )
      let running = 0
      yield* Stream.run(
        source,
        Cleanup.sink({
          onNotRegistered: (tokens) =>
            Effect.gen(function*() {
              running++
              assert.strictEqual(running, 1) // never two calls at once
              yield* Effect.yieldNow()
              events.push(`delete ${tokens.join(",")}`)
              running--
            }),
          batchSize: 4
        })
      )
      // the first batch (tokens 3, 13, 23, 33) is deleted before token 40 is even read
      const first = events.indexOf(`delete ${[3, 13, 23, 33].map(token).join(",")}`)
      assert.ok(first > 0)
      assert.ok(first < events.indexOf(`in ${token(40)}`))
      assert.strictEqual(events.at(-1), `delete ${[83, 93].map(token).join(",")}`)
    }))

  it.effect("a failing callback fails the sink with its error; later batches are not handed over", () =>
    Effect.gen(function*() {
      const calls: Array<ReadonlyArray<string>> = []
      const result = yield* Stream.run(
        Stream.fromIterable(outcomes(1000)),
        Cleanup.sink({
          onNotRegistered: (tokens) => {
            calls.push(tokens)
            return calls.length === 2 ? Effect.fail("database is down" as const) : Effect.void
          },
          batchSize: 10
        })
      ).pipe(Effect.either)
      assert.deepStrictEqual(result, Either.left("database is down" as const))
      assert.strictEqual(calls.length, 2)
    }))

  it.effect("ignores a kind without a callback, and counts a batch size below 1 as 1", () =>
    Effect.gen(function*() {
      const batches: Array<ReadonlyArray<Cleanup.Replacement>> = []
      const summary = yield* Stream.run(
        Stream.fromIterable(outcomes(60)),
        Cleanup.sink({ onCanonical: (batch) => Effect.sync(() => batches.push(batch)), batchSize: 0 })
      )
      assert.deepStrictEqual(batches, [[{ token: token(5), newToken: `${token(5)}-new` }], [{
        token: token(25),
        newToken: `${token(25)}-new`
      }], [{ token: token(45), newToken: `${token(45)}-new` }]])
      assert.deepStrictEqual(summary, { deleted: 0, replaced: 3, batches: 3 })
    }))
})

describe("Cleanup.fromResult", () => {
  it.effect("hands over the notRegistered and canonical buckets of a send's Result in batches", () =>
    Effect.gen(function*() {
      const all = outcomes(1000)
      const result = Result.make(Message.multicast(all.map((o) => o.token)), all.map((o) => [o.token, o.outcome]))
      const deleted: Array<ReadonlyArray<string>> = []
      const replaced: Array<ReadonlyArray<Cleanup.Replacement>> = []
      const summary = yield* Cleanup.fromResult(result, {
        onNotRegistered: (tokens) => Effect.sync(() => deleted.push(tokens)),
        onCanonical: (batch) => Effect.sync(() => replaced.push(batch)),
        batchSize: 40
      })
      assert.deepStrictEqual(deleted.map((b) => b.length), [40, 40, 20])
      assert.deepStrictEqual(deleted.flat(), dead(1000))
      assert.deepStrictEqual(replaced.map((b) => b.length), [40, 10])
      assert.deepStrictEqual(summary, { deleted: 100, replaced: 50, batches: 5 })
    }))
})
