/**
 * The worker pool behind `sendStream`: a stream's elements, in batches, through an effect with bounded concurrency and
 * bounded memory, the results emitted as they complete.
 *
 * @internal
 */
import type * as Cause from "effect/Cause"
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Scheduler from "effect/Scheduler"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { Group, Holder, Places } from "./places.js"

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
 * The places a pool's workers hold, one each while they send: a governor's {@link Places}, or {@link unbounded}.
 *
 * @internal
 */
export type Seats = Pick<Places, "join" | "tryTake" | "take" | "give" | "yielding" | "wanting" | "spare">

/**
 * Places without a limit of their own: the pool's `concurrency` bounds its workers (a governor with a rate budget, or
 * none, leaves each request to take its own turn).
 *
 * @internal
 */
export const unbounded: Seats = {
  join: () => () => {},
  tryTake: (holder) => {
    if (!holder.holding) {
      holder.holding = true
      holder.group.held++
    }
    return true
  },
  take: (holder) => Effect.sync(() => unbounded.tryTake(holder)),
  give: (holder) => {
    if (!holder.holding) return
    holder.holding = false
    holder.group.held--
  },
  yielding: () => false,
  wanting: () => true,
  spare: () => Number.MAX_SAFE_INTEGER
}

/**
 * Sends a stream's elements through `f` in batches of `batchSize` (the last one may be shorter) with at most
 * `concurrency` batches in flight, emitting the results of each batch as it completes. A pool of at most
 * `concurrency` workers takes the batches in turn, so memory stays bounded whatever the stream's length:
 *
 * - the input is read a chunk at a time by one fiber into a buffer of at most `max(concurrency, 64) × batchSize`
 *   elements, and a worker takes its batch from the buffer without an effect;
 * - each batch's results are appended to one array, and a pull of the resulting stream takes the whole array as its
 *   chunk (no copy, no wrapper per element); the workers wait when `max(concurrency × 2, 256)` results are not yet
 *   pulled;
 * - the resulting stream runs the pool's channel in place (no stream step per chunk but its own write).
 *
 * A worker sends while it holds one of `seats` (a governor's places: its requests in flight), and keeps it across
 * batches, so that a batch takes no place of its own. It follows the limit: workers start as input arrives while
 * places are free, and after each batch a worker gives its place back when the limit fell below the places held or
 * another caller waits (then it goes on if it takes one again, waits for one if no other worker does and the pool
 * holds less than its share, else ends). A worker that has nothing to do (the input momentarily empty, the output
 * full) gives its place back while it waits: an idle stream holds no place. `f` runs while its worker holds a place,
 * passed as `holder`; it may give the place back itself (`seats.give(holder)`) before a long wait, and the worker
 * takes one again before its next batch.
 *
 * The first failure (of the input or of `f`) interrupts the rest, and the stream fails with it after the results
 * completed before it; ending the stream early (or interrupting it) interrupts the workers and their effects, and
 * every place is given back.
 *
 * @internal
 */
