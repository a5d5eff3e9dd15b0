/**
 * The bad-input corpus: invalid messages (both protocols, including what untyped JavaScript callers pass), invalid
 * v1 messages, unusable layer options and configurations, malformed service-account keys. Every one is refused with
 * a typed error that names the field, and the (fake) server receives nothing: no send, no token request.
 *
 * Then the response parsers are fuzzed with random bytes and random JSON: they return a typed result, never throw.
 */
import { ServiceAccount } from "@effect-fcm/emulator"
import { Credentials, FcmClient, FcmError, FcmLegacy, FcmV1, Message, MessageV1, Result } from "@effect-fcm/fcm"
import { Http2Client } from "@effect-fcm/node"
import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, Either, Exit, Layer, Redacted, Stream } from "effect"
import fc from "fast-check"
import * as CredentialsHttp from "../../src/internal/credentialsHttp.js"
import * as Legacy from "../../src/internal/legacy.js"
import * as V1 from "../../src/internal/v1.js"
import { fake } from "./support/fake.js"
import { publish } from "./support/table.js"

const key = ServiceAccount.unsafeGenerate({ projectId: "corpus-project", tokenUri: "https://oauth2.example/token" })

/** A fake server for both protocols and the token endpoint, counting everything it receives. */
const server = () =>
  fake((r) =>
    r.url.endsWith("/token")
      ? { _tag: "Response", status: 200, body: JSON.stringify({ access_token: "ya29.fake", expires_in: 3600 }) }
      : r.url.endsWith("/fcm/send")
      ? { _tag: "Response", status: 200, body: JSON.stringify({ results: [{ message_id: "1" }] }) }
      : { _tag: "Response", status: 200, body: JSON.stringify({ name: "projects/p/messages/1" }) }
  )

const layerFor = (protocol: "legacy" | "v1", client: HttpClient.HttpClient) => {
  const http = Layer.succeed(HttpClient.HttpClient, client)
  return protocol === "legacy"
    ? FcmLegacy.layer({ apiKey: Redacted.make("legacy-key") }).pipe(Layer.provide(http))
    : FcmV1.layer().pipe(Layer.provide(Credentials.layerServiceAccount(key)), Layer.provide(http))
}

interface Refusal {
  readonly kind: "InvalidMessage" | "ConfigError" | "AuthenticationError"
  /** The field the error must name. */
  readonly field: string
}

let corpusSize = 0
const categories = new Map<string, number>()
const count = (category: string) => {
  corpusSize++
  categories.set(category, (categories.get(category) ?? 0) + 1)
}

afterAll(() => {
  const lines = [...categories].map(([c, n]) => `| ${c} | ${n} |`)
  const table = ["| category | cases |", "|---|--:|", ...lines, `| **total** | **${corpusSize}** |`].join("\n")
  console.log(`\nbad-input corpus: ${corpusSize} cases\n${table}`)
  publish("corpus", table)
})

/** Runs `effect`, which must be refused as `expected` says, and checks the server got nothing. */
const expectRefusal = <A, E>(
  effect: Effect.Effect<A, E>,
  expected: Refusal,
  received: () => number
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(effect)
    assert.isTrue(Exit.isFailure(exit), `${expected.field}: accepted`)
    if (Exit.isSuccess(exit)) return
    const failure = Cause.failureOption(exit.cause)
    assert.isTrue(failure._tag === "Some", `a typed failure, not ${Cause.pretty(exit.cause)}`)
    if (failure._tag !== "Some") return
    const error = failure.value as unknown as { _tag?: string; _op?: string; field?: string; message: string }
    if (expected.kind === "ConfigError") {
      assert.strictEqual(error._op !== undefined ? "ConfigError" : error._tag, "ConfigError", String(error))
      assert.include(String(error), expected.field)
    } else {
      assert.strictEqual(error._tag, expected.kind, error.message)
      if (expected.kind === "InvalidMessage") assert.strictEqual(error.field, expected.field, error.message)
      assert.include(error.message, expected.field)
    }
    assert.strictEqual(received(), 0, `${expected.field}: the server received a request`)
  })

// -----------------------------------------------------------------------------------------------------------------
// messages, both protocols
// -----------------------------------------------------------------------------------------------------------------

