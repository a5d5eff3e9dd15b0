/**
 * A TCP relay in front of the emulator that can cut every connection at once with a TCP RST, as a middlebox or a
 * crashed load balancer would. TLS passes through untouched (the client still verifies the emulator's certificate,
 * whose names include 127.0.0.1).
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import * as net from "node:net"

export interface Relay {
  readonly port: number
  readonly url: string
  /** Connections accepted so far. */
  readonly accepted: () => number
  /** Connections open now. */
  readonly open: () => number
  /** Resets every open connection (RST to the client, the emulator's side destroyed). Returns how many were cut. */
  readonly cut: () => number
}

const noop = () => {}

export const relay = (target: { readonly host: string; readonly port: number; readonly tls: boolean }): Effect.Effect<
  Relay,
  never,
  Scope.Scope
> =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ server: net.Server; relay: Relay; pairs: Set<readonly [net.Socket, net.Socket]> }>((resolve) => {
        const pairs = new Set<readonly [net.Socket, net.Socket]>()
        let accepted = 0
        const server = net.createServer((client) => {
          accepted++
          client.on("error", noop)
          const upstream = net.connect(target.port, target.host)
          upstream.on("error", noop)
          const pair = [client, upstream] as const
          pairs.add(pair)
          const drop = () => {
            pairs.delete(pair)
            client.destroy()
            upstream.destroy()
          }
          client.once("close", drop)
          upstream.once("close", drop)
          client.pipe(upstream)
          upstream.pipe(client)
        })
        server.listen(0, "127.0.0.1", () => {
          const port = (server.address() as net.AddressInfo).port
          resolve({
            server,
            pairs,
            relay: {
              port,
              url: `${target.tls ? "https" : "http"}://127.0.0.1:${port}`,
              accepted: () => accepted,
              open: () => pairs.size,
              cut: () => {
                const n = pairs.size
                for (const [client, upstream] of [...pairs]) {
                  try {
                    client.resetAndDestroy()
                  } catch {
                    client.destroy()
                  }
                  upstream.destroy()
                }
                pairs.clear()
                return n
              }
            }
          })
        })
      })
    ),
    ({ pairs, server }) =>
      Effect.promise(() =>
        new Promise<void>((resolve) => {
          for (const [client, upstream] of pairs) {
            client.destroy()
            upstream.destroy()
          }
          server.close(() => resolve())
        })
      )
  ).pipe(Effect.map(({ relay }) => relay))
