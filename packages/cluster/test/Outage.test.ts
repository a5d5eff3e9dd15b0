/**
 * The database lost mid-campaign: every statement fails for a while (from the n-th ledger write on, whatever the
 * statements are: the ledger's, the campaign's, the engine's own). The campaign is suspended, not failed, and once
 * the database is back, `resume` finishes it with one outcome per token.
 */
import { Broadcast, Campaign, Ledger } from "@effect-fcm/cluster"
import { Statement } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Schedule, Stream } from "effect"
import { deliveries, embeddedRunner, tempDb, tokens } from "./helpers.js"

const TOKENS = 2_000
const FAIL_AT = 5 // the ledger write that loses the database
const LOST = 40 // statements that fail before it is back

const config: Partial<Broadcast.Config> = { segmentConcurrency: 2, chunkConcurrency: 2, ledgerBatch: 50 }

describe("a storage outage mid-campaign", () => {
  it.live("suspends the campaign; resume finishes it, every token with one outcome", () => {
    const outage = { ledgerWrites: 0, failing: 0, lost: 0 }
    // the database "goes away": statements fail as SQLite fails them (a real SqlError), then it comes back
    const lose: Statement.Statement.Transformer = (self, sql) =>
      Effect.sync(() => {
        const [text] = self.compile()
        if (/^INSERT INTO "?fcm_ledger/.test(text) && ++outage.ledgerWrites === FAIL_AT) outage.failing = LOST
        if (outage.failing === 0) return self
        outage.failing--
        outage.lost++
        return sql`SELECT * FROM database_lost`
      })
    return Effect.gen(function*() {
      const running = yield* Effect.fork(
        Broadcast.run({
          id: "outage",
          message: { data: { k: "v" } },
          source: "users",
          chunkSize: 100,
          segmentChunks: 5
        })
      )
      const suspended = yield* Broadcast.status("outage").pipe(
        Effect.sandbox, // the status itself fails while the database is away (the engine's poll dies)
        Effect.retry(Schedule.spaced("100 millis")),
        Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: (s) => s.workflow === "suspended" }),
        Effect.timeout("60 seconds")
      )
      assert.strictEqual(outage.lost, LOST, "the database was lost, and is back")
      assert.notStrictEqual(suspended, undefined)
      const before = yield* Broadcast.status("outage")
      assert.strictEqual(before.workflow, "suspended", "suspended, not failed")
      assert.ok(before.done < TOKENS, `stopped mid-way at ${before.done}`)

      yield* Broadcast.resume("outage")
      const summary = yield* Broadcast.await("outage").pipe(Effect.timeout("60 seconds")) // not resumed: waits for ever
      yield* Fiber.interrupt(running)
      assert.deepStrictEqual([summary.state, summary.counts.success], ["done", TOKENS])
      const outcomes = Chunk.toReadonlyArray(yield* Stream.runCollect(Ledger.outcomes("outage")))
      assert.strictEqual(outcomes.length, TOKENS)
      assert.strictEqual(new Set(outcomes.map((o) => o.token)).size, TOKENS) // one outcome each, none missing
      assert.strictEqual(Campaign.total(yield* Ledger.counts("outage")), TOKENS)
      const sent = yield* deliveries
      assert.strictEqual(sent.size, TOKENS)
      // sent again: at most what was sent but not written when the database went away
      const repeated = [...sent.values()].filter((n) => n > 1).length
      assert.ok(repeated <= Broadcast.repeatBound({ ...Broadcast.defaultConfig, ...config }), `${repeated} repeats`)
    }).pipe(
      Effect.provide(embeddedRunner(tempDb(), { users: tokens(TOKENS) }, config)),
      Statement.withTransformer(lose)
    )
  }, { timeout: 120_000 })
})