const big = "x".repeat(5000)
const MESSAGES: ReadonlyArray<readonly [string, unknown, string]> = [
  ["no target", { data: { a: "b" } }, "tokens"],
  ["no token", { tokens: [] }, "tokens"],
  ["tokens and a topic", { tokens: ["a"], topic: "news" }, "tokens"],
  ["a topic and a condition", { topic: "news", condition: "'a' in topics" }, "tokens"],
  ["an empty token", { tokens: ["a", ""] }, "tokens[1]"],
  ["a duplicate token", { tokens: ["a", "b", "a"] }, "tokens[2]"],
  ["tokens as a string (JS)", { tokens: "a,b" }, "tokens"],
  ["a token that is a number (JS)", { tokens: ["a", 42] }, "tokens[1]"],
  ["a token that is null (JS)", { tokens: [null] }, "tokens[0]"],
  ["a topic with a space", { topic: "bad topic" }, "topic"],
  ["an empty topic", { topic: "" }, "topic"],
  ["a topic that is a number (JS)", { topic: 7 }, "topic"],
  ["a condition without topics", { condition: "foo && bar" }, "condition"],
  ["a condition with six topics", {
    condition: "'a' in topics && 'b' in topics && 'c' in topics && 'd' in topics && 'e' in topics && 'f' in topics"
  }, "condition"],
  ["nested data", { tokens: ["a"], data: { a: { b: 1 } } }, "data.a"],
  ["a NaN data value", { tokens: ["a"], data: { a: NaN } }, "data.a"],
  ["an infinite data value", { tokens: ["a"], data: { n: Infinity } }, "data.n"],
  ["a null data value (JS)", { tokens: ["a"], data: { n: null } }, "data.n"],
  ["an array data value (JS)", { tokens: ["a"], data: { n: [1, 2] } }, "data.n"],
  ["the reserved data key from", { tokens: ["a"], data: { from: "x" } }, "data.from"],
  ["a reserved google. data key", { tokens: ["a"], data: { "google.c.a.e": "1" } }, "data.google.c.a.e"],
  ["a reserved gcm data key", { tokens: ["a"], data: { gcm_x: "1" } }, "data.gcm_x"],
  ["the reserved key message_type", { tokens: ["a"], data: { message_type: "x" } }, "data.message_type"],
  ["an empty data key", { tokens: ["a"], data: { "": "x" } }, "data[\"\"]"],
  ["data that is an array (JS)", { tokens: ["a"], data: ["a"] }, "data"],
  ["data that is a string (JS)", { tokens: ["a"], data: "a=b" }, "data"],
  ["a negative time to live", { tokens: ["a"], timeToLive: -1 }, "timeToLive"],
  ["a fractional time to live", { tokens: ["a"], timeToLive: 1.5 }, "timeToLive"],
  ["a time to live beyond four weeks", { tokens: ["a"], timeToLive: Message.MAX_TIME_TO_LIVE + 1 }, "timeToLive"],
  ["a time to live as a string (JS)", { tokens: ["a"], timeToLive: "3600" }, "timeToLive"],
  ["an unknown priority", { tokens: ["a"], priority: "urgent" }, "priority"],
  ["an empty collapse key", { tokens: ["a"], collapseKey: "" }, "collapseKey"],
  ["an empty package name", { tokens: ["a"], restrictedPackageName: "" }, "restrictedPackageName"],
  ["dryRun as a string (JS)", { tokens: ["a"], dryRun: "yes" }, "dryRun"],
  ["contentAvailable as a number (JS)", { tokens: ["a"], contentAvailable: 1 }, "contentAvailable"],
  ["delayWhileIdle as null (JS)", { tokens: ["a"], delayWhileIdle: null }, "delayWhileIdle"],
  ["a colour that is not #rrggbb", { tokens: ["a"], notification: { color: "red" } }, "notification.color"],
  ["a title that is a number (JS)", { tokens: ["a"], notification: { title: 42 } }, "notification.title"],
  [
    "loc args that are not an array (JS)",
    { tokens: ["a"], notification: { bodyLocArgs: "x" } },
    "notification.bodyLocArgs"
  ],
  ["a notification that is a string (JS)", { tokens: ["a"], notification: "hello" }, "notification"],
  ["an unknown notification key", { tokens: ["a"], notification: { heading: "x" } }, "notification.heading"],
  ["a legacy wire field (registration_ids)", { registration_ids: ["a"] }, "registration_ids"],
  ["a snake_case option (time_to_live)", { tokens: ["a"], time_to_live: 60 }, "time_to_live"],
  ["a payload over 4096 bytes", { tokens: ["a"], data: { big } }, "data"],
  ["a topic payload over 2048 bytes", { topic: "news", data: { big: "x".repeat(2100) } }, "data"],
  ["a notification over 4096 bytes", { tokens: ["a"], notification: { body: big } }, "notification"],
  ["a message that is null (JS)", null, "message"],
  ["a message that is a string (JS)", "hello", "message"],
  ["a message that is an array (JS)", [{ tokens: ["a"] }], "message"],
  ["a message that is undefined (JS)", undefined, "message"]
]

