/**
 * The behaviour of FCM as a pure model: a request goes in, a response (and
 * possibly a transport fault to simulate) comes out. The model holds the
 * emulator's state (issued access tokens, scenarios, records, counters) but
 * does no I/O; the in-memory `HttpClient` and the loopback server are thin
 * front ends over it.
 *
 * Routes:
 * - `POST /fcm/send` (and `/gcm/send`): the legacy HTTP API, JSON and plain text.
 * - `POST /v1/projects/{project}/messages:send`: the HTTP v1 API.
 * - `POST /token`: the OAuth2 token endpoint (JWT-bearer grant, RS256 verified).
 * - `GET /computeMetadata/v1/...`: the GCE metadata server's token, project id
 *   and service-account e-mail.
 * - `/__emulator/...`: control routes (counters, records, reset, scenarios).
 * - anything else: Google's 404 HTML page.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/model.js"
import type * as Scenario from "./Scenario.js"
import type * as ServiceAccount from "./ServiceAccount.js"

/**
 * @example
 * ```ts
 * import { Model } from "@effect-fcm/emulator"
 *
 * const config: Model.Config = {
 *   projectId: "my-project",
 *   apiKeys: ["test-server-key"],
 *   accessTokenLifetime: 600, // ten-minute access tokens
 *   recordCapacity: 1_000
 * }
 * const model = Model.make(config)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /** The Firebase project. Default `"emulator-project"`. */
  readonly projectId?: string
  /** Server keys accepted by the legacy API (`Authorization: key=…`). Default `["emulator-server-key"]`. */
  readonly apiKeys?: ReadonlyArray<string>
  /** Service accounts whose JWT assertions the token endpoint accepts. */
  readonly serviceAccounts?: ReadonlyArray<ServiceAccount.ServiceAccountKey | ServiceAccount.Trusted>
  /** Lifetime of issued access tokens, in seconds. Default 3600. */
  readonly accessTokenLifetime?: number
  /** Allowed clock skew for JWT `iat`, in seconds. Default 60. */
  readonly clockSkew?: number
  /** When true (the default), a v1 request must name the project of the service account that got the token. */
  readonly enforceProject?: boolean
  /** Initial scenarios. */
  readonly scenarios?: Scenarios
  /** Record received requests (default true). */
  readonly record?: boolean
  /** How many records are kept (a ring buffer). Default 10,000. */
  readonly recordCapacity?: number
  /** Answer the `/__emulator/…` control routes (default true). */
  readonly controlRoutes?: boolean
  /**
   * The project's message quota: a token bucket of `perMinute` messages a minute holding `burst` (default a minute's
   * worth), on the requests' clock. A v1 or legacy send whose messages it does not hold is answered with the
   * project-quota 429 (v1 `RESOURCE_EXHAUSTED` with the `ErrorInfo` of `SendsPerMinutePerProject`, legacy a 429 for
   * the whole request) and a `Retry-After`, and counts nothing. Default: no quota.
   */
  readonly quota?: { readonly perMinute: number; readonly burst?: number | undefined } | undefined
}

