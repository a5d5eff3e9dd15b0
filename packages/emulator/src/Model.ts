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
}

/**
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
 * @since 0.1.0
 * @category models
 */
export type Route = "legacy" | "v1" | "token" | "metadata" | "control" | "unknown"

/**
 * The API protocol of a request.
 *
 * @since 0.1.0
 * @category models
 */
export type Protocol = "legacy" | "v1" | "oauth2" | "metadata" | "none"

/**
 * @since 0.1.0
 * @category models
 */
export type Headers = Readonly<globalThis.Record<string, string | ReadonlyArray<string> | undefined>>

/**
 * A request to the model. Header names are lower case.
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
 * @since 0.1.0
 * @category models
 */
export type Fault =
  | { readonly _tag: "Reset" }
  | { readonly _tag: "Hang" }
  | { readonly _tag: "GoAway"; readonly respond: boolean }

/**
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
 * @since 0.1.0
 * @category models
 */
export type Outcome = string

/**
 * A received request.
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
}

/**
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
}

/**
 * Creates a model.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (config?: Config) => Model = internal.make
