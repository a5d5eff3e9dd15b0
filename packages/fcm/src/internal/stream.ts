import { Effect, Option, Queue, Stream, Take } from "effect"

/**
 * Maps a stream through an effect with at most `concurrency` effects running at once, emitting results as they
 * complete. A fixed pool of workers reads from a bounded queue, so memory stays bounded by `concurrency` whatever the
 * stream's length, and the cost per element is a few queue operations (`Stream.mapEffect` with concurrency spawns a
 * fiber and a channel per element).
 *
 * @internal
 */
export const mapConcurrent = <A, B, E, R, E2, R2>(
  self: Stream.Stream<A, E, R>,
  f: (a: A) => Effect.Effect<B, E2, R2>,
  concurrency: number
): Stream.Stream<B, E | E2, R | R2> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const input = yield* Effect.acquireRelease(Queue.bounded<Option.Option<A>>(concurrency), Queue.shutdown)
    const output = yield* Effect.acquireRelease(Queue.bounded<Take.Take<B, E | E2>>(concurrency * 2), Queue.shutdown)
    const fail = (cause: Parameters<typeof Take.failCause<E | E2>>[0]) => Queue.offer(output, Take.failCause(cause))
    const producer = Stream.runForEach(self, (a) => Queue.offer(input, Option.some(a))).pipe(
      Effect.zipRight(Effect.forEach(Array.from({ length: concurrency }), () => Queue.offer(input, Option.none()), {
        discard: true
      }))
    )
    const worker: Effect.Effect<void, E2, R2> = Effect.flatMap(Queue.take(input), (next) =>
      Option.isNone(next)
        ? Effect.void
        : f(next.value).pipe(
          Effect.flatMap((b) => Queue.offer(output, Take.of(b))),
          Effect.zipRight(Effect.suspend(() => worker))
        ))
    const workers = Effect.all(Array.from({ length: concurrency }, () => worker), {
      concurrency: "unbounded",
      discard: true
    })
    yield* Effect.all([producer, workers], { concurrency: "unbounded", discard: true }).pipe(
      Effect.matchCauseEffect({ onFailure: fail, onSuccess: () => Queue.offer(output, Take.end) }),
      Effect.forkScoped
    )
    return Stream.fromQueue(output).pipe(Stream.flattenTake)
  }))