export const mapBatches = <A, B, E, R, E2, R2>(
  self: Stream.Stream<A, E, R>,
  options: { readonly concurrency: number; readonly batchSize: number; readonly seats?: Seats | undefined },
  f: (batch: ReadonlyArray<A>, holder: Holder) => Effect.Effect<ReadonlyArray<B>, E2, R2>
): Stream.Stream<B, E | E2, R | R2> =>
  Stream.suspend(() => {
    const concurrency = Math.max(1, options.concurrency)
    const batchSize = Math.max(1, options.batchSize)
    const seats = options.seats ?? unbounded
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

    // the workers: how many live, whether one waits for a place; done once the input ended and no worker is left
    const group: Group = { held: 0 }
    let live = 0
    let waiting = false
    let stopped = false
    const done = Deferred.unsafeMake<void, E | E2>(FiberId.none)
    let scope: Scope.Scope

    /** The batches the buffer holds (a short one counts once the input ended). */
    const batches = (): number => inputEnded ? Math.ceil(buffered / batchSize) : Math.floor(buffered / batchSize)

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

    /** The first failure stops the pool: the stream fails with it once the results before it are pulled. */
    const fail = (cause: Cause.Cause<E | E2>): Effect.Effect<void> =>
      Effect.sync(() => {
        if (stopped) return
        stopped = true
        Deferred.unsafeDone(done, Exit.failCause(cause))
      })

    /** Starts `n` workers (their places are theirs to take). */
    const spawn = (n: number): Effect.Effect<void, never, R2> => {
      if (n <= 0) return Effect.void
      live += n
      if (n === 1) return Effect.asVoid(Effect.forkIn(worker(), scope))
      const forks = new Array<Effect.Effect<unknown, never, R2>>(n)
      for (let i = 0; i < n; i++) forks[i] = Effect.forkIn(worker(), scope)
      return Effect.all(forks, { discard: true })
    }

    /** The workers to start for the batches no worker will take: as many as places are free, one at least if none. */
    const wanted = (idle: number): number => {
      const room = concurrency - live
      if (room <= 0) return 0
      const batchesLeft = batches() - idle
      if (batchesLeft <= 0) return 0
      const n = Math.min(room, batchesLeft, seats.spare())
      return n > 0 ? n : live === 0 ? 1 : 0
    }

    let sinceYield = 0
    const offer = (chunk: Chunk.Chunk<A>): Effect.Effect<void, never, R2> => {
      if (Chunk.isEmpty(chunk)) return Effect.void
      // every thousand elements or so the producer lets the event loop turn: the workers drain the buffer and wait,
      // timers and I/O run, then the producer goes on
      const room = YIELD_EVERY - sinceYield
      const [head, tail] = chunk.length <= room ? [chunk, Chunk.empty<A>()] : Chunk.splitAt(chunk, room)
      chunks.push(Chunk.toReadonlyArray(head))
      buffered += head.length
      sinceYield += head.length
      const idle = idleWorkers.length
      wakeAll(idleWorkers)
      const started = spawn(wanted(idle))
      const yielded = sinceYield >= YIELD_EVERY ? (sinceYield = 0, yieldToEventLoop) : Effect.void
      const next = Chunk.isEmpty(tail) ? Effect.void : Effect.suspend(() => offer(tail))
      return Effect.zipRight(started, Effect.zipRight(yielded, Effect.zipRight(waitForRoom, next)))
    }
    const waitForRoom: Effect.Effect<void> = Effect.suspend(() =>
      buffered < inputCapacity ? Effect.void : Effect.zipRight(park(waitingProducer), waitForRoom)
    )
    const producer = Effect.ensuring(
      Effect.catchAllCause(Stream.runForEachChunk(self, offer), fail),
      Effect.suspend(() => {
        inputEnded = true
        wakeAll(idleWorkers)
        if (live > 0) return Effect.void
        if (buffered > 0 && !stopped) return spawn(1)
        Deferred.unsafeDone(done, Exit.void)
        return Effect.void
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

    const worker = (): Effect.Effect<void, never, R2> => {
      const self: Holder = { holding: false, group }
      /** After a batch: give the place back, start more workers, or go on. */
      const after = (results: ReadonlyArray<B>): Effect.Effect<void, never, R2> => {
        emit(results)
        if (seats.yielding(group)) {
          seats.give(self)
          return step
        }
        if (live < concurrency) {
          const n = Math.min(concurrency - live, batches(), seats.spare())
          if (n > 0) return Effect.zipRight(spawn(n), step)
        }
        return step
      }
      const step: Effect.Effect<void, never, R2> = Effect.suspend(() => {
        if (stopped) return Effect.void
        if (buffered === 0 || (buffered < batchSize && !inputEnded)) {
          if (inputEnded) return Effect.void
          // nothing to do: wait for input without a place
          seats.give(self)
          return Effect.zipRight(park(idleWorkers), step)
        }
        if (ready.length >= outputCapacity) {
          seats.give(self)
          return Effect.zipRight(park(fullWorkers), step)
        }
        if (!self.holding && !seats.tryTake(self)) {
          // no place free: one worker of the pool waits for one while the pool holds less than its share
          if (waiting || !seats.wanting(group)) return Effect.void
          waiting = true
          return Effect.flatMap(
            Effect.ensuring(seats.take(self), Effect.sync(() => void (waiting = false))),
            // with a place, and still under its share: another worker waits for the next
            () =>
              !waiting && live < concurrency && batches() > 1 && seats.wanting(group)
                ? Effect.zipRight(spawn(1), step)
                : step
          )
        }
        return Effect.matchCauseEffect(f(takeBatch()!, self), { onFailure: fail, onSuccess: after })
      })
      return Effect.ensuring(
        step,
        Effect.suspend(() => {
          seats.give(self)
          if (--live > 0 || !inputEnded || stopped) return Effect.void
          // the last worker leaves batches only when it gave way (then another one takes them)
          if (buffered > 0) return spawn(1)
          Deferred.unsafeDone(done, Exit.void)
          return Effect.void
        })
      )
    }

    const all = Effect.scopeWith((s) => {
      scope = s
      const leave = seats.join()
      return Effect.ensuring(
        Effect.zipRight(Effect.forkIn(producer, s), Deferred.await(done)),
        // the pool stops before its scope interrupts the workers: none starts another
        Effect.sync(() => {
          stopped = true
          leave()
        })
      )
    }).pipe(
      Effect.scoped,
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
