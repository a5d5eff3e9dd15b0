/**
 * The price of durability: a campaign on the embedded set-up (SingleRunner on a SQLite file, the shared SQL quota)
 * against a plain `sendStream` of the same tokens, both to the loopback emulator answering after a fixed latency,
 * with the same number of requests in flight, in one run.
 *
 *   node --import tsx packages/cluster/scripts/bench.ts [TOKENS=100000] [LATENCY_MS=50] [ROUNDS=2]
 *
 * The two take turns, a share of the tokens each round (a campaign per round). Prints tokens per second of each and
 * their ratio, then the database's size per token as the campaign left it and
 * after pruning the engine's own messages (`Retention.pruneEngine`, then VACUUM), with the bytes of each table.
 */
import { Broadcast, Quota, Retention, Setup, TokenSource } from "@effect-fcm/cluster"
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import { FcmClient, Result } from "@effect-fcm/fcm"
import { NodeFcm } from "@effect-fcm/node"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Stream } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const tokens = Number(process.argv[2] ?? 100_000)
const latency = Number(process.argv[3] ?? 50)
const rounds = Number(process.argv[4] ?? 2)
const config = Broadcast.defaultConfig
const chunkSize = 1000
const segmentChunks = 100
const perRound = Math.ceil(tokens / rounds)
// the requests a campaign of this size keeps in flight: its segments running at once, their chunks, their requests
const segments = Math.ceil(Math.ceil(perRound / chunkSize) / segmentChunks)
const inFlight = Math.min(segments, config.segmentConcurrency) * config.chunkConcurrency * config.sendConcurrency

const program = Effect.gen(function*() {
  const emulator = yield* FcmServer.make({ record: false, scenarios: { default: Scenario.latency(latency) } })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fcm-cluster-bench-"))
  const key = path.join(dir, "service-account.json")
  fs.writeFileSync(key, JSON.stringify(emulator.serviceAccount))
  process.env.GOOGLE_APPLICATION_CREDENTIALS = key
  const Fcm = Layer.succeedContext(
    yield* Layer.build(NodeFcm.layer({ baseUrl: emulator.baseUrl, transport: { h2c: true } }))
  )
  const batches = Array.from(
    { length: rounds },
    (_, round) => Array.from({ length: perRound }, (_, i) => `bench-${round}-${i}`)
  )
  const db = path.join(dir, "campaigns.db")
  const size = () =>
    ["", "-wal"].reduce((n, suffix) => n + (fs.existsSync(db + suffix) ? fs.statSync(db + suffix).size : 0), 0)
  const Runner = Broadcast.layer().pipe(
    Layer.provide([Quota.layerSql(), Fcm]),
    Layer.provideMerge(TokenSource.layerSql),
    Layer.provideMerge(Setup.embedded({ filename: db }))
  )

  // the two in turns, a share of the tokens each round, so that a machine busier at one time than at another
  // weighs on both alike
  const result = yield* Effect.gen(function*() {
    for (const [round, list] of batches.entries()) {
      yield* TokenSource.load(`bench-${round}`, Stream.fromIterable(list))
    }
    let plainSeconds = 0
    let plainDelivered = 0
    let campaignSeconds = 0
    let campaignDelivered = 0
    for (const [round, list] of batches.entries()) {
      const plainStarted = performance.now()
      const plain = yield* FcmClient.sendStream(Stream.fromIterable(list), { data: { bench: "1" } }, {
        concurrency: inFlight
      }).pipe(Stream.run(Result.summarySink), Effect.provide(Fcm))
      plainSeconds += (performance.now() - plainStarted) / 1000
      plainDelivered += plain.success

      const started = performance.now()
      const summary = yield* Broadcast.run({
        id: `bench-${round}`,
        message: { data: { bench: "1" } },
        source: `bench-${round}`,
        chunkSize,
        segmentChunks
      })
      campaignSeconds += (performance.now() - started) / 1000
      campaignDelivered += summary.counts.success
    }
    const sql = yield* SqlClient.SqlClient
    yield* sql`PRAGMA wal_checkpoint(TRUNCATE)`
    const before = size()
    for (const round of batches.keys()) yield* Retention.pruneEngine(`bench-${round}`)
    yield* sql`VACUUM`
    yield* sql`PRAGMA wal_checkpoint(TRUNCATE)`
    const tables = yield* sql<{ name: string; bytes: number }>`
      SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC
    `.pipe(Effect.orElseSucceed(() => []))
    return { plainSeconds, plainDelivered, campaignSeconds, campaignDelivered, before, after: size(), tables }
  }).pipe(Effect.provide(Runner))

  const plainRate = result.plainDelivered / result.plainSeconds
  const campaignRate = result.campaignDelivered / result.campaignSeconds
  console.log(`${tokens} tokens in ${rounds} rounds, ${latency} ms latency, ${inFlight} requests in flight`)
  console.log(`sendStream:         ${plainRate.toFixed(0)} tokens/s (${result.plainSeconds.toFixed(1)} s)`)
  console.log(`embedded campaign:  ${campaignRate.toFixed(0)} tokens/s (${result.campaignSeconds.toFixed(1)} s)`)
  console.log(`ratio:              ${(campaignRate / plainRate).toFixed(2)}`)
  console.log(`database:           ${(result.before / tokens).toFixed(0)} bytes per token as left`)
  console.log(`                    ${(result.after / tokens).toFixed(0)} bytes per token, engine messages pruned`)
  for (const { bytes, name } of result.tables.filter((t) => t.bytes >= 0.01 * result.after)) {
    console.log(`  ${name.padEnd(34)} ${(bytes / tokens).toFixed(0)} bytes per token`)
  }
  fs.rmSync(dir, { recursive: true, force: true })
})

Effect.runPromise(Effect.scoped(program)).then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
