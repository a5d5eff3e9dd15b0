import { FileSystem, HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import {
  Clock,
  ConfigError,
  ConfigProvider,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Logger,
  Option,
  Redacted,
  TestClock
} from "effect"
import { generateKeyPairSync, verify } from "node:crypto"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { inspect } from "node:util"
import * as Credentials from "../src/Credentials.js"
import { AuthenticationError, TransportError } from "../src/FcmError.js"

// -----------------------------------------------------------------------------
// fixtures
// -----------------------------------------------------------------------------

const rsa = () =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" }
  })

const { privateKey, publicKey } = rsa()
const other = rsa()

const TOKEN_URI = "https://oauth2.example.test/token"
const CLIENT_EMAIL = "fcm-sender@demo-project.iam.gserviceaccount.com"
const START = 1_700_000_000_123

const keyObject = {
  type: "service_account",
  project_id: "demo-project",
  private_key_id: "kid-0123456789",
  private_key: privateKey,
  client_email: CLIENT_EMAIL,
  client_id: "1234567890",
  auth_uri: "https://accounts.google.com/o/oauth2/auth",
  token_uri: TOKEN_URI
}
const keyJson = JSON.stringify(keyObject, null, 2)

/** Pieces of the private key that must never show up anywhere. */
const keyLines = privateKey.split("\n").filter((line) => line.length > 0 && !line.startsWith("-----"))
const keySecrets = [privateKey, keyLines[3]!, keyLines[10]!, keyLines[keyLines.length - 2]!]

const decodeSegment = (segment: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(segment, "base64url").toString("utf8")) as Record<string, unknown>

interface Recorded {
  readonly method: string
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly contentType: string | undefined
  readonly body: string
}

type Reply =
  | { readonly status: number; readonly body: string; readonly headers?: Record<string, string> }
  | { readonly networkError: string }