/**
 * @example
 * ```ts
 * import { FcmFake, Model, Scenario } from "@effect-fcm/emulator"
 *
 * const scenarios: Model.Scenarios = {
 *   default: Scenario.delivered,
 *   tokens: { "phone-1": Scenario.canonical("phone-1-new") },
 *   prefixes: { "stale-": Scenario.notRegistered, "stale-but-": Scenario.delivered } // the longest prefix wins
 * }
 * const Fake = FcmFake.layer({ scenarios })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Scenarios {
  readonly default?: Scenario.Scenario
  readonly tokens?: Readonly<globalThis.Record<string, Scenario.Scenario>>
  readonly prefixes?: Readonly<globalThis.Record<string, Scenario.Scenario>>
}

/**
 * The routes of the emulator. Per-request scenarios are queued per route.
 *
 * @example
 * ```ts
 * import { Emulator, Model, Scenario } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * // the next request for an access token fails with a 503
 * const route: Model.Route = "token"
 * const failNextToken = Effect.flatMap(
 *   Emulator.Emulator,
 *   (emulator) => emulator.enqueue(route, Scenario.unavailable())
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Route = "legacy" | "v1" | "topics" | "token" | "metadata" | "control" | "unknown"

/**
 * The API protocol of a request.
 *
 * @example
 * ```ts
 * import type { Model } from "@effect-fcm/emulator"
 *
 * const requestsOver = (records: ReadonlyArray<Model.Record>, protocol: Model.Protocol): number =>
 *   records.filter((record) => record.protocol === protocol).length
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Protocol = "legacy" | "v1" | "iid" | "oauth2" | "metadata" | "none"

/**
 * @example
 * ```ts
 * import { Model } from "@effect-fcm/emulator"
 *
 * const headers: Model.Headers = { authorization: "key=emulator-server-key", "content-type": "application/json" }
 * const response = Model.make().handle({ method: "POST", path: "/fcm/send", headers, body: "{}", now: Date.now() })
 * assert.strictEqual(response.status, 400) // no registration_ids
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Headers = Readonly<globalThis.Record<string, string | ReadonlyArray<string> | undefined>>

/**
 * A request to the model. Header names are lower case.
 *
 * @example
 * ```ts
 * import { Model } from "@effect-fcm/emulator"
 *
 * const model = Model.make()
 * const request: Model.Request = {
 *   method: "GET",
 *   path: "/__emulator/counters",
 *   headers: {},
 *   body: "",
 *   now: Date.now()
 * }
 * assert.strictEqual(model.handle(request).status, 200)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Request {
  readonly method: string
  /** The path, with or without a query string. */
  readonly path: string
  readonly headers: Headers
  readonly body: string | Uint8Array
  /** The current time in milliseconds since the epoch. */
  readonly now: number
  /** `"1.1"`, `"2"`, or `"fake"` for the in-memory client. */
  readonly httpVersion?: string
}

/**
 * A transport-level fault the front end must simulate.
 *
 * @example
 * ```ts
 * import { Model, Scenario } from "@effect-fcm/emulator"
 *
 * const model = Model.make()
 * model.enqueue("legacy", Scenario.reset)
 * const response = model.handle({
 *   method: "POST",
 *   path: "/fcm/send",
 *   headers: { authorization: "key=emulator-server-key", "content-type": "application/json" },
 *   body: JSON.stringify({ registration_ids: ["phone-1", "stale-1"], data: { ping: "1" } }),
 *   now: Date.now()
 * })
 * const fault: Model.Fault | undefined = response.fault // for the front end to simulate
 * assert.deepStrictEqual(fault, { _tag: "Reset" })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Fault =
  | { readonly _tag: "Reset" }
  | { readonly _tag: "Hang" }
  | { readonly _tag: "GoAway"; readonly respond: boolean }

/**
 * @example
 * ```ts
 * import { Model } from "@effect-fcm/emulator"
 *
 * const request = { method: "GET", path: "/nothing", headers: {}, body: "", now: Date.now() }
 * const response: Model.Response = Model.make().handle(request)
 * assert.strictEqual(response.status, 404)
 * assert.strictEqual(response.headers["content-type"], "text/html; charset=UTF-8") // Google's 404 page
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Response {
  readonly status: number
  readonly headers: Readonly<globalThis.Record<string, string>>
  readonly body: string
  /** Milliseconds to wait before answering (or before the fault). */
  readonly latency: number
  readonly fault: Fault | undefined
}