describe("invalid messages are refused before anything is sent", () => {
  for (const protocol of ["legacy", "v1"] as const) {
    describe(protocol, () => {
      for (const [name, message, field] of MESSAGES) {
        it.effect(`${name} → ${field}`, () => {
          if (protocol === "legacy") count("messages (Message), each sent through both protocols")
          const s = server()
          return expectRefusal(
            FcmClient.send(message as Message.Message).pipe(Effect.provide(layerFor(protocol, s.client))),
            { kind: "InvalidMessage", field },
            () => s.received.length
          )
        })
      }
    })
  }

  it("send(null) from untyped JavaScript returns an effect rather than throwing", () => {
    const s = server()
    const fcm = Effect.runSync(
      FcmLegacy.make({ apiKey: Redacted.make("k") }).pipe(Effect.provideService(HttpClient.HttpClient, s.client))
    )
    assert.doesNotThrow(() => fcm.send(null as unknown as Message.Message))
    assert.doesNotThrow(() => fcm.sendWithRetry({ topic: 7 } as unknown as Message.Message))
  })

  it.effect("sendWithRetry and sendStream refuse the same way", () =>
    Effect.gen(function*() {
      count("messages (Message), each sent through both protocols")
      const s = server()
      const layer = layerFor("v1", s.client)
      yield* expectRefusal(
        FcmClient.sendWithRetry({ tokens: ["a"], timeToLive: -5 }).pipe(Effect.provide(layer)),
        { kind: "InvalidMessage", field: "timeToLive" },
        () => s.received.length
      )
      count("stream templates")
      yield* expectRefusal(
        FcmClient.sendStream(Stream.make("a", "b"), { data: { from: "x" } }).pipe(
          Stream.runDrain,
          Effect.provide(layer)
        ),
        { kind: "InvalidMessage", field: "data.from" },
        () => s.received.length
      )
      count("stream templates")
      yield* expectRefusal(
        FcmClient.sendStream(Stream.make("a"), { priority: "asap" } as unknown as Message.Options).pipe(
          Stream.runDrain,
          Effect.provide(layerFor("legacy", s.client))
        ),
        { kind: "InvalidMessage", field: "priority" },
        () => s.received.length
      )
    }))

  it.effect("empty or non-string tokens in a stream are reported MissingRegistration, never sent", () =>
    Effect.gen(function*() {
      count("stream templates")
      const s = server()
      const outcomes = yield* FcmClient.sendStream(
        Stream.make("", 7 as unknown as string, null as unknown as string),
        {},
        { retry: false }
      ).pipe(Stream.runCollect, Effect.provide(layerFor("v1", s.client)))
      assert.deepStrictEqual(
        [...outcomes].map((o) => o.outcome),
        [0, 1, 2].map(() => Result.Outcome.Failed({ code: "MissingRegistration" }))
      )
      assert.strictEqual(s.received.length, 0)
    }))
})

// -----------------------------------------------------------------------------------------------------------------
// v1 messages
// -----------------------------------------------------------------------------------------------------------------

const circular: Record<string, unknown> = { a: 1 }
circular.self = circular