/** A fake HttpClient: records every request and answers with `reply`, optionally after a real delay. */
const fakeHttp = (reply: (request: Recorded, n: number) => Reply, options?: { readonly delayMillis?: number }) => {
  const requests: Array<Recorded> = []
  const client = HttpClient.make((request, url) =>
    Effect.gen(function*() {
      const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
      const contentType = request.body._tag === "Uint8Array" ? request.body.contentType : undefined
      const recorded: Recorded = { method: request.method, url, headers: request.headers, contentType, body }
      requests.push(recorded)
      const n = requests.length
      if (options?.delayMillis !== undefined) {
        const ms = options.delayMillis
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))
      }
      const answer = reply(recorded, n)
      if ("networkError" in answer) {
        const cause = Object.assign(new Error(answer.networkError), { code: "ECONNRESET" })
        return yield* new HttpClientError.RequestError({
          request,
          reason: "Transport",
          cause: Object.assign(new TypeError("fetch failed"), { cause })
        })
      }
      return HttpClientResponse.fromWeb(
        request,
        new Response(answer.body, {
          status: answer.status,
          headers: answer.headers ?? { "content-type": "application/json" }
        })
      )
    })
  )
  return { client, requests, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

interface Exchange {
  readonly grantType: string | null
  readonly assertion: string
  readonly header: Record<string, unknown>
  readonly claims: Record<string, unknown>
  readonly verified: boolean
}

/** Parses a token request's form body and checks the assertion's signature with the key's public half. */
const inspectExchange = (request: Recorded, pub: string = publicKey): Exchange => {
  const form = new URLSearchParams(request.body)
  const assertion = form.get("assertion") ?? ""
  const [h = "", c = "", s = ""] = assertion.split(".")
  return {
    grantType: form.get("grant_type"),
    assertion,
    header: decodeSegment(h),
    claims: decodeSegment(c),
    verified: verify("RSA-SHA256", Buffer.from(`${h}.${c}`), pub, Buffer.from(s, "base64url"))
  }
}

/** A token endpoint that only hands out tokens for assertions signed by the right key. */
const tokenEndpoint = (options?: { readonly expiresIn?: number | undefined; readonly delayMillis?: number }) =>
  fakeHttp((request, n) => {
    const exchange = inspectExchange(request)
    if (!exchange.verified) {
      const body = JSON.stringify({ error: "invalid_grant", error_description: "Invalid JWT Signature." })
      return { status: 400, body }
    }
    return {
      status: 200,
      body: JSON.stringify({
        access_token: `ya29.token-${n}`,
        ...(options?.expiresIn === undefined ? {} : { expires_in: options.expiresIn }),
        token_type: "Bearer"
      })
    }
  }, options?.delayMillis === undefined ? undefined : { delayMillis: options.delayMillis })

const value = Redacted.value

/** Every way an error or a service could be shown. */
const renderings = (u: unknown): Array<string> => [
  String(u),
  JSON.stringify(u) ?? "",
  inspect(u, { depth: 10 }),
  u instanceof Error ? `${u.message}\n${u.stack ?? ""}` : ""
]

const assertNoSecrets = (u: unknown, secrets: ReadonlyArray<string>) => {
  for (const text of renderings(u)) {
    for (const secret of secrets) {
      assert.isFalse(text.includes(secret), `a secret leaked into: ${text.slice(0, 300)}`)
    }
  }
}

const serviceAccount = (layer: Layer.Layer<HttpClient.HttpClient>, options?: Credentials.ServiceAccountOptions) =>
  Credentials.serviceAccount(keyObject, options).pipe(Effect.provide(layer))

// -----------------------------------------------------------------------------
// service account
// -----------------------------------------------------------------------------

describe("Credentials.serviceAccount", () => {
  it.effect("signs an RS256 assertion that verifies with the key's public half, with exactly the expected claims", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(START)
      const http = tokenEndpoint({ expiresIn: 3599 })
      const credentials = yield* serviceAccount(http.layer)
      const token = yield* credentials.accessToken

      assert.strictEqual(value(token), "ya29.token-1")
      assert.strictEqual(String(token), "<redacted>")
      assert.deepStrictEqual(credentials.projectId, Option.some("demo-project"))
      assert.strictEqual(http.requests.length, 1)

      const request = http.requests[0]!
      assert.strictEqual(request.method, "POST")
      assert.strictEqual(request.url.toString(), TOKEN_URI)
      assert.strictEqual(request.contentType, "application/x-www-form-urlencoded")
      assert.isTrue(
        request.body.startsWith("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=")
      )

      const exchange = inspectExchange(request)
      assert.strictEqual(exchange.grantType, "urn:ietf:params:oauth:grant-type:jwt-bearer")
      assert.isTrue(exchange.verified)
      assert.isFalse(inspectExchange(request, other.publicKey).verified, "must not verify with an unrelated key")
      assert.deepStrictEqual(exchange.header, { alg: "RS256", typ: "JWT", kid: "kid-0123456789" })
      const iat = Math.floor(START / 1000)
      assert.deepStrictEqual(exchange.claims, {
        iss: CLIENT_EMAIL,
        scope: "https://www.googleapis.com/auth/firebase.messaging",
        aud: TOKEN_URI,
        iat,
        exp: iat + 3600
      })
    }))

  it.effect("requests the configured scopes, signs with the TestClock's time, and defaults token_uri", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_800_000_000_999)
      const http = tokenEndpoint()
      const { token_uri: _, ...withoutTokenUri } = keyObject
      const credentials = yield* Credentials.serviceAccount(withoutTokenUri, {
        scopes: [Credentials.FIREBASE_MESSAGING_SCOPE, Credentials.CLOUD_PLATFORM_SCOPE],
        projectId: "override-project"
      }).pipe(Effect.provide(http.layer))
      yield* credentials.accessToken
      const request = http.requests[0]!
      assert.strictEqual(request.url.toString(), "https://oauth2.googleapis.com/token")
      const { claims } = inspectExchange(request)
      assert.strictEqual(
        claims.scope,
        "https://www.googleapis.com/auth/firebase.messaging https://www.googleapis.com/auth/cloud-platform"
      )
      assert.strictEqual(claims.aud, "https://oauth2.googleapis.com/token")
      assert.strictEqual(claims.iat, 1_800_000_000)
      assert.strictEqual(claims.exp, 1_800_003_600)
      assert.deepStrictEqual(credentials.projectId, Option.some("override-project"))
    }))

  it.effect("caches the token: two calls, one request", () =>
    Effect.gen(function*() {
      const http = tokenEndpoint({ expiresIn: 3600 })
      const credentials = yield* serviceAccount(http.layer)
      const a = yield* credentials.accessToken
      yield* TestClock.adjust("30 minutes")
      const b = yield* credentials.accessToken
      assert.strictEqual(value(a), "ya29.token-1")
      assert.strictEqual(value(b), "ya29.token-1")
      assert.strictEqual(http.requests.length, 1)
    }))

  it.effect("refreshes once less than 5 minutes remain, with a new assertion", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(START)
      const http = tokenEndpoint({ expiresIn: 3600 })
      const credentials = yield* serviceAccount(http.layer)
      yield* credentials.accessToken
      yield* TestClock.adjust(Duration.sum("54 minutes", "59 seconds"))
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.token-1")
      assert.strictEqual(http.requests.length, 1)
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.token-2")
      assert.strictEqual(http.requests.length, 2)
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.token-2")
      assert.strictEqual(http.requests.length, 2)
      const { claims } = inspectExchange(http.requests[1]!)
      assert.strictEqual(claims.iat, Math.floor((START + 55 * 60_000 + 1000) / 1000))
    }))

  it.effect("honours a configured refresh threshold", () =>
    Effect.gen(function*() {
      const http = tokenEndpoint({ expiresIn: 3600 })
      const credentials = yield* serviceAccount(http.layer, { refreshBefore: "10 minutes" })
      yield* credentials.accessToken
      yield* TestClock.adjust("49 minutes")
      yield* credentials.accessToken
      assert.strictEqual(http.requests.length, 1)
      yield* TestClock.adjust("61 seconds")
      yield* credentials.accessToken
      assert.strictEqual(http.requests.length, 2)
    }))

  it.effect("assumes an hour when expires_in is absent", () =>
    Effect.gen(function*() {
      const http = tokenEndpoint({ expiresIn: undefined })
      const credentials = yield* serviceAccount(http.layer)
      yield* credentials.accessToken
      yield* TestClock.adjust("54 minutes")
      yield* credentials.accessToken
      assert.strictEqual(http.requests.length, 1)
      yield* TestClock.adjust("2 minutes")
      yield* credentials.accessToken
      assert.strictEqual(http.requests.length, 2)
    }))

  it.effect("a token issued for less than twice the threshold is refreshed half-way, not on every call", () =>
    Effect.gen(function*() {
      const http = tokenEndpoint({ expiresIn: 240 })
      const credentials = yield* serviceAccount(http.layer)
      yield* credentials.accessToken
      yield* credentials.accessToken
      yield* TestClock.adjust("119 seconds")
      yield* credentials.accessToken
      assert.strictEqual(http.requests.length, 1)
      yield* TestClock.adjust("2 seconds")
      yield* credentials.accessToken
      assert.strictEqual(http.requests.length, 2)
    }))

  it.effect("10,000 concurrent calls after expiry make exactly one token request", () =>
    Effect.gen(function*() {
      const http = tokenEndpoint({ expiresIn: 3600, delayMillis: 25 })
      const credentials = yield* serviceAccount(http.layer)
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.token-1")
      yield* TestClock.adjust("2 hours")
      const tokens = yield* Effect.all(Array.from({ length: 10_000 }, () => credentials.accessToken), {
        concurrency: "unbounded"
      })
      assert.strictEqual(http.requests.length, 2)
      assert.strictEqual(tokens.length, 10_000)
      assert.isTrue(tokens.every((token) => value(token) === "ya29.token-2"))
    }))

  it.effect("2,000 concurrent first calls make exactly one token request", () =>
    Effect.gen(function*() {
      const http = tokenEndpoint({ expiresIn: 3600, delayMillis: 10 })
      const credentials = yield* serviceAccount(http.layer)
      const tokens = yield* Effect.all(Array.from({ length: 2_000 }, () => credentials.accessToken), {
        concurrency: "unbounded"
      })
      assert.strictEqual(http.requests.length, 1)
      assert.isTrue(tokens.every((token) => value(token) === "ya29.token-1"))
    }))

  it.effect("inside the refresh window, concurrent callers share one refresh and never wait on a stale token", () =>
    Effect.gen(function*() {
      const http = tokenEndpoint({ expiresIn: 3600, delayMillis: 25 })
      const credentials = yield* serviceAccount(http.layer)
      yield* credentials.accessToken
      yield* TestClock.adjust("57 minutes")
      const tokens = yield* Effect.all(Array.from({ length: 1_000 }, () => credentials.accessToken), {
        concurrency: "unbounded"
      })
      assert.strictEqual(http.requests.length, 2)
      const values = new Set(tokens.map(value))
      assert.isTrue(values.has("ya29.token-2"), "the caller that started the refresh gets the new token")
      assert.isTrue([...values].every((v) => v === "ya29.token-1" || v === "ya29.token-2"))
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.token-2")
      assert.strictEqual(http.requests.length, 2)
    }))

  it.effect("interrupting the caller that started a refresh does not strand the others", () =>
    Effect.gen(function*() {
      // The first request hangs until its caller is interrupted; the next ones are answered at once.
      const arrived = yield* Deferred.make<void>()
      const inner = tokenEndpoint({ expiresIn: 3600 })
      const http = HttpClient.make((request) =>
        inner.requests.length === 0
          ? inner.client.execute(request).pipe(
            Effect.zipRight(Deferred.succeed(arrived, undefined)),
            Effect.zipRight(Effect.never)
          )
          : inner.client.execute(request)
      )
      const credentials = yield* serviceAccount(Layer.succeed(HttpClient.HttpClient, http))
      const leader = yield* Effect.fork(credentials.accessToken)
      yield* Deferred.await(arrived)
      assert.strictEqual(inner.requests.length, 1)
      const followers = yield* Effect.forEach(Array.from({ length: 100 }), () => Effect.fork(credentials.accessToken))
      // every follower is waiting for the leader's refresh
      while (!(yield* Effect.forEach(followers, Fiber.status)).every((status) => status._tag === "Suspended")) {
        yield* Effect.yieldNow()
      }
      const leaderExit = yield* Fiber.interrupt(leader)
      assert.isTrue(Exit.isInterrupted(leaderExit))
      // The abandoned request is replaced by exactly one new one, led by a follower.
      const tokens = yield* Fiber.joinAll(followers)
      assert.isTrue(tokens.every((token) => value(token) === "ya29.token-2"))
      assert.strictEqual(inner.requests.length, 2)
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.token-2")
    }))

  it.effect("a service built inside a scope that has since closed still works", () =>
    Effect.gen(function*() {
      const http = tokenEndpoint()
      const credentials = yield* Effect.scoped(serviceAccount(http.layer))
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.token-1")
    }))

  it.effect("invalidate(token) drops that token: the next call refreshes once", () =>
    Effect.gen(function*() {
      const http = tokenEndpoint({ expiresIn: 3600 })
      const credentials = yield* serviceAccount(http.layer)
      const first = yield* credentials.accessToken
      // A token that is not the cached one changes nothing.
      yield* credentials.invalidate(Redacted.make("ya29.some-other-token"))
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.token-1")
      assert.strictEqual(http.requests.length, 1)
      // The same token, even as another Redacted instance, is dropped.
      yield* credentials.invalidate(Redacted.make(value(first)))
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.token-2")
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.token-2")
      assert.strictEqual(http.requests.length, 2)
      // A late invalidate of the old token does not drop the new one.
      yield* credentials.invalidate(first)
      yield* credentials.accessToken
      assert.strictEqual(http.requests.length, 2)
    }))

  it.effect("invalid_grant becomes an AuthenticationError with the endpoint's reason and a hint", () =>
    Effect.gen(function*() {
      const http = fakeHttp(() => ({
        status: 400,
        body: JSON.stringify({ error: "invalid_grant", error_description: "Invalid JWT Signature." })
      }))
      const credentials = yield* serviceAccount(http.layer)
      const error = yield* Effect.flip(credentials.accessToken)
      assert.instanceOf(error, AuthenticationError)
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual(error.reason, "invalid_grant: Invalid JWT Signature.")
      assert.strictEqual(error.status, 400)
      assert.strictEqual(
        error.hint,
        "check the machine's clock (JWT iat/exp) and that the key has not been revoked or deleted"
      )
      assert.include(error.message, "invalid_grant: Invalid JWT Signature.")
    }))

  it.effect("a token signed with the wrong key is refused by the (verifying) endpoint", () =>
    Effect.gen(function*() {
      const http = tokenEndpoint()
      const credentials = yield* Credentials.serviceAccount({ ...keyObject, private_key: other.privateKey }).pipe(
        Effect.provide(http.layer)
      )
      const error = yield* Effect.flip(credentials.accessToken)
      assert.instanceOf(error, AuthenticationError)
      assert.strictEqual(error.reason, "invalid_grant: Invalid JWT Signature.")
    }))

  it.effect("other OAuth errors carry an apt hint; unknown 4xx bodies are quoted", () =>
    Effect.gen(function*() {
      const scope = fakeHttp(() => ({
        status: 400,
        body: JSON.stringify({ error: "invalid_scope", error_description: "Invalid OAuth scope." })
      }))
      const e1 = yield* Effect.flip(Effect.flatMap(serviceAccount(scope.layer), (c) => c.accessToken))
      assert.instanceOf(e1, AuthenticationError)
      assert.strictEqual(e1.reason, "invalid_scope: Invalid OAuth scope.")
      assert.include(e1.hint ?? "", "firebase.messaging")

      const html = fakeHttp(() => ({
        status: 404,
        body: "<html>Not Found</html>",
        headers: { "content-type": "text/html" }
      }))
      const e2 = yield* Effect.flip(Effect.flatMap(serviceAccount(html.layer), (c) => c.accessToken))
      assert.instanceOf(e2, AuthenticationError)
      assert.strictEqual(e2.status, 404)
      assert.include(e2.reason, "HTTP 404")
      assert.include(e2.reason, "Not Found")
      assert.include(e2.hint ?? "", "token_uri")
    }))

  it.effect("a network failure is a retryable TransportError, and is not cached", () =>
    Effect.gen(function*() {
      const http = fakeHttp((_, n) =>
        n === 1
          ? { networkError: "socket hang up" }
          : { status: 200, body: JSON.stringify({ access_token: `ya29.token-${n}`, expires_in: 3600 }) }
      )
      const credentials = yield* serviceAccount(http.layer)
      const error = yield* Effect.flip(credentials.accessToken)
      assert.instanceOf(error, TransportError)
      assert.isTrue((error as TransportError).retryable)
      assert.include(error.reason, `token endpoint ${TOKEN_URI} could not be reached`)
      assert.include(error.reason, "ECONNRESET")
      assert.include(error.reason, "socket hang up")
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.token-2")
      assert.strictEqual(http.requests.length, 2)
    }))

  it.effect("5xx and 429 are retryable TransportErrors (with Retry-After); a failed refresh is not cached", () =>
    Effect.gen(function*() {
      const http = fakeHttp((_, n) =>
        n === 1
          ? { status: 503, body: "backend unavailable", headers: { "content-type": "text/plain" } }
          : n === 2
          ? { status: 429, body: "{}", headers: { "retry-after": "30" } }
          : { status: 200, body: JSON.stringify({ access_token: `ya29.token-${n}`, expires_in: 3600 }) }
      )
      const credentials = yield* serviceAccount(http.layer)
      const e1 = yield* Effect.flip(credentials.accessToken)
      assert.instanceOf(e1, TransportError)
      assert.strictEqual((e1 as TransportError).status, 503)
      assert.isTrue((e1 as TransportError).retryable)
      assert.strictEqual((e1 as TransportError).body, "backend unavailable")
      const e2 = yield* Effect.flip(credentials.accessToken)
      assert.instanceOf(e2, TransportError)
      assert.strictEqual((e2 as TransportError).retryAfterMillis, 30_000)
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.token-3")
      assert.strictEqual(http.requests.length, 3)
    }))

  it.effect("a token endpoint's Retry-After is read as FCM's: 0, a past date or junk is no hint, never a zero delay", () =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const answers = [
        "0",
        new Date(now - 60_000).toUTCString(),
        "soon 2099",
        "1.5",
        new Date(now + 120_000).toUTCString(),
        "7"
      ]
      const http = fakeHttp((_, n) => ({ status: 429, body: "{}", headers: { "retry-after": answers[n - 1]! } }))
      const credentials = yield* serviceAccount(http.layer)
      const waits: Array<number | undefined> = []
      for (let i = 0; i < answers.length; i++) {
        const error = yield* Effect.flip(credentials.accessToken)
        assert.instanceOf(error, TransportError)
        assert.isTrue((error as TransportError).retryable)
        waits.push((error as TransportError).retryAfterMillis)
      }
      assert.deepStrictEqual(waits, [undefined, undefined, undefined, undefined, 120_000, 7_000])
    }))

  it.effect("concurrent callers share one failed attempt; the next caller tries again", () =>
    Effect.gen(function*() {
      let fail = true
      const http = fakeHttp((_, n) =>
        fail
          ? { status: 500, body: "oops" }
          : { status: 200, body: JSON.stringify({ access_token: `ya29.token-${n}`, expires_in: 3600 }) }
      )
      // Requests wait at a gate that opens once every caller is waiting: the failure reaches them all at once.
      const gate = yield* Deferred.make<void>()
      const gated = HttpClient.make((request) => Effect.zipRight(Deferred.await(gate), http.client.execute(request)))
      const credentials = yield* serviceAccount(Layer.succeed(HttpClient.HttpClient, gated))
      const callers = yield* Effect.forEach(
        Array.from({ length: 500 }),
        () => Effect.fork(Effect.exit(credentials.accessToken))
      )
      while (!(yield* Effect.forEach(callers, Fiber.status)).every((status) => status._tag === "Suspended")) {
        yield* Effect.yieldNow()
      }
      yield* Deferred.succeed(gate, undefined)
      const exits = yield* Fiber.joinAll(callers)
      assert.strictEqual(http.requests.length, 1)
      assert.isTrue(exits.every(Exit.isFailure))
      fail = false
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.token-2")
      assert.strictEqual(http.requests.length, 2)
    }))

  it.effect("when a refresh fails while the current token is still valid, the current token is served", () =>
    Effect.gen(function*() {
      let fail = false
      const http = fakeHttp((_, n) =>
        fail
          ? { status: 503, body: "unavailable" }
          : { status: 200, body: JSON.stringify({ access_token: `ya29.token-${n}`, expires_in: 3600 }) }
      )
      const logs: Array<string> = []
      const logger = Logger.make(({ annotations, message }) => {
        logs.push(`${String(message)} ${JSON.stringify(Object.fromEntries(annotations))}`)
      })
      const credentials = yield* serviceAccount(http.layer)
      yield* credentials.accessToken
      yield* TestClock.adjust("57 minutes")
      fail = true
      const token = yield* credentials.accessToken.pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      assert.strictEqual(value(token), "ya29.token-1")
      assert.strictEqual(http.requests.length, 2)
      assert.isTrue(logs.some((line) => line.includes("refreshing the access token failed") && line.includes("503")))
      // Not cached: the next call tries again, and succeeds once the endpoint is back.
      fail = false
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.token-3")
      assert.strictEqual(http.requests.length, 3)
      // Past expiry a failed refresh is an error.
      fail = true
      yield* TestClock.adjust("2 hours")
      const error = yield* Effect.flip(credentials.accessToken)
      assert.instanceOf(error, TransportError)
    }))

  it.effect("a 200 with an unusable body is a TransportError that does not quote the body", () =>
    Effect.gen(function*() {
      const http = fakeHttp(() => ({
        status: 200,
        body: JSON.stringify({ access_token: "ya29.leaky-token", expires_in: "soon" })
      }))
      const credentials = yield* serviceAccount(http.layer)
      const error = yield* Effect.flip(credentials.accessToken)
      assert.instanceOf(error, TransportError)
      assert.include(error.reason, "expires_in")
      assert.isFalse((error as TransportError).retryable)
      assertNoSecrets(error, ["ya29.leaky-token"])

      const missing = fakeHttp(() => ({ status: 200, body: JSON.stringify({ token_type: "Bearer" }) }))
      const e2 = yield* Effect.flip(Effect.flatMap(serviceAccount(missing.layer), (c) => c.accessToken))
      assert.include(e2.reason, "access_token is missing")
    }))
})

