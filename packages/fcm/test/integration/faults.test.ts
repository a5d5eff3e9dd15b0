/**
 * Transient errors and transport faults, for both protocols, over the loopback emulator and a real HTTP client:
 * what lands in which bucket (docs/results.md), what is resent, and when.
 */
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import { Message, type Result } from "@effect-fcm/fcm"
import { assert, describe, layer } from "@effect/vitest"
import { Duration, Effect, Option } from "effect"
import { assertAgreesWithEmulator, emulatorLayer, fresh, perToken, protocols, quickRetries, sends } from "./helpers.js"

const millis = (d: Duration.Duration) => Duration.toMillis(d)

layer(emulatorLayer(), { excludeTestServices: true })("faults over the loopback emulator", (it) => {
  for (const protocol of protocols) {
    const { codes, name } = protocol

    describe(protocol.label, () => {
      it.effect("unavailable twice then delivered, Retry-After in seconds: only the flaky tokens are resent, ≥ 1 s apart", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const fcm = yield* protocol.client()
          const tokens = ["ok-1", "flaky-1", "ok-2", "flaky-2"]
          const flaky = () => emulator.setPrefix("flaky-", Scenario.unavailable({ times: 2, retryAfter: 1 }))

          // One attempt: the flaky tokens are retryable with the server's Retry-After, the others delivered.
          yield* fresh
          yield* flaky()
          const first = yield* fcm.send(Message.multicast(tokens))
          assert.deepStrictEqual([...first.success.keys()], ["ok-1", "ok-2"])
          assert.deepStrictEqual(Object.fromEntries(first.retryable), {
            "flaky-1": codes.unavailable,
            "flaky-2": codes.unavailable
          })
          assert.strictEqual(first.retryAfterMillis, 1000)
          assert.strictEqual(millis(first.delay(0)), 1000)
          assert.deepStrictEqual(Message.targets(Option.getOrThrow(first.retry())), ["flaky-1", "flaky-2"])

          // With retries: a 10 ms schedule, but the server's Retry-After wins.
          yield* fresh
          yield* flaky()
          const result = yield* fcm.sendWithRetry(Message.multicast(tokens), { schedule: quickRetries() })
          assert.deepStrictEqual(result.counts, {
            success: 4,
            canonical: 0,
            notRegistered: 0,
            failed: 0,
            retryable: 0,
            unknown: 0
          })
          assert.deepStrictEqual([...result.outcomes.keys()], tokens, "the result keeps the message's order")
          const records = yield* sends
          assertAgreesWithEmulator(result, records)
          const seen = perToken(records)
          for (const token of ["ok-1", "ok-2"]) assert.strictEqual(seen.get(token)!.length, 1, `${token} was resent`)
          for (const token of ["flaky-1", "flaky-2"]) {
            const history = seen.get(token)!
            assert.deepStrictEqual(history.map((s) => s.outcome), ["Unavailable", "Unavailable", "delivered"])
            for (let i = 1; i < history.length; i++) {
              assert.isAtLeast(history[i]!.time - history[i - 1]!.time, 990, `${token} was resent before Retry-After`)
            }
          }
          if (name === "legacy") {
            assert.deepStrictEqual(
              records.map((r) => (r.body as { registration_ids: Array<string> }).registration_ids),
              [
                tokens,
                ["flaky-1", "flaky-2"],
                ["flaky-1", "flaky-2"]
              ]
            )
          }
        }))

      it.effect("unavailable once, Retry-After as an HTTP date: the retry waits until that date", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const fcm = yield* protocol.client()
          const tokens = ["ok-1", "dated", "ok-2"]
          const dated = () =>
            emulator.setToken(
              "dated",
              Scenario.unavailable({ times: 1, level: "request", retryAfter: Scenario.retryAfterDate(2) })
            )

          yield* fresh
          yield* dated()
          const first = yield* fcm.send(Message.multicast(tokens))
          // Legacy: a request-level error is a 503 for the whole request; v1 sends one request per token.
          assert.deepStrictEqual(
            Object.fromEntries(first.retryable),
            name === "legacy" ? { "ok-1": "HTTP 503", dated: "HTTP 503", "ok-2": "HTTP 503" } : { dated: "UNAVAILABLE" }
          )
          // An HTTP-date has a one-second resolution: 2 s after the request, rounded up.
          assert.isAtLeast(first.retryAfterMillis!, 1000)
          assert.isAtMost(first.retryAfterMillis!, 3000)

          yield* fresh
          yield* dated()
          const result = yield* fcm.sendWithRetry(Message.multicast(tokens), { schedule: quickRetries() })
          assert.strictEqual(result.success.size, 3)
          const records = yield* sends
          assertAgreesWithEmulator(result, records)
          const [before, after] = perToken(records).get("dated")!
          const date = Math.ceil((before!.time + 2000) / 1000) * 1000
          assert.isAtLeast(after!.time, date - 5, "resent before the Retry-After date")
          assert.isBelow(after!.time, date + 2000, "waited much longer than the Retry-After date")
        }))

      it.effect("internal error twice (no Retry-After) is retried on the caller's schedule", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const fcm = yield* protocol.client()
          yield* fresh
          yield* emulator.setToken("shaky", Scenario.internalError({ times: 2 }))
          const first = yield* fcm.send(Message.multicast(["shaky", "ok"]))
          assert.deepStrictEqual(Object.fromEntries(first.retryable), { shaky: codes.internal })
          assert.isUndefined(first.retryAfterMillis)

          yield* fresh
          yield* emulator.setToken("shaky", Scenario.internalError({ times: 2 }))
          const [elapsed, result] = yield* Effect.timed(
            fcm.sendWithRetry(Message.multicast(["shaky", "ok"]), { schedule: quickRetries() })
          )
          assert.strictEqual(result.success.size, 2)
          // The default schedule would wait at least 500 + 1500 ms.
          assert.isBelow(millis(elapsed), 1900, "the 10 ms schedule was not used")
          const records = yield* sends
          assertAgreesWithEmulator(result, records)
          assert.deepStrictEqual(perToken(records).get("shaky")!.map((s) => s.outcome), [
            "InternalServerError",
            "InternalServerError",
            "delivered"
          ])

          // As a whole request (legacy: a 500 HTML page for every token of the request).
          yield* fresh
          yield* emulator.setToken("shaky", Scenario.internalError({ times: 1, level: "request" }))
          const whole = yield* fcm.send(Message.multicast(["shaky", "ok"]))
          assert.deepStrictEqual(
            Object.fromEntries(whole.retryable),
            name === "legacy" ? { shaky: "HTTP 500", ok: "HTTP 500" } : { shaky: "INTERNAL" }
          )
        }))

      it.effect("a schedule that runs out leaves the token retryable; delivered tokens are never resent", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const fcm = yield* protocol.client()
          yield* fresh
          yield* emulator.setToken("down", Scenario.unavailable())
          const result = yield* fcm.sendWithRetry(Message.multicast(["a", "down", "b"]), { schedule: quickRetries(3) })
          assert.deepStrictEqual(Object.fromEntries(result.retryable), { down: codes.unavailable })
          assert.deepStrictEqual([...result.success.keys()], ["a", "b"])
          const records = yield* sends
          assertAgreesWithEmulator(result, records)
          const seen = perToken(records)
          assert.strictEqual(seen.get("down")!.length, 4, "the first attempt and three retries")
          assert.strictEqual(seen.get("a")!.length, 1)
          assert.strictEqual(seen.get("b")!.length, 1)
        }))

      it.effect("latency: waited for within the timeout; beyond it the token is retryable and the send returns", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          yield* fresh
          yield* emulator.setToken("slow", Scenario.latency(150))
          yield* emulator.setToken("slower", Scenario.latency(1500))

          const patient = yield* protocol.client({ timeout: "1 second" })
          const [waited, ok] = yield* Effect.timed(patient.send(Message.multicast(["slow"])))
          assert.strictEqual(ok.success.size, 1)
          assert.isAtLeast(millis(waited), 145)

          const hasty = yield* protocol.client({ timeout: "200 millis" })
          const [elapsed, late] = yield* Effect.timed(hasty.send(Message.multicast(["slower"])))
          assert.deepStrictEqual(Object.fromEntries(late.retryable), { slower: "Timeout: no answer within 200ms" })
          assert.isBelow(millis(elapsed), 1400, "the send waited for the answer instead of timing out")
          // The emulator did deliver it: a timeout is ambiguous, which is why a resend may duplicate a message.
          assert.deepStrictEqual(perToken(yield* sends).get("slower")!.map((s) => s.delivered), [true])
        }))

      it.effect("reset: the token is retryable (a network error) and the retry goes through", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const fcm = yield* protocol.client()
          yield* fresh
          yield* emulator.setToken("cut", Scenario.reset)
          const cut = yield* fcm.send(Message.multicast(["cut"]))
          assert.match(cut.retryable.get("cut")!, /^NetworkError: /)

          yield* fresh
          yield* emulator.enqueue(name, Scenario.reset)
          const result = yield* fcm.sendWithRetry(Message.multicast(["x"]), { schedule: quickRetries() })
          assert.strictEqual(result.success.size, 1)
          const records = yield* sends
          assertAgreesWithEmulator(result, records)
          assert.deepStrictEqual(records.map((r) => [r.fault, r.status]), [["Reset", 0], [undefined, 200]])
        }))

      it.effect("hang: with a timeout the token is retryable and the send does not hang", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const fcm = yield* protocol.client({ timeout: "250 millis" })
          yield* fresh
          yield* emulator.setToken("stuck", Scenario.hang)
          const [elapsed, result] = yield* Effect.timed(fcm.send(Message.multicast(["stuck", "ok"])))
          assert.isBelow(millis(elapsed), 5000)
          const timeout = "Timeout: no answer within 250ms"
          // Legacy sends both tokens in the request that hangs; v1 sends `ok` on its own.
          assert.deepStrictEqual(
            Object.fromEntries(result.retryable),
            name === "legacy" ? { stuck: timeout, ok: timeout } : { stuck: timeout }
          )

          yield* fresh
          yield* emulator.enqueue(name, Scenario.hang)
          const retried = yield* fcm.sendWithRetry(Message.multicast(["x"]), { schedule: quickRetries() })
          assert.strictEqual(retried.success.size, 1)
          assertAgreesWithEmulator(retried, yield* sends)
        }))

      it.effect("malformed JSON in a 200 is never resent: legacy fails the request, v1 fails that token alone", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const fcm = yield* protocol.client()
          yield* fresh
          yield* emulator.setToken("garbled", Scenario.malformedJson())
          if (name === "legacy") {
            const error = yield* Effect.flip(
              fcm.sendWithRetry(Message.multicast(["garbled"]), { schedule: quickRetries() })
            )
            assert.strictEqual(error._tag, "TransportError")
            if (error._tag !== "TransportError") return
            assert.isFalse(error.retryable)
            assert.strictEqual(error.status, 200)
            assert.isTrue(error.body!.startsWith("{\"multicast_id\":1"), error.body)
          } else {
            // One garbled answer in a fan-out must not cost the other tokens their results.
            const result = yield* fcm.sendWithRetry(Message.multicast(["ok-1", "garbled", "ok-2"]), {
              schedule: quickRetries()
            })
            assert.deepStrictEqual(Object.fromEntries(result.failed), { garbled: "MALFORMED_RESPONSE" })
            assert.deepStrictEqual([...result.success.keys()], ["ok-1", "ok-2"])
          }
          assert.strictEqual(perToken(yield* sends).get("garbled")!.length, 1)

          // The same body with a 5xx status is classified by its status: retryable.
          yield* fresh
          yield* emulator.setToken("garbled", Scenario.malformedJson({ status: 503 }))
          const result = yield* fcm.send(Message.multicast(["garbled"]))
          assert.deepStrictEqual(Object.fromEntries(result.retryable), { garbled: "HTTP 503" })
        }))

      it.effect("Google's HTML 502 page: retryable, with its Retry-After", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const fcm = yield* protocol.client()
          yield* fresh
          yield* emulator.setToken("gw", Scenario.htmlBadGateway)
          const plain = yield* fcm.send(Message.multicast(["gw"]))
          assert.deepStrictEqual(Object.fromEntries(plain.retryable), { gw: "HTTP 502" })
          assert.isUndefined(plain.retryAfterMillis)

          yield* emulator.setToken("gw", Scenario.htmlError({ retryAfter: 7 }))
          const hinted = yield* fcm.send(Message.multicast(["gw"]))
          assert.strictEqual(hinted.retryAfterMillis, 7000)

          yield* fresh
          yield* emulator.setToken("gw", Scenario.sequence(Scenario.htmlBadGateway, Scenario.delivered))
          const retried = yield* fcm.sendWithRetry(Message.multicast(["gw"]), { schedule: quickRetries() })
          assert.strictEqual(retried.success.size, 1)
          assertAgreesWithEmulator(retried, yield* sends)
        }))

      it.effect("empty body: a 200 is not trusted (legacy fails the request, v1 the token), a 503 is retryable", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const fcm = yield* protocol.client()
          yield* fresh
          yield* emulator.setToken("void", Scenario.emptyBody())
          if (name === "legacy") {
            const error = yield* Effect.flip(fcm.send(Message.multicast(["void"])))
            assert.strictEqual(error._tag, "TransportError")
            assert.strictEqual(error._tag === "TransportError" && error.status, 200)
            assert.strictEqual(error._tag === "TransportError" && error.retryable, false)
          } else {
            const result = yield* fcm.send(Message.multicast(["void"]))
            assert.deepStrictEqual(Object.fromEntries(result.failed), { void: "MALFORMED_RESPONSE" })
          }

          yield* emulator.setToken("void", Scenario.emptyBody({ status: 503 }))
          const result = yield* fcm.send(Message.multicast(["void"]))
          assert.deepStrictEqual(Object.fromEntries(result.retryable), { void: "HTTP 503" })
        }))

      it.effect("GOAWAY: without an answer the token is retryable; after an answer it is delivered and sending goes on", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const fcm = yield* protocol.client()
          yield* fresh
          yield* emulator.setToken("away", Scenario.goAway())
          yield* emulator.setToken("polite", Scenario.goAway({ respond: true }))
          const away = yield* fcm.send(Message.multicast(["away"]))
          assert.match(away.retryable.get("away")!, /^NetworkError: /)
          const polite = yield* fcm.send(Message.multicast(["polite"]))
          assert.strictEqual(polite.success.size, 1)
          // The connection was closed each time; the next send opens a new one.
          const after = yield* fcm.send(Message.multicast(["next"]))
          assert.strictEqual(after.success.size, 1)
          const records = yield* sends
          assert.deepStrictEqual(records.map((r) => [r.fault, r.status, r.delivered]), [
            ["GoAway", 0, 0],
            // the pooled HTTP/2 client resends once, transparently, a stream the GOAWAY refused unprocessed
            ...(protocol.pooled ? [["GoAway" as const, 0, 0]] : []),
            ["GoAway", 200, 1],
            [undefined, 200, 1]
          ])
        }))

      it.effect("400 bad request: InvalidMessage with FCM's explanation; nothing is retried", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const fcm = yield* protocol.client()
          yield* fresh
          yield* emulator.setToken("x", Scenario.badRequest("Invalid JSON payload received."))
          const error = yield* Effect.flip(fcm.sendWithRetry(Message.multicast(["x"]), { schedule: quickRetries() }))
          assert.strictEqual(error._tag, "InvalidMessage")
          if (error._tag !== "InvalidMessage") return
          assert.strictEqual(error.status, 400)
          assert.strictEqual(error.field, "message")
          assert.include(error.reason, "Invalid JSON payload received.")
          assert.strictEqual((yield* sends).length, 1)
        }))

      it.effect("a later attempt that fails as a whole fails the send; its partial result keeps the earlier ones", () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const fcm = yield* protocol.client()
          yield* fresh
          yield* emulator.setToken("flip", Scenario.sequence(Scenario.unavailable(), Scenario.malformedJson()))
          const send = fcm.sendWithRetry(Message.multicast(["a", "flip", "b"]), { schedule: quickRetries() })
          let result: Result.Result
          if (name === "legacy") {
            // a garbled 200 to the legacy protocol's request fails the whole request
            const error = yield* Effect.flip(send)
            assert.strictEqual(error._tag, "TransportError")
            result = error.partial!
            assert.match(result.retryable.get("flip")!, /^TransportError: /)
          } else {
            // over v1 a garbled answer concerns one token only
            result = yield* send
            assert.strictEqual(result.failed.get("flip"), "MALFORMED_RESPONSE")
          }
          assert.deepStrictEqual([...result.success.keys()], ["a", "b"])
          const records = yield* sends
          assertAgreesWithEmulator(result, records)
          assert.deepStrictEqual(perToken(records).get("flip")!.map((s) => s.outcome), ["Unavailable", "MalformedJson"])
        }))
    })
  }
})
