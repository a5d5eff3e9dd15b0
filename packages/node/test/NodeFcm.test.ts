import { Emulator, FcmServer, Scenario } from "@effect-fcm/emulator"
import { FcmClient, Message } from "@effect-fcm/fcm"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Http2Client, NodeFcm } from "../src/index.js"

/** The emulator over TLS, its service-account key written where `GOOGLE_APPLICATION_CREDENTIALS` points. */
const withEmulator = <A, E>(
  config: FcmServer.Config,
  use: (emulator: FcmServer.Service, keyFile: string) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const emulator = yield* FcmServer.make({ tls: true, ...config })
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "node-fcm-"))),
      (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
    )
    const keyFile = path.join(dir, "service-account.json")
    fs.writeFileSync(keyFile, JSON.stringify(emulator.serviceAccount))
    return yield* use(emulator, keyFile)
  }).pipe(Effect.scoped)

const environment = (keyFile: string) =>
  Layer.setConfigProvider(ConfigProvider.fromJson({ GOOGLE_APPLICATION_CREDENTIALS: keyFile }))

describe("NodeFcm", () => {
  it.live("layer: v1 over HTTP/2 with credentials from GOOGLE_APPLICATION_CREDENTIALS, tokens through the same pool", () =>
    withEmulator({}, (emulator, keyFile) =>
      Effect.gen(function*() {
        const result = yield* FcmClient.send(Message.multicast(["a", "b", "c"], { data: { k: "v" } }))
        assert.strictEqual(result.counts.success, 3)
        const stats = yield* Http2Client.stats
        assert.strictEqual(stats.sessionsOpened, 1)
        assert.strictEqual(stats.origins, 1)
        const counters = yield* Effect.sync(() => emulator.model.counters())
        assert.strictEqual(counters.routes.v1, 3)
        assert.strictEqual(counters.routes.token, 1)
        assert.strictEqual(counters.httpVersions["2"], 4)
      }).pipe(
        Effect.provide(
          NodeFcm.layer({ baseUrl: emulator.baseUrl, transport: { ca: emulator.certificatePem!, proxy: "none" } }).pipe(
            Layer.provide(environment(keyFile))
          )
        )
      )))

  it.live("layer: the transport's requestTimeout bounds each request; a timed-out token is retryable", () =>
    withEmulator({ scenarios: { tokens: { slow: Scenario.hang } } }, (emulator, keyFile) =>
      Effect.gen(function*() {
        const result = yield* FcmClient.send(Message.multicast(["fast", "slow"], { data: { k: "v" } }))
        assert.strictEqual(result.counts.success, 1)
        assert.deepStrictEqual([...result.retryable.keys()], ["slow"])
        assert.match(result.retryable.get("slow")!, /timeout/)
      }).pipe(
        Effect.provide(
          NodeFcm.layer({
            baseUrl: emulator.baseUrl,
            requestTimeout: "300 millis",
            transport: { ca: emulator.certificatePem!, proxy: "none" }
          }).pipe(Layer.provide(environment(keyFile)))
        )
      )))

  it.live("layer: fails with a ConfigError when GOOGLE_APPLICATION_CREDENTIALS is not set", () =>
    Effect.gen(function*() {
      const error = yield* FcmClient.send(Message.multicast(["a"], {})).pipe(
        Effect.provide(NodeFcm.layer().pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson({}))))),
        Effect.flip
      )
      assert.strictEqual(error._tag, "ConfigError")
      assert.include(error.message, "GOOGLE_APPLICATION_CREDENTIALS is not set")
    }))

  it.live("layer: reads the key file itself; a missing one is a ConfigError naming the path", () =>
    Effect.gen(function*() {
      const missing = path.join(os.tmpdir(), "node-fcm-no-such-dir", "key.json")
      const error = yield* FcmClient.send(Message.multicast(["a"], {})).pipe(
        Effect.provide(NodeFcm.layer().pipe(Layer.provide(environment(missing)))),
        Effect.flip
      )
      assert.strictEqual(error._tag, "ConfigError")
      assert.include(error.message, `service account key file ${missing} could not be read: no such file`)
    }))

  it.live("layerLegacy: 1000 tokens a request over HTTP/2", () =>
    withEmulator({}, (emulator) =>
      Effect.gen(function*() {
        const tokens = Array.from({ length: 1500 }, (_, i) => `token-${i}`)
        const result = yield* FcmClient.send(Message.multicast(tokens, { data: { k: "v" } }))
        assert.strictEqual(result.counts.success, 1500)
        const counters = yield* Emulator.Emulator.pipe(
          Effect.flatMap((e) => e.counters),
          Effect.provideService(Emulator.Emulator, emulator)
        )
        assert.strictEqual(counters.routes.legacy, 2)
        assert.strictEqual(counters.httpVersions["2"], 2)
      }).pipe(
        Effect.provide(
          NodeFcm.layerLegacy({
            apiKey: Redacted.make(emulator.apiKey),
            baseUrl: emulator.baseUrl,
            transport: { ca: emulator.certificatePem!, proxy: "none" }
          })
        )
      )))
})