const V1_MESSAGES: ReadonlyArray<readonly [string, unknown, string]> = [
  ["no target", { data: { a: "b" } }, "token"],
  ["a token and a topic", { token: "a", topic: "news" }, "topic"],
  ["an empty token", { token: "" }, "token"],
  ["a token that is a number (JS)", { token: 5 }, "token"],
  ["a topic with a slash inside", { topic: "a/b" }, "topic"],
  ["a condition with six topics", {
    condition: "'a' in topics && 'b' in topics && 'c' in topics && 'd' in topics && 'e' in topics && 'f' in topics"
  }, "condition"],
  ["a number data value", { token: "a", data: { n: 1 } }, "data.n"],
  ["a reserved data key", { token: "a", data: { from: "x" } }, "data.from"],
  [
    "an image URL that is not http(s)",
    { token: "a", notification: { imageUrl: "ftp://x/y.png" } },
    "notification.imageUrl"
  ],
  ["a negative Android TTL", { token: "a", android: { ttl: -1 } }, "android.ttl"],
  ["a fractional Android TTL", { token: "a", android: { ttl: 1.5 } }, "android.ttl"],
  ["an Android TTL beyond four weeks", { token: "a", android: { ttl: MessageV1.MAX_TTL_MILLIS + 1 } }, "android.ttl"],
  ["an unknown Android priority", { token: "a", android: { priority: "urgent" } }, "android.priority"],
  ["an empty Android collapse key", { token: "a", android: { collapseKey: "" } }, "android.collapseKey"],
  [
    "an Android colour that is not #rrggbb",
    { token: "a", android: { notification: { color: "red" } } },
    "android.notification.color"
  ],
  [
    "loc args without a loc key",
    { token: "a", android: { notification: { bodyLocArgs: ["x"] } } },
    "android.notification.bodyLocKey"
  ],
  [
    "an event time that is not RFC 3339",
    { token: "a", android: { notification: { eventTimestamp: "yesterday" } } },
    "android.notification.eventTimestamp"
  ],
  [
    "an empty vibration pattern",
    { token: "a", android: { notification: { vibrateTimingsMillis: [] } } },
    "android.notification.vibrateTimingsMillis"
  ],
  ["a light colour that is too short", {
    token: "a",
    android: { notification: { lightSettings: { color: "#12", lightOnDurationMillis: 1, lightOffDurationMillis: 1 } } }
  }, "android.notification.lightSettings.color"],
  [
    "a negative notification count",
    { token: "a", android: { notification: { notificationCount: -1 } } },
    "android.notification.notificationCount"
  ],
  [
    "an unknown visibility",
    { token: "a", android: { notification: { visibility: "hidden" } } },
    "android.notification.visibility"
  ],
  ["an APNs payload without aps", { token: "a", apns: { payload: { custom: 1 } } }, "apns.payload.aps"],
  ["a negative badge", { token: "a", apns: { payload: { aps: { badge: -1 } } } }, "apns.payload.aps.badge"],
  ["an empty sound", { token: "a", apns: { payload: { aps: { sound: "" } } } }, "apns.payload.aps.sound"],
  ["a critical sound louder than 1", {
    token: "a",
    apns: { payload: { aps: { sound: { name: "s", volume: 2 } } } }
  }, "apns.payload.aps.sound.volume"],
  ["contentAvailable and content-available both", {
    token: "a",
    apns: { payload: { aps: { contentAvailable: true, "content-available": 1 } } }
  }, "apns.payload.aps.content-available"],
  [
    "an APNs header that is a number (JS)",
    { token: "a", apns: { headers: { "apns-priority": 10 } } },
    "apns.headers.apns-priority"
  ],
  [
    "a custom APNs key holding a function (JS)",
    { token: "a", apns: { payload: { aps: {}, f: () => 1 } } },
    "apns.payload.f"
  ],
  [
    "a web push link over plain http",
    { token: "a", webpush: { fcmOptions: { link: "http://example.com" } } },
    "webpush.fcmOptions.link"
  ],
  [
    "a negative vibration in web push",
    { token: "a", webpush: { notification: { vibrate: [-1] } } },
    "webpush.notification.vibrate"
  ],
  [
    "circular web push data (JS)",
    { token: "a", webpush: { notification: { data: circular } } },
    "webpush.notification.data.self"
  ],
  [
    "an analytics label with a space",
    { token: "a", fcmOptions: { analyticsLabel: "has space" } },
    "fcmOptions.analyticsLabel"
  ],
  ["an unknown top-level field", { token: "a", registration_ids: ["b"] }, "registration_ids"],
  ["an unknown Android field", { token: "a", android: { time_to_live: 5 } }, "android.time_to_live"],
  ["a payload over 4096 bytes", { token: "a", data: { big } }, "data"],
  ["a message that is null (JS)", null, "message"]
]

describe("invalid v1 messages are refused with the field", () => {
  for (const [name, message, field] of V1_MESSAGES) {
    it.effect(`${name} → ${field}`, () => {
      count("v1 messages (MessageV1)")
      return expectRefusal(MessageV1.validate(message), { kind: "InvalidMessage", field }, () => 0)
    })
  }
})

// -----------------------------------------------------------------------------------------------------------------
// layer options and configuration
// -----------------------------------------------------------------------------------------------------------------

const sendThrough = (layer: Layer.Layer<FcmClient.FcmClient, unknown>) =>
  FcmClient.send(Message.multicast(["a"])).pipe(Effect.provide(layer))

const legacyOptions = (options: Record<string, unknown>) => (client: HttpClient.HttpClient) =>
  FcmLegacy.layer({ apiKey: Redacted.make("k"), ...options } as unknown as FcmLegacy.Options).pipe(
    Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
  )
