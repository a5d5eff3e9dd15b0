// Preloaded (`node --require`) into the peers' processes (firebase-admin, node-gcm) to send Google's hosts to the
// loopback emulator, since firebase-admin has no endpoint option:
// - dns.lookup answers 127.0.0.1 for the routed hosts;
// - connections to port 443 of a routed host go to the emulator's port instead;
// - the emulator's throwaway certificate (trusted through NODE_EXTRA_CA_CERTS) names `localhost`, so the host
//   name check of a routed host is made against `localhost` (the chain is still verified);
// - firebase-admin's HTTP/2 requests carry `:scheme: https:` (the URL's `protocol`, colon included), which Google's
//   front ends tolerate and nghttp2 in Node's server rejects with a PROTOCOL_ERROR: it is sent as `https`.
/* eslint-disable @typescript-eslint/no-require-imports */
"use strict"
const dns = require("node:dns")
const tls = require("node:tls")
const http2 = require("node:http2")

const port = Number(process.env.BENCH_EMULATOR_PORT)
const routed = new Set(["fcm.googleapis.com", "oauth2.googleapis.com", "www.googleapis.com"])

const lookup = dns.lookup
dns.lookup = function(hostname, options, callback) {
  if (!routed.has(hostname)) return lookup.apply(this, arguments)
  if (typeof options === "function") {
    callback = options
    options = {}
  }
  if (typeof options === "number") options = { family: options }
  if (options && options.all) return process.nextTick(callback, null, [{ address: "127.0.0.1", family: 4 }])
  process.nextTick(callback, null, "127.0.0.1", 4)
}

const checkServerIdentity = tls.checkServerIdentity
tls.checkServerIdentity = (host, cert) => checkServerIdentity(routed.has(host) ? "localhost" : host, cert)

const connect = tls.connect
tls.connect = function(...args) {
  const first = args[0]
  if (typeof first === "object" && first !== null) {
    const host = first.host ?? first.servername
    if (routed.has(host) && (first.port === undefined || Number(first.port) === 443)) args[0] = { ...first, port }
  } else if (typeof first === "number" || typeof first === "string") {
    const host = typeof args[1] === "string" ? args[1] : args[1]?.host
    if (routed.has(host) && Number(first) === 443) args[0] = port
  }
  return connect.apply(this, args)
}

const h2connect = http2.connect
http2.connect = function(...args) {
  const session = h2connect.apply(this, args)
  const request = session.request
  session.request = function(headers, options) {
    if (headers !== undefined && headers[":scheme"] === "https:") headers = { ...headers, ":scheme": "https" }
    return request.call(this, headers, options)
  }
  return session
}