// -----------------------------------------------------------------------------
// malformed keys
// -----------------------------------------------------------------------------

describe("malformed service account keys", () => {
  const garbagePem = "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-GARBAGE!!!\n-----END PRIVATE KEY-----\n"
  const notAKey = Buffer.from("TOP-SECRET-NOT-A-KEY-AT-ALL").toString("base64")
  const notAKeyPem = `-----BEGIN PRIVATE KEY-----\n${notAKey}\n-----END PRIVATE KEY-----\n`
  const pkcs1 = privateKeyPkcs1()

  const cases: ReadonlyArray<{ name: string; input: string | object; field: string; expected: string }> = [
    { name: "bad JSON", input: keyJson.replace(`"type"`, `type`), field: "JSON", expected: "not valid JSON" },
    { name: "truncated JSON", input: keyJson.slice(0, keyJson.length / 2), field: "JSON", expected: "not valid JSON" },
    { name: "not an object", input: "[1, 2]", field: "JSON object", expected: "expected a JSON object" },
    {
      name: "missing client_email",
      input: omit(keyObject, "client_email"),
      field: "client_email",
      expected: "client_email is missing"
    },
    {
      name: "missing private_key",
      input: omit(keyObject, "private_key"),
      field: "private_key",
      expected: "private_key is missing"
    },
    {
      name: "missing project_id",
      input: omit(keyObject, "project_id"),
      field: "project_id",
      expected: "project_id is missing"
    },
    {
      name: "empty private_key_id",
      input: { ...keyObject, private_key_id: "" },
      field: "private_key_id",
      expected: "private_key_id must be a non-empty string"
    },
    {
      name: "private_key not a string",
      input: { ...keyObject, private_key: 42 },
      field: "private_key",
      expected: "private_key must be a PEM-encoded PKCS#8 private key string"
    },
    {
      name: "private_key not PEM",
      input: { ...keyObject, private_key: "TOP-SECRET-GARBAGE" },
      field: "private_key",
      expected: "private_key is not PEM-encoded"
    },
    {
      name: "private_key with garbage base64",
      input: { ...keyObject, private_key: garbagePem },
      field: "private_key",
      expected: "private_key is not valid base64"
    },
    {
      name: "private_key that is not a key",
      input: { ...keyObject, private_key: notAKeyPem },
      field: "private_key",
      expected: "private_key could not be imported as an RSA private key"
    },
    {
      name: "PKCS#1 private_key",
      input: { ...keyObject, private_key: pkcs1 },
      field: "private_key",
      expected: "private_key is a \"RSA PRIVATE KEY\" block; expected a PKCS#8 \"PRIVATE KEY\""
    },
    {
      name: "wrong type",
      input: { ...keyObject, type: "authorized_user" },
      field: "type",
      expected: "type must be \"service_account\" (got \"authorized_user\")"
    },
    { name: "missing type", input: omit(keyObject, "type"), field: "type", expected: "type is missing" },
    {
      name: "bad token_uri",
      input: { ...keyObject, token_uri: "not a url" },
      field: "token_uri",
      expected: "token_uri must be an http(s) URL"
    }
  ]

  for (const testCase of cases) {
    it.effect(`${testCase.name}: AuthenticationError naming ${testCase.field}, no request made`, () =>
      Effect.gen(function*() {
        const http = tokenEndpoint()
        const build = typeof testCase.input === "string"
          ? Credentials.fromJson(Redacted.make(testCase.input))
          : Credentials.serviceAccount(testCase.input)
        const error = yield* Effect.flip(build.pipe(Effect.provide(http.layer)))
        assert.instanceOf(error, AuthenticationError)
        assert.include(error.reason, `service account key: ${testCase.expected}`)
        assert.isDefined(error.hint)
        assert.strictEqual(http.requests.length, 0)
        assertNoSecrets(error, [...keySecrets, "TOP-SECRET", Buffer.from("TOP-SECRET-NOT-A-KEY").toString("base64")])
      }))
  }

  it.effect("decodeServiceAccountKey accepts text, Redacted text and objects, keeping private_key Redacted", () =>
    Effect.gen(function*() {
      for (const input of [keyJson, Redacted.make(keyJson), keyObject]) {
        const key = yield* Credentials.decodeServiceAccountKey(input)
        assert.strictEqual(key.client_email, CLIENT_EMAIL)
        assert.strictEqual(key.token_uri, TOKEN_URI)
        assert.isTrue(Redacted.isRedacted(key.private_key))
        assert.strictEqual(Redacted.value(key.private_key), privateKey)
        assertNoSecrets(key, keySecrets)
      }
      // Keys pasted into an environment variable often carry literal "\n" sequences.
      const escaped = { ...keyObject, private_key: privateKey.replace(/\n/g, "\\n") }
      const http = tokenEndpoint()
      const credentials = yield* Credentials.serviceAccount(escaped).pipe(Effect.provide(http.layer))
      yield* credentials.accessToken
      assert.isTrue(inspectExchange(http.requests[0]!).verified)
    }))

  it.effect("an already decoded key is accepted as is", () =>
    Effect.gen(function*() {
      const key = yield* Credentials.decodeServiceAccountKey(keyObject)
      const http = tokenEndpoint()
      const credentials = yield* Credentials.serviceAccount(key).pipe(Effect.provide(http.layer))
      yield* credentials.accessToken
      assert.isTrue(inspectExchange(http.requests[0]!).verified)
    }))
})

