import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { Http2Client } from "../src/index.js"

/** Options as untyped JavaScript may pass them. */
const untyped = (options: Record<string, unknown>): Http2Client.Options => options as Http2Client.Options

/** Runs an effect that must fail (not die) with `ConfigError.InvalidData`, and returns that error. */
const invalidData = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(effect)
    assert.isTrue(Exit.isFailure(exit), "the effect succeeded")
    if (Exit.isSuccess(exit)) throw new Error("unreachable")
    const failure = Cause.failureOption(exit.cause)
    assert.isTrue(Option.isSome(failure), `not a typed failure: ${Cause.pretty(exit.cause)}`)
    const error = Option.getOrThrow(failure)
    assert.isTrue(ConfigError.isConfigError(error), `not a ConfigError: ${String(error)}`)
    const config = error as ConfigError.ConfigError
    assert.strictEqual(config._op, "InvalidData")
    return config as ConfigError.InvalidData
  })

const cases: ReadonlyArray<readonly [name: string, value: string, Http2Client.Options]> = [
  ["maxSessionsPerOrigin", "0", { maxSessionsPerOrigin: 0 }],
  ["maxSessionsPerOrigin", "1.5", { maxSessionsPerOrigin: 1.5 }],
  ["maxConcurrentStreamsPerSession", "-1", { maxConcurrentStreamsPerSession: -1 }],
  ["maxConcurrentStreamsPerSession", "NaN", { maxConcurrentStreamsPerSession: NaN }],
  ["maxSocketsPerOrigin", `"32"`, untyped({ maxSocketsPerOrigin: "32" })],
  ["requestTimeout", `"5 secs"`, untyped({ requestTimeout: "5 secs" })],
  ["requestTimeout", "0", { requestTimeout: 0 }],
  ["connectTimeout", "Duration.zero", { connectTimeout: Duration.zero }],
  ["connectTimeout", "-100", { connectTimeout: -100 }],
  ["pingInterval", "Duration.days(30)", { pingInterval: Duration.days(30) }],
  ["pingTimeout", "{}", untyped({ pingTimeout: {} })],
  ["h2c", `"false"`, untyped({ h2c: "false" })],
  ["rejectUnauthorized", `"no"`, untyped({ rejectUnauthorized: "no" })],
  ["proxy", `"socks5://proxy.test:1080"`, { proxy: "socks5://proxy.test:1080" }],
  ["proxy", `"http://[not a host"`, { proxy: "http://[not a host" }],
  ["proxy", "3128", untyped({ proxy: 3128 })],
  ["ca", "42", untyped({ ca: 42 })],
  ["ca", `["-----BEGIN CERTIFICATE-----", 42]`, untyped({ ca: ["-----BEGIN CERTIFICATE-----", 42] })]
]

describe("Http2Client options", () => {
  for (const [name, value, options] of cases) {
    it.effect(`an invalid ${name} (${value}) fails makePool, make and layer with a ConfigError naming it`, () =>
      Effect.gen(function*() {
        for (
          const effect of [
            Effect.scoped(Effect.asVoid(Http2Client.makePool(options))),
            Effect.scoped(Effect.asVoid(Http2Client.make(options))),
            Effect.scoped(Effect.asVoid(Layer.build(Http2Client.layer(options))))
          ]
        ) {
          const error = yield* invalidData(effect)
          assert.deepStrictEqual(error.path, [name])
          assert.match(error.message, new RegExp(`^${name} must be `))
        }
      }))
  }

  it.effect("the message of an invalid proxy leaves out the URL, which may hold credentials", () =>
    Effect.gen(function*() {
      const error = yield* invalidData(Effect.scoped(Http2Client.make({ proxy: "socks5://user:s3cret@proxy:1080" })))
      assert.deepStrictEqual(error.path, ["proxy"])
      assert.notInclude(error.message, "s3cret")
      assert.include(error.message, "socks5:")
    }))

  it.effect("layerConfig fails the same way when the value read is invalid", () =>
    Effect.gen(function*() {
      const layer = Http2Client.layerConfig({ maxSessionsPerOrigin: Config.integer("SESSIONS") }).pipe(
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson({ SESSIONS: 0 })))
      )
      const error = yield* invalidData(Effect.scoped(Layer.build(layer)))
      assert.deepStrictEqual(error.path, ["maxSessionsPerOrigin"])
    }))

  it.effect("valid options build: the boundaries, Duration.infinity, the defaults", () =>
    Effect.gen(function*() {
      const client = yield* Effect.scoped(
        Layer.build(
          Http2Client.layer({
            maxSessionsPerOrigin: 1,
            maxConcurrentStreamsPerSession: 1,
            maxSocketsPerOrigin: 1,
            requestTimeout: Duration.infinity,
            connectTimeout: "1 millis",
            pingInterval: Duration.infinity,
            pingTimeout: 2_147_483_647,
            h2c: false,
            rejectUnauthorized: true,
            proxy: "http://proxy.test:3128",
            ca: ["-----BEGIN CERTIFICATE-----\n"]
          })
        ).pipe(Effect.map((context) => Option.isSome(Context.getOption(context, HttpClient.HttpClient))))
      )
      assert.isTrue(client)
      assert.isTrue(yield* Effect.scoped(Effect.as(Http2Client.makePool(), true)))
    }))
})
