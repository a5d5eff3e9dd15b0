/**
 * Liveness of sends under the adaptive limit: whatever the order of the answers, the limit's moves, the number of
 * concurrent sends sharing a client and their interruptions, every send ends with one outcome per target and the
 * governor's places all come back.
 *
 * The server is scripted by event, never by the wall clock: requests queue up, and the driver answers one at a time,
 * picked in a seeded random order, after a seeded latency on a clock the driver moves. A send that waits forever shows up
 * deterministically: the fibers ran until they waited with no request coming up, nothing is left to answer, no timer is
 * due, and a send is still not done.
 */
import { FcmClient, Governor, Message, Result } from "@effect-fcm/fcm"
import { InvalidMessage, TransportError } from "@effect-fcm/fcm/FcmError"
import type { FcmError } from "@effect-fcm/fcm/FcmError"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, Duration, Effect, Exit, Fiber, Option, Schedule, Stream } from "effect"
import { registry } from "../src/internal/places.js"

/** A seeded generator (mulberry32). */
const random = (seed: number) => {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, int: (n: number) => Math.floor(next() * n) }
}

/**
 * A clock the driver moves: its time changes only when told, and its sleeps end only when the driver passes their
 * time, so that a run is the same at every speed of the machine.
 */
const manualClock = () => {
  let now = 0
  const sleeps: Array<{ readonly at: number; readonly wake: () => void }> = []
  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => now,
    currentTimeMillis: Effect.sync(() => now),
    unsafeCurrentTimeNanos: () => BigInt(now) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(now) * 1_000_000n),
    sleep: (duration) =>
      Effect.async<void>((resume) => {
        const sleep = { at: now + Duration.toMillis(duration), wake: () => resume(Effect.void) }
        sleeps.push(sleep)
        return Effect.sync(() => {
          const i = sleeps.indexOf(sleep)
          if (i >= 0) sleeps.splice(i, 1)
        })
      })
  }
  /** Moves the time on by `millis`, waking the sleeps due by then. */
  const adjust = (millis: number): void => {
    now += millis
    for (let i = 0; i < sleeps.length;) {
      if (sleeps[i]!.at <= now) sleeps.splice(i, 1)[0]!.wake()
      else i++
    }
  }
  /** The time of the next sleep to end, if any sleeps. */
  const next = (): number | undefined => sleeps.length === 0 ? undefined : Math.min(...sleeps.map((s) => s.at))
  return { clock, adjust, next, now: () => now }
}

/**
 * A turn of the event loop, after the callbacks already queued on it (the stream's pool hands over on the next turn,
 * and Effect's scheduler goes on after a timer of 0 when a fiber ran long): an order of events, not a time.
 */
const nextTurn: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setTimeout(() => setImmediate(() => resume(Effect.void)), 0)
  return Effect.sync(() => clearTimeout(handle))
})

interface Pending {
  readonly targets: ReadonlyArray<string>
  readonly resume: (answer: Effect.Effect<ReadonlyArray<Result.Outcome>, FcmError>) => void
}

const delivered = Result.Outcome.Delivered({ messageId: "m" })
const overloaded = Result.Outcome.Retryable({ reason: "RESOURCE_EXHAUSTED", retryAfterMillis: 50 })
const unavailable = Result.Outcome.Retryable({ reason: "UNAVAILABLE", retryAfterMillis: undefined })
const unregistered = Result.Outcome.NotRegistered({ code: "UNREGISTERED" })

type Kind = "send" | "retry" | "stream"

interface Send {
  readonly name: string
  readonly kind: Kind
  readonly tokens: ReadonlyArray<string>
  /** The event at which it starts, and the one at which it is interrupted (if any). */
  readonly startAt: number
  readonly interruptAt: number | undefined
  fiber?: Fiber.RuntimeFiber<void, FcmError> | undefined
  /** One outcome per target, checked when it ends. */
  outcomes?: number
}

