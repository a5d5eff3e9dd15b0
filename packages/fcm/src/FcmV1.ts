/**
 * FCM HTTP v1 (`POST /v1/projects/{project}/messages:send`, OAuth2 bearer tokens, one request per target): the
 * protocol Google serves. A multicast fans out into one request per token with bounded concurrency and comes back as
 * the same {@link Result} the legacy protocol gives.
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import type { Clock } from "effect"
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

    /** A credentials failure: a retryable one makes the target's outcome retryable, any other fails the send. */
    const tokenFailed = (error: Credentials.CredentialsError): Effect.Effect<Outcome, Fatal> =>
      error._tag === "TransportError" && error.retryable
        ? Effect.succeed(
          Outcome.Retryable({ reason: `Credentials: ${error.reason}`, retryAfterMillis: error.retryAfterMillis })
        )
        : Effect.fail(error)

    // The request with its bearer token, rebuilt only when the access token changes (not once per message).
    let authorisedToken: Redacted.Redacted<string> | undefined
    let authorisedValue: string | undefined
    let authorisedRequest = endpoint
    const authorised = (token: Redacted.Redacted<string>): HttpClientRequest.HttpClientRequest => {
      if (token !== authorisedToken) {
        const value = Redacted.value(token)
        if (value !== authorisedValue) {
          authorisedRequest = HttpClientRequest.bearerToken(endpoint, value)
          authorisedValue = value
        }
        authorisedToken = token
      }
      return authorisedRequest
    }

    /**
     * One attempt; a 401 on the first one invalidates the token and sends once more with a fresh one. Written with
     * `flatMap`/`succeed` rather than `Effect.gen` and `Effect.map`: this runs once per target of a fan-out.
     */
    const attempt = (
      body: string,
      clock: Clock.Clock,
      first: boolean
    ): Effect.Effect<ReadonlyArray<Outcome>, Fatal> =>
      Effect.matchEffect(credentials.accessToken, {
        onFailure: (error) => Effect.map(tokenFailed(error), (outcome) => [outcome]),
        onSuccess: (token) =>
          Effect.flatMap(
            exchange(http, HttpClientRequest.bodyText(authorised(token), body, "application/json"), timeout, clock),
            (answer): Effect.Effect<ReadonlyArray<Outcome>, Fatal> => {
              if (answer._tag === "Left") {
                const failure = answer.left
                if (failure._tag === "Fatal") return Effect.fail(failure.error)
                return Effect.succeed([Outcome.Retryable({ reason: failure.reason, retryAfterMillis: undefined })])
              }
              const classified = V1.classify(answer.right)
              switch (classified._tag) {
                case "Outcome":
                  return Effect.succeed([classified.outcome])
                case "Fatal":
                  return Effect.fail(classified.error)
                case "Unauthenticated":
                  // The token may have expired or been revoked early: refresh it once and resend.
                  return first
                    ? Effect.zipRight(credentials.invalidate(token), attempt(body, clock, false))
                    : Effect.fail(classified.error)
              }
            }
          )
      })

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
            return (targets: ReadonlyArray<string>) => attempt(body(toTarget(targets[0]!)), clock, true)
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
