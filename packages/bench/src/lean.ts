/**
 * The lean server of the benchmark: a minimal `node:http2` TLS server on loopback that answers every FCM request with
 * a fixed success body, so that the client being measured, not the server, is the bottleneck. Its per-request work is
 * Node's own HTTP/2 server work plus a lookup: no validation, no model, no per-request timer.
 *
 * - `POST …/token`: a fixed OAuth2 access token (the JWT assertion is not checked);
 * - `POST …/messages:send` (v1): `{"name":"projects/P/messages/0:1"}`, without reading the request body;
 * - `POST /fcm/send` (legacy): the body is read and parsed for the number of `registration_ids`, and the answer for
 *   that many successes (built once per count) is sent.
 *
 * Over HTTP/2, and over HTTP/1.1 for clients that do not offer `h2` (node-gcm, firebase-admin's token request).
 *
 * It advertises large HTTP/2 receive windows (1 MiB per stream, 16 MiB per connection), as a production server does,
 * instead of the protocol's initial 64 KiB: a legacy request carries ~160 KB of body, and with 64 KiB for the whole
 * connection every request in flight would wait for WINDOW_UPDATE round trips between two busy processes to finish
 * its upload, a cost of this server's configuration that an HTTP/1.1 client does not pay. HTTP/1.1 connections are
 * never reset between requests (see `HIGH_WATER_MARK`).
 *
 * With `--latency MS`, every answer is sent MS milliseconds after its request arrived. The waiting requests are kept
 * in one first-in-first-out queue (they all wait the same time, so it is ordered by due time) behind a single timer,
 * set for the head of the queue: no timer per request, no CPU while waiting.
 *
 * Like `emulator.ts`, it writes a service-account key (whose `token_uri` is its own `/token`) and its certificate to
 * `--dir`, sends the parent one `Ready` message, and runs until SIGTERM or the parent goes away. It answers the
 * parent's `"cpu"` message with its own `process.cpuUsage()`, so each client's run can be charged the server's CPU.
 */
import { ServiceAccount } from "@effect-fcm/emulator"
import { selfSigned } from "@effect-fcm/emulator/internal/x509"
import * as fs from "node:fs"
import * as http from "node:http"
import * as http2 from "node:http2"
import * as path from "node:path"
import * as stream from "node:stream"
import * as ServerProcess from "./serverProcess.js"

const { dir, host, latency } = ServerProcess.flags()

const projectId = "lean-project"
const accessToken = "lean-access-token"
const apiKey = "lean-api-key"

// Node's streams create an error object (`ERR_STREAM_DESTROYED`) for the callbacks of a stream closed before its
// write completed, which an answered HTTP/2 stream often is: without stack traces that costs next to nothing.
Error.stackTraceLimit = 0

/**
 * The write buffer of every socket before it counts as full: 256 KiB instead of Node 20's 16 KiB, so that no answer
 * (a 1000-token legacy answer is ~24 KB) leaves a socket "needing drain". Node's HTTP/1.1 server stops reading a
 * keep-alive connection whose last answer is still above that mark when the next request arrives; on a TLS socket
 * taken over from the HTTP/2 server, the rest of that request then reaches the paused parser, which fails it
 * (`HPE_PAUSED`) and resets the connection: node-gcm, whose next request arrives right after it read the answer, saw
 * one reset in every ten to twenty requests at 50 ms and resent each a second later.
 */
const HIGH_WATER_MARK = 256 * 1024
stream.setDefaultHighWaterMark(false, HIGH_WATER_MARK)

/** The HTTP/2 receive windows: per stream (`SETTINGS_INITIAL_WINDOW_SIZE`) and per connection. */
const STREAM_WINDOW = 1024 * 1024
const CONNECTION_WINDOW = 16 * 1024 * 1024

const certificate = selfSigned({ commonName: "localhost", dnsNames: ["localhost"], ips: ["127.0.0.1", "::1"] })

const OK = { ":status": 200, "content-type": "application/json; charset=UTF-8" } as const
const V1_BODY = Buffer.from(JSON.stringify({ name: `projects/${projectId}/messages/0:1` }))
const TOKEN_BODY = Buffer.from(JSON.stringify({ access_token: accessToken, expires_in: 3600, token_type: "Bearer" }))
const JSON_HEADERS = { "content-type": "application/json; charset=UTF-8" } as const

/** Legacy answers by number of tokens, built once each. */
const legacyBodies = new Map<number, Buffer>()
const legacyBody = (n: number): Buffer => {
  let body = legacyBodies.get(n)
  if (body === undefined) {
    const results = Array.from({ length: n }, (_, i) => ({ message_id: `0:${i + 1}` }))
    body = Buffer.from(JSON.stringify({ multicast_id: 1, success: n, failure: 0, canonical_ids: 0, results }))
    legacyBodies.set(n, body)
  }
  return body
}

