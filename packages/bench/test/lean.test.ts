import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type ChildProcess, fork } from "node:child_process"
import * as fs from "node:fs"
import * as http2 from "node:http2"
import * as https from "node:https"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { Ready } from "../src/serverProcess.js"

// The lean server in a process of its own, as the benchmark runs it, with a 20 ms delay before every answer.
const here = path.dirname(fileURLToPath(import.meta.url))
let server: ChildProcess
let ready: Ready
let dir: string

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "lean-test-"))
  server = fork(path.join(here, "../src/lean.ts"), ["--latency", "20", "--dir", dir], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  ready = await new Promise<Ready>((resolve, reject) => {
    server.once("message", (m) => resolve(m as Ready))
    server.once("exit", (code) => reject(new Error(`the lean server exited with ${code}`)))
  })
})

afterAll(() => {
  server?.kill("SIGTERM")
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true })
})

const tokens = Array.from({ length: 1000 }, (_, i) => `token-${i}:`.padEnd(160, "x"))
const legacyBody = JSON.stringify({ notification: { title: "t" }, registration_ids: tokens })

describe("the lean server", () => {
  it("advertises HTTP/2 receive windows of 1 MiB a stream and 16 MiB a connection", async () => {
    const ca = fs.readFileSync(ready.caPath, "utf8")
    const session = http2.connect(ready.baseUrl, { ca })
    try {
      await new Promise<void>((resolve, reject) => {
        session.once("remoteSettings", () => resolve())
        session.once("error", reject)
      })
      assert.strictEqual(session.remoteSettings.initialWindowSize, 1024 * 1024)
      // the connection's WINDOW_UPDATE follows the server's SETTINGS: it has arrived once a PING is answered
      await new Promise<void>((resolve, reject) => session.ping((error) => error ? reject(error) : resolve()))
      assert.strictEqual(session.state.remoteWindowSize, 16 * 1024 * 1024)
      // a 160 KB legacy request is answered for its 1000 tokens
      const answer = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": "/fcm/send" })
        const chunks: Array<Buffer> = []
        stream.on("data", (chunk: Buffer) => chunks.push(chunk))
        stream.on("end", () => resolve(Buffer.concat(chunks).toString()))
        stream.on("error", reject)
        stream.end(legacyBody)
      })
      assert.strictEqual((JSON.parse(answer) as { results: Array<unknown> }).results.length, 1000)
    } finally {
      session.close()
    }
  })

  it("keeps HTTP/1.1 connections open across legacy requests whose answers exceed 16 KiB", async () => {
    // 8 keep-alive connections, each sending its next request as soon as it has read the last answer (~24 KB), as
    // node-gcm does: a connection reset fails a request here
    const agent = new https.Agent({ keepAlive: true, maxSockets: 8, ca: fs.readFileSync(ready.caPath, "utf8") })
    const post = () =>
      new Promise<number>((resolve, reject) => {
        const request = https.request(`${ready.baseUrl}/fcm/send`, {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(legacyBody) }
        }, (response) => {
          const chunks: Array<Buffer> = []
          response.on("data", (chunk: Buffer) => chunks.push(chunk))
          response.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString()).success))
          response.on("error", reject)
        })
        request.on("error", reject)
        request.end(legacyBody)
      })
    const sockets = new Set<unknown>()
    agent.on("free", (socket) => sockets.add(socket))
    try {
      const connection = async () => {
        let delivered = 0
        for (let i = 0; i < 12; i++) delivered += await post()
        return delivered
      }
      const delivered = await Promise.all(Array.from({ length: 8 }, connection))
      assert.deepStrictEqual(delivered, Array.from({ length: 8 }, () => 12_000))
      assert.strictEqual(sockets.size, 8)
    } finally {
      agent.destroy()
    }
  })
})
