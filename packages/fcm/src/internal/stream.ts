/**
 * The worker pool behind `sendStream`: a stream's elements, in batches, through an effect with bounded concurrency and
 * bounded memory, the results emitted as they complete.
 *
 * @internal
 */
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Scheduler from "effect/Scheduler"
import * as Stream from "effect/Stream"

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
 * Runs a callback on the next turn of the event loop: `setImmediate` where there is one (after the I/O callbacks of
 * the current turn), `setTimeout(0)` elsewhere.
 */
const nextTurn: (f: () => void) => void = (() => {
  const setImmediate = (globalThis as { readonly setImmediate?: (f: () => void) => unknown }).setImmediate
  return typeof setImmediate === "function" ? (f) => void setImmediate(f) : (f) => void setTimeout(f, 0)
})()

/**
 * Parks the calling fiber until `wake` is called (once); an interrupted fiber takes itself off `waiting`.
 */
const park = (waiting: Array<() => void>): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const wake = () => resume(Effect.void)
    waiting.push(wake)
    return Effect.sync(() => {
      const i = waiting.indexOf(wake)
      if (i >= 0) waiting.splice(i, 1)
    })
  })

/** Wakes every fiber of `waiting`. */
const wakeAll = (waiting: Array<() => void>): void => {
  if (waiting.length === 0) return
  const woken = waiting.splice(0, waiting.length)
  for (let i = 0; i < woken.length; i++) woken[i]!()
}

/**
 * `Stream.unwrap` without a stream step per chunk: `Stream.unwrap` flattens a stream of one stream, which passes
 * every chunk of the inner stream through a sub-executor; this runs the inner stream's channel in place.
 *
 * @internal
 */
export const unwrap = <A, E2, R2, E, R>(
  effect: Effect.Effect<Stream.Stream<A, E2, R2>, E, R>
): Stream.Stream<A, E | E2, R | R2> => Stream.fromChannel(Channel.unwrap(Effect.map(effect, Stream.toChannel)))

/**
 * Sends a stream's elements through `f` in batches of `batchSize` (the last one may be shorter) with at most
 * `concurrency` batches in flight, emitting the results of each batch as it completes. A fixed pool of `concurrency`
 * workers takes the batches in turn, so memory stays bounded whatever the stream's length:
 *
 * - the input is read a chunk at a time by one fiber into a buffer of at most `max(concurrency, 64) × batchSize`
 *   elements, and a worker takes its batch from the buffer without an effect (a worker parks only when the buffer is
 *   empty);
 * - each batch's results are appended to one array, and a pull of the resulting stream takes the whole array as its
 *   chunk (no copy, no wrapper per element); the workers wait when `max(concurrency × 2, 256)` results are not yet
 *   pulled;
 * - the resulting stream runs the pool's channel in place (no stream step per chunk but its own write).
 *
 * The first failure (of the input or of `f`) interrupts the rest, and the stream fails with it after the results
 * completed before it; ending the stream early (or interrupting it) interrupts the workers and their effects.
 *
 * @internal
 */
