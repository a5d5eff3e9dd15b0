/**
 * Secret hygiene. Sends with known secrets (a legacy API key, a wrong one, the service account's private key, every
 * JWT assertion signed with it and every access token the emulator issues) under debug logging and a tracer that
 * records every span, successful sends and failing ones (401, invalid_grant, a token endpoint down, refused
 * connections, timeouts, a refresh that fails while the old token still works). Then every log line, span name,
 * attribute, event and exit, every error (message, String, JSON.stringify, util.inspect, stack), every result and
 * every options, credentials, client and layer object is scanned for those values: zero hits.
 *
 * And TLS: verification is on by default (the emulator's throwaway certificate is refused, even with
 * NODE_TLS_REJECT_UNAUTHORIZED=0), and only an explicit `rejectUnauthorized: false` or `ca` loosens it.
 */
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import type { FcmError } from "@effect-fcm/fcm"
import { Credentials, FcmClient, FcmLegacy, FcmV1, Message } from "@effect-fcm/fcm"
import { Http2Client } from "@effect-fcm/node"
import { HttpClient } from "@effect/platform"
import { assert, describe, layer } from "@effect/vitest"
import {
  Cause,
  Context,
  Effect,
  Exit,
  HashMap,
  Layer,
  List,
  Logger,
  LogLevel,
  Option,
  Redacted,
  Schedule,
  Tracer
} from "effect"
import * as util from "node:util"
import { installProcessGuards, processGuards, realSleep } from "./support/harness.js"

installProcessGuards()

const API_KEY = `AIzaSy-legacy-secret-${Math.random().toString(36).slice(2)}`
const WRONG_KEY = `AIzaSy-wrong-secret-${Math.random().toString(36).slice(2)}`

// -----------------------------------------------------------------------------------------------------------------
// what the process produced, and the secrets to look for
// -----------------------------------------------------------------------------------------------------------------

const deep = (u: unknown): string => util.inspect(u, { depth: Infinity, getters: false, showHidden: false })

const produced: Array<readonly [where: string, text: string]> = []
/** The exits of every span, kept to count what a util.inspect of them would expose (see docs/reliability.md). */
const exits: Array<readonly [name: string, exit: Exit.Exit<unknown, unknown>]> = []
const emit = (where: string, text: string) => produced.push([where, text])

/** Every log line, whatever its level, with its annotations, spans and cause. */
const capturingLogger = Logger.make(({ annotations, cause, logLevel, message, spans }) => {
  const parts = Array.isArray(message) ? message : [message]
  emit(
    `log ${logLevel.label}`,
    [
      ...parts.map((p) => (typeof p === "string" ? p : deep(p))),
      ...[...HashMap.entries(annotations)].map(([k, v]) => `${k}=${typeof v === "string" ? v : deep(v)}`),
      ...List.toArray(spans).map((s) => s.label),
      Cause.isEmpty(cause) ? "" : `${Cause.pretty(cause)} ${deep(cause)}`
    ].join(" ")
  )
})

let spanIds = 0
/** A tracer that keeps every span: its name, attributes, events, links and exit. */
const recordingTracer = Tracer.make({
  span: (name, parent, context, links, startTime, kind) => {
    const attributes = new Map<string, unknown>()
    const id = String(++spanIds)
    emit("span name", name)
    const span: Tracer.Span = {
      _tag: "Span",
      name,
      spanId: id,
      traceId: "trace",
      parent,
      context,
      status: { _tag: "Started", startTime },
      attributes,
      links,
      sampled: true,
      kind,
      end: (endTime, exit) => {
        ;(span as { status: Tracer.SpanStatus }).status = { _tag: "Ended", startTime, endTime, exit }
        for (const [k, v] of attributes) emit(`span ${name} attribute`, `${k}=${typeof v === "string" ? v : deep(v)}`)
        // What exporters record of an exit: the failure's messages and stacks (not the success value, and not a
        // util.inspect of the cause: see "span exits" in docs/reliability.md)
        if (Exit.isFailure(exit)) {
          emit(`span ${name} exit`, Cause.pretty(exit.cause))
          for (const failure of [...Cause.failures(exit.cause), ...Cause.defects(exit.cause)]) {
            emit(
              `span ${name} exit`,
              failure instanceof Error ? `${String(failure)} ${failure.stack}` : String(failure)
            )
          }
        }
        exits.push([name, exit])
      },
      attribute: (key, value) => {
        attributes.set(key, value)
      },
      event: (eventName, _time, eventAttributes) => emit(`span ${name} event`, `${eventName} ${deep(eventAttributes)}`),
      addLinks: (more) => emit(`span ${name} links`, deep(more))
    }
    return span
  },
  context: (f) => f()
})

