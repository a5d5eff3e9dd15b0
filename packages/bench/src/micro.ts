/**
 * CPU cost of effect-fcm's own code per message, without a network: a v1 fan-out (and a streamed send) over an
 * in-memory `HttpClient` that answers every request at once. Rounds alternate; the median is printed.
 *
 *   tsx packages/bench/src/micro.ts [--tokens 20000] [--rounds 5] [--only send|stream]
 */
import { Credentials, FcmClient, FcmV1, Message, Result } from "@effect-fcm/fcm"
import { BufferedResponse } from "@effect-fcm/node/internal/response"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { parseArgs } from "node:util"
import { DATA, NOTIFICATION, token } from "./job.js"

const { values } = parseArgs({
  options: {
    tokens: { type: "string", default: "20000" },
    rounds: { type: "string", default: "5" },
    only: { type: "string", default: "" }
  }
})
const n = Number(values.tokens)
const rounds = Number(values.rounds)

const body = Buffer.from(JSON.stringify({ name: "projects/bench/messages/0:1" }))
const headers = { "content-type": "application/json; charset=UTF-8" }
const fake = HttpClient.makeWith<never, never, never, never>(
  (request) => Effect.map(request, (r) => new BufferedResponse(r, 200, headers, body, Option.none())),
  Effect.succeed
)

const layer = FcmV1.layer({ projectId: "bench", baseUrl: "https://fcm.example", timeout: false }).pipe(
  Layer.provide(
    Credentials.layerEffect(
      Effect.sync(() => ({ token: Redacted.make("ya29.bench"), expiresAt: Date.now() + 3_600_000 }))
    )
  ),
  Layer.provide(Layer.succeed(HttpClient.HttpClient, fake))
)

const tokens = Array.from({ length: n }, (_, i) => token(i))
const options = { notification: NOTIFICATION, data: DATA }

const measure = <A, E>(label: string, run: Effect.Effect<A, E, FcmClient.FcmClient>) =>
  Effect.gen(function*() {
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    yield* run
    const ms = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    return { label, micros: (cpu.user + cpu.system) / n, rate: n / (ms / 1000) }
  })

const send = measure(
  "send (fan-out)",
  Effect.flatMap(
    FcmClient.send(Message.multicast(tokens, options)),
    (r) => r.counts.success === n ? Effect.void : Effect.dieMessage(`only ${r.counts.success} delivered`)
  )
)
const stream = measure(
  "sendStream",
  FcmClient.sendStream(Stream.fromIterable(tokens), options).pipe(Stream.run(Result.summarySink))
)

const program = Effect.gen(function*() {
  const runs = [send, stream].filter((_, i) => values.only === "" || (values.only === "send" ? i === 0 : i === 1))
  for (const r of runs) yield* r // warm-up
  const results = new Map<string, Array<{ micros: number; rate: number }>>()
  for (let i = 0; i < rounds; i++) {
    for (const r of runs) {
      const m = yield* r
      results.set(m.label, [...(results.get(m.label) ?? []), m])
    }
  }
  for (const [label, ms] of results) {
    const sorted = [...ms].sort((a, b) => a.micros - b.micros)
    const mid = sorted[Math.floor(sorted.length / 2)]!
    console.log(
      `${label.padEnd(16)} ${mid.micros.toFixed(2).padStart(7)} µs CPU/msg  ${mid.rate.toFixed(0).padStart(7)} msg/s` +
        `   (CPU µs/msg per round: ${ms.map((m) => m.micros.toFixed(1)).join(", ")})`
    )
  }
  yield* Effect.sleep(Duration.zero)
})

program.pipe(Effect.provide(layer), Effect.runPromise)
