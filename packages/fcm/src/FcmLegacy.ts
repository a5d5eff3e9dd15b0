/**
 * The legacy FCM protocol (`POST /fcm/send`, `Authorization: key=…`, up to 1000 tokens a request): the seed's own
 * wire format. Google shut it down in 2024; it stays for FCM-compatible servers, the emulator, and migrations.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Backoff from "./Backoff.js"
import * as FcmClient from "./FcmClient.js"
import type * as Governor from "./Governor.js"
import * as Client from "./internal/client.js"
import * as DeliveryRules from "./internal/delivery.js"
import * as Engine from "./internal/engine.js"
import * as Governed from "./internal/governed.js"
import { checkBaseUrl, checkDelivery, checkPositiveInt, checkTimeout, exchange } from "./internal/http.js"
import * as Legacy from "./internal/legacy.js"

/**
 * Google's legacy endpoint origin.
 *
 * @example
 * ```ts
 * import { FcmLegacy } from "@effect-fcm/fcm"
 * import { Redacted } from "effect"
 *
 * // an FCM-compatible server instead of Google's (retired) legacy endpoint
 * const apiKey = Redacted.make("server-key")
 * const Fcm = FcmLegacy.layer({ apiKey, baseUrl: "https://push.example.com" })
 * assert.notStrictEqual(FcmLegacy.DEFAULT_BASE_URL, "https://push.example.com")
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_URL = "https://fcm.googleapis.com"

/**
 * @example
 * ```ts
 * import { FcmLegacy } from "@effect-fcm/fcm"
 * import { Redacted } from "effect"
 *
 * const options: FcmLegacy.Options = {
 *   apiKey: Redacted.make("server-key"),
 *   baseUrl: "https://push.example.com",
 *   timeout: "10 seconds"
 * }
 * const Fcm = FcmLegacy.layer(options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The server API key, sent as `Authorization: key=…`. */
  readonly apiKey: Redacted.Redacted<string>
  /** The origin to send to; `/fcm/send` is appended (default `https://fcm.googleapis.com`). */
  readonly baseUrl?: string | undefined
  /**
   * The longest a request may take before its tokens count as retryable (default 30 seconds). `false` leaves
   * timeouts to the `HttpClient`.
   */
  readonly timeout?: Duration.DurationInput | false | undefined
  /**
   * The most requests in flight when a message has more than 1000 tokens (default 32): the cap of the adaptive limit,
   * which starts at 16, or the number in flight when `governor` is `false`.
   */
  readonly concurrency?: number | undefined
  /**
   * The send-rate governor ({@link Governor.Options}): by default (`{}`) the adaptive concurrency limit alone; add
   * `perMinute` to hold the client to the project's quota (a request of 1,000 tokens takes 1,000 messages); `false`
   * for a fixed `concurrency` and no rate budget.
   */
  readonly governor?: Governor.Options | false | undefined
  /** The backoff base `B` of results, in milliseconds (default 1000). */
  readonly backoffMillis?: number | undefined
  /**
   * `atLeastOnce` (default) resends tokens whose request may have reached FCM; `atMostOnce` reports them in
   * `Result.unknown` and never sends them again (see {@link FcmClient.Delivery}).
   */
  readonly delivery?: FcmClient.Delivery | undefined
}

/**
 * Requests in flight before the adaptive limit has learnt anything: 16 requests of up to 1000 tokens. A send of
 * 100,000 tokens is a hundred requests, over before the limit has grown far; at 8, with 50–100 ms to FCM, the
 * requests were answered in waves and the client sat idle between them.
 */
const INITIAL_CONCURRENCY = 16