/**
 * The target of a message.
 *
 * @example
 * ```ts
 * import { Model } from "@effect-fcm/emulator"
 *
 * const addressed = (target: Model.Target): string =>
 *   target._tag === "Tokens" ? `${target.tokens.length} tokens` : target._tag === "Token" ? target.token : "a topic"
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Target =
  | { readonly _tag: "Token"; readonly token: string }
  | { readonly _tag: "Tokens"; readonly tokens: ReadonlyArray<string> }
  | { readonly _tag: "Topic"; readonly topic: string }
  | { readonly _tag: "Condition"; readonly condition: string }

/**
 * The targets a recorded send addressed, in order: the tokens of a multicast, or its single token, topic or
 * condition. `record.outcomes[i]` is the outcome of the i-th target.
 *
 * @example
 * ```ts
 * import { Model, Scenario } from "@effect-fcm/emulator"
 *
 * const model = Model.make({ scenarios: { prefixes: { "stale-": Scenario.notRegistered } } })
 * const response = model.handle({
 *   method: "POST",
 *   path: "/fcm/send",
 *   headers: { authorization: "key=emulator-server-key", "content-type": "application/json" },
 *   body: JSON.stringify({ registration_ids: ["phone-1", "stale-1"], data: { ping: "1" } }),
 *   now: Date.now()
 * })
 * const [record] = model.records()
 * assert.deepStrictEqual(Model.targetsOf(record!), ["phone-1", "stale-1"])
 * assert.deepStrictEqual(record!.outcomes, ["delivered", "NotRegistered"])
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const targetsOf = (record: Record): ReadonlyArray<string> => {
  const target = record.target
  if (target === undefined) return []
  switch (target._tag) {
    case "Token":
      return [target.token]
    case "Tokens":
      return target.tokens
    case "Topic":
      return [target.topic]
    case "Condition":
      return [target.condition]
  }
}

/**
 * The outcome for one target: `"delivered"`, `"canonical"`, a legacy error
 * code, `"ProjectQuotaExceeded"`, or the fault (`"reset"`, `"hang"`, …).
 *
 * @example
 * ```ts
 * import type { Model } from "@effect-fcm/emulator"
 *
 * // tokens that were not delivered, with what they got instead
 * const undelivered = (record: Model.Record): ReadonlyArray<[number, Model.Outcome]> =>
 *   record.outcomes.flatMap((outcome, i): Array<[number, Model.Outcome]> =>
 *     outcome === "delivered" ? [] : [[i, outcome]]
 *   )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = string

/**
 * A received request.
 *
 * @example
 * ```ts
 * import { Model } from "@effect-fcm/emulator"
 *
 * const model = Model.make()
 * const response = model.handle({
 *   method: "POST",
 *   path: "/fcm/send",
 *   headers: { authorization: "key=emulator-server-key", "content-type": "application/json" },
 *   body: JSON.stringify({ registration_ids: ["phone-1", "stale-1"], data: { ping: "1" } }),
 *   now: Date.now()
 * })
 * const record: Model.Record = model.records()[0]!
 * assert.deepStrictEqual([record.route, record.status, record.delivered], ["legacy", 200, 2])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Record {
  readonly seq: number
  /** Milliseconds since the epoch. */
  readonly time: number
  readonly route: Route
  readonly protocol: Protocol
  readonly httpVersion: string
  readonly method: string
  readonly path: string
  /** The answered status, 0 when no response was sent (reset, hang, GOAWAY). */
  readonly status: number
  readonly fault: Fault["_tag"] | undefined
  readonly target: Target | undefined
  /** One outcome per addressed token (or topic/condition). */
  readonly outcomes: ReadonlyArray<Outcome>
  /** The parsed JSON body of send requests (the raw text when it does not parse); undefined otherwise. */
  readonly body: unknown
  readonly dryRun: boolean
  /** Messages delivered by this request (0 for dry runs). */
  readonly delivered: number
  /** For a v1 send to a topic that was delivered: the tokens subscribed to the topic then (`iid/v1:batchAdd`). */
  readonly reached?: ReadonlyArray<string> | undefined
}

