import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Scheduler from "effect/Scheduler"
import * as Stream from "effect/Stream"

/** The end of the input (one per worker), and the end or failure of the output. */
const END: unique symbol = Symbol.for("@effect-fcm/fcm/internal/stream/END")
type End = typeof END

class Failed<E> {
  constructor(readonly cause: Cause.Cause<E>) {}
}

const isMarker = <B, E>(u: B | End | Failed<E>): u is End | Failed<E> => u === END || u instanceof Failed

/** Elements taken from the output at once: what one pull of the resulting stream emits at most. */
const MAX_CHUNK = 4096

/** Input elements between two yields to the event loop. */
const YIELD_EVERY = 1024

/**
 * Runs on a timer (a macrotask): a fiber that yields under it resumes after the event loop has turned.
 */
const macrotaskScheduler = Scheduler.timer(0)

/**
 * Waits for one turn of the event loop (a macrotask). Effect's scheduler runs fibers in microtasks and only falls back
 * to a timer after a long uninterrupted run, so a stream whose effects all complete without I/O (an in-memory fake, a
 * cache) would otherwise keep timers and sockets waiting until the whole stream is done. The yield goes through
 * Effect's own scheduler on a `setTimeout(0)` (a web-standard global, unlike Node's `setImmediate`), not through the
 * `Clock`: it yields under `TestClock` too.
 */
const yieldToEventLoop: Effect.Effect<void> = Effect.withScheduler(Effect.yieldNow(), macrotaskScheduler)

/**
 * Maps a stream through an effect with at most `concurrency` effects running at once, emitting results as they
 * complete. A fixed pool of workers reads from a bounded queue, so memory stays bounded by `concurrency` whatever the
 * stream's length, and the cost per element is a few queue operations (`Stream.mapEffect` with concurrency spawns a
 * fiber and a channel per element):
 *
 * - the input is moved a chunk at a time (`offerAll`), not an element at a time;
 * - results go into the output queue as they are (no `Take` per element), followed by one end or failure marker,
 *   and the resulting stream takes them a chunk at a time.
 *
 * @internal
 */
export const mapConcurrent = <A, B, E, R, E2, R2>(
  self: Stream.Stream<A, E, R>,
  f: (a: A) => Effect.Effect<B, E2, R2>,
  concurrency: number
): Stream.Stream<B, E | E2, R | R2> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const input = yield* Effect.acquireRelease(Queue.bounded<A | End>(Math.max(concurrency, 64)), Queue.shutdown)
    const output = yield* Effect.acquireRelease(
      Queue.bounded<B | End | Failed<E | E2>>(Math.max(concurrency * 2, 256)),
      Queue.shutdown
    )
    // Every thousand elements or so the producer lets the event loop turn: the workers drain the input queue and wait,
    // timers and I/O run, then the producer goes on.
    let sinceYield = 0
    const offer = (chunk: Chunk.Chunk<A>): Effect.Effect<void> => {
      const room = YIELD_EVERY - sinceYield
      if (chunk.length < room) {
        sinceYield += chunk.length
        return Queue.offerAll(input, chunk)
      }
      sinceYield = 0
      const [head, tail] = Chunk.splitAt(chunk, room)
      return Queue.offerAll(input, head).pipe(
        Effect.zipRight(yieldToEventLoop),
        Effect.zipRight(Chunk.isEmpty(tail) ? Effect.void : Effect.suspend(() => offer(tail)))
      )
    }
    const producer = Stream.runForEachChunk(self, offer).pipe(
      Effect.zipRight(Queue.offerAll(input, Array.from({ length: concurrency }, (): End => END)))
    )
    const worker: Effect.Effect<void, E2, R2> = Effect.flatMap(
      Queue.take(input),
      (next) =>
        next === END ? Effect.void : Effect.flatMap(f(next), (b) => Effect.zipRight(Queue.offer(output, b), worker))
    )
    const workers = Effect.all(Array.from({ length: concurrency }, () => worker), {
      concurrency: "unbounded",
      discard: true
    })
    yield* Effect.all([producer, workers], { concurrency: "unbounded", discard: true }).pipe(
      Effect.matchCauseEffect({
        onFailure: (cause) => Queue.offer(output, new Failed(cause)),
        onSuccess: () => Queue.offer(output, END)
      }),
      Effect.forkScoped
    )
    // Results then one marker: the marker is always the last element offered, so it ends the last chunk taken.
    let finished: End | Failed<E | E2> | undefined
    const pull: Effect.Effect<Chunk.Chunk<B>, Option.Option<E | E2>> = Effect.suspend(() => {
      if (finished === END) return Effect.fail(Option.none())
      // a failure becomes `Some`, so that it is not mistaken for the end of the stream
      if (finished !== undefined) return Effect.failCause(Cause.map(finished.cause, Option.some))
      return Effect.flatMap(Queue.takeBetween(output, 1, MAX_CHUNK), (taken) => {
        const last = Chunk.unsafeLast(taken)
        if (!isMarker(last)) return Effect.succeed(taken as Chunk.Chunk<B>)
        finished = last
        const values = Chunk.dropRight(taken, 1) as Chunk.Chunk<B>
        return Chunk.isEmpty(values) ? pull : Effect.succeed(values)
      })
    })
    return Stream.repeatEffectChunkOption(pull)
  }))