/** How the limit moved over the runs: a run where it never moves would prove little. */
const moves = { rose: 0, fell: 0 }

/** The streams that failed as a whole over the runs: their end is what a hang of the stream's pool would miss. */
let failedStreams = 0

/** One scripted run: sends sharing one client over one governor, answered in the seed's order. */
const scenario = (seed: number) =>
  Effect.gen(function*() {
    const rng = random(seed)
    const time = manualClock()
    const cap = 4 + rng.int(60)
    const governor = Governor.unsafeMake({ cap, initial: 1 + rng.int(Math.min(cap, 16)), protocol: "liveness" })
    const batchSize = rng.int(3) === 0 ? 3 : 1
    const pending: Array<Pending> = []
    const client = FcmClient.make({
      name: "v1",
      batchSize,
      concurrency: cap,
      backoffMillis: 10,
      governor,
      prepare: () =>
        Effect.succeed((targets) =>
          Effect.async<ReadonlyArray<Result.Outcome>, FcmError>((resume) => {
            const request: Pending = { targets, resume }
            pending.push(request)
            return Effect.sync(() => {
              const i = pending.indexOf(request)
              if (i >= 0) pending.splice(i, 1)
            })
          })
        )
    })

    const sends: Array<Send> = Array.from({ length: 1 + rng.int(4) }, (_, s) => {
      const kinds: ReadonlyArray<Kind> = ["send", "retry", "retry", "stream"]
      return {
        name: `s${s}`,
        kind: kinds[rng.int(kinds.length)]!,
        tokens: Array.from({ length: 1 + rng.int(150) }, (_, i) => `s${s}-${i}`),
        startAt: s === 0 ? 0 : rng.int(300),
        interruptAt: rng.int(8) === 0 ? rng.int(400) : undefined
      }
    })

    const streams = sends.some((s) => s.kind === "stream")
    const run = (send: Send): Effect.Effect<void, FcmError> => {
      const message = Message.multicast(send.tokens)
      const whole = (result: Result.Result) =>
        Effect.sync(() => {
          let answered = 0
          for (const outcome of result.outcomes.values()) if (outcome !== undefined) answered++
          send.outcomes = answered
        })
      switch (send.kind) {
        case "send":
          return Effect.flatMap(client.send(message), whole)
        case "retry":
          return Effect.flatMap(client.sendWithRetry(message, { schedule: Schedule.recurs(3) }), whole)
        case "stream":
          return client.sendStream(Stream.fromIterable(send.tokens), {}, {
            concurrency: 1 + rng.int(8),
            retry: rng.int(2) === 0 ? false : Schedule.recurs(2)
          }).pipe(
            Stream.runCount,
            Effect.map((n) => void (send.outcomes = n))
          )
      }
    }

    /** The answer to one request, by phase: calm, a storm of 429s and 5xx, or (rarely) a send-failing error. */
    let storm = false
    const answer = (targets: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<Result.Outcome>, FcmError> => {
      if (rng.int(storm ? 30 : 200) === 0) storm = !storm
      const roll = rng.int(1000)
      if (roll < 2) return Effect.fail(new InvalidMessage({ field: "message", reason: "scripted" }))
      if (roll < 4) return Effect.fail(new TransportError({ reason: "scripted reset", retryable: true }))
      return Effect.succeed(targets.map(() => {
        const r = rng.int(100)
        if (storm) return r < 60 ? overloaded : r < 80 ? unavailable : delivered
        return r < 2 ? unregistered : r < 4 ? unavailable : delivered
      }))
    }

    const state = (event: number) =>
      Effect.gen(function*() {
        const limit = yield* governor.limit
        const inFlight = yield* governor.inFlight
        const open = sends.filter((s) => s.fiber !== undefined && s.fiber.unsafePoll() === null).map((s) =>
          `${s.name}(${s.kind}, ${s.tokens.length} tokens)`
        )
        const places = registry.get(governor)!
        return `seed ${seed}, event ${event}: limit ${limit}, inFlight ${inFlight}, spare ${places.spare()}, ` +
          `pending ${pending.length}, ` +
          `batchSize ${batchSize}, cap ${cap}, open sends: ${open.join(", ")}`
      })

    const allDone = () => sends.every((s) => s.fiber !== undefined && s.fiber.unsafePoll() !== null)

    let event = 0
    let last = yield* governor.limit
    while (true) {
      const limit = yield* governor.limit
      if (limit > last) moves.rose++
      if (limit < last) moves.fell++
      last = limit
      for (const send of sends) {
        if (send.fiber === undefined && send.startAt <= event) {
          send.fiber = yield* Effect.fork(Effect.withClock(run(send), time.clock))
        }
        if (send.fiber !== undefined && send.interruptAt === event) yield* Fiber.interrupt(send.fiber)
      }
      if (allDone() && sends.every((s) => s.startAt <= event)) break
      // let every fiber run until it waits: for an answer, a timer, or (a hang) something nothing will wake
      for (let i = 0; i < 200 && pending.length === 0; i++) {
        yield* Effect.yieldNow()
        // the stream's pool hands over on the event loop's next turn (a macrotask)
        if (i % 50 === 49 && streams) yield* nextTurn
      }
      // The fibers settled only if no request came up while they ran: the loop above stops at the first request, and
      // that request can be gone a few yields later (a send that fails as a whole interrupts its other requests)
      // while the send's fibers are still ending.
      const settled = pending.length === 0
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      if (pending.length > 0) {
        time.adjust(rng.int(20))
        const request = pending.splice(rng.int(pending.length), 1)[0]
        request?.resume(answer(request.targets))
      } else {
        const wakeAt = time.next()
        if (wakeAt !== undefined) {
          time.adjust(Math.max(1, wakeAt - time.now()))
        } else if (!allDone()) {
          if (sends.some((s) => s.fiber === undefined)) {
            // nothing to answer before the next send starts
          } else if (!settled) {
            // a request came up and went away: let the fibers settle before judging
          } else {
            return assert.fail(`a send waits for nothing: ${yield* state(event)}`)
          }
        }
      }
      event++
      if (event > 100_000) return assert.fail(`no end in sight: ${yield* state(event)}`)
    }

    for (const send of sends) {
      const exit = yield* Fiber.await(send.fiber!)
      if (Exit.isSuccess(exit)) {
        assert.strictEqual(send.outcomes, send.tokens.length, `${send.name} (${send.kind}), seed ${seed}`)
      } else if (send.interruptAt === undefined) {
        // failed as a whole: its partial result (when it got to the fan-out) has every target
        const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
        assert.isDefined(failure, `${send.name} (${send.kind}) died, seed ${seed}: ${Cause.pretty(exit.cause)}`)
        if (send.kind === "stream") failedStreams++
        const partial = failure?.partial
        if (partial !== undefined && send.kind !== "stream") {
          let answered = 0
          for (const outcome of partial.outcomes.values()) if (outcome !== undefined) answered++
          assert.strictEqual(answered, send.tokens.length, `${send.name} partial, seed ${seed}`)
        }
      }
    }
    assert.strictEqual(yield* governor.inFlight, 0, `places left held: ${yield* state(event)}`)
    return event
  })

describe("sends under the adaptive limit", () => {
  it.effect("every send ends, with one outcome per target, and gives back every place", () =>
    Effect.gen(function*() {
      const seeds = Number(process.env.LIVENESS_SEEDS ?? 100)
      const first = Number(process.env.LIVENESS_SEED ?? 1)
      let events = 0
      for (let seed = first; seed < first + seeds; seed++) {
        events += yield* scenario(seed)
      }
      assert.isAbove(events, seeds)
      // the runs moved the limit both ways
      assert.isAbove(moves.rose, 0)
      assert.isAbove(moves.fell, 0)
      // and some streams failed as a whole, and ended
      assert.isAbove(failedStreams, 0)
    }), 120_000)
})
