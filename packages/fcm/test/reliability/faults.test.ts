/**
 * Fault injection over the real transport: the loopback emulator (TLS, throwaway certificate) behind
 * `@effect-fcm/node`'s pooled HTTP/2 client, a v1 client with service-account credentials on top. Each fault alone,
 * then mixed at random (seeded). For every send the invariants of support/harness.ts are checked against the
 * emulator's records, no exception may escape, and every session and socket must be closed with the client's scope.
 * The suite prints the fault table (and writes it into docs/reliability.md with RELIABILITY_WRITE_DOCS=1).
 */
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import { Model } from "@effect-fcm/emulator"
import { FcmClient, Message } from "@effect-fcm/fcm"
import { Http2Client } from "@effect-fcm/node"
import { afterAll, assert, layer } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Layer, Option, Schedule, Scope } from "effect"
import {
  assertNoEscapes,
  AttemptLog,
  checkInvariants,
  clientLayer,
  emulatorView,
  formatTable,
  installProcessGuards,
  openSockets,
  processGuards,
  quickRetries,
  realSleep,
  retriesCount,
  type Row,
  runScenario,
  type Spec,
  waitForSockets,
  waitUntil
} from "./support/harness.js"
import { relay } from "./support/proxy.js"
import { publish } from "./support/table.js"

installProcessGuards()