function omit(record: Record<string, unknown>, field: string): Record<string, unknown> {
  const { [field]: _, ...rest } = record
  return rest
}

function privateKeyPkcs1(): string {
  return generateKeyPairSync("rsa", {
    modulusLength: 1024,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" }
  }).privateKey
}

// -----------------------------------------------------------------------------
// makeAssertion
// -----------------------------------------------------------------------------

describe("Credentials.makeAssertion", () => {
  it.effect("produces a Redacted JWT that verifies with the public key", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(START)
      const key = yield* Credentials.decodeServiceAccountKey(keyObject)
      const assertion = yield* Credentials.makeAssertion(key, { scopes: ["a", "b"] })
      assert.strictEqual(String(assertion), "<redacted>")
      const [h = "", c = "", s = ""] = Redacted.value(assertion).split(".")
      assert.isTrue(verify("RSA-SHA256", Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s, "base64url")))
      assert.deepStrictEqual(decodeSegment(c), {
        iss: CLIENT_EMAIL,
        scope: "a b",
        aud: TOKEN_URI,
        iat: Math.floor(START / 1000),
        exp: Math.floor(START / 1000) + 3600
      })
    }))
})

// -----------------------------------------------------------------------------
// files and configuration
// -----------------------------------------------------------------------------

describe("key files", () => {
  const dir = mkdtempSync(join(tmpdir(), "effect-fcm-credentials-"))
  const path = join(dir, "service-account.json")
  writeFileSync(path, keyJson)
  const badPath = join(dir, "bad.json")
  writeFileSync(badPath, JSON.stringify(omit(keyObject, "client_email")))

  it.effect("layerFile reads the key through the FileSystem in context (NodeFileSystem)", () =>
    Effect.gen(function*() {
      const http = tokenEndpoint()
      const credentials = yield* Credentials.Credentials.pipe(
        Effect.provide(Credentials.layerFile(path).pipe(Layer.provide(Layer.merge(http.layer, NodeFileSystem.layer))))
      )
      assert.deepStrictEqual(credentials.projectId, Option.some("demo-project"))
    }))

  it.effect("layerFile uses @effect/platform's FileSystem, whichever is provided", () =>
    Effect.gen(function*() {
      const read: Array<string> = []
      const fs = FileSystem.layerNoop({
        readFileString: (p) => {
          read.push(p)
          return Effect.succeed(keyJson)
        }
      })
      const http = tokenEndpoint()
      const token = yield* Effect.flatMap(Credentials.Credentials, (c) => c.accessToken).pipe(
        Effect.provide(Credentials.layerFile("/virtual/key.json").pipe(Layer.provide(Layer.merge(http.layer, fs))))
      )
      assert.deepStrictEqual(read, ["/virtual/key.json"])
      assert.strictEqual(value(token), "ya29.token-1")
    }))

  const build = (layer: Layer.Layer<Credentials.Credentials, unknown, HttpClient.HttpClient | FileSystem.FileSystem>) =>
    Effect.gen(function*() {
      const http = tokenEndpoint()
      const error = yield* Effect.flip(
        Credentials.Credentials.pipe(
          Effect.provide(layer.pipe(Layer.provide(Layer.merge(http.layer, NodeFileSystem.layer))))
        )
      )
      assert.strictEqual(http.requests.length, 0)
      return error
    })

  const isConfigError = (u: unknown): u is ConfigError.ConfigError => ConfigError.isConfigError(u)

  it.effect("a missing or unreadable file is a ConfigError naming the path it tried, not an AuthenticationError", () =>
    Effect.gen(function*() {
      const nope = join(dir, "nope.json")
      const missing = yield* build(Credentials.layerFile(nope))
      assert.isTrue(isConfigError(missing), String(missing))
      if (!isConfigError(missing) || missing._op !== "InvalidData") return assert.fail(String(missing))
      assert.deepStrictEqual(missing.path, ["path"])
      assert.strictEqual(
        missing.message,
        `service account key file ${nope} could not be read: no such file; check the path and the file's permissions`
      )

      // a directory where the file should be
      const unreadable = yield* build(Credentials.layerFile(dir))
      if (!isConfigError(unreadable)) return assert.fail(String(unreadable))
      assert.include(unreadable.message, `service account key file ${dir} could not be read: `)
    }))

  it.effect("a file that is not a valid key is an AuthenticationError naming the file and the field", () =>
    Effect.gen(function*() {
      const bad = yield* build(Credentials.layerFile(badPath))
      assert.instanceOf(bad, AuthenticationError)
      assert.strictEqual(
        (bad as AuthenticationError).reason,
        `service account key (${badPath}): client_email is missing`
      )
    }))

  it.effect("layerConfig reads GOOGLE_APPLICATION_CREDENTIALS", () =>
    Effect.gen(function*() {
      const http = tokenEndpoint()
      const token = yield* Effect.flatMap(Credentials.Credentials, (c) => c.accessToken).pipe(
        Effect.provide(
          Credentials.layerConfig().pipe(
            Layer.provide(Layer.merge(http.layer, NodeFileSystem.layer)),
            Layer.provide(
              Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["GOOGLE_APPLICATION_CREDENTIALS", path]])))
            )
          )
        )
      )
      assert.strictEqual(value(token), "ya29.token-1")
      assert.isTrue(inspectExchange(http.requests[0]!).verified)
    }))

  it.effect("layerConfig names GOOGLE_APPLICATION_CREDENTIALS and the path when the file is missing", () =>
    Effect.gen(function*() {
      const nope = join(dir, "gone.json")
      const error = yield* build(
        Credentials.layerConfig().pipe(
          Layer.provide(
            Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["GOOGLE_APPLICATION_CREDENTIALS", nope]])))
          )
        )
      )
      if (!isConfigError(error) || error._op !== "InvalidData") return assert.fail(String(error))
      assert.deepStrictEqual(error.path, ["GOOGLE_APPLICATION_CREDENTIALS"])
      assert.strictEqual(
        error.message,
        `service account key file ${nope} could not be read: no such file; check the path in GOOGLE_APPLICATION_CREDENTIALS and the file's permissions`
      )
    }))

  it.effect("layerConfig without GOOGLE_APPLICATION_CREDENTIALS is a ConfigError that says what to set", () =>
    Effect.gen(function*() {
      const error = yield* build(
        Credentials.layerConfig().pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map()))))
      )
      if (!isConfigError(error) || error._op !== "MissingData") return assert.fail(String(error))
      assert.deepStrictEqual(error.path, ["GOOGLE_APPLICATION_CREDENTIALS"])
      assert.include(error.message, "GOOGLE_APPLICATION_CREDENTIALS is not set")
      assert.include(error.message, "path of a service account key JSON file")
    }))
})

