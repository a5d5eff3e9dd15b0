/**
 * A bare node:http2 reproduction of the wedged session behind "Node's HTTP/2 client over TLS sometimes does not notice
 * a TCP reset" (docs/reliability.md).
 *
 *   pnpm tsx packages/fcm/test/reliability/repro/tls-reset-wedge.ts [rounds]
 *
 * An HTTP/2 server over TLS answers each request 5–15 ms late; a TCP relay sits in front of it; an HTTP/2 client keeps
 * 32 requests in flight through the relay. When the server has received 100 requests the relay resets every
 * connection (TCP RST). Usually the client session closes at once. Now and then (a few rounds in a hundred on Node
 * 20.20.2; never over plain TCP) it never does: its socket stays open, no 'error', no 'close', and the 100 requests
 * sent on it afterwards are never written nor failed.
 */
import { selfSigned } from "@effect-fcm/emulator/internal/x509"
import * as http2 from "node:http2"
import * as net from "node:net"

const { certPem, keyPem } = selfSigned({ commonName: "localhost", dnsNames: ["localhost"], ips: ["127.0.0.1"] })

const server = http2.createSecureServer({ key: keyPem, cert: certPem, settings: { maxConcurrentStreams: 100 } })
server.on("session", (s) => s.on("error", () => {}))
let received = 0
server.on("stream", (stream) => {
  stream.on("error", () => {})
  stream.resume()
  stream.on("end", () => {
    received++
    setTimeout(() => {
      if (stream.destroyed || stream.closed) return
      stream.respond({ ":status": 200 })
      stream.end("{}")
    }, 5 + Math.random() * 10)
  })
})

const listen = (s: net.Server) =>
  new Promise<number>((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as net.AddressInfo).port)))

const main = async () => {
  const serverPort = await listen(server)
  const pairs = new Set<readonly [net.Socket, net.Socket]>()
  const relay = net.createServer((client) => {
    const upstream = net.connect(serverPort, "127.0.0.1")
    const pair = [client, upstream] as const
    pairs.add(pair)
    for (const s of pair) {
      s.on("error", () => {})
      s.once("close", () => {
        pairs.delete(pair)
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream)
    upstream.pipe(client)
  })
  const relayPort = await listen(relay)
  const rounds = Number(process.argv[2] ?? 100)
  let wedged = 0
  for (let round = 0; round < rounds; round++) {
    const session = http2.connect(`https://127.0.0.1:${relayPort}`, { ca: certPem })
    session.on("error", () => {})
    await new Promise((resolve) => session.once("remoteSettings", resolve))
    const closed = new Promise<true>((resolve) => session.once("close", () => resolve(true)))
    const start = received
    const send = () => {
      if (session.closed || session.destroyed) return
      const request = session.request({ ":method": "POST", ":path": "/" })
      request.on("error", () => {})
      request.resume()
      request.on("close", send)
      request.end("{}")
    }
    for (let i = 0; i < 32; i++) send()
    while (received - start < 100) await new Promise((resolve) => setTimeout(resolve, 1))
    for (const [client, upstream] of [...pairs]) {
      client.resetAndDestroy()
      upstream.destroy()
    }
    const noticed = await Promise.race([
      closed,
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 2_000))
    ])
    if (!noticed) {
      wedged++
      // keep using it, as a pool would: nothing is written, nothing fails
      for (let i = 0; i < 100; i++) send()
      const late = await Promise.race([
        closed,
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 3_000))
      ])
      console.log(
        `round ${round}: reset not noticed; after 100 more requests the session is ${late ? "closed" : "still open"}`
      )
    }
    session.destroy()
  }
  console.log(`${wedged} of ${rounds} resets left the session wedged`)
  relay.close()
  server.close()
  process.exit(0)
}

main()
