/**
 * FCM HTTP v1 (`POST /v1/projects/{project}/messages:send`, OAuth2 bearer tokens, one request per target): the
 * protocol Google serves. A multicast fans out into one request per token with bounded concurrency and comes back as
 * the same {@link Result} the legacy protocol gives.
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Config, ConfigError, Duration, Effect, Layer, Option, Redacted } from "effect"
import * as Backoff from "./Backoff.js"
import * as Credentials from "./Credentials.js"
import * as FcmClient from "./FcmClient.js"
import type { AuthenticationError, InvalidMessage, TransportError } from "./FcmError.js"
import { checkBaseUrl, checkPositiveInt, checkTimeout, exchange } from "./internal/http.js"
import * as V1 from "./internal/v1.js"
import * as Message from "./Message.js"
import * as MessageV1 from "./MessageV1.js"
import { Outcome } from "./Result.js"

/**
 * Google's FCM origin.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_URL = "https://fcm.googleapis.com"

/**
 * The default number of requests in flight during a fan-out.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CONCURRENCY = 256

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The Firebase project to send as; defaults to the credentials' project. */
  readonly projectId?: string | undefined
  /** The origin to send to (default `https://fcm.googleapis.com`); point it at an emulator in tests. */
  readonly baseUrl?: string | undefined
  /** Requests in flight at once during a fan-out (default 256). */
  readonly concurrency?: number | undefined
  /**
   * The longest one request may take before its target counts as retryable (default 30 seconds). `false` leaves
   * timeouts to the `HttpClient` (as `@effect-fcm/node`'s enforces them), which saves a timer fiber per request.
   */
  readonly timeout?: Duration.DurationInput | false | undefined
  /** The backoff base `B` of results, in milliseconds (default 1000). */
  readonly backoffMillis?: number | undefined
}

type Fatal = AuthenticationError | InvalidMessage | TransportError
type RetryableOutcome = Extract<Outcome, { _tag: "Retryable" }>

const targetKey = (message: Message.Message): "token" | "topic" | "condition" =>
  message.tokens !== undefined ? "token" : message.topic !== undefined ? "topic" : "condition"

/**
 * Encodes the request body once per fan-out; each target only fills in its own value.
 *
 * @internal
 */
export const bodyTemplate = (
  key: "token" | "topic" | "condition",
  wire: Record<string, unknown>,
  validateOnly: boolean
): (target: string) => string => {
  const marker = "\u0000target\u0000"
  const json = JSON.stringify({ message: { [key]: marker, ...wire }, ...(validateOnly ? { validate_only: true } : {}) })
  const at = json.indexOf(JSON.stringify(marker))
  const prefix = json.slice(0, at)
  const suffix = json.slice(at + JSON.stringify(marker).length)
  return (target) => prefix + JSON.stringify(target) + suffix
}

