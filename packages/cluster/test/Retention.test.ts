import { Broadcast, Campaign, Ledger, Retention } from "@effect-fcm/cluster"
import { Result } from "@effect-fcm/fcm"
import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schedule, TestClock, TestContext } from "effect"
import { embeddedRunner, tempDb, tokens } from "./helpers.js"

const message = { data: { sale: "spring" } }

/** The engine's messages (and their replies) of a campaign's workflows. */
const engineRows = (campaignId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const executionId = yield* Broadcast.BroadcastWorkflow.executionId({ campaignId })
    const segment = yield* Broadcast.SegmentWorkflow.executionId({ campaignId, segment: 0 })
    const rows = yield* sql<{ messages: number; replies: number }>`
      SELECT COUNT(*) AS messages, (
        SELECT COUNT(*) FROM cluster_replies WHERE request_id IN (
          SELECT request_id FROM cluster_messages WHERE ${sql.in("entity_id", [executionId, segment])}
        )
      ) AS replies
      FROM cluster_messages WHERE ${sql.in("entity_id", [executionId, segment])}
    `
    return rows[0]!
  })

/** Runs an effect with the clock moved this far into the future (a TestClock set from the real time). */
const later = <A, E, R>(effect: Effect.Effect<A, E, R>, ahead: Duration.DurationInput) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.now() + Duration.toMillis(ahead))
    return yield* effect
  }).pipe(Effect.provide(TestContext.TestContext))

describe("Retention on the embedded set-up", () => {
  it.live(
    "pruneEngine deletes the engine's messages of a finished campaign and keeps its ledger",
    () =>
      Effect.gen(function*() {
        yield* Broadcast.run({ id: "old", message, source: "users", chunkSize: 10 })
        yield* Broadcast.run({ id: "other", message, source: "users", chunkSize: 10 })
        const before = yield* engineRows("old")
        assert.ok(before.messages >= 4 && before.replies >= 4, JSON.stringify(before)) // the run, 3 chunks, the finish
        yield* Retention.pruneEngine("old")
        assert.deepStrictEqual(yield* engineRows("old"), { messages: 0, replies: 0 })
        assert.deepStrictEqual(yield* engineRows("other"), before, "another campaign keeps its messages")
        assert.strictEqual((yield* Ledger.counts("old")).success, 25)
        assert.strictEqual((yield* Broadcast.status("old")).done, 25)
      }).pipe(Effect.provide(embeddedRunner(tempDb(), { users: tokens(25) }))),
    { timeout: 60_000 }
  )

  it.live(
    "the job forgets the campaigns finished more than N days ago, and keeps the others",
    () =>
      Effect.gen(function*() {
        yield* Broadcast.run({ id: "finished", message, source: "users", chunkSize: 10 })
        yield* Broadcast.run({ id: "stopped", message, source: "users", chunkSize: 10 })
        const sql = yield* SqlClient.SqlClient
        // a campaign still running (its row as a runner leaves it mid-way) is never pruned, however old
        yield* sql`INSERT INTO fcm_campaigns ${
          sql.insert({
            id: "running",
            message: "{}",
            source: "users",
            total: 25,
            chunk_size: 10,
            segment_chunks: 100,
            state: "running",
            created_at: 0,
            updated_at: 0
          })
        }`
        yield* Ledger.record("running", [{ token: "phone-0", outcome: Result.Outcome.Delivered({ messageId: "m" }) }])

        assert.deepStrictEqual(yield* Retention.job({ after: "7 days" }), [], "finished today: kept")
        assert.deepStrictEqual(yield* later(Retention.job({ after: "7 days" }), "6 days"), [])
        assert.deepStrictEqual(yield* later(Retention.job({ after: "7 days" }), "8 days"), ["finished", "stopped"])

        for (const id of ["finished", "stopped"]) {
          assert.deepStrictEqual(yield* engineRows(id), { messages: 0, replies: 0 })
          assert.strictEqual(Campaign.total(yield* Ledger.counts(id)), 0)
          const error = yield* Effect.flip(Broadcast.status(id))
          assert.ok(error instanceof Campaign.CampaignNotFound)
        }
        assert.strictEqual((yield* Broadcast.status("running")).done, 1)
        const refused = yield* Effect.flip(Retention.forget("running"))
        assert.ok(refused instanceof Retention.CampaignNotFinished)
        assert.strictEqual(refused.message, `campaign "running" has not finished (running): nothing was pruned`)
      }).pipe(Effect.provide(embeddedRunner(tempDb(), { users: tokens(25) }))),
    { timeout: 60_000 }
  )

  it.live("Retention.layer schedules its job as a ClusterCron on the runner", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const scheduled = sql<{ n: number }>`
        SELECT COUNT(*) AS n FROM cluster_messages WHERE entity_type = 'ClusterCron/effect-fcm/Retention'
      `
      yield* scheduled.pipe(
        Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: (rows) => rows[0]!.n > 0 }),
        Effect.timeout("30 seconds")
      )
      assert.strictEqual((yield* scheduled)[0]!.n, 1) // its next run, stored for the engine to deliver
    }).pipe(
      Effect.provide(
        Retention.layer({ after: "30 days" }).pipe(Layer.provideMerge(embeddedRunner(tempDb(), { users: [] })))
      )
    ), { timeout: 60_000 })
})