/** Everything a caller may print: message, String(), JSON, util.inspect, the stack. */
const expose = (where: string, u: unknown) => {
  emit(`${where} String`, String(u))
  try {
    emit(`${where} JSON`, JSON.stringify(u) ?? "undefined")
  } catch (error) {
    emit(`${where} JSON`, `not serializable: ${String(error)}`)
  }
  emit(`${where} inspect`, deep(u))
  if (u instanceof Error) {
    emit(`${where} message`, u.message)
    emit(`${where} stack`, u.stack ?? "")
  }
}

const secrets = new Map<string, string>()
let authorizations = 0
const addSecret = (what: string, value: string) => {
  if (value.length >= 12 && !secrets.has(value)) secrets.set(value, what)
}
/** A bearer token that the token endpoint echoes in an error description (scrubbed before it is quoted). */
const ECHOED = `ya29.echoed-${Math.random().toString(36).slice(2)}`
addSecret("the legacy API key", API_KEY)
addSecret("a bearer token echoed by the token endpoint", ECHOED)
addSecret("the wrong legacy API key", WRONG_KEY)

/** Notes every credential that crosses the wire: API keys, bearer tokens, assertions, issued access tokens. */
const harvest = (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  HttpClient.transform(client, (effect, request) => {
    const auth = request.headers["authorization"]
    if (auth !== undefined) {
      authorizations++
      addSecret("a credential sent in Authorization", auth.replace(/^(Bearer |key=)/i, ""))
    }
    const body = request.body
    if (body._tag === "Uint8Array") {
      const text = new TextDecoder().decode(body.body)
      const assertion = new URLSearchParams(text).get("assertion")
      if (assertion !== null) {
        addSecret("a JWT assertion", assertion)
        addSecret("a JWT assertion's signature", assertion.split(".")[2] ?? "")
      }
    }
    return Effect.tap(effect, (response) =>
      Effect.map(Effect.orElseSucceed(response.text, () => ""), (text) => {
        const token = /"access_token"\s*:\s*"([^"]+)"/.exec(text)?.[1]
        if (token !== undefined) addSecret("an issued access token", token)
      }))
  })

const scan = (): ReadonlyArray<string> => {
  const hits: Array<string> = []
  for (const [where, text] of produced) {
    for (const [secret, what] of secrets) {
      if (text.includes(secret)) {
        hits.push(
          `${what} in ${where}: …${text.slice(Math.max(0, text.indexOf(secret) - 600), text.indexOf(secret) + 20)}…`
        )
      }
    }
  }
  return hits
}

// -----------------------------------------------------------------------------------------------------------------
// the sends
// -----------------------------------------------------------------------------------------------------------------

const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.withTracer(recordingTracer),
    Effect.provide(Logger.replace(Logger.defaultLogger, capturingLogger)),
    Logger.withMinimumLogLevel(LogLevel.All)
  )

const transport = (emulator: FcmServer.Service, options: Http2Client.Options = {}) =>
  Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, harvest)).pipe(
    Layer.provide(
      Http2Client.layer({ ca: [emulator.certificatePem!], proxy: "none", requestTimeout: "1 second", ...options })
    )
  )

/** Runs a send, exposing its result or its error, and every object involved. */
const sendAndExpose = (
  what: string,
  layer: Layer.Layer<FcmClient.FcmClient, unknown>,
  message: Message.Message
) =>
  Effect.gen(function*() {
    const exit = yield* observed(
      Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(layer)
        const fcm = Context.get(context, FcmClient.FcmClient)
        expose(`${what}: the client`, fcm)
        expose(`${what}: the context`, context)
        const credentials = Context.getOption(context as Context.Context<unknown>, Credentials.Credentials)
        if (Option.isSome(credentials)) expose(`${what}: the credentials`, credentials.value)
        return yield* fcm.sendWithRetry(message, { schedule: quickSchedule })
      }))
    ).pipe(Effect.exit)
    if (Exit.isSuccess(exit)) {
      expose(`${what}: the result`, exit.value)
      expose(`${what}: the result's JSON view`, exit.value.toJSON())
      for (const reason of exit.value.retryable.values()) emit(`${what}: a retryable reason`, reason)
    } else {
      const failure = Cause.failureOption(exit.cause)
      if (Option.isSome(failure)) expose(`${what}: the error`, failure.value)
      expose(`${what}: the cause`, exit.cause)
      emit(`${what}: the pretty cause`, Cause.pretty(exit.cause))
    }
    return exit
  })

const quickSchedule = Schedule.spaced("20 millis").pipe(Schedule.intersect(Schedule.recurs(3)))