/** The legacy answer for a request body: as many successes as it has `registration_ids` (or one, for `to`). */
const legacyAnswer = (chunks: ReadonlyArray<Buffer>): Buffer | undefined => {
  try {
    const json = JSON.parse(Buffer.concat(chunks).toString()) as { registration_ids?: ReadonlyArray<unknown> }
    return legacyBody(Array.isArray(json.registration_ids) ? json.registration_ids.length : 1)
  } catch {
    return undefined
  }
}

// The delayed answers: a queue ordered by due time (all wait `latency`), drained by one timer.
const dueAt: Array<number> = []
type Target = http2.ServerHttp2Stream | http.ServerResponse
const dueStream: Array<Target> = []
const dueBody: Array<Buffer> = []
let head = 0
let timer: NodeJS.Timeout | undefined

const answer = (target: Target, body: Buffer) => {
  if (target instanceof http.ServerResponse) {
    if (target.destroyed) return
    target.writeHead(200, JSON_HEADERS)
    target.end(body)
    return
  }
  if (target.destroyed || target.closed) return
  target.respond(OK)
  target.end(body)
}

const drain = () => {
  timer = undefined
  const now = performance.now()
  while (head < dueAt.length && dueAt[head]! <= now) {
    answer(dueStream[head]!, dueBody[head]!)
    dueStream[head] = undefined as never
    head++
  }
  if (head === dueAt.length) {
    dueAt.length = 0
    dueStream.length = 0
    dueBody.length = 0
    head = 0
  } else {
    if (head > 4096) {
      dueAt.splice(0, head)
      dueStream.splice(0, head)
      dueBody.splice(0, head)
      head = 0
    }
    timer = setTimeout(drain, Math.max(0, dueAt[head]! - now))
  }
}

const reply = (stream: Target, body: Buffer) => {
  if (latency <= 0) return answer(stream, body)
  dueAt.push(performance.now() + latency)
  dueStream.push(stream)
  dueBody.push(body)
  if (timer === undefined) timer = setTimeout(drain, latency)
}

const server = http2.createSecureServer({
  key: certificate.keyPem,
  cert: certificate.certPem,
  settings: { maxConcurrentStreams: 100, initialWindowSize: STREAM_WINDOW },
  unknownProtocolTimeout: 3_600_000
})
server.on("session", (session) => session.setLocalWindowSize(CONNECTION_WINDOW))
server.on("sessionError", () => {})

// HTTP/1.1 (firebase-admin fetches its access token over it, node-gcm sends over it): handed to a plain
// `http.Server` of its own, so that the HTTP/2 server needs no `request` listener (which would build compatibility
// objects for every stream).
const http1 = http.createServer((request, response) => {
  const chunks: Array<Buffer> = []
  request.on("data", (chunk: Buffer) => chunks.push(chunk))
  request.on("end", () => {
    const p = request.url ?? ""
    if (p.endsWith("/token")) return reply(response, TOKEN_BODY)
    if (p.endsWith("/messages:send")) return reply(response, V1_BODY)
    if (p === "/fcm/send") {
      const body = legacyAnswer(chunks)
      if (body !== undefined) return reply(response, body)
      response.writeHead(400, JSON_HEADERS)
      return response.end("{}")
    }
    response.writeHead(404)
    response.end()
  })
})
server.on("unknownProtocol", (socket) => http1.emit("connection", socket))
server.on("stream", (stream, headers) => {
  stream.on("error", () => {})
  const p = headers[":path"] ?? ""
  if (p.endsWith("/messages:send")) return reply(stream, V1_BODY)
  if (p.endsWith("/token")) return reply(stream, TOKEN_BODY)
  if (p === "/fcm/send") {
    const chunks: Array<Buffer> = []
    stream.on("data", (chunk: Buffer) => chunks.push(chunk))
    stream.on("end", () => {
      const body = legacyAnswer(chunks)
      if (body !== undefined) return reply(stream, body)
      stream.respond({ ":status": 400, ...JSON_HEADERS })
      stream.end("{}")
    })
    return
  }
  stream.respond({ ":status": 404 })
  stream.end()
})

server.listen(0, host, () => {
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  const urlHost = host.includes(":") ? `[${host}]` : host
  const baseUrl = `https://${urlHost}:${port}`
  const key = ServiceAccount.unsafeGenerate({ projectId, tokenUri: `${baseUrl}/token` })
  const keyPath = path.join(dir, `lean-service-account-${latency}.json`)
  const caPath = path.join(dir, `lean-ca-${latency}.pem`)
  fs.writeFileSync(keyPath, JSON.stringify(key), { mode: 0o600 })
  fs.writeFileSync(caPath, certificate.certPem)
  const ready: ServerProcess.Ready = { baseUrl, port, keyPath, caPath, apiKey, projectId, accessToken }
  process.send!(ready)
})

ServerProcess.serve(() => {
  server.close()
  process.exit(0)
})
