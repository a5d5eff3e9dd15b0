/**
 * The HTTP/1.1 fallback: origins whose TLS handshake did not select `h2` (or that asked for HTTP/1.1 with
 * `HTTP_1_1_REQUIRED`), and `http:` origins without `h2c`. One keep-alive agent per origin (tunnelled through the
 * proxy when there is one), the request and response listeners shared by every request, and the classification
 * of their failures.
 *
 * @internal
 */
import * as Option from "effect/Option"
import * as http from "node:http"
import * as https from "node:https"
import { http1Failure } from "./failure.js"
import type { Origin } from "./origin.js"
import { type Carrier, H1, kRequest, type PooledRequest } from "./pooledRequest.js"
import { TunnelAgent } from "./tunnelAgent.js"

/** The origin's keep-alive agent, made on its first HTTP/1.1 request. */
const agentOf = (origin: Origin): http.Agent => {
  if (origin.agent !== undefined) return origin.agent
  const options = origin.pool.options
  const agentOptions: https.AgentOptions = { keepAlive: true, maxSockets: options.maxSocketsPerOrigin }
  if (origin.secure) {
    agentOptions.rejectUnauthorized = options.rejectUnauthorized
    const secureContext = origin.pool.secureContext
    if (secureContext !== undefined) agentOptions.secureContext = secureContext
  }
  return origin.agent = origin.proxy !== undefined
    ? new TunnelAgent(agentOptions, origin.proxy, options.connectTimeoutMs, origin.secure)
    : origin.secure
    ? new https.Agent(agentOptions)
    : new http.Agent(agentOptions)
}

/**
 * Sends a request over HTTP/1.1.
 *
 * @internal
 */
export const sendHttp1 = (origin: Origin, req: PooledRequest): void => {
  req.origin = origin
  req.state = H1
  let headers: http.OutgoingHttpHeaders = req.contentType === undefined
    ? req.requestHeaders
    : { ...req.requestHeaders, "content-type": req.contentType }
  // a direct exchange's text body goes with its length, as `execute`'s bytes do (rather than chunked)
  if (req.exchange && typeof req.body === "string" && headers["content-length"] === undefined) {
    headers = { ...headers, "content-length": Buffer.byteLength(req.body) }
  }
  let h1Request: http.ClientRequest
  try {
    h1Request = (origin.secure ? https : http).request({
      host: origin.host,
      port: origin.port,
      path: req.target.path,
      method: req.method,
      headers,
      agent: agentOf(origin)
    })
  } catch (error) {
    return req.failEncode(error)
  }
  origin.pool.http1InFlight++
  req.h1Request = h1Request
  ;(h1Request as http.ClientRequest & Carrier)[kRequest] = req
  h1Request.on("response", onH1Response)
  h1Request.on("error", onH1Error)
  h1Request.on("close", onH1Close)
  if (req.body === undefined) h1Request.end()
  else h1Request.end(req.body)
}

const failed = (req: PooledRequest, error: Error | undefined): void => {
  const origin = req.origin!
  req.fail(http1Failure(origin.authority, error, origin.pool.closed, origin.connected))
}

// Listeners shared by every request (`this` is the request or the response)

function onH1Response(this: http.ClientRequest & Carrier, res: http.IncomingMessage): void {
  const req = this[kRequest]
  if (req.state !== H1) {
    res.resume()
    return
  }
  req.origin!.connected = true
  req.status = res.statusCode ?? 0
  req.headers = res.headers
  ;(res as http.IncomingMessage & Carrier)[kRequest] = req
  res.on("data", onH1Data)
  res.on("end", onH1End)
  res.on("error", onH1Error)
  res.on("close", onH1ResponseClose)
}

function onH1Data(this: http.IncomingMessage & Carrier, chunk: Buffer): void {
  const req = this[kRequest]
  if (req.state === H1) req.addChunk(chunk)
}

function onH1End(this: http.IncomingMessage & Carrier): void {
  const req = this[kRequest]
  if (req.state !== H1) return
  const address = this.socket?.remoteAddress
  req.succeed(address === undefined ? Option.none() : Option.some(address))
}

function onH1Error(this: Carrier, error: Error): void {
  const req = this[kRequest]
  if (req.state === H1) failed(req, error)
}

function onH1ResponseClose(this: http.IncomingMessage & Carrier): void {
  const req = this[kRequest]
  if (req.state === H1 && !this.complete) failed(req, undefined)
}

function onH1Close(this: http.ClientRequest & Carrier): void {
  const req = this[kRequest]
  req.pool.http1InFlight--
  if (req.state === H1 && req.status === 0) failed(req, undefined)
}
