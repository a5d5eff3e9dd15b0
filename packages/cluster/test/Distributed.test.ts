import { Setup } from "@effect-fcm/cluster"
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import { assert, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schedule } from "effect"
import {
  bound,
  campaignState,
  deliveries,
  describePostgres,
  freshDatabase,
  ledgerRows,
  postgresUrl,
  query,
  type RunnerConfig,
  startRunner
} from "./postgres.js"

const waitFor = <A>(poll: Effect.Effect<A>, until: (a: A) => boolean, what: string, seconds = 120) =>
  poll.pipe(
    Effect.repeat({ schedule: Schedule.spaced("200 millis"), until }),
    Effect.timeoutFail({ duration: `${seconds} seconds`, onTimeout: () => new Error(`timed out waiting for ${what}`) })
  )

describePostgres("two runners on PostgreSQL", () => {
  const TOKENS = 8_000
  const config: RunnerConfig = {
    segmentConcurrency: 4,
    chunkConcurrency: 1,
    sendConcurrency: 16,
    ledgerBatch: 50,
    chunkSize: 250,
    segmentChunks: 2
  }

  it.live(
    "one killed mid-campaign: the other finishes it, one outcome per token, repeats only those in flight",
    () =>
      Effect.gen(function*() {
        const url = yield* freshDatabase
        // one emulator per runner: their records tell which runner sent what
        const emulatorA = yield* FcmServer.make({
          recordCapacity: 50_000,
          scenarios: { default: Scenario.latency(5) }
        })
        const emulatorB = yield* FcmServer.make({
          recordCapacity: 50_000,
          scenarios: { default: Scenario.latency(5) }
        })
        const b = yield* startRunner({ url, emulator: emulatorB, config })
        const a = yield* startRunner({
          url,
          emulator: emulatorA,
          config,
          start: { id: "failover", tokens: TOKENS, runners: 2 }
        })

        // kill A on events, mid-chunk: once the ledger holds a sixth of the campaign, A's emulator stops answering,
        // and A is killed once one of its requests hangs there (a chunk of A's is then surely unfinished)
        yield* waitFor(
          ledgerRows(url, "failover"),
          (rows) => rows.n >= TOKENS / 6 || a.child.exitCode !== null,
          "runner A to send"
        )
        yield* emulatorA.setDefault(Scenario.hang)
        yield* waitFor(
          Effect.map(emulatorA.records, (records) => records.some((record) => record.fault === "Hang")),
          (hanging) => hanging || a.child.exitCode !== null,
          "a request of runner A to hang"
        )
        assert.strictEqual(a.child.exitCode, null, `runner A stopped before the kill: ${a.output()}`)
        a.child.kill("SIGKILL")
        yield* Effect.promise(() => a.exited)
        const atKill = yield* ledgerRows(url, "failover")
        assert.ok(atKill.n < TOKENS, "killed mid-campaign")

        yield* waitFor(
          campaignState(url, "failover"),
          (state) => state === "done" || b.child.exitCode !== null,
          "runner B to finish the campaign",
          180
        )
        assert.strictEqual(b.child.exitCode, null, `runner B stopped: ${b.output()}`)
        assert.deepStrictEqual(yield* ledgerRows(url, "failover"), { n: TOKENS, distinctTargets: TOKENS })

        const byA = yield* deliveries(emulatorA)
        const byB = yield* deliveries(emulatorB)
        const all = new Map<string, number>()
        for (const counts of [byA, byB]) {
          for (const [token, n] of counts) all.set(token, (all.get(token) ?? 0) + n)
        }
        assert.strictEqual(all.size, TOKENS, "every token delivered")
        const repeated = [...all.values()].filter((n) => n > 1).length
        // B took over what A was running: a chunk A sent to (its hanging requests included) that B delivered
        const chunkOf = (token: string) => Math.floor(Number(token.slice("device-".length)) / config.chunkSize!)
        const chunksOfA = new Set(
          (yield* emulatorA.records).flatMap((record) =>
            record.route === "v1" && record.target?._tag === "Token" ? [chunkOf(record.target.token)] : []
          )
        )
        const shared = new Set([...byB.keys()].map(chunkOf).filter((chunk) => chunksOfA.has(chunk)))
        console.log(
          `failover: A killed at ${atKill.n} ledger rows; A delivered ${byA.size}, B ${byB.size}; ` +
            `${shared.size} chunks taken over; ${repeated} tokens delivered twice (bound ${bound(config)})`
        )
        assert.ok(shared.size > 0, "B ran a chunk that A had started")
        // a token delivered twice is one of a chunk A was sending when it was killed, which B ran again
        const outside = [...all].filter(([token, n]) => n > 1 && !shared.has(chunkOf(token)))
        assert.deepStrictEqual(outside, [], "repeats outside the chunks in flight at the kill")
        assert.ok(repeated <= bound(config), `${repeated} repeats > bound ${bound(config)}`)
      }).pipe(Effect.scoped),
    { timeout: 300_000 }
  )

  it.live(
    "a shared limit of N a second: the requests of two runners, as the emulators timed them, stay within it",
    () =>
      Effect.gen(function*() {
        const PER_SECOND = 40
        const TOKENS = 480 // 12 seconds at the limit
        const limited: RunnerConfig = {
          perMinute: PER_SECOND * 60,
          segmentConcurrency: 12, // 12 segments of one chunk, all at once: both runners busy all along
          chunkConcurrency: 1,
          sendConcurrency: 8,
          quotaBatch: 10,
          ledgerBatch: 50,
          chunkSize: 40,
          segmentChunks: 1
        }
        const url = yield* freshDatabase
        const emulatorA = yield* FcmServer.make({ recordCapacity: 10_000 })
        const emulatorB = yield* FcmServer.make({ recordCapacity: 10_000 })
        yield* startRunner({ url, emulator: emulatorB, config: limited })
        const a = yield* startRunner({
          url,
          emulator: emulatorA,
          config: limited,
          start: { id: "quota", tokens: TOKENS, runners: 2 }
        })
        yield* waitFor(campaignState(url, "quota"), (state) =>
          state === "done" || a.child.exitCode !== null, "the campaign")
        assert.deepStrictEqual(yield* ledgerRows(url, "quota"), { n: TOKENS, distinctTargets: TOKENS })

        // the emulators' own clocks: when each request arrived
        const times = (records: ReadonlyArray<{ readonly route: string; readonly time: number }>) =>
          records.filter((r) =>
            r.route === "v1"
          ).map((r) => r.time)
        const fromA = times(yield* emulatorA.records)
        const fromB = times(yield* emulatorB.records)
        const all = [...fromA, ...fromB].sort((x, y) => x - y)
        assert.strictEqual(all.length, TOKENS)
        const perSecond = new Map<number, number>()
        for (const t of all) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1)
        const seconds = [...perSecond.keys()].sort((x, y) => x - y)
        const both = seconds.filter((s) =>
          fromA.some((t) => Math.floor(t / 1000) === s) && fromB.some((t) => Math.floor(t / 1000) === s)
        )
        console.log(
          `quota: ${PER_SECOND}/s shared; arrivals per second ${seconds.map((s) => perSecond.get(s)).join(", ")}; ` +
            `A sent ${fromA.length}, B ${fromB.length}; both sending in ${both.length} of ${seconds.length} seconds`
        )
        assert.ok(both.length >= 1, "both runners sent in the same second")
        // A request arrives after its share was taken, never before, and each second grants at most PER_SECOND
        // (batches of quotaBatch): so from the first second a share was taken (the runners' rows in fcm_quota) to the
        // end of any later second, the requests that arrived fit in those seconds' budgets. A busy machine only
        // delays arrivals, which keeps them within it.
        const first = yield* query<{ slot: number }>(url, `SELECT MIN(slot) AS slot FROM fcm_quota`)
        const firstSlot = Number(first[0]!.slot)
        assert.ok(firstSlot <= seconds[0]!, "shares are taken before requests arrive")
        let arrived = 0
        for (const second of seconds) {
          arrived += perSecond.get(second)!
          const budget = PER_SECOND * (second - firstSlot + 1)
          assert.ok(arrived <= budget, `${arrived} requests by the end of second ${second - firstSlot} > ${budget}`)
        }
        // and the rate held: the campaign took as long as the limit says, give or take a batch a second
        const span = seconds[seconds.length - 1]! - firstSlot + 1
        assert.ok(span >= Math.floor(TOKENS / (PER_SECOND + limited.quotaBatch!)), `${TOKENS} requests in ${span} s`)
      }).pipe(Effect.scoped),
    { timeout: 180_000 }
  )

  it.live("a database that cannot be opened fails at start with the URL, its password hidden, and what to check", () =>
    Effect.gen(function*() {
      const url = new URL(postgresUrl!)
      url.password = "s3cret"
      url.pathname = "/no_such_database"
      const error = yield* Effect.flip(
        Effect.scoped(Layer.build(Setup.distributed({ url: Redacted.make(url.toString()), clientOnly: true })))
      )
      assert.strictEqual(error._tag, "DatabaseUnavailable")
      assert.include(error.message, Setup.redactUrl(url.toString()))
      assert.include(error.message, "no_such_database")
      assert.include(error.message, "does not exist")
      assert.include(error.message, "Create it (createdb no_such_database)")
      assert.notInclude(error.message, "s3cret")
      console.log(error.message)
    }))
})