layer(FcmServer.layer({ tls: true, apiKeys: [API_KEY], accessTokenLifetime: 2 }), {
  excludeTestServices: true,
  timeout: "30 seconds"
})("secret hygiene", (it) => {
  it.effect("no secret appears in logs, spans, errors, results or configuration, whatever happens", () =>
    Effect.gen(function*() {
      const guards = processGuards()
      const emulator = yield* FcmServer.FcmServer
      const key = emulator.serviceAccount
      addSecret("the private key", key.private_key)
      for (const line of key.private_key.split("\n")) {
        if (!line.startsWith("-----")) addSecret("a line of the private key", line)
      }
      const tokens = ["tok-1", "tok-2", "tok-3"]
      const message = Message.multicast(tokens, { data: { kind: "hygiene" } })
      const http = transport(emulator)

      const legacyOptions: FcmLegacy.Options = { apiKey: Redacted.make(API_KEY), baseUrl: emulator.baseUrl }
      expose("legacy options", legacyOptions)
      expose("legacy layer", FcmLegacy.layer(legacyOptions))
      const v1Options: FcmV1.Options = { baseUrl: emulator.baseUrl, timeout: false }
      const decoded = yield* Credentials.decodeServiceAccountKey(JSON.stringify(key))
      expose("the decoded service-account key", decoded)
      expose("the key as Redacted JSON", Redacted.make(JSON.stringify(key)))
      const serviceAccount = (options?: Credentials.ServiceAccountOptions) =>
        Credentials.layerServiceAccount(decoded, options)
      expose("the credentials layer", serviceAccount())
      const v1 = (options: FcmV1.Options = v1Options, credentials = serviceAccount(), h = http) =>
        FcmV1.layer(options).pipe(Layer.provide(credentials), Layer.provide(h))

      // legacy: a good key, then a wrong one (401)
      const legacyOk = yield* sendAndExpose("legacy", FcmLegacy.layer(legacyOptions).pipe(Layer.provide(http)), message)
      assert.isTrue(Exit.isSuccess(legacyOk))
      const wrong = yield* sendAndExpose(
        "legacy, wrong key",
        FcmLegacy.layer({ ...legacyOptions, apiKey: Redacted.make(WRONG_KEY) }).pipe(Layer.provide(http)),
        message
      )
      assert.isTrue(Exit.isFailure(wrong))

      // v1: a good send; then tokens expired mid-way (401, refresh)
      yield* emulator.setDefault(Scenario.latency(30))
      const expiring = yield* Effect.fork(sendAndExpose(
        "v1, token expiry",
        v1(),
        Message.multicast(
          Array.from({ length: 30 }, (_, i) => `exp-${i}`)
        )
      ))
      yield* realSleep(60)
      yield* emulator.expireAccessTokens
      const expired = yield* Effect.flatten(expiring.await)
      assert.isTrue(Exit.isSuccess(expired))
      yield* emulator.clearScenarios

      // the token endpoint refuses the key (invalid_grant), then is down (503), then resets the stream
      yield* emulator.enqueue("token", Scenario.unauthenticated())
      assert.isTrue(Exit.isFailure(yield* sendAndExpose("v1, invalid_grant", v1(), message)))
      yield* emulator.enqueue("token", Scenario.unavailable({ retryAfter: 1 }), 10)
      yield* sendAndExpose("v1, token endpoint 503", v1(), message)
      yield* emulator.clearScenarios
      yield* emulator.enqueue("token", Scenario.reset, 10)
      yield* sendAndExpose("v1, token endpoint reset", v1(), message)
      yield* emulator.clearScenarios

      // FCM answers 401 on every request (the refreshed token too)
      yield* emulator.enqueue("v1", Scenario.unauthenticated({ expired: true }), 100)
      assert.isTrue(Exit.isFailure(yield* sendAndExpose("v1, persistent 401", v1(), message)))
      yield* emulator.clearScenarios

      // network errors: a hung request (timeout), a reset stream, a refused connection
      yield* emulator.setToken("tok-2", Scenario.hang)
      yield* emulator.setToken("tok-3", Scenario.reset)
      yield* sendAndExpose(
        "v1, timeout and reset",
        v1(v1Options, serviceAccount(), transport(emulator, { requestTimeout: "200 millis" })),
        message
      )
      yield* emulator.clearScenarios
      yield* sendAndExpose("v1, refused connection", v1({ ...v1Options, baseUrl: "https://127.0.0.1:1" }), message)

      // a refresh that fails while the previous token still works: logged as a warning, with the reason
      const cache = serviceAccount({ refreshBefore: "10 minutes" })
      const warned = yield* observed(
        Effect.scoped(Effect.gen(function*() {
          const context = yield* Layer.build(v1(v1Options, cache))
          const fcm = Context.get(context, FcmClient.FcmClient)
          yield* fcm.send(message)
          yield* realSleep(1_100) // past half of the 2 s lifetime: the next send refreshes
          yield* emulator.enqueue("token", Scenario.badRequest(`echo: Bearer ${ECHOED}`))
          return yield* fcm.send(message)
        }))
      ).pipe(Effect.exit)
      assert.isTrue(Exit.isSuccess(warned), "the still-valid token was used")

      // The scan must be able to fail: the harvest saw every kind of secret, and a planted leak is found.
      const kinds = new Set(secrets.values())
      for (
        const kind of [
          "the legacy API key",
          "the private key",
          "a JWT assertion",
          "an issued access token"
        ]
      ) assert.isTrue(kinds.has(kind), `no ${kind} to look for`)
      assert.isAbove(authorizations, 20, "the Authorization headers were seen")
      assert.isAtLeast([...secrets.values()].filter((k) => k === "an issued access token").length, 2)
      assert.isTrue(
        produced.some(([where, text]) => where.startsWith("log WARN") && text.includes("invalid_request")),
        "the failed refresh was logged with its reason"
      )
      assert.isTrue(produced.some(([where]) => where.startsWith("span")), "spans were recorded")
      if (process.env.SECRETS_DEBUG === "1") console.log(scan().join("\n"))
      // The platform's http.client spans end with the response (or the RequestError), which holds the request and
      // its Authorization header; Effect only redacts it inside a redactable context (loggers), not in a tracer.
      const exposing = exits.filter(([, e]) => {
        const text = deep(e)
        return [...secrets.keys()].some((k) => text.includes(k))
      }).map(([name]) => name)
      assert.deepStrictEqual([...new Set(exposing)], ["http.client POST"], "only the platform's request spans")
      console.log(
        `span exits a util.inspect would expose a credential in: ${exposing.length} of ${exits.length}, all http.client`
      )
      const planted = [...secrets.keys()].find((s) => secrets.get(s) === "an issued access token")!
      produced.push(["a planted leak", `Authorization: Bearer ${planted}`])
      assert.strictEqual(scan().length, 1, "the scan finds a planted leak")
      produced.pop()

      assert.deepStrictEqual(scan(), [], "secrets found")
      assert.isAbove(produced.length, 100, "enough output was scanned")
      assert.strictEqual(processGuards().uncaught - guards.uncaught, 0)
      assert.strictEqual(processGuards().unhandled - guards.unhandled, 0)
    }))
})

