/**
 * Storage lost mid-campaign. The faults are events (the n-th ledger write), never times: from then on, statements fail
 * as SQLite fails them (a real SqlError), for a number of statements, and then the database is back.
 *
 * - The ledger's statements alone fail: the chunk fails, and its segment and the campaign are suspended, not failed;
 *   `resume` finishes the campaign.
 * - Every statement fails, the engine's own included (its storage reads, its shard locks, its replies): the campaign
 *   is never failed; it is suspended (and resumed) or continues by itself once the database is back.
 *
 * Either way every token ends with one outcome, and what is sent twice is within the repeat bound.
 */
import { Broadcast, Campaign, Ledger } from "@effect-fcm/cluster"
import { Statement } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Schedule, Stream } from "effect"
import { deliveries, embeddedRunner, tempDb, tokens } from "./helpers.js"

const TOKENS = 2_000
const FAIL_AT = 5 // the ledger write that loses the database

const config: Partial<Broadcast.Config> = { segmentConcurrency: 2, chunkConcurrency: 2, ledgerBatch: 50 }

/** Fails `lost` statements (those that `affected` selects) from the FAIL_AT-th ledger write on. */
const outage = (lost: number, affected: (sql: string) => boolean) => {
  const state = { ledgerWrites: 0, failing: 0, lost: 0 }
  const transformer: Statement.Statement.Transformer = (self, sql) =>
    Effect.sync(() => {
      const [text] = self.compile()
      if (/^INSERT INTO "?fcm_ledger/.test(text) && ++state.ledgerWrites === FAIL_AT) state.failing = lost
      if (state.failing === 0 || !affected(text)) return self
      state.failing--
      state.lost++
      return sql`SELECT * FROM database_lost`
    })
  return { state, transformer }
}

/** The campaign's status, read past the outage (the test's own statements are not lost). */
const status = Statement.withTransformerDisabled(Broadcast.status("outage"))

const campaign = (fault: ReturnType<typeof outage>, expectSuspended: boolean) =>
  Effect.gen(function*() {
    const running = yield* Effect.fork(
      Broadcast.run({ id: "outage", message: { data: { k: "v" } }, source: "users", chunkSize: 100, segmentChunks: 5 })
    )
    // until the campaign is suspended or done (a failed campaign would be "complete" without being done)
    const settled = yield* status.pipe(
      Effect.repeat({
        schedule: Schedule.spaced("100 millis"),
        until: (s) => s.workflow !== "running" || s.state === "done"
      }),
      Effect.zipRight(status),
      Effect.timeout("60 seconds")
    )
    assert.ok(fault.state.lost > 0, "the database was lost")
    assert.notStrictEqual(settled.workflow === "complete" && settled.state !== "done", true, "never failed")
    if (expectSuspended) {
      assert.strictEqual(settled.workflow, "suspended", "suspended, not failed")
      assert.ok(settled.done < TOKENS, `stopped mid-way at ${settled.done}`)
    }
    if (settled.workflow === "suspended") yield* Broadcast.resume("outage")
    const summary = yield* Broadcast.await("outage").pipe(Effect.timeout("60 seconds")) // not resumed: never done
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
    Statement.withTransformer(fault.transformer)
  )

describe("storage lost mid-campaign", () => {
  it.live("the ledger unwritable: the campaign is suspended, and resume finishes it, every token once", () => {
    const fault = outage(3, (sql) => sql.includes("fcm_ledger"))
    return Effect.tap(campaign(fault, true), () => assert.strictEqual(fault.state.lost, 3))
  }, { timeout: 180_000 })

  it.live("the whole database lost for 40 statements: never failed; resumed or continued, every token once", () => {
    const fault = outage(40, () => true)
    return Effect.tap(campaign(fault, false), () => assert.strictEqual(fault.state.lost, 40))
  }, { timeout: 180_000 })
})