// -----------------------------------------------------------------------------
// metadata server
// -----------------------------------------------------------------------------

const metadataFake = (options?: { readonly tokenStatus?: number; readonly network?: boolean }) =>
  fakeHttp((request, n) => {
    if (options?.network === true) return { networkError: "getaddrinfo ENOTFOUND metadata.google.internal" }
    if (request.headers["metadata-flavor"] !== "Google") return { status: 403, body: "missing Metadata-Flavor" }
    if (request.url.pathname === "/computeMetadata/v1/project/project-id") {
      return { status: 200, body: "meta-project", headers: { "content-type": "application/text" } }
    }
    if (request.url.pathname === "/computeMetadata/v1/instance/service-accounts/default/token") {
      if (options?.tokenStatus !== undefined) return { status: options.tokenStatus, body: "Not Found" }
      const body = JSON.stringify({ access_token: `ya29.meta-${n}`, expires_in: 3599, token_type: "Bearer" })
      return { status: 200, body }
    }
    return { status: 404, body: "no such path" }
  })

describe("Credentials.metadataServer", () => {
  it.effect("sends Metadata-Flavor: Google, reads the project id and caches the token", () =>
    Effect.gen(function*() {
      const http = metadataFake()
      const credentials = yield* Credentials.metadataServer().pipe(Effect.provide(http.layer))
      assert.deepStrictEqual(credentials.projectId, Option.some("meta-project"))
      const a = yield* credentials.accessToken
      const b = yield* credentials.accessToken
      assert.strictEqual(value(a), "ya29.meta-2")
      assert.strictEqual(value(b), "ya29.meta-2")
      assert.deepStrictEqual(http.requests.map((r) => `${r.method} ${r.url.toString()}`), [
        "GET http://metadata.google.internal/computeMetadata/v1/project/project-id",
        "GET http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token"
      ])
      for (const request of http.requests) assert.strictEqual(request.headers["metadata-flavor"], "Google")
      yield* TestClock.adjust("56 minutes")
      assert.strictEqual(value(yield* credentials.accessToken), "ya29.meta-3")
    }))

  it.effect("honours GCE_METADATA_HOST, scopes and a given project id", () =>
    Effect.gen(function*() {
      const http = metadataFake()
      const credentials = yield* Credentials.metadataServer({
        projectId: "given-project",
        scopes: [Credentials.FIREBASE_MESSAGING_SCOPE, Credentials.CLOUD_PLATFORM_SCOPE]
      }).pipe(
        Effect.provide(http.layer),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["GCE_METADATA_HOST", "169.254.169.254:8080"]])))
      )
      assert.deepStrictEqual(credentials.projectId, Option.some("given-project"))
      yield* credentials.accessToken
      assert.strictEqual(http.requests.length, 1)
      const url = http.requests[0]!.url
      assert.strictEqual(url.host, "169.254.169.254:8080")
      assert.strictEqual(url.pathname, "/computeMetadata/v1/instance/service-accounts/default/token")
      assert.strictEqual(
        url.searchParams.get("scopes"),
        "https://www.googleapis.com/auth/firebase.messaging,https://www.googleapis.com/auth/cloud-platform"
      )
    }))

  it.effect("the baseUrl option wins over GCE_METADATA_HOST", () =>
    Effect.gen(function*() {
      const http = metadataFake()
      const credentials = yield* Credentials.metadataServer({ baseUrl: "http://127.0.0.1:9999/" }).pipe(
        Effect.provide(http.layer),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["GCE_METADATA_HOST", "10.0.0.1"]])))
      )
      yield* credentials.accessToken
      assert.isTrue(http.requests.every((r) => r.url.host === "127.0.0.1:9999"))
    }))

  it.effect("a 404 (no service account attached) is an AuthenticationError with a hint", () =>
    Effect.gen(function*() {
      const http = metadataFake({ tokenStatus: 404 })
      const credentials = yield* Credentials.metadataServer().pipe(Effect.provide(http.layer))
      const error = yield* Effect.flip(credentials.accessToken)
      assert.instanceOf(error, AuthenticationError)
      assert.strictEqual(error.status, 404)
      assert.include(error.hint ?? "", "no service account is attached")
    }))

  it.effect("off Google Cloud, building it fails with a retryable TransportError that says so", () =>
    Effect.gen(function*() {
      const http = metadataFake({ network: true })
      const error = yield* Effect.flip(Credentials.metadataServer().pipe(Effect.provide(http.layer)))
      assert.instanceOf(error, TransportError)
      assert.isTrue((error as TransportError).retryable)
      assert.include(error.reason, "metadata server http://metadata.google.internal could not be reached")
      assert.include(error.reason, "ENOTFOUND")
      assert.include(error.reason, "Google Cloud")
    }))

  it.effect("layerMetadataServer provides Credentials", () =>
    Effect.gen(function*() {
      const http = metadataFake()
      const projectId = yield* Effect.map(Credentials.Credentials, (c) => c.projectId).pipe(
        Effect.provide(Credentials.layerMetadataServer().pipe(Layer.provide(http.layer)))
      )
      assert.deepStrictEqual(projectId, Option.some("meta-project"))
    }))
})

