/**
 * The `FcmClient` of multicast messages over an engine: a message is validated, encoded once into the protocol's
 * payload, and its targets become the engine's units.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { FcmClient, RetryOptions, StreamOptions } from "../FcmClient.js"
import type { FcmError } from "../FcmError.js"
import { AuthenticationError, InvalidMessage, TransportError } from "../FcmError.js"
import * as Message from "../Message.js"
import * as Result from "../Result.js"
import * as Engine from "./engine.js"
import { withPartial } from "./partial.js"
import type { Holder } from "./places.js"
import { mapBatches, unwrap } from "./stream.js"

/**
 * A client whose sends encode a valid message with `prepare` (once per send, retries included) and send it through
 * `engine`.
 *
 * @internal
 */
export const make = <P>(
  engine: Engine.Engine<P>,
  prepare: (message: Message.Message) => Effect.Effect<P, InvalidMessage>
): FcmClient => {
  const { backoffMillis, batchSize } = engine

  /** The result of a message over the outcomes of its targets (a copy: a retry round updates the array after). */
  const resultOf = (message: Message.Message, targets: ReadonlyArray<string>) =>
  (
    outcomes: ReadonlyArray<Result.Outcome>
  ): Result.Result => Result.Result.fromArrays(message, targets, outcomes.slice(), backoffMillis)

  const failWith =
    (view: (outcomes: ReadonlyArray<Result.Outcome>) => Result.Result) => (failure: Engine.SendFailure) =>
      withPartial(failure.error, view(failure.outcomes))

  /** Validates and encodes a message, then sends it once; `then` goes on from the first attempt's outcomes. */
  const sendValid = (
    message: Message.Message,
    then: (
      units: Engine.Units<P>,
      outcomes: Array<Result.Outcome>,
      view: (outcomes: ReadonlyArray<Result.Outcome>) => Result.Result
    ) => Effect.Effect<Array<Result.Outcome>, Engine.SendFailure> | undefined
  ): Effect.Effect<Result.Result, FcmError> =>
    Effect.flatMap(Message.validate(message), (valid) =>
      Effect.flatMap(prepare(valid), (payload) => {
        const targets = Message.targets(valid)
        const units = Engine.shared(targets, payload)
        const view = resultOf(message, targets)
        const first = engine.span(
          Effect.zipRight(Effect.annotateCurrentSpan("fcm.targets", targets.length), engine.sendAll(units, true)),
          "FcmClient.send"
        )
        return Effect.matchEffect(first, {
          onFailure: (failure) => Effect.fail(failWith(view)(failure)),
          onSuccess: (outcomes) => {
            const more = then(units, outcomes, view)
            return more === undefined
              ? Effect.succeed(view(outcomes))
              : Effect.mapBoth(more, { onFailure: failWith(view), onSuccess: view })
          }
        })
      }))

  const countError = (error: FcmError) => Effect.sync(() => engine.countError(error))

  const send = (message: Message.Message): Effect.Effect<Result.Result, FcmError> =>
    Effect.tapError(sendValid(message, () => undefined), countError)

  const sendWithRetry = (message: Message.Message, options?: RetryOptions) =>
    engine.span(
      Effect.tapError(
        sendValid(message, (units, outcomes, view) =>
          engine.retry(
            units,
            outcomes,
            options?.schedule ?? Engine.defaultSchedule(backoffMillis),
            view
          )),
        countError
      ),
      "FcmClient.sendWithRetry"
    )

  const sendStream = <E, R>(
    tokens: Stream.Stream<string, E, R>,
    template: Message.Options,
    options?: StreamOptions
  ): Stream.Stream<Result.TokenOutcome, FcmError | E, R> => {
    const concurrency = options?.concurrency ?? engine.concurrency
    const retry = options?.retry === undefined ? Engine.defaultSchedule(backoffMillis) : options.retry
    const probe = Message.multicast(["token"], template)
    const isToken = (t: unknown): t is string => typeof t === "string" && t.length > 0
    const missing = Result.Outcome.Failed({ code: "MissingRegistration" })
    const start = Effect.all([Effect.flatMap(Message.validate(probe), prepare), Engine.debugEnabled, Effect.clock])
    return unwrap(Effect.map(start, ([payload, debug, clock]) => {
      /** Retries the retryable targets of one request before emitting them. */
      const resend = (targets: ReadonlyArray<string>, outcomes: ReadonlyArray<Result.Outcome>) =>
        Effect.map(
          engine.retry(
            Engine.shared(targets, payload),
            outcomes.slice(),
            retry as Schedule.Schedule<unknown, Result.Result>,
            resultOf(Message.withTokens(probe, targets), targets)
          ),
          (final) => targets.map((token, i): Result.TokenOutcome => ({ token, outcome: final[i]! }))
        ).pipe(Effect.mapError((failure) => failure.error))
      // One slot for the whole stream: what is still counted when the stream ends (failed or interrupted) is taken
      // off once, at the end, without a finalizer per request.
      const slot = new Engine.Slot()
      const check = engine.probe(Number.MAX_SAFE_INTEGER)
      // The workers hold the governor's places across requests when it has no rate budget: a request goes without
      // a turn of its own.
      const places = engine.places
      /**
       * One request's outcomes, each with its token, retried first when `retry` says so. The worker's place is given
       * back before a retry: its rounds take places of their own.
       */
      const sendBatch = (
        targets: ReadonlyArray<string>,
        holder: Holder
      ): Effect.Effect<ReadonlyArray<Result.TokenOutcome>, FcmError> =>
        Effect.flatMap(
          places === undefined
            ? engine.request(slot, payload, targets, debug)
            : engine.requestHeld(slot, payload, targets, debug, clock),
          (outcomes) => {
            if (batchSize === 1 && check !== undefined && !check.settled) {
              const code = check.note(outcomes)
              if (code !== undefined) return Effect.fail(engine.misconfiguration!.error(code, check.seen))
            }
            if (retry !== false) {
              for (let i = 0; i < outcomes.length; i++) {
                if (outcomes[i]!._tag === "Retryable") {
                  places?.give(holder)
                  return resend(targets, outcomes)
                }
              }
            }
            const emitted = new Array<Result.TokenOutcome>(targets.length)
            for (let i = 0; i < targets.length; i++) emitted[i] = { token: targets[i]!, outcome: outcomes[i]! }
            return Effect.succeed(emitted)
          }
        )
      const sent = mapBatches(tokens, { concurrency, batchSize, seats: places }, (batch, holder) => {
        let valid = true
        for (let i = 0; i < batch.length; i++) {
          if (!isToken(batch[i])) {
            valid = false
            break
          }
        }
        if (valid) return sendBatch(batch, holder)
        // an empty token fails locally, without a request
        const local = batch.filter((t) => !isToken(t)).map((token): Result.TokenOutcome => ({
          token,
          outcome: missing
        }))
        const targets = batch.filter(isToken)
        return targets.length === 0
          ? Effect.succeed(local)
          : Effect.map(sendBatch(targets, holder), (sent) => local.concat(sent))
      })
      return Stream.ensuring(sent, Effect.sync(() => engine.release(slot)))
    })).pipe(
      Stream.tapError((error) =>
        error instanceof AuthenticationError || error instanceof InvalidMessage || error instanceof TransportError
          ? countError(error)
          : Effect.void
      )
    )
  }

  return { protocol: engine.name, send, sendWithRetry, sendStream }
}
