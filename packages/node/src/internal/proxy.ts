import * as net from "node:net"

/** @internal */
export type ProxyOption = "env" | "none" | string | URL

/** @internal */
export type Env = Readonly<Record<string, string | undefined>>

const noop = () => {}

/** @internal */
export const isLoopback = (host: string): boolean => {
  const h = stripBrackets(host).toLowerCase()
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || h.startsWith("127.")
}

/** @internal */
export const stripBrackets = (host: string): string =>
  host.length > 1 && host.charCodeAt(0) === 91 && host.charCodeAt(host.length - 1) === 93 ? host.slice(1, -1) : host

/** @internal */
export const parseProxyUrl = (value: string | URL): URL => {
  const url = typeof value === "string" ? new URL(value.includes("://") ? value : `http://${value}`) : value
  if (url.protocol !== "http:") {
    throw new Error(`unsupported proxy protocol "${url.protocol}" (only http:// proxies, which tunnel with CONNECT)`)
  }
  return url
}

/**
 * Whether `NO_PROXY` exempts a host. Entries are separated by commas or spaces; `*` matches everything; an entry
 * matches the host itself and its subdomains (`example.com`, `.example.com` and `*.example.com` alike); an entry
 * with a port (`host:8443`) only matches that port.
 *
 * @internal
 */
export const noProxyMatches = (noProxy: string, hostname: string, port: string): boolean => {
  const host = stripBrackets(hostname).toLowerCase()
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase()
    if (entry === "") continue
    if (entry === "*") return true
    let entryPort: string | undefined
    const bracketed = entry.match(/^\[([^\]]+)\](?::(\d+))?$/)
    if (bracketed !== null) {
      entry = bracketed[1]!
      entryPort = bracketed[2]
    } else {
      const colon = entry.lastIndexOf(":")
      if (colon !== -1 && entry.indexOf(":") === colon) {
        entryPort = entry.slice(colon + 1)
        entry = entry.slice(0, colon)
      }
    }
    if (entryPort !== undefined && entryPort !== port) continue
    if (entry.startsWith("*.")) entry = entry.slice(1)
    if (entry.startsWith(".")) {
      if (host === entry.slice(1) || host.endsWith(entry)) return true
    } else if (host === entry || host.endsWith(`.${entry}`)) {
      return true
    }
  }
  return false
}

/**
 * The proxy to use for a target origin, or `undefined` for a direct connection.
 *
 * With `"env"`, `https:` targets use `https_proxy`/`HTTPS_PROXY` and `http:` targets `http_proxy`/`HTTP_PROXY`,
 * `no_proxy`/`NO_PROXY` exempts hosts, and loopback targets always connect directly (a remote proxy cannot reach
 * this machine's loopback). An explicit proxy URL applies to every target.
 *
 * @internal
 */
export const resolveProxy = (option: ProxyOption, target: URL, env: Env): URL | undefined => {
  if (option === "none") return undefined
  if (option !== "env") return parseProxyUrl(option)
  const value = target.protocol === "https:"
    ? env["https_proxy"] ?? env["HTTPS_PROXY"]
    : env["http_proxy"] ?? env["HTTP_PROXY"]
  if (value === undefined || value.trim() === "") return undefined
  if (isLoopback(target.hostname)) return undefined
  const noProxy = env["no_proxy"] ?? env["NO_PROXY"]
  const port = target.port !== "" ? target.port : target.protocol === "https:" ? "443" : "80"
  if (noProxy !== undefined && noProxyMatches(noProxy, target.hostname, port)) return undefined
  return parseProxyUrl(value.trim())
}

/** @internal */
export class ProxyTunnelError extends Error {
  constructor(message: string, readonly statusCode: number | undefined, cause?: unknown) {
    super(message, { cause })
    this.name = "ProxyTunnelError"
  }
}

/**
 * Opens a TCP connection to the proxy and asks it, with `CONNECT host:port`, for a tunnel to the target. Calls
 * back once with the tunnelled socket (ready for TLS or plain HTTP) or an error; the socket keeps an error
 * listener for its whole life.
 *
 * @internal
 */
export const connectTunnel = (
  proxy: URL,
  host: string,
  port: number,
  timeoutMs: number,
  callback: (error: Error | undefined, socket: net.Socket | undefined) => void
): net.Socket => {
  const authority = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`
  const proxyPort = proxy.port !== "" ? Number(proxy.port) : 80
  const socket = net.connect({ host: stripBrackets(proxy.hostname), port: proxyPort })
  let done = false
  let received: Buffer | undefined
  const timer = Number.isFinite(timeoutMs)
    ? setTimeout(
      () => fail(new ProxyTunnelError(`proxy ${proxy.host} did not open a tunnel within ${timeoutMs}ms`, undefined)),
      timeoutMs
    )
    : undefined
  timer?.unref()

  const finish = (error: Error | undefined) => {
    if (done) return
    done = true
    if (timer !== undefined) clearTimeout(timer)
    socket.off("connect", onConnect)
    socket.off("data", onData)
    socket.off("error", onError)
    socket.off("close", onClose)
    socket.on("error", noop)
    if (error !== undefined) {
      socket.destroy()
      callback(error, undefined)
    } else {
      callback(undefined, socket)
    }
  }
  const fail = (error: Error) => finish(error)
  const onError = (cause: Error) =>
    fail(
      new ProxyTunnelError(
        `proxy ${proxy.host}: ${(cause as NodeJS.ErrnoException).code ?? cause.message}`,
        undefined,
        cause
      )
    )
  const onClose = () =>
    fail(new ProxyTunnelError(`proxy ${proxy.host} closed the connection during CONNECT`, undefined))
  const onConnect = () => {
    let head = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`
    if (proxy.username !== "" || proxy.password !== "") {
      const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`
      head += `Proxy-Authorization: Basic ${Buffer.from(credentials).toString("base64")}\r\n`
    }
    socket.write(head + "\r\n")
  }
  const onData = (chunk: Buffer) => {
    received = received === undefined ? chunk : Buffer.concat([received, chunk])
    const end = received.indexOf("\r\n\r\n")
    if (end === -1) {
      if (received.length > 16_384) {
        fail(new ProxyTunnelError(`proxy ${proxy.host} sent an oversized response`, undefined))
      }
      return
    }
    const statusLine = received.subarray(0, received.indexOf("\r\n")).toString("latin1")
    const match = statusLine.match(/^HTTP\/1\.[01] (\d{3})/)
    const status = match === null ? undefined : Number(match[1])
    if (status === undefined || status < 200 || status > 299) {
      fail(new ProxyTunnelError(`proxy ${proxy.host} refused CONNECT ${authority}: ${statusLine}`, status))
      return
    }
    const rest = received.subarray(end + 4)
    // hand the socket over paused, with anything the target already sent put back in front
    socket.pause()
    if (rest.length > 0) socket.unshift(rest)
    finish(undefined)
  }
  socket.on("connect", onConnect)
  socket.on("data", onData)
  socket.on("error", onError)
  socket.on("close", onClose)
  return socket
}
