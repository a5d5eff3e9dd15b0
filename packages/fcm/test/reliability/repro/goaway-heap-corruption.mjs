// A bare node:http2 reproduction of the crash behind the emulator's refusing GOAWAY (docs/reliability.md).
//
//   node packages/fcm/test/reliability/repro/goaway-heap-corruption.mjs          # variant "emulator": crashes
//   VARIANT=graceful node packages/fcm/test/reliability/repro/goaway-heap-corruption.mjs   # survives
//
// The server answers most streams 5–20 ms after their request (so many are open at once) and every 100th the way
// packages/emulator/src/internal/server.ts used to answer Scenario.goAway() (it now closes the session gracefully and
// refuses the one stream): session.goaway(NO_ERROR, stream.id - 2), then stream.close(REFUSED_STREAM), then
// session.close(). With later streams still open on that session, Node 20.20.2's
// server process aborts within a few dozen rounds ("corrupted size vs. prev_size", SIGABRT). The "graceful" variant
// (answer, then session.close()) and the variant without the explicit goaway() survive hundreds of rounds.
import { fork } from "node:child_process"
import * as http2 from "node:http2"

const { NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM } = http2.constants
const variant = process.env.VARIANT ?? "emulator"

if (process.argv[2] === "--server") {
  let n = 0
  const server = http2.createServer({ settings: { maxConcurrentStreams: 100 } })
  server.on("session", (s) => s.on("error", () => {}))
  server.on("stream", (stream) => {
    stream.on("error", () => {})
    stream.resume()
    stream.on("end", () => {
      if (++n % 100 === 50) {
        const session = stream.session
        if (variant === "graceful") {
          stream.respond({ ":status": 200 })
          stream.end("{}")
        } else {
          session.goaway(NGHTTP2_NO_ERROR, Math.max(0, stream.id - 2))
          stream.close(NGHTTP2_REFUSED_STREAM)
        }
        session.close()
        return
      }
      setTimeout(() => {
        if (stream.destroyed || stream.closed) return
        stream.respond({ ":status": 200 })
        stream.end("{}")
      }, 5 + Math.floor(Math.random() * 16))
    })
  })
  server.listen(0, "127.0.0.1", () => process.send(server.address().port))
} else {
  const rounds = Number(process.argv[2] ?? 80)
  const child = fork(new URL(import.meta.url).pathname, ["--server"], { env: { ...process.env, VARIANT: variant } })
  child.on("exit", (code, signal) => {
    console.log(`the server process died: code ${code}, signal ${signal}`)
    process.exit(1)
  })
  const port = await new Promise((resolve) => child.once("message", resolve))
  const base = `http://127.0.0.1:${port}`
  for (let round = 0; round < rounds; round++) {
    await new Promise((resolve) => {
      let session
      let done = 0
      const open = () => {
        const s = http2.connect(base)
        s.on("error", () => {})
        s.on("goaway", () => session === s && (session = undefined))
        s.on("close", () => session === s && (session = undefined))
        return (session = s)
      }
      const send = () => {
        const s = session ?? open()
        let req
        try {
          req = s.request({ ":method": "POST", ":path": "/send" })
        } catch {
          session = undefined
          return setImmediate(send)
        }
        let answered = false
        req.on("response", () => (answered = true))
        req.on("data", () => {})
        req.on("error", () => {})
        req.on("close", () => {
          if (!answered) setImmediate(send)
          else if (++done === 300) {
            session?.close()
            resolve()
          }
        })
        req.end("{}")
      }
      for (let k = 0; k < 300; k++) send()
    })
  }
  console.log(`the server survived ${rounds} rounds (variant ${variant})`)
  child.removeAllListeners("exit")
  child.kill()
}