// -----------------------------------------------------------------------------
// custom and static sources
// -----------------------------------------------------------------------------

describe("Credentials.fromEffect / static", () => {
  it.effect("a plain token is kept until invalidated; runs are single-flight", () =>
    Effect.gen(function*() {
      let runs = 0
      const source = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 10))).pipe(
        Effect.map(() => Redacted.make(`custom-${++runs}`))
      )
      const credentials = yield* Credentials.fromEffect(source, { projectId: "p" })
      const tokens = yield* Effect.all(Array.from({ length: 1_000 }, () => credentials.accessToken), {
        concurrency: "unbounded"
      })
      assert.strictEqual(runs, 1)
      assert.isTrue(tokens.every((t) => value(t) === "custom-1"))
      yield* TestClock.adjust("1000 days")
      assert.strictEqual(value(yield* credentials.accessToken), "custom-1")
      yield* credentials.invalidate(tokens[0]!)
      assert.strictEqual(value(yield* credentials.accessToken), "custom-2")
      assert.strictEqual(runs, 2)
      assert.deepStrictEqual(credentials.projectId, Option.some("p"))
    }))

  it.effect("a token with an expiry is refreshed ahead of it; errors pass through uncached", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(START)
      let runs = 0
      let failNext = false
      const source = Effect.suspend(() => {
        runs++
        if (failNext) {
          failNext = false
          return Effect.fail(new AuthenticationError({ reason: "custom source refused" }))
        }
        return Effect.succeed({ token: Redacted.make(`custom-${runs}`), expiresAt: new Date(START + 3_600_000) })
      })
      const credentials = yield* Credentials.fromEffect(source)
      assert.strictEqual(value(yield* credentials.accessToken), "custom-1")
      yield* TestClock.adjust("2 hours")
      failNext = true
      const error = yield* Effect.flip(credentials.accessToken)
      assert.strictEqual(error.reason, "custom source refused")
      assert.strictEqual(value(yield* credentials.accessToken), "custom-3")
      assert.strictEqual(runs, 3)
      assert.deepStrictEqual(credentials.projectId, Option.none())
    }))

  it.effect("layerEffect provides the effect's requirements at build time", () =>
    Effect.gen(function*() {
      class TokenSource extends Effect.Tag("test/TokenSource")<TokenSource, { readonly token: string }>() {}
      const layer = Credentials.layerEffect(Effect.map(TokenSource, (s) => Redacted.make(s.token))).pipe(
        Layer.provide(Layer.succeed(TokenSource, { token: "from-context" }))
      )
      const token = yield* Effect.flatMap(Credentials.Credentials, (c) => c.accessToken).pipe(Effect.provide(layer))
      assert.strictEqual(value(token), "from-context")
    }))

  it.effect("static always hands out the same token", () =>
    Effect.gen(function*() {
      const credentials = Credentials.static("test-token", { projectId: "demo" })
      const token = yield* credentials.accessToken
      yield* credentials.invalidate(token)
      assert.strictEqual(value(yield* credentials.accessToken), "test-token")
      assert.deepStrictEqual(credentials.projectId, Option.some("demo"))
      const fromLayer = yield* Effect.flatMap(Credentials.Credentials, (c) => c.accessToken).pipe(
        Effect.provide(Credentials.layerStatic(Redacted.make("layer-token")))
      )
      assert.strictEqual(value(fromLayer), "layer-token")
      assertNoSecrets(credentials, ["test-token"])
    }))
})

