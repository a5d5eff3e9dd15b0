/**
 * Throughput smoke test: N small FCM-like POSTs against a local TLS HTTP/2 server (in a worker thread, so it has
 * its own core), sent by a bare node:http2 loop and by the pooled Http2Client.
 *
 *   pnpm exec tsx packages/node/scripts/throughput.ts [--requests 20000] [--concurrency 100] [--delay 0]
 *     [--sessions 8] [--rounds 3] [--only bare|pool|untraced] [--detail]
 *
 * Rounds alternate between the clients; the median and the best round are printed. `--delay` adds server latency
 * in milliseconds (then more sessions and more requests in flight pay off). The bare loop always uses one session,
 * as firebase-admin does; `--sessions` sets the pool's `maxSessionsPerOrigin`. `--detail` adds two reference rows
 * that locate the cost: a bare session wrapped in `Effect.async` (no HttpClient), and the same wrapped in
 * `HttpClient.make` (no pool), both with tracing off.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as http2 from "node:http2"
import { parseArgs } from "node:util"
import { Worker } from "node:worker_threads"
import { generate } from "selfsigned"
import { Http2Client } from "../src/index.js"

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "100" },
    delay: { type: "string", default: "0" },
    sessions: { type: "string", default: "8" },
    only: { type: "string", default: "" },
    rounds: { type: "string", default: "3" },
    detail: { type: "boolean", default: false }
  }
})
const requests = Number(values.requests)
const concurrency = Number(values.concurrency)
const delay = Number(values.delay)
const sessions = Number(values.sessions)
const only = values.only
const rounds = Number(values.rounds)
const detail = values.detail

const serverCode = `
const http2 = require("node:http2")
const { parentPort, workerData } = require("node:worker_threads")
const server = http2.createSecureServer({ key: workerData.key, cert: workerData.cert, settings: { maxConcurrentStreams: 100 } })
const reply = JSON.stringify({ name: "projects/demo/messages/0:1700000000000000%31bd1c9631bd1c96" })
const respond = (stream) => {
  if (stream.destroyed) return
  stream.respond({ ":status": 200, "content-type": "application/json; charset=UTF-8" })
  stream.end(reply)
}
server.on("stream", (stream) => {
  stream.on("error", () => {})
  stream.on("data", () => {})
  stream.on("end", () => workerData.delay > 0 ? setTimeout(respond, workerData.delay, stream) : respond(stream))
})
server.on("sessionError", () => {})
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port))
`

const body = JSON.stringify({
  message: {
    token: "f".repeat(152),
    notification: { title: "Hello", body: "A throughput test message" },
    data: { kind: "bench", n: "1" }
  }
})
const headers = {
  ":method": "POST",
  ":path": "/v1/projects/demo/messages:send",
  "content-type": "application/json",
  authorization: "Bearer ya29.test-token"
}

const bare = (origin: string, ca: string, n: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const session = http2.connect(origin, { ca })
    session.on("error", reject)
    let started = 0
    let done = 0
    const t0 = performance.now()
    const one = () => {
      started++
      const stream = session.request(headers)
      stream.on("error", reject)
      stream.on("response", () => {})
      stream.on("data", () => {})
      stream.on("end", () => {
        if (++done === n) {
          session.close()
          resolve(n / ((performance.now() - t0) / 1000))
        } else if (started < n) {
          one()
        }
      })
      stream.end(body)
    }
    for (let i = 0; i < Math.min(concurrency, n); i++) one()
  })

const pooled = (client: HttpClient.HttpClient, url: string, n: number) =>
  Effect.gen(function*() {
    const request = HttpClientRequest.post(url).pipe(
      HttpClientRequest.setHeader("authorization", "Bearer ya29.test-token"),
      HttpClientRequest.bodyText(body, "application/json")
    )
    const t0 = performance.now()
    let failed = 0
    yield* Effect.forEach(
      Array.from({ length: n }),
      () =>
        client.execute(request).pipe(
          Effect.flatMap((response) => response.json),
          Effect.catchAll(() => Effect.sync(() => failed++))
        ),
      { concurrency, discard: true }
    )
    if (failed > 0) console.log(`  (${failed} failed)`)
    return n / ((performance.now() - t0) / 1000)
  })

/** One request on a bare session as an Effect: the floor for any Effect-based client. */
const effectBare = (session: http2.ClientHttp2Session) =>
  Effect.async<string, Error>((resume) => {
    const stream = session.request(headers)
    const chunks: Array<Buffer> = []
    stream.on("error", (error) => resume(Effect.fail(error)))
    stream.on("data", (chunk: Buffer) => chunks.push(chunk))
    stream.on("end", () => resume(Effect.succeed(Buffer.concat(chunks).toString())))
    stream.end(body)
    return Effect.sync(() => stream.close(http2.constants.NGHTTP2_CANCEL))
  })

