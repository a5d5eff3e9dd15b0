/**
 * A send that fails as a whole while other requests are on the wire: the fan-out starts no new request, awaits the
 * ones in flight and reports their real outcomes in the error's `partial`, so that `partial.retry()` never holds a
 * target the server delivered. The server here is a fake `HttpClient` that delivers a request's targets the moment
 * it receives it and holds its answer on a latch; every fault is triggered by an event (the n-th request arriving,
 * the failing answer having been given, a refresh refused), never by elapsed time.
 */
import { Credentials, FcmClient, FcmError, FcmLegacy, FcmV1, Message, Result } from "@effect-fcm/fcm"
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Option, Redacted, Schedule } from "effect"
import { type Recorded, recorder, type Reply } from "../support/recorder.js"

const tokens = (n: number) => Array.from({ length: n }, (_, i) => `t-${String(i).padStart(4, "0")}`)

/** Opens `latch` after the scheduler has run every other ready fiber a few times over (no timer involved). */
const openSoon = (latch: Deferred.Deferred<void>) =>
  Effect.forkDaemon(Effect.zipRight(Effect.repeatN(Effect.yieldNow(), 50), Deferred.succeed(latch, undefined)))

const retryTargets = (partial: { retry: () => Option.Option<Message.Message> }): ReadonlyArray<string> =>
  Option.match(partial.retry(), { onNone: () => [], onSome: Message.targets })

