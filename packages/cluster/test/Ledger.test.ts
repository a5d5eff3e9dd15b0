import { Campaign, Ledger } from "@effect-fcm/cluster"
import { Result } from "@effect-fcm/fcm"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"

describe("Ledger", () => {
  it.effect("counts every bucket, unknown included, so a campaign's counts add up to its outcomes", () =>
    Effect.gen(function*() {
      yield* Ledger.record("c1", [
        { token: "a", outcome: Result.Outcome.Delivered({ messageId: "m1" }) },
        { token: "b", outcome: Result.Outcome.Unknown({ reason: "the connection closed after the request was sent" }) },
        { token: "c", outcome: Result.Outcome.NotRegistered({ code: "UNREGISTERED" }) }
      ])
      // a second outcome for a target already recorded is ignored
      yield* Ledger.record("c1", [{ token: "b", outcome: Result.Outcome.Delivered({ messageId: "m2" }) }])
      const counts = yield* Ledger.counts("c1")
      assert.deepStrictEqual(counts, {
        success: 1,
        canonical: 0,
        notRegistered: 1,
        failed: 0,
        retryable: 0,
        unknown: 1
      })
      assert.strictEqual(Campaign.total(counts), 3)
      const outcomes = new Map(
        Chunk.toReadonlyArray(yield* Stream.runCollect(Ledger.outcomes("c1"))).map((o) => [o.token, o])
      )
      assert.strictEqual(outcomes.get("b")?.outcome._tag, "Unknown")
    }).pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" }))))
})