/** `HttpClient.make` over one bare session, without the pool. */
const platformBare = (session: http2.ClientHttp2Session) =>
  HttpClient.make((request) =>
    Effect.map(
      effectBare(session),
      (text) => HttpClientResponse.fromWeb(request, new Response(text, { status: 200 }))
    ).pipe(Effect.orDie)
  )

const runEffects = (n: number, one: Effect.Effect<unknown, unknown>) =>
  Effect.gen(function*() {
    const t0 = performance.now()
    yield* Effect.forEach(Array.from({ length: n }), () => Effect.ignore(one), { concurrency, discard: true })
    return n / ((performance.now() - t0) / 1000)
  }).pipe(Effect.withTracerEnabled(false))

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const report = (label: string, xs: Array<number>) =>
  console.log(
    `${label.padEnd(40)} median ${median(xs).toFixed(0).padStart(6)} req/s   best ${
      Math.max(...xs).toFixed(0).padStart(6)
    }   (${xs.map((x) => x.toFixed(0)).join(", ")})`
  )

const main = async () => {
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }]
  })
  const worker = new Worker(serverCode, { eval: true, workerData: { key: pems.private, cert: pems.cert, delay } })
  const port = await new Promise<number>((resolve) => worker.once("message", resolve))
  const origin = `https://127.0.0.1:${port}`
  const url = `${origin}/v1/projects/demo/messages:send`
  const warmup = Math.min(2_000, requests)
  console.log(
    `${requests} POSTs x ${rounds} rounds, ${concurrency} in flight, server delay ${delay} ms, ` +
      `pool max ${sessions} sessions, Node ${process.version}`
  )
  const results = {
    bare: [] as Array<number>,
    traced: [] as Array<number>,
    untraced: [] as Array<number>,
    effect: [] as Array<number>,
    platform: [] as Array<number>
  }

  await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const { client, stats } = yield* Http2Client.makePool({
      ca: pems.cert,
      proxy: "none",
      maxSessionsPerOrigin: sessions
    })
    const untracedRun = (n: number) => pooled(client, url, n).pipe(Effect.withTracerEnabled(false))
    if (only !== "pool") yield* Effect.promise(() => bare(origin, pems.cert, warmup))
    if (only !== "bare") yield* untracedRun(warmup)
    const session = http2.connect(origin, { ca: pems.cert })
    session.on("error", () => {})
    const viaPlatform = platformBare(session)
    const platformRequest = HttpClientRequest.post(url).pipe(HttpClientRequest.bodyText(body, "application/json"))
    for (let round = 0; round < rounds; round++) {
      if (only !== "pool") results.bare.push(yield* Effect.promise(() => bare(origin, pems.cert, requests)))
      if (only === "bare") continue
      if (only !== "untraced") results.traced.push(yield* pooled(client, url, requests))
      results.untraced.push(yield* untracedRun(requests))
      if (only === "" && detail) {
        results.effect.push(yield* runEffects(requests, effectBare(session)))
        results.platform.push(yield* runEffects(requests, viaPlatform.execute(platformRequest)))
      }
    }
    session.close()
    if (results.bare.length > 0) report("bare node:http2, 1 session", results.bare)
    if (results.traced.length > 0) report("Http2Client, tracing on (default)", results.traced)
    if (results.untraced.length > 0) report("Http2Client, tracing off", results.untraced)
    if (results.effect.length > 0) report("reference: Effect.async, bare session", results.effect)
    if (results.platform.length > 0) report("reference: HttpClient.make, bare session", results.platform)
    const s = yield* stats
    console.log(`pool: sessions opened ${s.sessionsOpened}, replaced ${s.sessionsReplaced}, retried ${s.retried}`)
  })))
  await worker.terminate()
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
