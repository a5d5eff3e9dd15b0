import type { TokenSource } from "@effect-fcm/cluster"
import { Broadcast, Campaign, Ledger } from "@effect-fcm/cluster"
import { Emulator } from "@effect-fcm/emulator"
import { Result } from "@effect-fcm/fcm"
import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Context, Deferred, Effect, Fiber, FiberId, Sink, Stream } from "effect"
import { deliveries, memoryRunner, tokens } from "./helpers.js"

const message = { data: { sale: "spring" }, collapseKey: "spring" }

describe("Broadcast on WorkflowEngine.layerMemory", () => {
  const users = [...tokens(440), ...tokens(30, "stale-"), ...tokens(20, "bad-"), ...tokens(10, "flaky-"), ""]

  it.live("sends every token of the source once, in segments of chunks, with one outcome each in the ledger", () =>
    Effect.gen(function*() {
      const summary = yield* Broadcast.run({ id: "c1", message, source: "users", chunkSize: 50, segmentChunks: 3 })
      assert.deepStrictEqual(summary.counts, {
        success: 450, // flaky- tokens after one retry
        canonical: 0,
        notRegistered: 30,
        failed: 21, // bad- tokens and the empty one: recorded, not a crash
        retryable: 0,
        unknown: 0
      })
      assert.strictEqual(summary.state, "done")
      assert.strictEqual(summary.total, users.length)
      const sent = yield* deliveries
      assert.strictEqual(sent.size, 450)
      assert.ok([...sent.values()].every((n) => n === 1))
      const outcomes = yield* Ledger.outcomes("c1").pipe(Stream.runCollect)
      assert.strictEqual(outcomes.length, users.length)
      assert.strictEqual(new Set(Chunk.toReadonlyArray(outcomes).map((o) => o.token)).size, users.length)
      const summarized = yield* Broadcast.drain("c1", Result.summarySink)
      assert.strictEqual(summarized.notRegistered, 30)
    }).pipe(Effect.provide(memoryRunner({ users }))))

  it.live("stores the message once, without the tokens", () =>
    Effect.gen(function*() {
      yield* Broadcast.run({ id: "c2", message, source: "users", chunkSize: 1000 })
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<{ message: string; source: string }>`SELECT message, source FROM fcm_campaigns`
      assert.deepStrictEqual(rows.map((r) => [JSON.parse(r.message), r.source]), [[message, "users"]])
    }).pipe(Effect.provide(memoryRunner({ users: tokens(10) }))))

  it.live("a second start with the same id is the same campaign: nothing is sent twice", () =>
    Effect.gen(function*() {
      const first = yield* Broadcast.run({ id: "same", message, source: "users", chunkSize: 10 })
      const second = yield* Broadcast.run({ id: "same", message: { data: { other: "1" } }, source: "users" })
      assert.deepStrictEqual(second, first)
      const sent = yield* deliveries
      assert.strictEqual(sent.size, 25)
      assert.ok([...sent.values()].every((n) => n === 1))
      const emulator = yield* Emulator.Emulator
      assert.strictEqual((yield* emulator.counters).routes.v1, 25)
    }).pipe(Effect.provide(memoryRunner({ users: tokens(25) }))))

  it.live("a chunk skips the targets that already have an outcome in the ledger", () =>
    Effect.gen(function*() {
      const done = tokens(40).slice(0, 15)
      yield* Ledger.record(
        "resumed",
        done.map((token) => ({ token, outcome: Result.Outcome.Delivered({ messageId: "m" }) }))
      )
      const summary = yield* Broadcast.run({ id: "resumed", message, source: "users", chunkSize: 10 })
      assert.strictEqual(summary.counts.success, 40)
      const sent = yield* deliveries
      assert.strictEqual(sent.size, 25)
      assert.ok(done.every((token) => !sent.has(token)))
    }).pipe(Effect.provide(memoryRunner({ users: tokens(40) }))))

  it.live("an invalid message is refused before the campaign is stored, naming the field", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Broadcast.start({ id: "bad", message: { data: { from: "x" } }, source: "users" })
      )
      assert.strictEqual(error._tag, "InvalidMessage")
      assert.ok(error._tag === "InvalidMessage" && error.field.startsWith("data"))
      const sql = yield* SqlClient.SqlClient
      assert.deepStrictEqual(yield* sql`SELECT id FROM fcm_campaigns`, [])
      const emulator = yield* Emulator.Emulator
      assert.strictEqual((yield* emulator.counters).requests, 0)
    }).pipe(Effect.provide(memoryRunner({ users: tokens(5) }))))

  it.live("an unknown source, a bad id or a bad chunk size is refused, naming the field", () =>
    Effect.gen(function*() {
      const source = yield* Effect.flip(Broadcast.start({ id: "x", message, source: "nobody" }))
      assert.deepStrictEqual([source._tag, source.message], [
        "InvalidCampaign",
        `source: no token source named "nobody"`
      ])
      const id = yield* Effect.flip(Broadcast.start({ id: "a b", message, source: "users" }))
      assert.ok(id._tag === "InvalidCampaign" && id.field === "id")
      const size = yield* Effect.flip(Broadcast.start({ id: "y", message, source: "users", chunkSize: 0 }))
      assert.ok(size._tag === "InvalidCampaign" && size.field === "chunkSize")
    }).pipe(Effect.provide(memoryRunner({ users: tokens(5) }))))

  it.live("status, resume, cancel and drain of an unknown campaign name it", () =>
    Effect.gen(function*() {
      for (
        const op of [
          Broadcast.status("ghost"),
          Broadcast.resume("ghost"),
          Broadcast.cancel("ghost"),
          Broadcast.pause("ghost"),
          Broadcast.drain("ghost", Sink.drain)
        ]
      ) {
        const error = yield* Effect.flip(op)
        assert.ok(error instanceof Campaign.CampaignNotFound)
        assert.strictEqual(error.message, `no campaign "ghost" in this database`)
      }
    }).pipe(Effect.provide(memoryRunner({}))))

  it.live("a cancelled campaign sends no new target and finishes as cancelled", () => {
    const all = tokens(100)
    let reads = 0
    // the source cancels the campaign when the fourth chunk is read: that chunk and the ones after it send nothing
    const source: TokenSource.Service = {
      size: () => Effect.succeed(all.length),
      read: (_: string, from: number, to: number) =>
        Effect.gen(function*() {
          if (++reads === 4) yield* Effect.orDie(Broadcast.cancel("cancel-me"))
          return all.slice(from, to)
        }).pipe(Effect.provide(ctx))
    }
    let ctx: Context.Context<SqlClient.SqlClient> = Context.empty() as Context.Context<SqlClient.SqlClient>
    return Effect.gen(function*() {
      ctx = yield* Effect.context<SqlClient.SqlClient>()
      const summary = yield* Broadcast.run({ id: "cancel-me", message, source: "users", chunkSize: 10 })
      assert.strictEqual(summary.state, "cancelled")
      assert.strictEqual(summary.counts.success, 30)
      assert.strictEqual((yield* deliveries).size, 30)
      const status = yield* Broadcast.status("cancel-me")
      assert.deepStrictEqual([status.state, status.done, status.total], ["cancelled", 30, 100])
    }).pipe(Effect.provide(memoryRunner(source, { chunkConcurrency: 1, segmentConcurrency: 1 })))
  })

  it.live("a paused campaign holds its chunks until it is resumed", () => {
    const all = tokens(40)
    let reads = 0
    const paused = Deferred.unsafeMake<void>(FiberId.none)
    let ctx = Context.empty() as Context.Context<SqlClient.SqlClient>
    // the source pauses the campaign when the third chunk is read: that chunk must wait
    const source: TokenSource.Service = {
      size: () => Effect.succeed(all.length),
      read: (_: string, from: number, to: number) =>
        Effect.gen(function*() {
          if (++reads === 3) {
            yield* Effect.orDie(Broadcast.pause("pause-me"))
            yield* Deferred.succeed(paused, undefined)
          }
          return all.slice(from, to)
        }).pipe(Effect.provide(ctx))
    }
    return Effect.gen(function*() {
      ctx = yield* Effect.context<SqlClient.SqlClient>()
      const running = yield* Effect.fork(Broadcast.run({ id: "pause-me", message, source: "users", chunkSize: 10 }))
      yield* Deferred.await(paused)
      yield* Effect.sleep("1 second") // a correct runner sends nothing more however long this is
      assert.strictEqual((yield* deliveries).size, 20)
      assert.strictEqual((yield* Broadcast.status("pause-me")).state, "paused")
      yield* Broadcast.resume("pause-me")
      const summary = yield* Fiber.join(running)
      assert.deepStrictEqual([summary.state, summary.counts.success], ["done", 40])
      assert.strictEqual((yield* deliveries).size, 40)
    }).pipe(Effect.provide(memoryRunner(source, { chunkConcurrency: 1, segmentConcurrency: 1 })))
  })
})