export const mapBatches = <A, B, E, R, E2, R2>(
  self: Stream.Stream<A, E, R>,
  options: { readonly concurrency: number; readonly batchSize: number },
  f: (batch: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<B>, E2, R2>
): Stream.Stream<B, E | E2, R | R2> =>
  Stream.suspend(() => {
    const concurrency = Math.max(1, options.concurrency)
    const batchSize = Math.max(1, options.batchSize)
    const inputCapacity = Math.max(concurrency, 64) * batchSize
    const outputCapacity = Math.max(concurrency * 2, 256)

    // the input: chunks read and not yet taken, the first one from `at`
    const chunks: Array<ReadonlyArray<A>> = []
    let at = 0
    let buffered = 0
    let inputEnded = false
    const idleWorkers: Array<() => void> = []
    const waitingProducer: Array<() => void> = []

    // the output: results not yet pulled, and the end once every worker is done
    let ready: Array<B> = []
    let ended = false
    let failure: Effect.Effect<never, E | E2> | undefined
    const waitingConsumer: Array<() => void> = []
    const fullWorkers: Array<() => void> = []

    /** Takes the next batch off the buffer; `undefined` when it has to wait for more input. */
    const takeBatch = (): ReadonlyArray<A> | undefined => {
      if (buffered === 0 || (buffered < batchSize && !inputEnded)) return undefined
      const n = Math.min(batchSize, buffered)
      const batch = new Array<A>(n)
      for (let k = 0; k < n; k++) {
        const chunk = chunks[0]!
        batch[k] = chunk[at++]!
        if (at === chunk.length) {
          chunks.shift()
          at = 0
        }
      }
      buffered -= n
      if (buffered < inputCapacity) wakeAll(waitingProducer)
      return batch
    }

    let sinceYield = 0
    const offer = (chunk: Chunk.Chunk<A>): Effect.Effect<void> => {
      if (Chunk.isEmpty(chunk)) return Effect.void
      // every thousand elements or so the producer lets the event loop turn: the workers drain the buffer and wait,
      // timers and I/O run, then the producer goes on
      const room = YIELD_EVERY - sinceYield
      const [head, tail] = chunk.length <= room ? [chunk, Chunk.empty<A>()] : Chunk.splitAt(chunk, room)
      chunks.push(Chunk.toReadonlyArray(head))
      buffered += head.length
      sinceYield += head.length
      wakeAll(idleWorkers)
      const yielded = sinceYield >= YIELD_EVERY ? (sinceYield = 0, yieldToEventLoop) : Effect.void
      const next = Chunk.isEmpty(tail) ? Effect.void : Effect.suspend(() => offer(tail))
      return Effect.zipRight(yielded, Effect.zipRight(waitForRoom, next))
    }
    const waitForRoom: Effect.Effect<void> = Effect.suspend(() =>
      buffered < inputCapacity ? Effect.void : Effect.zipRight(park(waitingProducer), waitForRoom)
    )
    const producer = Effect.ensuring(
      Stream.runForEachChunk(self, offer),
      Effect.sync(() => {
        inputEnded = true
        wakeAll(idleWorkers)
      })
    )

    // The consumer is woken once an event loop turn (the results of every answer read in that turn in one chunk), or at
    // once when half the output is full.
    let wakeScheduled = false
    const wakeConsumer = () => {
      wakeScheduled = false
      wakeAll(waitingConsumer)
    }
    const emit = (results: ReadonlyArray<B>): void => {
      for (let i = 0; i < results.length; i++) ready.push(results[i]!)
      if (waitingConsumer.length === 0) return
      if (ready.length >= outputCapacity / 2) return wakeAll(waitingConsumer)
      if (!wakeScheduled) {
        wakeScheduled = true
        nextTurn(wakeConsumer)
      }
    }
    const worker: Effect.Effect<void, E2, R2> = Effect.suspend(() => {
      const batch = takeBatch()
      if (batch === undefined) return inputEnded ? Effect.void : Effect.zipRight(park(idleWorkers), worker)
      return Effect.flatMap(f(batch), (results) => {
        emit(results)
        return ready.length < outputCapacity ? worker : Effect.zipRight(park(fullWorkers), worker)
      })
    })
    const all = Effect.all([producer, ...Array.from({ length: concurrency }, () => worker)], {
      concurrency: "unbounded",
      discard: true
    }).pipe(
      Effect.onExit((exit) =>
        Effect.sync(() => {
          ended = true
          if (exit._tag === "Failure") failure = Effect.failCause(exit.cause)
          wakeAll(waitingConsumer)
        })
      )
    )

    /** The results pulled at once, `undefined` at the end; the failure after the results completed before it. */
    const pull: Effect.Effect<Chunk.Chunk<B> | undefined, E | E2> = Effect.suspend(() => {
      if (ready.length > 0) {
        const taken = ready
        ready = []
        wakeAll(fullWorkers)
        return Effect.succeed(Chunk.unsafeFromArray(taken))
      }
      if (ended) return failure ?? Effect.succeed(undefined)
      return Effect.zipRight(park(waitingConsumer), pull)
    })
    const loop: Channel.Channel<Chunk.Chunk<B>, unknown, E | E2, unknown, void, unknown> = Channel.flatMap(
      Channel.fromEffect(pull),
      (chunk) => chunk === undefined ? Channel.void : Channel.zipRight(Channel.write(chunk), loop)
    )
    return Stream.fromChannel(Channel.acquireUseRelease(
      // forked interruptible: the acquisition runs uninterruptibly, and a fiber inherits that
      Effect.fork(Effect.interruptible(all)),
      () => loop,
      (fiber) => Fiber.interrupt(fiber)
    ))
  })