/**
 * Builds a legacy-protocol `FcmClient` over the `HttpClient` in context.
 *
 * @example
 * ```ts
 * import { FcmFake } from "@effect-fcm/emulator"
 * import { FcmLegacy, Message } from "@effect-fcm/fcm"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const fcm = yield* FcmLegacy.make({ apiKey: Redacted.make("emulator-server-key") })
 *   const result = yield* fcm.send(Message.multicast(["phone-1", "phone-2"], { data: { ping: "1" } }))
 *   assert.strictEqual(result.success.size, 2)
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(FcmFake.layer())))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<FcmClient.FcmClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const apiKey = Redacted.isRedacted(options.apiKey) ? Redacted.value(options.apiKey) : undefined
    if (typeof apiKey !== "string" || apiKey.trim().length === 0) {
      return yield* Effect.fail(
        ConfigError.InvalidData(["apiKey"], "an FCM server API key (a Redacted string) is required")
      )
    }
    const baseUrl = yield* checkBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL)
    const timeout = options.timeout === false ? undefined : yield* checkTimeout(options.timeout ?? Duration.seconds(30))
    const concurrency = yield* checkPositiveInt("concurrency", options.concurrency ?? 32)
    const backoffMillis = yield* checkPositiveInt("backoffMillis", options.backoffMillis ?? Backoff.DEFAULT_BASE_MILLIS)
    const delivery = yield* checkDelivery(options.delivery)
    const governor = yield* Governed.fromOptions(options.governor, {
      cap: concurrency,
      initial: INITIAL_CONCURRENCY,
      protocol: "legacy"
    })
    const http = yield* HttpClient.HttpClient
    // scrubbed from any text of an answer that enters an error or an outcome
    const secrets = [apiKey]
    const template = HttpClientRequest.post(`${baseUrl}/fcm/send`).pipe(
      HttpClientRequest.setHeader("authorization", `key=${apiKey}`)
    )

    // The payload of a send is its body without the targets, encoded once; each request adds its targets.
    const engine = Engine.make<Legacy.Body>({
      name: "legacy",
      batchSize: Legacy.MAX_TOKENS_PER_REQUEST,
      concurrency,
      backoffMillis,
      delivery,
      governor,
      send: (body, targets) =>
        Engine.traced(
          Effect.flatMap(
            exchange(http, HttpClientRequest.bodyText(template, body(targets), "application/json"), timeout),
            (answer) => {
              if (answer._tag === "Left") {
                const failure = answer.left
                if (failure._tag === "Fatal") return Effect.fail(failure.error)
                const outcome = DeliveryRules.unanswered(failure.reason, failure.mayHaveBeenProcessed, delivery)
                return Effect.succeed(targets.map(() => outcome))
              }
              return Legacy.classify(answer.right, targets, secrets)
            }
          ),
          "FcmLegacy.request",
          { "fcm.targets": targets.length }
        )
    })
    return Client.make(engine, (message) => Effect.sync(() => Legacy.bodyOf(message)))
  })

/**
 * A layer of a legacy-protocol `FcmClient`.
 *
 * @example
 * ```ts
 * import { FcmLegacy } from "@effect-fcm/fcm"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer, Redacted } from "effect"
 *
 * const Fcm = FcmLegacy.layer({ apiKey: Redacted.make("server-key"), baseUrl: "https://push.example.com" }).pipe(
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<FcmClient.FcmClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(FcmClient.FcmClient, make(options))

const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.map(Config.option(config), Option.getOrUndefined)

/**
 * A layer of a legacy-protocol `FcmClient` configured from the environment: `FCM_API_KEY` (required, redacted),
 * `FCM_BASE_URL`, `FCM_TIMEOUT` (a duration such as `10 seconds`), `FCM_CONCURRENCY`, `FCM_DELIVERY` (`atLeastOnce`
 * or `atMostOnce`).
 *
 * @example
 * ```ts
 * import { FcmLegacy } from "@effect-fcm/fcm"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 *
 * // FCM_API_KEY=… FCM_BASE_URL=https://push.example.com node server.js
 * const Fcm = FcmLegacy.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config<Options> = Config.all({
    apiKey: Config.redacted("FCM_API_KEY"),
    baseUrl: optional(Config.string("FCM_BASE_URL")),
    timeout: optional(Config.duration("FCM_TIMEOUT")),
    concurrency: optional(Config.integer("FCM_CONCURRENCY")),
    delivery: optional(Config.literal("atLeastOnce", "atMostOnce")("FCM_DELIVERY"))
  })
): Layer.Layer<FcmClient.FcmClient, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(FcmClient.FcmClient, Effect.flatMap(config, make))
