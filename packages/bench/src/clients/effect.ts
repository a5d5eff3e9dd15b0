/**
 * effect-fcm: v1 over the pooled HTTP/2 transport (`NodeFcm.layer`) and over `FetchHttpClient` (undici, with the
 * protocol's own 30-second timeout, as one would configure it), legacy over the HTTP/2 transport
 * (`NodeFcm.layerLegacy`), and the streamed send (`sendStream` over `NodeFcm.layer`).
 */
import { Credentials, FcmClient, FcmV1, Message, Result } from "@effect-fcm/fcm"
import { Http2Client, NodeFcm } from "@effect-fcm/node"
// the module, not the package index: an index import loads every module of @effect/platform (HttpApi's embedded
// Swagger and Scalar pages among them, ~35 MiB of RSS), which would be charged to effect-fcm
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import { type Client, job, main, measured, report } from "../harness.js"
import { DATA, NOTIFICATION, token } from "../job.js"

const { emulator } = job
const options = { notification: NOTIFICATION, data: DATA }

// The server's certificate, and no proxy from the environment: the pool's other options are its defaults unless
// `--sessions` was given.
const poolOptions = (): Http2Client.Options => ({
  ca: fs.readFileSync(emulator.caPath, "utf8"),
  proxy: "none",
  ...(job.sessionsOption === undefined ? {} : { maxSessionsPerOrigin: job.sessionsOption })
})

// As an application would: `NodeFcm.layer()` with the key file named by GOOGLE_APPLICATION_CREDENTIALS and the
// default options (the concurrency only when `--concurrency` was given).
process.env.GOOGLE_APPLICATION_CREDENTIALS = emulator.keyPath
const v1Http2 = () =>
  NodeFcm.layer({
    baseUrl: emulator.baseUrl,
    transport: poolOptions(),
    ...(job.concurrencyOption === undefined ? {} : { concurrency: job.concurrencyOption })
  })

const build = async (layer: Layer.Layer<FcmClient.FcmClient, unknown>): Promise<Client> => {
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  const client = Context.get(context, FcmClient.FcmClient)
  const pool = Context.getOption(context as Context.Context<never>, Http2Client.Pool)
  // the most streams in flight seen while sending, sampled every 50 ms (the default concurrency may adapt); a sample
  // is a `runSync` (~2.6 KiB), charged to the client: every 10 ms it would be ~0.1 KiB a message at 2,500 msg/s
  let peakInFlight = 0
  const sample = () => {
    if (pool._tag === "Some") peakInFlight = Math.max(peakInFlight, Effect.runSync(pool.value.stats).streamsInFlight)
  }
  return {
    send: (batch) => {
      peakInFlight = 0
      const sampler = setInterval(sample, 50)
      return Effect.runPromise(client.send(Message.multicast(batch, options))).then((result) => {
        clearInterval(sampler)
        return result.counts.success
      })
    },
    close: () => Effect.runPromise(Scope.close(scope, Exit.void)),
    note: () => {
      if (pool._tag === "None") return undefined
      const stats = Effect.runSync(pool.value.stats)
      return `${stats.sessionsOpened} sessions, up to ${peakInFlight} streams in flight`
    }
  }
}

const streamed = () => {
  const run = (from: number, n: number) =>
    FcmClient.sendStream(Stream.map(Stream.range(from, from + n - 1), token), options).pipe(
      Stream.run(Result.summarySink)
    )
  return Effect.gen(function*() {
    yield* run(-job.warmup - 1, job.warmup)
    const runtime = yield* Effect.runtime<FcmClient.FcmClient | Http2Client.Pool>()
    const pool = Context.get(runtime.context, Http2Client.Pool)
    // the most streams in flight, sampled every 50 ms as the send's
    let peakInFlight = 0
    const sampler = setInterval(() => {
      peakInFlight = Math.max(peakInFlight, Effect.runSync(pool.stats).streamsInFlight)
    }, 50)
    return yield* Effect.promise(async () => {
      const { measured: m, value: summary } = await measured(() =>
        Effect.runPromiseExit(run(0, job.tokens).pipe(Effect.provide(runtime)))
      )
      clearInterval(sampler)
      if (summary._tag === "Failure") throw summary.cause
      const stats = Effect.runSync(pool.stats)
      return report(
        summary.value.success,
        m,
        `${stats.sessionsOpened} sessions, up to ${peakInFlight} streams in flight`
      )
    })
  }).pipe(Effect.provide(v1Http2()), Effect.runPromise)
}

main(() => {
  switch (job.client) {
    case "effect-fcm v1 (HTTP/2)":
      return build(v1Http2())
    case "effect-fcm v1 (fetch)":
      return build(
        FcmV1.layer({ baseUrl: emulator.baseUrl, concurrency: job.concurrencyOption ?? job.concurrency }).pipe(
          Layer.provide(Credentials.layerServiceAccount(fs.readFileSync(emulator.keyPath, "utf8"))),
          Layer.provide(FetchHttpClient.layer)
        )
      )
    case "effect-fcm legacy":
      return build(
        NodeFcm.layerLegacy({
          apiKey: Redacted.make(emulator.apiKey),
          baseUrl: emulator.baseUrl,
          transport: poolOptions()
        })
      )
    case "effect-fcm sendStream":
      return streamed()
    default:
      return Promise.reject(new Error(`not an effect-fcm client: ${job.client}`))
  }
})