// -----------------------------------------------------------------------------
// secret hygiene
// -----------------------------------------------------------------------------

describe("secrets never leak", () => {
  it.effect("the credentials service shows neither the key nor the cached token", () =>
    Effect.gen(function*() {
      const http = tokenEndpoint()
      const credentials = yield* serviceAccount(http.layer)
      const token = yield* credentials.accessToken
      const assertion = inspectExchange(http.requests[0]!).assertion
      assertNoSecrets(credentials, [...keySecrets, assertion, value(token)])
      assert.include(inspect(credentials), CLIENT_EMAIL)
      assertNoSecrets(token, [value(token)])
    }))

  it.effect("endpoint answers that echo the assertion or the token are scrubbed from errors", () =>
    Effect.gen(function*() {
      const echo = (status: number, shape: "oauth" | "text") =>
        fakeHttp((request) => {
          const { assertion } = inspectExchange(request)
          return shape === "oauth"
            ? {
              status,
              body: JSON.stringify({ error: "invalid_grant", error_description: `bad assertion ${assertion}` })
            }
            : {
              status,
              body: `upstream said: ${request.body} ya29.echoed-token`,
              headers: { "content-type": "text/plain" }
            }
        })
      for (const http of [echo(400, "oauth"), echo(403, "text"), echo(502, "text")]) {
        const credentials = yield* serviceAccount(http.layer)
        const error = yield* Effect.flip(credentials.accessToken)
        const assertion = inspectExchange(http.requests[0]!).assertion
        const [, , signature = ""] = assertion.split(".")
        assert.isTrue(assertion.length > 100)
        assertNoSecrets(error, [...keySecrets, assertion, signature, "ya29.echoed-token"])
      }
    }))

  it.effect("network failures whose messages quote the request body are scrubbed", () =>
    Effect.gen(function*() {
      let assertion = ""
      const http = fakeHttp((request) => {
        assertion = inspectExchange(request).assertion
        return { networkError: `connection reset while sending ${request.body}` }
      })
      const credentials = yield* serviceAccount(http.layer)
      const error = yield* Effect.flip(credentials.accessToken)
      assert.instanceOf(error, TransportError)
      assertNoSecrets(error, [...keySecrets, assertion])
    }))

  it.effect("key errors never quote the key, even when the JSON breaks right next to it", () =>
    Effect.gen(function*() {
      const broken = keyJson.replace("-----END PRIVATE KEY-----", "-----END PRIVATE KEY-----\"\"")
      const error = yield* Effect.flip(Credentials.fromJson(broken).pipe(Effect.provide(tokenEndpoint().layer)))
      assert.include(error.reason, "not valid JSON")
      assertNoSecrets(error, keySecrets)
    }))
})