const v1Options = (
  options: Record<string, unknown>,
  credentials: Layer.Layer<Credentials.Credentials, unknown, HttpClient.HttpClient> = Credentials
    .layerServiceAccount(key)
) =>
(client: HttpClient.HttpClient) =>
  FcmV1.layer(options as FcmV1.Options).pipe(
    Layer.provide(credentials),
    Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
  )

const OPTIONS: ReadonlyArray<
  readonly [string, (client: HttpClient.HttpClient) => Layer.Layer<FcmClient.FcmClient, unknown>, string]
> = [
  ["legacy: an empty API key", legacyOptions({ apiKey: Redacted.make("") }), "apiKey"],
  ["legacy: a blank API key", legacyOptions({ apiKey: Redacted.make("   ") }), "apiKey"],
  ["legacy: an API key that is not Redacted (JS)", legacyOptions({ apiKey: "plain" }), "apiKey"],
  ["legacy: no API key (JS)", legacyOptions({ apiKey: undefined }), "apiKey"],
  ["legacy: an ftp base URL", legacyOptions({ baseUrl: "ftp://fcm.example" }), "baseUrl"],
  ["legacy: a base URL that is not a URL", legacyOptions({ baseUrl: "fcm.googleapis.com" }), "baseUrl"],
  ["legacy: concurrency 0", legacyOptions({ concurrency: 0 }), "concurrency"],
  ["legacy: concurrency 1.5", legacyOptions({ concurrency: 1.5 }), "concurrency"],
  ["legacy: concurrency NaN", legacyOptions({ concurrency: NaN }), "concurrency"],
  ["legacy: a zero timeout", legacyOptions({ timeout: 0 }), "timeout"],
  ["legacy: a timeout that is not a duration (JS)", legacyOptions({ timeout: "soon" }), "timeout"],
  ["legacy: a negative backoff", legacyOptions({ backoffMillis: -5 }), "backoffMillis"],
  ["v1: a project id with spaces", v1Options({ projectId: "my project" }), "projectId"],
  ["v1: no project id anywhere", v1Options({}, Credentials.layerStatic("t")), "projectId"],
  ["v1: concurrency 0", v1Options({ concurrency: 0 }), "concurrency"],
  ["v1: concurrency as a string (JS)", v1Options({ concurrency: "8" }), "concurrency"],
  ["v1: a negative timeout", v1Options({ timeout: -1 }), "timeout"],
  ["v1: a javascript: base URL", v1Options({ baseUrl: "javascript:alert(1)" }), "baseUrl"],
  ["v1: an empty base URL", v1Options({ baseUrl: "" }), "baseUrl"],
  ["v1: a zero backoff", v1Options({ backoffMillis: 0 }), "backoffMillis"],
  ["v1: an infinite backoff", v1Options({ backoffMillis: Infinity }), "backoffMillis"]
]

const env = (map: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(map))))

const CONFIGS: ReadonlyArray<
  readonly [string, (client: HttpClient.HttpClient) => Layer.Layer<FcmClient.FcmClient, unknown>, string]
> = [
  [
    "legacy: FCM_API_KEY unset",
    (c) => FcmLegacy.layerConfig().pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, c)), Layer.provide(env({}))),
    "FCM_API_KEY"
  ],
  ["legacy: FCM_TIMEOUT not a duration", (c) =>
    FcmLegacy.layerConfig().pipe(
      Layer.provide(Layer.succeed(HttpClient.HttpClient, c)),
      Layer.provide(env({ FCM_API_KEY: "k", FCM_TIMEOUT: "forever" }))
    ), "FCM_TIMEOUT"],
  ["legacy: FCM_CONCURRENCY not a number", (c) =>
    FcmLegacy.layerConfig().pipe(
      Layer.provide(Layer.succeed(HttpClient.HttpClient, c)),
      Layer.provide(env({ FCM_API_KEY: "k", FCM_CONCURRENCY: "lots" }))
    ), "FCM_CONCURRENCY"],
  ["legacy: FCM_BASE_URL not http(s)", (c) =>
    FcmLegacy.layerConfig().pipe(
      Layer.provide(Layer.succeed(HttpClient.HttpClient, c)),
      Layer.provide(env({ FCM_API_KEY: "k", FCM_BASE_URL: "file:///etc/passwd" }))
    ), "baseUrl"],
  [
    "v1: FCM_CONCURRENCY not a number",
    (c) =>
      Layer.effect(FcmClient.FcmClient, Effect.flatMap(FcmV1.config, FcmV1.make)).pipe(
        Layer.provide(Credentials.layerServiceAccount(key)),
        Layer.provide(Layer.succeed(HttpClient.HttpClient, c)),
        Layer.provide(env({ FCM_CONCURRENCY: "lots" }))
      ),
    "FCM_CONCURRENCY"
  ],
  [
    "v1: FCM_PROJECT_ID invalid",
    (c) =>
      Layer.effect(FcmClient.FcmClient, Effect.flatMap(FcmV1.config, FcmV1.make)).pipe(
        Layer.provide(Credentials.layerServiceAccount(key)),
        Layer.provide(Layer.succeed(HttpClient.HttpClient, c)),
        Layer.provide(env({ FCM_PROJECT_ID: "bad project" }))
      ),
    "projectId"
  ]
]

