/**
 * The ceiling: a bare `node:http2` loop with no library, the same number of sessions and requests in flight as
 * effect-fcm's pool, the same body built per token from a template, and each answer's JSON parsed.
 */
import * as fs from "node:fs"
import * as http2 from "node:http2"
import { job, main } from "../harness.js"
import { DATA, NOTIFICATION } from "../job.js"

main(async () => {
  const { emulator } = job
  const ca = fs.readFileSync(emulator.caPath, "utf8")
  const headers = {
    ":method": "POST",
    ":path": `/v1/projects/${emulator.projectId}/messages:send`,
    "content-type": "application/json",
    authorization: `Bearer ${emulator.accessToken}`
  }
  const marker = JSON.stringify("\u0000t\u0000")
  const json = JSON.stringify({ message: { token: "\u0000t\u0000", notification: NOTIFICATION, data: DATA } })
  const at = json.indexOf(marker)
  const prefix = json.slice(0, at)
  const suffix = json.slice(at + marker.length)
  // as many sessions as effect-fcm's pool opens for this many requests in flight: 100 streams each
  const count = Math.min(job.sessions, Math.ceil(job.concurrency / 100))
  const sessions = Array.from({ length: count }, () => {
    const s = http2.connect(emulator.baseUrl, { ca })
    s.on("error", () => {})
    return s
  })
  return {
    send: (batch) =>
      new Promise<number>((resolve, reject) => {
        let next = 0
        let done = 0
        let delivered = 0
        const one = (session: http2.ClientHttp2Session) => {
          const t = batch[next++]!
          const stream = session.request(headers)
          const chunks: Array<Buffer> = []
          stream.on("error", reject)
          stream.on("data", (c: Buffer) => chunks.push(c))
          stream.on("end", () => {
            const name = (JSON.parse(Buffer.concat(chunks).toString()) as { name?: unknown }).name
            if (typeof name === "string") delivered++
            if (++done === batch.length) resolve(delivered)
            else if (next < batch.length) one(session)
          })
          stream.end(prefix + JSON.stringify(t) + suffix)
        }
        const inFlight = Math.min(job.concurrency, batch.length)
        for (let i = 0; i < inFlight; i++) one(sessions[i % sessions.length]!)
      }),
    close: async () => {
      for (const s of sessions) s.close()
    },
    note: () => `${count} sessions`
  }
})