const tokens = (n: number, prefix = "t-") =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, "0")}`)

/** A latency of `min`–`max` ms on every token (a mix with no faults), so that many streams are in flight at once. */
const jitter = (min: number, max: number, seed = 1) => Scenario.mix({ seed, rates: {}, latency: { min, max } })

const sendsReceived = (emulator: FcmServer.Service) => () => emulator.model.counters().routes.v1 ?? 0

const rows: Array<Row> = []
const notes: Array<string> = []

const run = (emulator: FcmServer.Service, spec: Spec) =>
  Effect.tap(runScenario(emulator, spec), (r) =>
    Effect.sync(() => {
      rows.push(r.row)
    }))

/**
 * The tokens the emulator delivered without the client seeing that answer although none of their requests failed on
 * the client's wire. An answer is lost only with the request that carried it: a cut connection fails the requests in
 * flight on it and those written to it before its loss is seen, an answer slower than the request timeout fails its
 * request. However many requests a cut or a busy machine costs, each lost answer is one of those failures; a lost
 * answer without one is a delivery the client made without knowing (a request resent under the client's feet, an
 * answer dropped). Empty when the code is right, whatever the load.
 */
const lostWithoutAFailure = (records: ReadonlyArray<Model.Record>, log: AttemptLog): ReadonlyArray<string> => {
  const lost: Array<string> = []
  for (const [token, seen] of emulatorView(records)) {
    const client = log.byToken.get(token)
    if (seen.deliveries > (client?.deliveredSeen ?? 0) && (client?.failed ?? 0) === 0) lost.push(token)
  }
  return lost
}

/**
 * The tokens sent again more often than their requests failed on the wire (attempts > failures + 1): when every answer
 * says "delivered", only a request that failed may be sent again.
 */
const resentWithoutAFailure = (log: AttemptLog): ReadonlyArray<string> =>
  [...log.byToken].filter(([, t]) => t.attempts > t.failed + 1).map(([token]) => token)

/** The tokens with a request that failed on the client's wire. */
const failedOnTheWire = (log: AttemptLog): number => [...log.byToken.values()].filter((t) => t.failed > 0).length

/** A seeded PRNG (mulberry32) for the mixed runs' cut points. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

afterAll(() => {
  const table = formatTable(rows)
  console.log(`\n${table}\n${notes.join("\n")}`)
  publish("faults", table)
})

layer(FcmServer.layer({ tls: true }), { excludeTestServices: true, timeout: "30 seconds" })(
  "fault injection over HTTP/2 (v1, TLS)",
  (it) => {
    it.effect("no fault: the baseline", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const r = yield* run(emulator, { fault: "none", tokens: tokens(200) })
        assert.strictEqual(r.row.delivered, 200)
        assert.strictEqual(r.row.retried, 0)
        assert.strictEqual(r.log.sendRequests, 200, "one request per token, nothing resent")
        assert.strictEqual(r.log.directRequests, 200, "every one through the pool's direct exchange")
        assert.isTrue(r.closedAtScopeEnd, "every session and socket closed when the scope closed")
      }))

    it.effect("connection reset mid-request: the one request in flight is retried; its delivery may repeat", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const { proxy, r } = yield* Effect.scoped(Effect.gen(function*() {
          const proxy = yield* relay({ host: "127.0.0.1", port: emulator.port, tls: true })
          const r = yield* run(emulator, {
            fault: "connection reset mid-request",
            answersMayBeLost: true,
            tokens: tokens(20),
            baseUrl: proxy.url,
            v1: { concurrency: 1 },
            // Now and then a reset wedges Node's HTTP/2-over-TLS session silently (docs/reliability.md): the first
            // request timeout on it sends a PING, and the session is dropped when that goes unanswered.
            http: { requestTimeout: "1 second", pingTimeout: "1 second" },
            setup: (e) => e.setDefault(Scenario.latency(40)),
            // the connection is cut while the server holds the 5th request (40 ms): once the emulator has it, the
            // poll (every millisecond, the same event loop as the emulator's 40 ms timer) cuts before it answers
            atSend: (n, { emulator }) =>
              n === 5
                ? Effect.asVoid(Effect.forkDaemon(
                  Effect.tap(waitUntil(() => sendsReceived(emulator)() >= 5), () => proxy.cut())
                ))
                : undefined
          })
          return { proxy, r }
        }))
        assert.strictEqual(r.row.delivered, 20)
        assert.isAtMost(r.row.answerLost, 1, "only the request in flight can have lost its answer")
        assert.strictEqual(r.row.duplicates, r.row.answerLost, "the lost answer's token was delivered again")
        assert.isAtLeast(r.row.retried, 1)
        assert.isAtLeast(proxy.accepted(), 2, "the client connected again")
      }))

    it.effect("connection reset mid-fan-out (twice): only requests in flight are resent", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const concurrency = 32
        const { proxy, r } = yield* Effect.scoped(Effect.gen(function*() {
          const proxy = yield* relay({ host: "127.0.0.1", port: emulator.port, tls: true })
          const r = yield* run(emulator, {
            fault: "connection reset mid-fan-out (2 cuts)",
            answersMayBeLost: true,
            tokens: tokens(300),
            baseUrl: proxy.url,
            v1: { concurrency },
            // Now and then Node's HTTP/2-over-TLS client does not notice the reset at all (docs/reliability.md):
            // the requests on the wedged connection then end by this timeout, and the PING sent after it by
            // pingTimeout.
            http: { requestTimeout: "1 second", pingTimeout: "1 second" },
            setup: (e) => e.setDefault(jitter(5, 15)),
            atSend: (n) => n === 100 || n === 200 ? Effect.sync(() => void proxy.cut()) : undefined
          })
          return { proxy, r }
        }))
        assert.strictEqual(r.row.delivered, 300)
        // A cut loses the answers of the requests on the wire at that moment: those in flight (at most `concurrency`)
        // and those written to the cut connection before its loss was seen, how many depending on how soon the
        // machine runs the socket's events; on a busy machine an answer can also come after the request timeout. The
        // bound is what the client saw fail on the wire, per token: every lost answer is a request that failed, and
        // only a request that failed was sent again.
        assert.deepStrictEqual(lostWithoutAFailure(r.records, r.log), [], "every lost answer is a request that failed")
        assert.deepStrictEqual(resentWithoutAFailure(r.log), [], "only requests that failed on the wire are resent")
        assert.isAtMost(r.row.answerLost, failedOnTheWire(r.log))
        assert.isAtLeast(failedOnTheWire(r.log), 1, "the cuts failed the requests on the wire")
        assert.strictEqual(r.row.duplicates, r.row.answerLost)
        assert.isAtLeast(proxy.accepted(), 2, "the client connected again")
      }))

    it.effect("at-most-once, connection reset mid-request: the request in flight is unknown, never resent", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const { r } = yield* Effect.scoped(Effect.gen(function*() {
          const proxy = yield* relay({ host: "127.0.0.1", port: emulator.port, tls: true })
          const r = yield* run(emulator, {
            fault: "at-most-once: connection reset mid-request",
            answersMayBeLost: true,
            tokens: tokens(20),
            baseUrl: proxy.url,
            v1: { concurrency: 1, delivery: "atMostOnce" },
            http: { requestTimeout: "1 second", pingTimeout: "1 second" },
            setup: (e) => e.setDefault(Scenario.latency(40)),
            // as above: the cut comes while the emulator holds the 5th request
            atSend: (n, { emulator }) =>
              n === 5
                ? Effect.asVoid(Effect.forkDaemon(
                  Effect.tap(waitUntil(() => sendsReceived(emulator)() >= 5), () => proxy.cut())
                ))
                : undefined
          })
          return { r }
        }))
        assert.strictEqual(r.row.duplicates, 0, "no token delivered twice")
        assert.strictEqual(r.row.retried, 0, "nothing sent again")
        assert.strictEqual(r.row.unknown, 1)
        assert.strictEqual(r.row.delivered, 19)
        assert.strictEqual(r.outcome._tag, "Result")
        if (r.outcome._tag === "Result") assert.deepStrictEqual([...r.outcome.result.unknown.keys()], ["t-0004"])
        assert.strictEqual(r.log.sendRequests, 20, "one request per token")
      }))

    it.effect("at-most-once, connection reset mid-fan-out (twice): no token delivered twice, the ambiguous unknown", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const concurrency = 32
        const input = tokens(300)
        const { r } = yield* Effect.scoped(Effect.gen(function*() {
          const proxy = yield* relay({ host: "127.0.0.1", port: emulator.port, tls: true })
          const r = yield* run(emulator, {
            fault: "at-most-once: connection reset mid-fan-out (2 cuts)",
            answersMayBeLost: true,
            tokens: input,
            baseUrl: proxy.url,
            v1: { concurrency, delivery: "atMostOnce" },
            http: { requestTimeout: "1 second", pingTimeout: "1 second" },
            setup: (e) => e.setDefault(jitter(5, 15)),
            atSend: (n) => n === 100 || n === 200 ? Effect.sync(() => void proxy.cut()) : undefined
          })
          return { r }
        }))
        // every token in exactly one bucket and no delivery reported that the emulator did not make: checked by run
        assert.strictEqual(r.row.duplicates, 0, "no token delivered twice")
        assert.isAtLeast(r.row.unknown, 1, "the requests in flight at a cut are unknown")
        // the requests in flight at a cut, and those written to the cut connection before its loss was seen (their
        // number depends on how soon the machine runs the socket's events): a cut costs the requests around it, not
        // the send
        assert.isBelow(r.row.unknown, input.length / 2, "only the requests around the cuts are unknown")
        assert.strictEqual(r.row.failed, 0)
        assert.strictEqual(r.row.delivered + r.row.unknown + r.row.retryable, input.length)
        assert.strictEqual(r.outcome._tag, "Result")
        if (r.outcome._tag !== "Result") return
        const result = r.outcome.result
        // a token the emulator delivered without the client seeing the answer is unknown, never retryable
        const delivered = new Set(
          r.records.filter((rec) => rec.route === "v1" && rec.outcomes[0] === "delivered").flatMap((rec) =>
            Model.targetsOf(rec)
          )
        )
        for (const token of delivered) {
          assert.isTrue(
            result.success.has(token) || result.unknown.has(token),
            `${token} delivered: success or unknown`
          )
        }
        for (const token of result.unknown.keys()) {
          assert.strictEqual(r.log.byToken.get(token)?.attempts, 1, `${token} is unknown and was sent once`)
        }
        assert.isTrue(Option.isNone(result.retry()) || result.retryable.size > 0)
      }))

    it.effect("GOAWAY with streams in flight (graceful: the session drains, new streams go elsewhere)", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const r = yield* run(emulator, {
          fault: "GOAWAY with streams in flight",
          tokens: tokens(300),
          setup: (e) =>
            Effect.gen(function*() {
              yield* e.setDefault(jitter(5, 20))
              for (const t of ["t-0050", "t-0150", "t-0250"]) yield* e.setToken(t, Scenario.goAway({ respond: true }))
            })
        })
        assert.strictEqual(r.row.delivered, 300)
        assert.strictEqual(r.row.retried, 0, "nothing in flight was lost: no resend by the client")
        assert.strictEqual(r.row.duplicates, 0)
        assert.strictEqual(r.row.answerLost, 0)
        assert.isAtLeast(r.stats.sessionsReplaced, 1)
      }))

    it.effect("GOAWAY refusing the stream (last stream id below it): resent once by the transport", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        // One stream at a time: the refused stream is the last the session has, so the GOAWAY leaves nothing in flight.
        const r = yield* run(emulator, {
          fault: "GOAWAY refusing the stream",
          tokens: tokens(20),
          v1: { concurrency: 1 },
          setup: (e) =>
            Effect.gen(function*() {
              for (const t of ["t-0003", "t-0010", "t-0017"]) {
                yield* e.setToken(t, Scenario.sequence(Scenario.goAway(), Scenario.delivered))
              }
            })
        })
        assert.strictEqual(r.row.delivered, 20)
        assert.strictEqual(r.row.retried, 0, "a refused stream is resent by the transport, not the retry loop")
        assert.isAtLeast(r.stats.retried, 3, "the transport resent the refused streams")
        assert.strictEqual(r.row.duplicates, 0)
      }))

    it.effect("GOAWAY refusing a stream with others in flight: those are answered, the refused one is resent", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const refused = ["t-0050", "t-0150", "t-0250"]
        // The GOAWAY names the last stream the server received: every stream in flight on the session is answered
        // (no duplicate, no lost answer); the refused stream and those opened after the GOAWAY go to a new session.
        const r = yield* run(emulator, {
          fault: "GOAWAY refusing a stream, streams in flight",
          tokens: tokens(300),
          setup: (e) =>
            Effect.gen(function*() {
              yield* e.setDefault(jitter(5, 20))
              for (const t of refused) yield* e.setToken(t, Scenario.sequence(Scenario.goAway(), Scenario.delivered))
            })
        })
        assert.strictEqual(r.row.delivered, 300)
        assert.strictEqual(r.row.duplicates, 0)
        assert.strictEqual(r.row.answerLost, 0)
        assert.isAtLeast(r.stats.retried, refused.length, "the transport resent the refused streams")
        // Refusals on one session replace it once: how many of the three land on the same session depends on how
        // far the fan-out got when each GOAWAY came, which the machine's load decides.
        assert.isAtLeast(r.stats.sessionsReplaced, 1)
      }))

    it.effect("hung requests: cut off by the transport's request timeout, then retried", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const hung = ["t-0007", "t-0019", "t-0031", "t-0043", "t-0055"]
        const r = yield* run(emulator, {
          fault: "hung request (timeout)",
          tokens: tokens(60),
          http: { requestTimeout: "1 second" },
          setup: (e) =>
            Effect.gen(function*() {
              for (const t of hung) yield* e.setToken(t, Scenario.sequence(Scenario.hang, Scenario.delivered))
            })
        })
        assert.strictEqual(r.row.delivered, 60)
        assert.strictEqual(r.row.retried, hung.length)
        assert.strictEqual(r.row.answerLost, 0, "a hung request was never processed")
        for (const t of hung) assert.match(r.log.byToken.get(t)!.reasons[0]!, /timeout/i)
        assert.isBelow(r.elapsedMillis, 10_000)
      }))

    it.effect("answers slower than the timeout: processed, answer lost, delivered again on retry (counted)", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const slow = ["t-0002", "t-0009", "t-0015"]
        const r = yield* run(emulator, {
          fault: "answer slower than the timeout",
          answersMayBeLost: true,
          tokens: tokens(20),
          http: { requestTimeout: "1 second" },
          setup: (e) =>
            Effect.gen(function*() {
              for (const t of slow) {
                yield* e.setToken(t, Scenario.sequence(Scenario.latency(2_500), Scenario.delivered))
              }
            })
        })
        assert.strictEqual(r.row.delivered, 20)
        // FCM sends are not idempotent: a request whose answer never came may have been delivered.
        assert.strictEqual(r.row.answerLost, slow.length)
        assert.strictEqual(r.row.duplicates, slow.length)
      }))

    it.effect("slow token endpoint: past the credentials' deadline every waiting token is retryable, then sent", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const r = yield* run(emulator, {
          fault: "slow token endpoint (past its deadline)",
          tokens: tokens(50),
          // 60 s on the warped clock: 300 ms of real time
          credentials: { timeout: "60 seconds" },
          setup: (e) =>
            Effect.gen(function*() {
              yield* e.enqueue("token", Scenario.latency(1_000, Scenario.hang))
              yield* e.enqueue("token", Scenario.latency(200, Scenario.unavailable()))
            })
        })
        assert.strictEqual(r.row.delivered, 50)
        assert.strictEqual(r.row.duplicates, 0)
        assert.isAtLeast(emulator.model.counters().routes.token ?? 0, 3, "a hung, a slow 503, then a token")
        assert.isAtLeast(r.log.tokenRequests, 3)
      }))

    it.effect("token endpoint failures: 503 with Retry-After twice, then a token", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const r = yield* run(emulator, {
          fault: "token endpoint 503 ×2 (Retry-After 1 s)",
          tokens: tokens(50),
          setup: (e) => e.enqueue("token", Scenario.unavailable({ retryAfter: 1 }), 2)
        })
        assert.strictEqual(r.row.delivered, 50)
        assert.strictEqual(r.row.duplicates, 0)
        assert.isAtLeast(emulator.model.counters().routes.token ?? 0, 3)
        assert.isTrue(r.sleeps.some((s) => s >= 1000 && s < 2000), "the token endpoint's Retry-After was waited for")
      }))

    it.effect("token endpoint connection reset: retryable, then a token", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const r = yield* run(emulator, {
          fault: "token endpoint reset",
          tokens: tokens(50),
          setup: (e) => e.enqueue("token", Scenario.reset)
        })
        assert.strictEqual(r.row.delivered, 50)
        assert.strictEqual(r.row.duplicates, 0)
      }))

    it.effect("token endpoint refuses the key (invalid_grant): the send fails, nothing was sent", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const r = yield* run(emulator, {
          fault: "token endpoint invalid_grant",
          tokens: tokens(50),
          setup: (e) => e.enqueue("token", Scenario.unauthenticated())
        })
        assert.strictEqual(r.outcome._tag, "Error")
        if (r.outcome._tag === "Error") {
          assert.strictEqual(r.outcome.error._tag, "AuthenticationError")
          assert.match(r.outcome.error.message, /invalid_grant/)
        }
        assert.strictEqual(emulator.model.counters().routes.v1 ?? 0, 0, "no message went out")
        assert.strictEqual(r.row.lost, 0)
      }))

    it.effect("malformed JSON with a 503: retryable, then delivered", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const bad = ["t-0004", "t-0020", "t-0033"]
        const r = yield* run(emulator, {
          fault: "malformed JSON (503)",
          tokens: tokens(40),
          setup: (e) =>
            Effect.gen(function*() {
              for (const t of bad) {
                yield* e.setToken(t, Scenario.sequence(Scenario.malformedJson({ status: 503 }), Scenario.delivered))
              }
            })
        })
        assert.strictEqual(r.row.delivered, 40)
        assert.strictEqual(r.row.retried, bad.length)
      }))

    it.effect("malformed JSON with a 200 in a fan-out: that token fails (MALFORMED_RESPONSE), never resent", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const garbled = ["t-0010", "t-0050", "t-0090"]
        const r = yield* run(emulator, {
          fault: "malformed JSON (200)",
          tokens: tokens(100),
          setup: (e) =>
            Effect.gen(function*() {
              for (const t of garbled) yield* e.setToken(t, Scenario.malformedJson())
            })
        })
        assert.strictEqual(r.outcome._tag, "Result")
        if (r.outcome._tag === "Result") {
          assert.deepStrictEqual(
            Object.fromEntries(r.outcome.result.failed),
            Object.fromEntries(garbled.map((t) => [t, "MALFORMED_RESPONSE"]))
          )
        }
        assert.strictEqual(r.row.delivered, 97)
        assert.strictEqual(r.row.retried, 0, "a 200 may have been delivered: it is not resent")
        for (const t of garbled) assert.strictEqual(r.log.byToken.get(t)!.attempts, 1)
      }))

    it.effect("HTML 502 from the front end: retryable, then delivered", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const html = tokens(100).filter((_, i) => i % 10 === 3)
        const r = yield* run(emulator, {
          fault: "HTML 502",
          tokens: tokens(100),
          setup: (e) =>
            Effect.gen(function*() {
              for (const t of html) yield* e.setToken(t, Scenario.sequence(Scenario.htmlBadGateway, Scenario.delivered))
            })
        })
        assert.strictEqual(r.row.delivered, 100)
        assert.strictEqual(r.row.retried, html.length)
      }))

    it.effect("empty body: with a 503 retryable, then delivered; with a 200 that token fails (MALFORMED_RESPONSE)", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const empty = ["t-0001", "t-0011", "t-0021"]
        const r = yield* run(emulator, {
          fault: "empty body (503)",
          tokens: tokens(30),
          setup: (e) =>
            Effect.gen(function*() {
              for (const t of empty) {
                yield* e.setToken(t, Scenario.sequence(Scenario.emptyBody({ status: 503 }), Scenario.delivered))
              }
            })
        })
        assert.strictEqual(r.row.delivered, 30)
        assert.strictEqual(r.row.retried, empty.length)
        const ok200 = yield* run(emulator, {
          fault: "empty body (200)",
          tokens: tokens(30),
          setup: (e) => e.setToken("t-0007", Scenario.emptyBody())
        })
        assert.strictEqual(ok200.row.delivered, 29)
        assert.strictEqual(
          ok200.outcome._tag === "Result" && ok200.outcome.result.failed.get("t-0007"),
          "MALFORMED_RESPONSE"
        )
      }))

    it.effect("503 with Retry-After in seconds: the retry waits that long", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const busy = ["t-0002", "t-0012"]
        const r = yield* run(emulator, {
          fault: "503 + Retry-After: 2 (seconds)",
          tokens: tokens(20),
          setup: (e) =>
            Effect.gen(function*() {
              for (const t of busy) yield* e.setToken(t, Scenario.unavailable({ times: 1, retryAfter: 2 }))
            })
        })
        assert.strictEqual(r.row.delivered, 20)
        assert.strictEqual(r.row.retried, busy.length)
        assert.isTrue(r.sleeps.some((s) => s >= 2000 && s < 2100), `slept ${r.sleeps.join(", ")}`)
        // The job-queue style sees the same wait in result.delay(0).
        const queue = yield* run(emulator, {
          fault: "503 + Retry-After: 2 (seconds), job-queue style",
          tokens: tokens(20),
          mode: "send",
          setup: (e) =>
            Effect.gen(function*() {
              for (const t of busy) yield* e.setToken(t, Scenario.unavailable({ times: 1, retryAfter: 2 }))
            })
        })
        assert.strictEqual(queue.row.delivered, 20)
        assert.deepStrictEqual(queue.log.delays, [2000])
      }))

    it.effect("500 with Retry-After as an HTTP-date: the retry waits until that date", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const r = yield* run(emulator, {
          fault: "500 + Retry-After (HTTP-date, +3 s)",
          tokens: tokens(20),
          mode: "send",
          setup: (e) =>
            e.setToken("t-0005", Scenario.internalError({ times: 1, retryAfter: Scenario.retryAfterDate(3) }))
        })
        assert.strictEqual(r.row.delivered, 20)
        assert.strictEqual(r.log.delays.length, 1)
        // an HTTP-date has a one-second resolution: between 2 and 4 s after the answer
        assert.isAtLeast(r.log.delays[0]!, 1_900)
        assert.isAtMost(r.log.delays[0]!, 4_000)
      }))

    it.effect("429 QUOTA_EXCEEDED of a device (FcmError, no QuotaFailure): that token backs off alone", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const r = yield* run(emulator, {
          fault: "429 QUOTA_EXCEEDED of a device (FcmError)",
          tokens: tokens(20),
          setup: (e) => e.setToken("t-0008", Scenario.quotaExceeded({ times: 1, variant: "message" }))
        })
        assert.strictEqual(r.row.delivered, 20)
        assert.strictEqual(r.row.retried, 1)
        // its own backoff (B = 1 s: at most 1.5 s), not the minute of a project's quota
        // (the credentials' ten-minute deadline is a sleep too)
        assert.isTrue(r.sleeps.some((s) => s > 0 && s < 2_000), `slept ${r.sleeps.join(", ")}`)
        assert.isFalse(r.sleeps.some((s) => s >= 60_000 && s < 61_000), `slept ${r.sleeps.join(", ")}`)
      }))

    it.effect("429 without an FcmError (RESOURCE_EXHAUSTED, and an HTML 429): retryable, the longer wait wins", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const r = yield* run(emulator, {
          fault: "429 RESOURCE_EXHAUSTED (no FcmError, Retry-After 90)",
          tokens: tokens(20),
          setup: (e) => e.setToken("t-0011", Scenario.quotaExceeded({ times: 1, variant: "project", retryAfter: 90 }))
        })
        assert.strictEqual(r.row.delivered, 20)
        assert.isTrue(r.sleeps.some((s) => s >= 90_000 && s < 91_000), `slept ${r.sleeps.join(", ")}`)
        const html = yield* run(emulator, {
          fault: "429 as an HTML page",
          tokens: tokens(20),
          mode: "send",
          setup: (e) => e.setToken("t-0004", Scenario.sequence(Scenario.htmlError({ status: 429 }), Scenario.delivered))
        })
        assert.strictEqual(html.row.delivered, 20)
        assert.deepStrictEqual(html.log.delays, [60_000])
      }))

    it.effect("401 ACCESS_TOKEN_EXPIRED mid-send: one refresh, every token sent once", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const r = yield* run(emulator, {
          fault: "401 ACCESS_TOKEN_EXPIRED mid-send",
          tokens: tokens(300),
          v1: { concurrency: 32 },
          setup: (e) => e.setDefault(jitter(2, 8)),
          atSend: (n, { emulator }) => n === 100 ? emulator.expireAccessTokens : undefined
        })
        assert.strictEqual(r.row.delivered, 300)
        assert.strictEqual(r.row.duplicates, 0)
        assert.strictEqual(r.row.retried, 0, "a 401 is cured inside the attempt, not by the retry loop")
        assert.isAbove(r.log.sendRequests, 300, "the requests that met the expired token were resent")
        assert.isAtLeast(emulator.model.counters().accessTokens, 2, "a second token was fetched")
        const expired = r.records.filter((rec) => rec.route === "v1" && rec.status === 401).length
        assert.strictEqual(r.log.sendRequests, 300 + expired, "exactly the 401s were resent")
      }))

    for (const seed of [1, 2, 3]) {
      const n = 240
      it.effect(`mixed at random (seed ${seed}): faults, resets, token expiry`, () =>
        Effect.gen(function*() {
          const emulator = yield* FcmServer.FcmServer
          const random = prng(seed)
          const cuts = [40 + Math.floor(random() * 60), 140 + Math.floor(random() * 60)]
          const expireAt = 100 + Math.floor(random() * 40)
          const concurrency = 32
          const r = yield* Effect.scoped(Effect.gen(function*() {
            const proxy = yield* relay({ host: "127.0.0.1", port: emulator.port, tls: true })
            return yield* run(emulator, {
              fault: `mixed (seed ${seed}): 25% faults, 2 resets, token expiry`,
              answersMayBeLost: true,
              tokens: tokens(n, `s${seed}-`),
              baseUrl: proxy.url,
              v1: { concurrency },
              http: { requestTimeout: "1 second" },
              schedule: quickRetries(12),
              setup: (e) =>
                e.setDefault(Scenario.mix({
                  seed,
                  latency: { min: 0, max: 8 },
                  rates: {
                    unavailable: 0.04,
                    internalError: 0.03,
                    quotaExceeded: 0.01,
                    notRegistered: 0.03,
                    invalidToken: 0.02,
                    senderMismatch: 0.01,
                    thirdPartyAuthError: 0.01,
                    canonical: 0.02,
                    reset: 0.03,
                    hang: 0.01,
                    htmlError: 0.03
                  }
                })),
              atSend: (n, { emulator }) =>
                n === expireAt
                  ? emulator.expireAccessTokens
                  : cuts.includes(n)
                  ? Effect.sync(() => void proxy.cut())
                  : undefined
            })
          }))
          assert.strictEqual(r.row.lost, 0)
          assert.isAbove(r.row.delivered, n * 0.8)
          assert.isAbove(r.row.failed, 0, "the permanent failures were reported")
          assert.isAtMost(r.row.duplicates, r.row.answerLost)
          // the answers lost are those of requests that failed on the wire (at the cuts, or slower than the timeout);
          // a stream reset, a hang or an error answer is never processed, or answered
          assert.deepStrictEqual(lostWithoutAFailure(r.records, r.log), [], "only answers of failed requests are lost")
        }))
    }

    it.effect("token refresh refused mid-send: the error's partial result keeps every delivered token", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const r = yield* run(emulator, {
          fault: "401 mid-send, then the refresh is refused",
          tokens: tokens(300),
          v1: { concurrency: 32 },
          answersMayBeLost: true,
          setup: (e) => e.setDefault(jitter(2, 8)),
          atSend: (n, { emulator }) =>
            n === 100
              ? Effect.zipRight(emulator.enqueue("token", Scenario.unauthenticated()), emulator.expireAccessTokens)
              : undefined
        })
        assert.strictEqual(r.outcome._tag === "Error" && r.outcome.error._tag, "AuthenticationError")
        assert.isAbove(r.row.delivered, 0, "the tokens delivered before the failure are reported delivered")
        assert.strictEqual(r.row.lost, 0)
      }))

    it.effect("a send that fails as a whole mid-fan-out reports the tokens already delivered", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const r = yield* runScenario(emulator, {
          fault: "401 mid-send, then the refresh is refused",
          tokens: ["a", "b", "c"],
          v1: { concurrency: 1 },
          // before the second request leaves: "a" was answered, "b" meets an expired token whose refresh is refused
          atSend: (n, { emulator }) =>
            n === 2
              ? Effect.zipRight(emulator.enqueue("token", Scenario.unauthenticated()), emulator.expireAccessTokens)
              : undefined
        })
        assert.strictEqual(r.outcome._tag === "Error" && r.outcome.error._tag, "AuthenticationError")
        const partial = r.outcome._tag === "Error" ? r.outcome.error.partial : undefined
        assert.isTrue(partial !== undefined && partial.success.has("a"), "a was delivered and is reported so")
      }))

    // A session the pool destroyed itself a moment before the scope closes (it drained after the server's GOAWAY)
    // is still closing its socket: `Pool.close` waits for it as for the others.
    it.effect("a session closed by the server right after the last answer is closed when the scope closes", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        const r = yield* runScenario(emulator, {
          fault: "GOAWAY after the last answer",
          tokens: ["a", "b", "c"],
          v1: { concurrency: 1 },
          setup: (e) => e.setToken("c", Scenario.goAway({ respond: true }))
        })
        assert.isTrue(r.closedAtScopeEnd, "every session and socket closed when the scope closed")
      }))
  }
)

/**
 * The server goes away and comes back: the emulator's layer is closed mid-send and a new one started on the same
 * port. Plain HTTP/2 (h2c): a new emulator would bring a new throwaway certificate, which the client (rightly) does
 * not trust. The new emulator knows nothing of the old one's access tokens, so the client also has to refresh its
 * token (a 401, then the token endpoint of the new server).
 */
layer(Layer.empty, { excludeTestServices: true, timeout: "30 seconds" })(
  "a server that goes away and comes back",
  (it) => {
    it.effect("sends survive the outage; every token is delivered, lost answers counted", () =>
      Effect.gen(function*() {
        const guards = processGuards()
        const first = yield* Scope.make()
        const emulatorA = yield* FcmServer.make({}).pipe(Scope.extend(first))
        yield* emulatorA.setDefault(jitter(5, 15))
        const socketsBefore = openSockets()
        const retriesBefore = yield* retriesCount
        let recordsA: ReadonlyArray<Model.Record> = []
        let emulatorB: FcmServer.Service | undefined
        const second = yield* Scope.make()
        const log = new AttemptLog()
        const input = tokens(200, "r-")
        // the outage begins when the 60th request leaves the client (an event, whatever the machine's load)
        const sixtieth = yield* Deferred.make<void>()
        log.atSend = (n) => n === 60 ? Deferred.succeed(sixtieth, undefined) : undefined
        const outage = Effect.gen(function*() {
          yield* Deferred.await(sixtieth)
          yield* Scope.close(first, Exit.void)
          recordsA = emulatorA.model.records()
          yield* realSleep(300)
          // the same port, and the same service account (a new emulator would otherwise trust a new one)
          emulatorB = yield* FcmServer.make({ port: emulatorA.port, serviceAccounts: [emulatorA.serviceAccount] })
            .pipe(
              Scope.extend(second)
            )
          yield* emulatorB.setDefault(jitter(5, 15))
        })
        let pool: Http2Client.Pool | undefined
        const result = yield* Effect.scoped(Effect.gen(function*() {
          const context = yield* Layer.build(
            clientLayer(emulatorA, log, {
              http: { h2c: true, requestTimeout: "1 second", connectTimeout: "500 millis" },
              v1: { concurrency: 16 }
            })
          )
          pool = Context.get(context, Http2Client.Pool)
          const fcm = Context.get(context, FcmClient.FcmClient)
          const fiber = yield* Effect.fork(outage)
          // retries 10 ms apart for as long as the server is away, then at most 40 more
          const whileAway = Schedule.spaced("10 millis").pipe(Schedule.check(() => emulatorB === undefined))
          const schedule = Schedule.union(whileAway, quickRetries(40))
          const result = yield* fcm.sendWithRetry(Message.multicast(input), { schedule })
          yield* Effect.fromFiber(fiber)
          return result
        }))
        const records = [...recordsA, ...(yield* emulatorB!.records)]
        const { problems, row } = checkInvariants(
          "server goes away and comes back (h2c)",
          input,
          { _tag: "Result", result },
          records,
          log,
          (yield* retriesCount) - retriesBefore
        )
        assert.deepStrictEqual(problems, [])
        rows.push(row)
        assert.strictEqual(row.delivered, input.length)
        assert.isAtMost(row.duplicates, row.answerLost)
        // the answers lost are those of the requests on the wire when the server stopped (or slower than the timeout)
        assert.deepStrictEqual(lostWithoutAFailure(records, log), [], "only answers of failed requests are lost")
        assert.isAbove(emulatorB!.model.counters().routes.v1 ?? 0, 0, "the new server took over")
        const stats = yield* pool!.stats
        assert.strictEqual(stats.sessionsConnecting + stats.streamsInFlight + stats.queued, 0)
        assert.isAtLeast(stats.sessionsOpened, 2, "a new connection to the new server")
        yield* Scope.close(second, Exit.void)
        assert.isAtMost(yield* waitForSockets(socketsBefore, 1_000), socketsBefore, "every socket closed")
        assert.strictEqual((yield* pool!.stats).sessionsOpen, 0)
        assertNoEscapes(guards, "server goes away and comes back")
      }))
  }
)