describe("unusable layer options and configurations are refused with the option's name", () => {
  for (const [name, build, field] of OPTIONS) {
    it.effect(`${name} → ${field}`, () => {
      count("layer options (FcmLegacy, FcmV1)")
      const s = server()
      return expectRefusal(sendThrough(build(s.client)), { kind: "ConfigError", field }, () => s.received.length)
    })
  }
  for (const [name, build, field] of CONFIGS) {
    it.effect(`${name} → ${field}`, () => {
      count("environment configuration")
      const s = server()
      return expectRefusal(sendThrough(build(s.client)), { kind: "ConfigError", field }, () => s.received.length)
    })
  }

  // The transport's options: refused when the layer is built, before any connection, with a ConfigError naming the
  // option.
  const TRANSPORT: ReadonlyArray<readonly [string, Http2Client.Options, string]> = [
    ["maxSessionsPerOrigin 0", { maxSessionsPerOrigin: 0 }, "maxSessionsPerOrigin"],
    ["maxConcurrentStreamsPerSession -1", { maxConcurrentStreamsPerSession: -1 }, "maxConcurrentStreamsPerSession"],
    ["maxSocketsPerOrigin 2.5", { maxSocketsPerOrigin: 2.5 }, "maxSocketsPerOrigin"]
  ]
  for (const [name, options, field] of TRANSPORT) {
    it.effect(`Http2Client: ${name} → ${field}`, () => {
      count("transport options (Http2Client)")
      return expectRefusal(
        sendThrough(
          FcmLegacy.layer({ apiKey: Redacted.make("k"), baseUrl: "https://127.0.0.1:9" }).pipe(
            Layer.provide(Http2Client.layer(options))
          )
        ),
        { kind: "ConfigError", field },
        () => 0
      )
    })
  }
})

// -----------------------------------------------------------------------------------------------------------------
// service-account keys
// -----------------------------------------------------------------------------------------------------------------

