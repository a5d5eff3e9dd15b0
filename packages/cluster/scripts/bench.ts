/**
 * The price of durability: a campaign on the embedded set-up (SingleRunner on a SQLite file) against a plain
 * `sendStream` of the same tokens, both to the loopback emulator answering after a fixed latency, with the same
 * number of requests in flight.
 *
 *   node --import tsx packages/cluster/scripts/bench.ts [TOKENS=20000] [LATENCY_MS=50]
 *
 * Prints tokens per second of each, their ratio, and the database's size per token (before any pruning).
 */
import { Broadcast, Quota, Setup, TokenSource } from "@effect-fcm/cluster"
import { FcmEmulator, Scenario } from "@effect-fcm/emulator"
import { FcmClient, Result } from "@effect-fcm/fcm"
import { NodeFcm } from "@effect-fcm/node"
import { Effect, Layer, Stream } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const tokens = Number(process.argv[2] ?? 20_000)
const latency = Number(process.argv[3] ?? 50)
const config = Broadcast.defaultConfig
const inFlight = config.segmentConcurrency * config.chunkConcurrency * config.sendConcurrency

const program = Effect.gen(function*() {
  const emulator = yield* FcmEmulator.make({ record: false, scenarios: { default: Scenario.latency(latency) } })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fcm-cluster-bench-"))
  const key = path.join(dir, "service-account.json")
  fs.writeFileSync(key, JSON.stringify(emulator.serviceAccount))
  process.env.GOOGLE_APPLICATION_CREDENTIALS = key
  const Fcm = NodeFcm.layer({ baseUrl: emulator.baseUrl, transport: { h2c: true } })
  const list = Array.from({ length: tokens }, (_, i) => `bench-${i}`)

  const plainStarted = performance.now()
  const plain = yield* FcmClient.sendStream(Stream.fromIterable(list), { data: { bench: "1" } }, {
    concurrency: inFlight
  }).pipe(Stream.run(Result.summarySink), Effect.provide(Fcm))
  const plainSeconds = (performance.now() - plainStarted) / 1000

  const db = path.join(dir, "campaigns.db")
  const Runner = Broadcast.layer().pipe(
    Layer.provide([Quota.layerSql(), Fcm]),
    Layer.provideMerge(TokenSource.layerSql),
    Layer.provideMerge(Setup.embedded({ filename: db }))
  )
  const campaign = yield* Effect.gen(function*() {
    yield* TokenSource.load("bench", Stream.fromIterable(list))
    const started = performance.now()
    const summary = yield* Broadcast.run({ id: "bench", message: { data: { bench: "1" } }, source: "bench" })
    return { summary, seconds: (performance.now() - started) / 1000 }
  }).pipe(Effect.provide(Runner))

  const bytes = ["", "-wal"].reduce(
    (n, suffix) => n + (fs.existsSync(db + suffix) ? fs.statSync(db + suffix).size : 0),
    0
  )
  const plainRate = plain.success / plainSeconds
  const campaignRate = campaign.summary.counts.success / campaign.seconds
  console.log(`${tokens} tokens, ${latency} ms latency, ${inFlight} requests in flight`)
  console.log(`sendStream:         ${plainRate.toFixed(0)} tokens/s (${plainSeconds.toFixed(1)} s)`)
  console.log(`embedded campaign:  ${campaignRate.toFixed(0)} tokens/s (${campaign.seconds.toFixed(1)} s)`)
  console.log(`ratio:              ${(campaignRate / plainRate).toFixed(2)}`)
  console.log(`database:           ${(bytes / tokens).toFixed(0)} bytes per token (engine messages not pruned)`)
  fs.rmSync(dir, { recursive: true, force: true })
})

Effect.runPromise(Effect.scoped(program)).then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
