/**
 * Helpers of the tests of the governor's places (Governor.test.ts, Stream.test.ts): a v1-shaped client whose requests
 * the test writes, a request that counts what is in flight, and counters of the turns and waits a client takes.
 */
import { FcmClient, type Governor, Result } from "@effect-fcm/fcm"
import { Effect } from "effect"
import { registry } from "../../src/internal/places.js"

/** One delivered outcome. */
export const delivered: ReadonlyArray<Result.Outcome> = [Result.Outcome.Delivered({ messageId: "1" })]

/** A v1-shaped client over `governor` whose requests run `request(target)`. */
export const clientOf = (
  governor: Governor.Governor,
  request: (target: string) => Effect.Effect<ReadonlyArray<Result.Outcome>>
) =>
  FcmClient.make({
    name: "v1",
    batchSize: 1,
    concurrency: 64,
    backoffMillis: 1000,
    governor,
    prepare: () => Effect.succeed((targets) => request(targets[0]!))
  })

/** Counts the requests that took a turn of their own (`Governor.run`) and the waits for a held place. */
export const countTurns = (governor: Governor.Governor) => {
  const counter = { runs: 0, waits: 0 }
  const run = governor.run
  Object.assign(governor, {
    run: (...args: Parameters<typeof run>) => (counter.runs++, run(...args))
  })
  const places = registry.get(governor)!
  const take = places.take
  Object.assign(places, { take: (holder: Parameters<typeof take>[0]) => (counter.waits++, take(holder)) })
  return counter
}

/** What {@link counted} requests record: in flight now, the most at once, the targets in the order they started. */
export interface InFlight {
  inFlight: number
  most: number
  readonly started: Array<string>
}

/** An empty {@link InFlight}. */
export const inFlight = (): InFlight => ({ inFlight: 0, most: 0, started: [] })

/** A request that counts itself in flight (`stats`) and answers after a yield. */
export const counted = (stats: InFlight) => (target: string) =>
  Effect.suspend(() => {
    stats.started.push(target)
    stats.most = Math.max(stats.most, ++stats.inFlight)
    return Effect.as(Effect.zipRight(Effect.yieldNow(), Effect.sync(() => stats.inFlight--)), delivered)
  })

/** `n` targets named `prefix-0` … */
export const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`)
