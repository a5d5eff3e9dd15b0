/**
 * The emulator, whichever way it is served: what it received, its counters,
 * its credentials, and scenarios that can be changed while it runs. Both
 * front ends provide it: `FcmFake` (the emulator as an in-memory
 * `HttpClient`) and `FcmServer` (the emulator as a loopback server, whose own
 * service adds its URL, port and certificate).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Model from "./Model.js"
import type * as Scenario from "./Scenario.js"
import * as ServiceAccount from "./ServiceAccount.js"

/**
 * @example
 * ```ts
 * import { Emulator, FcmFake, Scenario } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const emulator: Emulator.Service = yield* Emulator.Emulator
 *   yield* emulator.setPrefix("stale-", Scenario.notRegistered)
 *   yield* emulator.enqueue("v1", Scenario.unavailable({ retryAfter: 5 }), 2) // the next two v1 requests
 *   assert.strictEqual((yield* emulator.counters).requests, 0)
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(FcmFake.layer())))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The underlying model, for synchronous use. */
  readonly model: Model.Model
  readonly projectId: string
  /** A legacy server key the emulator accepts. */
  readonly apiKey: string
  /** A service account the token endpoint trusts (with its private key). */
  readonly serviceAccount: ServiceAccount.ServiceAccountKey
  /** Every recorded request, oldest first. */
  readonly records: Effect.Effect<ReadonlyArray<Model.Record>>
  /** The recorded requests of the send routes (legacy and v1), oldest first. */
  readonly messages: Effect.Effect<ReadonlyArray<Model.Record>>
  readonly counters: Effect.Effect<Model.Counters>
  /** Clears records, counters and attempt counts; restores the configured scenarios. */
  readonly reset: Effect.Effect<void>
  readonly setRecording: (enabled: boolean) => Effect.Effect<void>
  readonly setDefault: (scenario: Scenario.Scenario | undefined) => Effect.Effect<void>
  readonly setToken: (token: string, scenario: Scenario.Scenario | undefined) => Effect.Effect<void>
  readonly setPrefix: (prefix: string, scenario: Scenario.Scenario | undefined) => Effect.Effect<void>
  /** Answers the next `count` (default 1) requests on a route with a scenario. */
  readonly enqueue: (route: Model.Route | "any", scenario: Scenario.Scenario, count?: number) => Effect.Effect<void>
  readonly clearScenarios: Effect.Effect<void>
  /**
   * Issues an access token without the JWT exchange. Its expiry is counted
   * from the Effect `Clock` for the fake client (so `TestClock` expires it),
   * and from the wall clock for the loopback server.
   */
  readonly issueAccessToken: Effect.Effect<string>
  /** Makes every access token issued so far expired. */
  readonly expireAccessTokens: Effect.Effect<void>
  /** Trusts one more service account. */
  readonly trust: (account: ServiceAccount.ServiceAccountKey | ServiceAccount.Trusted) => Effect.Effect<void>
}

/**
 * @example
 * ```ts
 * import { Emulator, FcmFake } from "@effect-fcm/emulator"
 * import { FcmClient, FcmLegacy, Message } from "@effect-fcm/fcm"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const Test = FcmLegacy.layer({ apiKey: Redacted.make("emulator-server-key") }).pipe(
 *   Layer.provideMerge(FcmFake.layer())
 * )
 *
 * const program = Effect.gen(function*() {
 *   yield* FcmClient.send(Message.multicast(["phone-1", "phone-2"], { data: { ping: "1" } }))
 *   const [request] = yield* (yield* Emulator.Emulator).messages // what FCM received
 *   assert.deepStrictEqual(request?.outcomes, ["delivered", "delivered"])
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Test)))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class Emulator extends Context.Tag("@effect-fcm/emulator/Emulator")<Emulator, Service>() {}

/**
 * Wraps a model in the service.
 *
 * @example
 * ```ts
 * import { Emulator, Model, ServiceAccount } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const key = yield* ServiceAccount.sharedDefault({ projectId: "my-project" })
 *   const emulator = Emulator.fromModel(Model.make({ projectId: "my-project", serviceAccounts: [key] }), key)
 *   assert.strictEqual(emulator.apiKey, "emulator-server-key")
 * })
 *
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromModel = (model: Model.Model, serviceAccount: ServiceAccount.ServiceAccountKey): Service => ({
  model,
  projectId: model.projectId,
  apiKey: model.apiKeys[0] ?? "",
  serviceAccount,
  records: Effect.sync(() => model.records()),
  messages: Effect.sync(() => model.records().filter((r) => r.route === "legacy" || r.route === "v1")),
  counters: Effect.sync(() => model.counters()),
  reset: Effect.sync(() => model.reset()),
  setRecording: (enabled) => Effect.sync(() => model.setRecording(enabled)),
  setDefault: (scenario) => Effect.sync(() => model.setDefault(scenario)),
  setToken: (token, scenario) => Effect.sync(() => model.setToken(token, scenario)),
  setPrefix: (prefix, scenario) => Effect.sync(() => model.setPrefix(prefix, scenario)),
  enqueue: (route, scenario, count) => Effect.sync(() => model.enqueue(route, scenario, count)),
  clearScenarios: Effect.sync(() => model.clearScenarios()),
  issueAccessToken: Effect.flatMap(
    Clock.currentTimeMillis,
    (now) => Effect.sync(() => model.issueAccessToken(now, { projectId: serviceAccount.project_id }).access_token)
  ),
  expireAccessTokens: Effect.sync(() => model.expireAccessTokens()),
  trust: (account) => Effect.sync(() => model.trust(account))
})

/**
 * Builds the model of a config (or uses the one given) and its service. When
 * the config has no service-account key with a private key, a throwaway one
 * (its key pair generated once per process) is trusted and exposed as
 * `serviceAccount`, with `tokenUri` as its `token_uri`.
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const emulator = yield* Emulator.make({ projectId: "my-project" })
 *   assert.strictEqual(emulator.serviceAccount.project_id, "my-project") // a throwaway key it trusts
 * })
 *
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: Model.Config = {},
  options: { readonly model?: Model.Model; readonly tokenUri?: string } = {}
): Effect.Effect<Service> =>
  Effect.gen(function*() {
    const configured = (config.serviceAccounts ?? []).find(ServiceAccount.isServiceAccountKey)
    const serviceAccount = configured ??
      (yield* ServiceAccount.sharedDefault({
        projectId: config.projectId ?? ServiceAccount.defaultProjectId,
        ...(options.tokenUri !== undefined ? { tokenUri: options.tokenUri } : {})
      }))
    const model = options.model ?? Model.make(config)
    if (configured === undefined) model.trust(serviceAccount)
    return fromModel(model, serviceAccount)
  })