describe("TLS verification", () => {
  layer(FcmServer.layer({ tls: true }), { excludeTestServices: true, timeout: "30 seconds" })((it) => {
    const send = (emulator: FcmServer.Service, options: Http2Client.Options) =>
      FcmClient.send(Message.multicast(["tls-1"])).pipe(
        Effect.provide(
          FcmLegacy.layer({ apiKey: Redacted.make(emulator.apiKey), baseUrl: emulator.baseUrl }).pipe(
            Layer.provide(Http2Client.layer({ proxy: "none", requestTimeout: "5 seconds", ...options }))
          )
        )
      )

    it.effect("is on by default: the emulator's throwaway certificate is refused, nothing reaches it", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* emulator.reset
        // a certificate that does not verify is a configuration error: the send fails at once, not retryable
        const error = yield* Effect.flip(send(emulator, {}))
        assert.strictEqual(error._tag, "TransportError")
        assert.isFalse((error as FcmError.TransportError).retryable)
        assert.match((error as FcmError.TransportError).reason, /certificate|self.signed|TLS/i)
        assert.strictEqual((yield* emulator.counters).requests, 0)
      }))

    it.effect("cannot be turned off by the environment (NODE_TLS_REJECT_UNAUTHORIZED=0)", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* emulator.reset
        const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED
        process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0"
        const error = yield* send(emulator, {}).pipe(
          Effect.ensuring(Effect.sync(() => {
            if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED
            else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before
          })),
          Effect.flip
        )
        assert.strictEqual(error._tag, "TransportError")
        assert.strictEqual((yield* emulator.counters).requests, 0)
      }))

    it.effect("is loosened only explicitly: with the certificate as a CA, or rejectUnauthorized: false", () =>
      Effect.gen(function*() {
        const emulator = yield* FcmServer.FcmServer
        yield* emulator.reset
        const trusted = yield* send(emulator, { ca: emulator.certificatePem! })
        assert.strictEqual(trusted.success.size, 1)
        const loosened = yield* send(emulator, { rejectUnauthorized: false })
        assert.strictEqual(loosened.success.size, 1)
        assert.strictEqual((yield* emulator.counters).routes.legacy, 2)
      }))
  })
})