/**
 * Builds a v1 `FcmClient` over the `HttpClient` and the `Credentials` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<
  FcmClient.FcmClient,
  ConfigError.ConfigError,
  HttpClient.HttpClient | Credentials.Credentials
> =>
  Effect.gen(function*() {
    const credentials = yield* Credentials.Credentials
    const projectId = options.projectId ?? Option.getOrUndefined(credentials.projectId)
    if (projectId === undefined || !/^[a-z0-9][a-z0-9\-:.]*$/i.test(projectId)) {
      return yield* Effect.fail(
        ConfigError.InvalidData(
          ["projectId"],
          projectId === undefined
            ? "no project id: set projectId (FCM_PROJECT_ID) or use a service-account key that has project_id"
            : `projectId is not a valid Firebase project id: ${projectId}`
        )
      )
    }
    const baseUrl = yield* checkBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL)
    const timeout = options.timeout === false ? undefined : yield* checkTimeout(options.timeout ?? Duration.seconds(30))
    const concurrency = yield* checkPositiveInt("concurrency", options.concurrency ?? DEFAULT_CONCURRENCY)
    const backoffMillis = yield* checkPositiveInt("backoffMillis", options.backoffMillis ?? Backoff.DEFAULT_BASE_MILLIS)
    const http = yield* HttpClient.HttpClient
    const endpoint = HttpClientRequest.post(`${baseUrl}/v1/projects/${encodeURIComponent(projectId)}/messages:send`)

    const accessToken: Effect.Effect<Redacted.Redacted<string>, Fatal | RetryableOutcome> = Effect.catchTag(
      credentials.accessToken,
      "TransportError",
      (error): Effect.Effect<never, Fatal | RetryableOutcome> =>
        Effect.fail(
          error.retryable
            ? Outcome.Retryable({
              reason: `Credentials: ${error.reason}`,
              retryAfterMillis: error.retryAfterMillis
            }) as RetryableOutcome
            : error
        )
    )

    const sendOne = (body: string): Effect.Effect<Outcome, Fatal> =>
      Effect.gen(function*() {
        for (let attempt = 0;; attempt++) {
          const token = yield* accessToken
          const request = HttpClientRequest.bodyText(
            HttpClientRequest.bearerToken(endpoint, Redacted.value(token)),
            body,
            "application/json"
          )
          const answer = yield* exchange(http, request, timeout)
          if (answer._tag === "Left") {
            const failure = answer.left
            if (failure._tag === "Fatal") return yield* Effect.fail(failure.error)
            return Outcome.Retryable({ reason: failure.reason, retryAfterMillis: undefined })
          }
          const classified = V1.classify(answer.right)
          switch (classified._tag) {
            case "Outcome":
              return classified.outcome
            case "Fatal":
              return yield* Effect.fail(classified.error)
            case "Unauthenticated":
              // The token may have expired or been revoked early: refresh it once and resend.
              if (attempt > 0) return yield* Effect.fail(classified.error)
              yield* credentials.invalidate(token)
          }
        }
      }).pipe(Effect.catchIf((e): e is RetryableOutcome => e._tag === "Retryable", Effect.succeed))

    const protocol: FcmClient.Protocol = {
      name: "v1",
      batchSize: 1,
      concurrency,
      backoffMillis,
      prepare: (message) =>
        Effect.clockWith((clock) =>
          Effect.sync(() => {
            const { message: wire, validateOnly } = MessageV1.fromMessage(message, clock.unsafeCurrentTimeMillis())
            const body = bodyTemplate(targetKey(message), wire, validateOnly)
            const toTarget = message.topic !== undefined ? Message.topicName : (t: string) => t
            return (targets: ReadonlyArray<string>) =>
              Effect.map(sendOne(body(toTarget(targets[0]!))), (outcome) => [outcome])
          })
        )
    }
    return FcmClient.make(protocol)
  })

/**
 * A layer of a v1 `FcmClient`; provide `Credentials` and an `HttpClient` to it.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 * import { Credentials, FcmV1 } from "@effect-fcm/fcm"
 *
 * const Fcm = FcmV1.layer().pipe(
 *   Layer.provide(Credentials.layerFile("service-account.json")),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<FcmClient.FcmClient, ConfigError.ConfigError, HttpClient.HttpClient | Credentials.Credentials> =>
  Layer.effect(FcmClient.FcmClient, make(options))

const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.map(Config.option(config), Option.getOrUndefined)

/**
 * The options read from the environment: `FCM_PROJECT_ID`, `FCM_BASE_URL`, `FCM_CONCURRENCY`, `FCM_TIMEOUT`.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Options> = Config.all({
  projectId: optional(Config.string("FCM_PROJECT_ID")),
  baseUrl: optional(Config.string("FCM_BASE_URL")),
  concurrency: optional(Config.integer("FCM_CONCURRENCY")),
  timeout: optional(Config.duration("FCM_TIMEOUT"))
})

/**
 * A v1 `FcmClient` configured from the environment: credentials from `GOOGLE_APPLICATION_CREDENTIALS`, the options
 * from {@link config}. Provide an `HttpClient`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Config.Config<Options> = config
): Layer.Layer<FcmClient.FcmClient, ConfigError.ConfigError | Credentials.CredentialsError, HttpClient.HttpClient> =>
  Layer.effect(FcmClient.FcmClient, Effect.flatMap(options, make)).pipe(
    Layer.provide(Credentials.layerConfig())
  )