const pemOf = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`
const KEYS: ReadonlyArray<readonly [string, unknown, string]> = [
  ["text that is not JSON", "{ not json", "not valid JSON"],
  ["a JSON array", "[]", "expected a JSON object"],
  ["null (JS)", null, "expected a JSON object"],
  ["a number (JS)", 42, "expected a JSON object"],
  ["an authorized_user credential", { ...key, type: "authorized_user" }, "type"],
  ["no type", { ...key, type: undefined }, "type"],
  ["no private_key", { ...key, private_key: undefined }, "private_key"],
  ["an empty private_key", { ...key, private_key: "" }, "private_key"],
  ["a private_key that is not PEM", { ...key, private_key: "MIIEvQIBADANBg" }, "private_key"],
  [
    "a PKCS#1 RSA PRIVATE KEY block",
    { ...key, private_key: pemOf("RSA PRIVATE KEY", "MIIBOgIBAAJBAK") },
    "private_key"
  ],
  ["a private_key with bad base64", { ...key, private_key: pemOf("PRIVATE KEY", "@@@@not base64@@@@") }, "private_key"],
  ["a private_key of garbage DER", { ...key, private_key: pemOf("PRIVATE KEY", "AAAAAAAAAAAAAAAA") }, "private_key"],
  ["a certificate instead of a key", { ...key, private_key: pemOf("CERTIFICATE", "MIIB") }, "private_key"],
  ["no client_email", { ...key, client_email: undefined }, "client_email"],
  ["an empty client_email", { ...key, client_email: "" }, "client_email"],
  ["no private_key_id", { ...key, private_key_id: undefined }, "private_key_id"],
  ["a project_id that is a number", { ...key, project_id: 42 }, "project_id"],
  ["a token_uri over ftp", { ...key, token_uri: "ftp://oauth2.example/token" }, "token_uri"],
  ["a token_uri that is not a URL", { ...key, token_uri: "oauth2/token" }, "token_uri"]
]

describe("malformed service-account keys are refused, naming the field, before any token request", () => {
  for (const [name, input, field] of KEYS) {
    it.effect(`${name} → ${field}`, () => {
      count("service-account keys")
      const s = server()
      const json = typeof input === "string" ? input : JSON.stringify(input)
      return Effect.gen(function*() {
        // as an object (or whatever the caller passed), as JSON text, and as Redacted JSON text
        for (const variant of [input, json, Redacted.make(json)]) {
          if (variant === undefined) continue
          yield* expectRefusal(
            sendThrough(v1Options({}, Credentials.layerServiceAccount(variant as object))(s.client)),
            { kind: "AuthenticationError", field },
            () => s.received.length
          )
        }
      })
    })
  }

  it.effect("a key file that does not exist, and GOOGLE_APPLICATION_CREDENTIALS unset: configuration errors", () =>
    Effect.gen(function*() {
      count("service-account keys")
      const s = server()
      yield* expectRefusal(
        sendThrough(
          v1Options({}, Credentials.layerFile("/nonexistent/key.json").pipe(Layer.provide(NodeFileSystem.layer)))(
            s.client
          )
        ),
        { kind: "ConfigError", field: "/nonexistent/key.json" },
        () => s.received.length
      )
      count("service-account keys")
      yield* expectRefusal(
        sendThrough(
          v1Options(
            {},
            Credentials.layerConfig().pipe(Layer.provide(env({})), Layer.provide(NodeFileSystem.layer))
          )(s.client)
        ),
        { kind: "ConfigError", field: "GOOGLE_APPLICATION_CREDENTIALS" },
        () => s.received.length
      )
    }))
})

describe("corpus size", () => {
  it("holds at least 60 cases", () => {
    const total = MESSAGES.length + V1_MESSAGES.length + OPTIONS.length + CONFIGS.length + KEYS.length + 3 + 4 + 2
    assert.isAtLeast(total, 60)
  })
})

// -----------------------------------------------------------------------------------------------------------------
// parser fuzzing
// -----------------------------------------------------------------------------------------------------------------

const bytes = fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString("latin1"))
const utf8 = fc.uint8Array({ maxLength: 600 }).map((b) => new TextDecoder().decode(b))
const shaped = fc.oneof(
  fc.record({ name: fc.anything() }, { requiredKeys: [] }),
  fc.record({
    error: fc.record({
      code: fc.oneof(fc.integer(), fc.string()),
      status: fc.oneof(fc.constantFrom("UNAVAILABLE", "INVALID_ARGUMENT", "UNREGISTERED", "NOT_FOUND"), fc.anything()),
      message: fc.anything(),
      details: fc.oneof(
        fc.array(
          fc.record({
            "@type": fc.constantFrom(
              "type.googleapis.com/google.firebase.fcm.v1.FcmError",
              "type.googleapis.com/google.rpc.ErrorInfo",
              "type.googleapis.com/google.rpc.BadRequest",
              "x"
            ),
            errorCode: fc.anything(),
            reason: fc.anything(),
            fieldViolations: fc.oneof(
              fc.anything(),
              fc.array(fc.record({ field: fc.anything(), description: fc.anything() }))
            )
          }, { requiredKeys: [] })
        ),
        fc.anything()
      )
    }, { requiredKeys: [] })
  }, { requiredKeys: [] }),
  fc.record({
    multicast_id: fc.anything(),
    results: fc.oneof(
      fc.array(fc.record({ message_id: fc.anything(), registration_id: fc.anything(), error: fc.anything() }, {
        requiredKeys: []
      })),
      fc.anything()
    )
  }, { requiredKeys: [] }),
  fc.record({ access_token: fc.anything(), expires_in: fc.anything(), token_type: fc.anything() }, {
    requiredKeys: []
  }),
  fc.record({ error: fc.anything(), error_description: fc.anything() }, { requiredKeys: [] })
).map((j) => JSON.stringify(j) ?? "null")
const body = fc.oneof(bytes, utf8, fc.json(), shaped, fc.constantFrom("", "{", "null", "[]", "{\"name\":\"\"}"))
const status = fc.oneof(fc.integer({ min: 100, max: 599 }), fc.constantFrom(200, 400, 401, 403, 404, 429, 500, 503))
const retryAfter = fc.option(fc.oneof(fc.string(), fc.constantFrom("5", "Wed, 21 Oct 2015 07:28:00 GMT")), {
  nil: undefined
})

const FATAL_TAGS = new Set(["AuthenticationError", "InvalidMessage", "TransportError"])

describe("the response parsers never throw", () => {
  it.prop(
    "legacy classify: per-target outcomes or a typed error, for any status, body and Retry-After",
    [status, body, retryAfter, fc.integer({ min: 1, max: 5 })],
    ([status, body, retryAfter, n]) => {
      const targets = Array.from({ length: n }, (_, i) => `t${i}`)
      const result = Legacy.classify({ status, body, retryAfter, nowMillis: Date.now() }, targets)
      if (Either.isRight(result)) {
        assert.strictEqual(result.right.length, n)
        for (const o of result.right) {
          assert.include(["Delivered", "Canonical", "NotRegistered", "Failed", "Retryable"], o._tag)
        }
      } else {
        assert.isTrue(FATAL_TAGS.has(result.left._tag))
        const quoted = (result.left as { body?: string }).body
        if (quoted !== undefined) assert.isAtMost(quoted.length, FcmError.BODY_EXCERPT_LENGTH + 1)
        assert.notInclude(result.left.message, "\n")
      }
    },
    { fastCheck: { numRuns: 1500 } }
  )

  it.prop(
    "v1 classify and parseStatus: an outcome, a 401 to cure, or a typed error",
    [status, body, retryAfter],
    ([status, body, retryAfter]) => {
      const rpc = V1.parseStatus(body)
      if (rpc !== undefined) assert.isArray(rpc.fields)
      const classified = V1.classify({ status, body, retryAfter, nowMillis: Date.now() })
      switch (classified._tag) {
        case "Outcome":
          assert.include(["Delivered", "NotRegistered", "Failed", "Retryable"], classified.outcome._tag)
          if (classified.outcome._tag === "Delivered") assert.strictEqual(status, 200)
          break
        case "Unauthenticated":
          assert.strictEqual(status, 401)
          break
        case "Fatal":
          assert.isTrue(FATAL_TAGS.has(classified.error._tag))
          assert.notStrictEqual(status, 200, "a 200 never fails the whole send")
      }
    },
    { fastCheck: { numRuns: 1500 } }
  )

  const endpoint: CredentialsHttp.Endpoint = { label: "token endpoint https://oauth2.example/token", kind: "oauth2" }
  const request = HttpClientRequest.post("https://oauth2.example/token")
  it.prop(
    "token responses: a token or a typed error, never a defect, never quoting the assertion",
    [
      status.filter((s) => s !== 204 && s !== 205 && s !== 304),
      body,
      fc.constantFrom("oauth2" as const, "metadata" as const)
    ],
    ([status, body, kind]) => {
      const assertion = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"
      const response = HttpClientResponse.fromWeb(
        request,
        new Response(body.length === 0 || status < 200 ? null : `${body}${status % 7 === 0 ? assertion : ""}`, {
          status: status < 200 ? 200 : status
        })
      )
      const exit = Effect.runSyncExit(
        CredentialsHttp.interpretTokenResponse({ ...endpoint, kind }, response, body, [assertion])
      )
      if (Exit.isFailure(exit)) {
        const failure = Cause.failureOption(exit.cause)
        assert.isTrue(failure._tag === "Some", Cause.pretty(exit.cause))
        if (failure._tag === "Some") {
          assert.include(["AuthenticationError", "TransportError"], failure.value._tag)
          assert.notInclude(failure.value.message, assertion)
        }
      } else {
        assert.isAbove(exit.value.accessToken.length, 0)
        assert.isAtLeast(exit.value.expiresInSeconds, 0)
      }
    },
    { fastCheck: { numRuns: 1000 } }
  )

  it.prop(
    "service-account key decoding: a key or an AuthenticationError, for any JSON and any text",
    [fc.oneof(fc.anything(), fc.json(), bytes)],
    ([input]) => {
      const exit = Effect.runSyncExit(Credentials.decodeServiceAccountKey(input as object))
      if (Exit.isFailure(exit)) {
        const failure = Cause.failureOption(exit.cause)
        assert.isTrue(failure._tag === "Some" && failure.value._tag === "AuthenticationError", Cause.pretty(exit.cause))
      }
    },
    { fastCheck: { numRuns: 1000 } }
  )

  it.prop(
    "Message.validate and MessageV1.validate: a message or an InvalidMessage for anything at all",
    [fc.anything({
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true
    })],
    ([input]) => {
      const validators: ReadonlyArray<(input: unknown) => Either.Either<unknown, FcmError.InvalidMessage>> = [
        Message.validateEither,
        MessageV1.validateEither
      ]
      for (const validate of validators) {
        const result = validate(input)
        if (Either.isLeft(result)) {
          assert.strictEqual(result.left._tag, "InvalidMessage")
          assert.isString(result.left.field)
        }
      }
    },
    { fastCheck: { numRuns: 1000 } }
  )
})