/**
 * @example
 * ```ts
 * import { Model, Scenario } from "@effect-fcm/emulator"
 *
 * const model = Model.make({ scenarios: { prefixes: { "stale-": Scenario.notRegistered } } })
 * const response = model.handle({
 *   method: "POST",
 *   path: "/fcm/send",
 *   headers: { authorization: "key=emulator-server-key", "content-type": "application/json" },
 *   body: JSON.stringify({ registration_ids: ["phone-1", "stale-1"], data: { ping: "1" } }),
 *   now: Date.now()
 * })
 * const counters: Model.Counters = model.counters()
 * assert.deepStrictEqual([counters.requests, counters.messages, counters.delivered, counters.failed], [1, 2, 1, 1])
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Counters {
  readonly requests: number
  readonly routes: Readonly<Partial<globalThis.Record<Route, number>>>
  readonly protocols: Readonly<Partial<globalThis.Record<Protocol, number>>>
  readonly statuses: Readonly<globalThis.Record<string, number>>
  readonly httpVersions: Readonly<globalThis.Record<string, number>>
  readonly faults: Readonly<globalThis.Record<string, number>>
  /** Targets processed by the send routes. */
  readonly messages: number
  /** Messages delivered (dry runs excluded). */
  readonly delivered: number
  /** Targets answered with an error. */
  readonly failed: number
  /** Requests that were dry runs (`dry_run` / `validate_only`). */
  readonly dryRuns: number
  /** Access tokens issued by the token and metadata routes. */
  readonly accessTokens: number
}

/**
 * The emulator's model: handles requests and holds the state.
 *
 * @example
 * ```ts
 * import { Model, Scenario } from "@effect-fcm/emulator"
 *
 * const model: Model.Model = Model.make()
 * model.setPrefix("stale-", Scenario.notRegistered)
 * const { access_token } = model.issueAccessToken(Date.now()) // a bearer token for the v1 route
 * model.expireAccessTokens() // ... and now it is expired
 * model.reset() // records, counters and attempt counts cleared
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Model {
  readonly projectId: string
  readonly apiKeys: ReadonlyArray<string>
  readonly accessTokenLifetime: number
  /** Answers one request. */
  readonly handle: (request: Request) => Response
  /** The records, oldest first. */
  readonly records: () => ReadonlyArray<Record>
  readonly counters: () => Counters
  /** Clears records, counters and per-token attempt counts, and restores the configured scenarios. */
  readonly reset: () => void
  readonly setRecording: (enabled: boolean) => void
  readonly setDefault: (scenario: Scenario.Scenario | undefined) => void
  readonly setToken: (token: string, scenario: Scenario.Scenario | undefined) => void
  readonly setPrefix: (prefix: string, scenario: Scenario.Scenario | undefined) => void
  /** Answers the next `count` requests on `route` (or on any route) with `scenario`. */
  readonly enqueue: (route: Route | "any", scenario: Scenario.Scenario, count?: number) => void
  /** Removes every scenario (including the configured ones) and queued request. */
  readonly clearScenarios: () => void
  readonly trust: (account: ServiceAccount.ServiceAccountKey | ServiceAccount.Trusted) => void
  /** Issues an access token directly, as the token endpoint would. */
  readonly issueAccessToken: (now: number, options?: { readonly projectId?: string; readonly lifetime?: number }) => {
    readonly access_token: string
    readonly expires_in: number
    readonly token_type: "Bearer"
  }
  /** Makes every issued access token expired. */
  readonly expireAccessTokens: () => void
  /** The tokens subscribed to a topic (named without `/topics/`) through `iid/v1:batchAdd`, in order. */
  readonly subscribers: (topic: string) => ReadonlyArray<string>
}

/**
 * Creates a model.
 *
 * @example
 * ```ts
 * import { Model } from "@effect-fcm/emulator"
 *
 * const model = Model.make({ projectId: "my-project" })
 * const response = model.handle({
 *   method: "POST",
 *   path: "/fcm/send",
 *   headers: { authorization: "key=emulator-server-key", "content-type": "application/json" },
 *   body: JSON.stringify({ registration_ids: ["phone-1", "stale-1"], data: { ping: "1" } }),
 *   now: Date.now()
 * })
 * assert.strictEqual(response.status, 200)
 * assert.strictEqual(JSON.parse(response.body).success, 2)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (config?: Config) => Model = internal.make
