/**
 * The send-rate governor against a project quota: one v1 send of `--tokens` tokens (default 50,000) with retries, to
 * an emulator that answers the project-quota 429 above `--per-minute` messages a minute (default 600,000, FCM's
 * default; its bucket holds a second's worth) after `--latency` milliseconds (default 50), once with the governor's
 * rate budget at that quota and once without it (the adaptive limit alone). It prints, for each, the time to the
 * last outcome, the 429s the emulator answered and the targets delivered.
 *
 * Client and emulator share this process (h2c on loopback): the point is the 429s and the retries they cost, which
 * dwarf what the shared event loop costs either run.
 *
 *     pnpm --filter @effect-fcm/bench governor [--tokens N] [--per-minute N] [--latency MS]
 */
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import { Credentials, FcmClient, FcmV1, Message } from "@effect-fcm/fcm"
import { Http2Client } from "@effect-fcm/node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const flag = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  const value = i < 0 ? fallback : Number(process.argv[i + 1])
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`)
  return value
}
const total = flag("tokens", 50_000)
const perMinute = flag("per-minute", 600_000)
const latency = flag("latency", 50)

const run = (label: string, governor: FcmV1.Options["governor"], tokens: number, quota = true) =>
  Effect.gen(function*() {
    const server = yield* FcmServer.make({
      record: false,
      ...(quota ? { quota: { perMinute, burst: perMinute / 60 } } : {}),
      scenarios: { default: Scenario.latency(latency) }
    })
    const Fcm = FcmV1.layer({ baseUrl: server.baseUrl, governor }).pipe(
      Layer.provide(Credentials.layerServiceAccount(server.serviceAccount)),
      Layer.provide(Http2Client.layer({ h2c: true }))
    )
    const targets = Array.from({ length: tokens }, (_, i) => `device-${i}`)
    const started = performance.now()
    const result = yield* FcmClient.sendWithRetry(Message.multicast(targets, { data: { ping: "1" } })).pipe(
      Effect.provide(Fcm)
    )
    const seconds = (performance.now() - started) / 1000
    const counters = yield* server.counters
    return { label, seconds, refused: counters.statuses["429"] ?? 0, delivered: result.success.size }
  }).pipe(Effect.scoped)

const program = Effect.gen(function*() {
  const tokens = total
  console.log(`${tokens} v1 tokens, a quota of ${perMinute} a minute, ${latency} ms a request`)
  // a warm-up send (no quota), so that neither run pays for the first connections and compilations
  yield* run("warm-up", {}, Math.min(tokens, 2_000), false)
  const rows = [
    yield* run("governor (rate budget at the quota)", { perMinute }, tokens),
    yield* run("adaptive limit alone", {}, tokens)
  ]
  console.log("| run | seconds | 429s | delivered |\n| --- | --- | --- | --- |")
  for (const r of rows) console.log(`| ${r.label} | ${r.seconds.toFixed(1)} | ${r.refused} | ${r.delivered} |`)
})

Effect.runPromise(program).catch((error) => {
  console.error(error)
  process.exit(1)
})
