/**
 * The HTTP/1.1 agent that reaches an origin through a proxy's CONNECT tunnel ({@link connectTunnel}), for `https:`
 * origins (TLS over the tunnel, host name verified) and `http:` origins alike. HTTP/2 sessions open their tunnels
 * themselves (`H2Session.connect`).
 *
 * @internal
 */
import * as http from "node:http"
import * as net from "node:net"
import type { Duplex } from "node:stream"
import * as tls from "node:tls"
import { connectTunnel, stripBrackets } from "./proxy.js"

const noop = () => {}

/** @internal */
export class TunnelAgent extends http.Agent {
  /** What `http.request`/`https.request` check the agent against: `https:` when TLS runs over the tunnel. */
  readonly protocol: string
  readonly defaultPort: number

  constructor(
    options: http.AgentOptions,
    readonly proxy: URL,
    readonly connectTimeoutMs: number,
    readonly secure: boolean
  ) {
    super(options)
    this.protocol = secure ? "https:" : "http:"
    this.defaultPort = secure ? 443 : 80
  }

  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void
  ): Duplex | null | undefined {
    const host = stripBrackets(options.host ?? "localhost")
    const port = Number(options.port ?? this.defaultPort)
    connectTunnel(this.proxy, host, port, this.connectTimeoutMs, (error, socket) => {
      if (error !== undefined) return callback!(error, undefined as unknown as Duplex)
      if (!this.secure) {
        socket!.resume()
        return callback!(null, socket!)
      }
      const tlsOptions: tls.ConnectionOptions & { path?: unknown } = {
        ...(options as tls.ConnectionOptions),
        socket: socket!,
        host
      }
      delete tlsOptions.path
      if (net.isIP(host) === 0) tlsOptions.servername = host
      else delete tlsOptions.servername
      const secure = tls.connect(tlsOptions)
      secure.on("error", noop)
      callback!(null, secure)
    })
    return undefined
  }
}