describe("a send that fails as a whole with requests in flight", () => {
  it.effect("legacy, 3,000 tokens, concurrency 8: a garbled 200 while two requests are processed", () =>
    Effect.gen(function*() {
      const allArrived = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const delivered = new Set<string>()
      let arrived = 0
      const answer = (request: Recorded): Effect.Effect<Reply> => {
        const ids: ReadonlyArray<string> = request.json.registration_ids
        arrived++
        const all = arrived === 3 ? Deferred.succeed(allArrived, undefined) : Effect.void
        if (ids[0] === "t-0000") {
          // the first request's answer is garbled, once the two others are on the wire
          return all.pipe(
            Effect.zipRight(Deferred.await(allArrived)),
            Effect.as<Reply>({ status: 200, body: "{\"multicast_id\":1,\"results\":" }),
            Effect.zipLeft(openSoon(release))
          )
        }
        // the server processes the request at once; its answer comes after the garbled one
        for (const id of ids) delivered.add(id)
        return all.pipe(
          Effect.zipRight(Deferred.await(release)),
          Effect.as<Reply>({ body: { results: ids.map((_, i) => ({ message_id: `0:${i}` })) } })
        )
      }
      const fake = recorder(answer)
      const fcm = yield* FcmLegacy.make({ apiKey: Redacted.make("key"), concurrency: 8 }).pipe(
        Effect.provide(fake.layer)
      )
      const input = tokens(3000)
      const error = yield* Effect.flip(fcm.send(Message.multicast(input, { data: { ping: "1" } })))
      assert.strictEqual(error._tag, "TransportError")
      assert.strictEqual(fake.requests.length, 3)
      assert.strictEqual(delivered.size, 2000)
      const partial = error.partial!
      assert.deepStrictEqual([...partial.success.keys()].sort(), [...delivered].sort())
      const retry = retryTargets(partial)
      assert.deepStrictEqual(retry, input.slice(0, 1000), "only the garbled request's tokens")
      for (const token of retry) assert.isFalse(delivered.has(token), `${token} was delivered`)
      assert.strictEqual(partial.outcomes.size, 3000)
    }))

  it.effect("v1, concurrency 10: a 401 whose refresh is refused while the 9 other requests were processed", () =>
    Effect.gen(function*() {
      const allArrived = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const delivered = new Set<string>()
      let arrived = 0
      let invalidated = false
      const credentials: Credentials.Service = {
        description: "test",
        projectId: Option.some("demo"),
        accessToken: Effect.suspend(() =>
          invalidated
            ? Effect.zipRight(
              openSoon(release),
              Effect.fail(new FcmError.AuthenticationError({ reason: "invalid_grant", status: 400 }))
            )
            : Effect.succeed(Redacted.make("access-1"))
        ),
        invalidate: () => Effect.sync(() => void (invalidated = true))
      }
      const answer = (request: Recorded): Effect.Effect<Reply> => {
        const token: string = request.json.message.token
        arrived++
        const all = arrived === 10 ? Deferred.succeed(allArrived, undefined) : Effect.void
        if (token === "t-0000") {
          return all.pipe(
            Effect.zipRight(Deferred.await(allArrived)),
            Effect.as<Reply>({
              status: 401,
              body: { error: { code: 401, status: "UNAUTHENTICATED", message: "Request had invalid credentials." } }
            })
          )
        }
        delivered.add(token)
        return all.pipe(
          Effect.zipRight(Deferred.await(release)),
          Effect.as<Reply>({ body: { name: `projects/demo/messages/${token}` } })
        )
      }
      const fake = recorder(answer)
      const fcm = yield* FcmV1.make({ concurrency: 10 }).pipe(
        Effect.provide(fake.layer),
        Effect.provide(Layer.succeed(Credentials.Credentials, credentials))
      )
      const input = tokens(30)
      const error = yield* Effect.flip(fcm.send(Message.multicast(input, { data: { ping: "1" } })))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual(delivered.size, 9)
      assert.strictEqual(fake.requests.length, 10, "no request started after the failure")
      const partial = error.partial!
      assert.deepStrictEqual([...partial.success.keys()].sort(), [...delivered].sort())
      const retry = retryTargets(partial)
      for (const token of retry) assert.isFalse(delivered.has(token), `${token} was delivered`)
      assert.deepStrictEqual(retry, input.filter((t) => !delivered.has(t)))
    }))

  it.effect("sendWithRetry: a later attempt failing as a whole keeps its in-flight answers too", () =>
    Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      const delivered = new Set<string>()
      const answer = (request: Recorded, index: number): Effect.Effect<Reply> => {
        const ids: ReadonlyArray<string> = request.json.registration_ids
        // the first attempt: both requests answered 503
        if (index < 2) return Effect.succeed({ status: 503 })
        if (ids[0] === "t-0000") {
          return Effect.as(openSoon(release), { status: 401 })
        }
        for (const id of ids) delivered.add(id)
        return Effect.as(Deferred.await(release), { body: { results: ids.map(() => ({ message_id: "0:1" })) } })
      }
      const fake = recorder(answer)
      // a fixed two requests in flight: the adaptive limit would halve after the first attempt's 503s and send the
      // second attempt's requests one at a time, leaving nothing in flight when the 401 fails it
      const fcm = yield* FcmLegacy.make({
        apiKey: Redacted.make("key"),
        concurrency: 2,
        backoffMillis: 1,
        governor: false
      }).pipe(
        Effect.provide(fake.layer)
      )
      const input = tokens(2000)
      const error = yield* Effect.flip(fcm.sendWithRetry(Message.multicast(input, { data: { ping: "1" } }), {
        schedule: Schedule.recurs(1)
      }))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual(delivered.size, 1000)
      const retry = retryTargets(error.partial!)
      assert.deepStrictEqual(retry, input.slice(0, 1000))
    }))
})

describe("the fan-out's client helpers", () => {
  it.effect("FcmClient.make: an error does not interrupt a request already started", () =>
    Effect.gen(function*() {
      const release = yield* Deferred.make<void>()
      let finished = 0
      const fcm = FcmClient.make({
        name: "v1",
        batchSize: 1,
        concurrency: 4,
        backoffMillis: 1000,
        prepare: () =>
          Effect.succeed((targets) =>
            targets[0] === "bad"
              ? Effect.zipRight(openSoon(release), Effect.fail(new FcmError.AuthenticationError({ reason: "no" })))
              : Effect.as(
                Effect.zipRight(Deferred.await(release), Effect.sync(() => finished++)),
                [Result.Outcome.Delivered({ messageId: targets[0]! })]
              )
          )
      })
      const error = yield* Effect.flip(fcm.send(Message.multicast(["a", "b", "c", "bad", "d", "e"])))
      assert.strictEqual(finished, 3)
      assert.deepStrictEqual([...error.partial!.success.keys()], ["a", "b", "c"])
      assert.deepStrictEqual(retryTargets(error.partial!), ["bad", "d", "e"])
    }))
})
