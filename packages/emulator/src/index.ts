/**
 * A Firebase Cloud Messaging emulator for tests: one `Model` answers both protocols, the OAuth2 token endpoint and
 * the metadata server, as `Scenario`s say; `FcmFake` serves it as an in-memory `HttpClient`, `FcmServer` as a
 * loopback server, and `Emulator` inspects and steers both.
 *
 * @example
 * ```ts
 * import { Emulator, FcmFake, Scenario } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const Fake = FcmFake.layer({ scenarios: { prefixes: { "stale-": Scenario.notRegistered } } })
 * const received = Effect.flatMap(Emulator.Emulator, (emulator) => emulator.messages).pipe(Effect.provide(Fake))
 * ```
 *
 * @since 0.1.0
 */

/**
 * Scenarios: how the emulator answers a token, a prefix, everything, or the
 * next requests on a route.
 *
 * @example
 * ```ts
 * import { Scenario } from "@effect-fcm/emulator"
 *
 * // attempt 1: reset; attempt 2: 503 asking for a one-second wait; then delivered
 * const flaky = Scenario.sequence(Scenario.reset, Scenario.unavailable({ retryAfter: 1 }), Scenario.delivered)
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Scenario from "./Scenario.js"

/**
 * The control routes' JSON body (`POST /__emulator/scenarios`) as a Schema.
 *
 * @example
 * ```ts
 * import { Control } from "@effect-fcm/emulator"
 * import { Either } from "effect"
 *
 * assert.ok(Either.isRight(Control.decodeBody({ prefixes: { "stale-": "notRegistered" } })))
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Control from "./Control.js"

/**
 * The pure behaviour model of FCM (legacy, HTTP v1, OAuth2, metadata server).
 *
 * @example
 * ```ts
 * import { Model } from "@effect-fcm/emulator"
 *
 * const model = Model.make({ projectId: "my-project" })
 * assert.strictEqual(model.projectId, "my-project")
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Model from "./Model.js"

/**
 * The emulator whichever way it is served: what it received, its counters, its scenarios (changed while it runs),
 * its credentials. `FcmFake.layer` and `FcmServer.layer` both provide it.
 *
 * @example
 * ```ts
 * import { Emulator } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const received = Effect.flatMap(Emulator.Emulator, (emulator) => emulator.messages)
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Emulator from "./Emulator.js"

/**
 * The emulator served as an in-memory fake `HttpClient`.
 *
 * @example
 * ```ts
 * import { FcmFake } from "@effect-fcm/emulator"
 *
 * const Fake = FcmFake.layer() // provides HttpClient.HttpClient and Emulator.Emulator
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as FcmFake from "./FcmFake.js"

/**
 * The emulator served as a loopback HTTP/2 + HTTP/1.1 server.
 *
 * @example
 * ```ts
 * import { FcmServer } from "@effect-fcm/emulator"
 *
 * const Server = FcmServer.layer({ tls: true }) // a loopback server on a free port
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as FcmServer from "./FcmServer.js"

/**
 * Throwaway service accounts and their JWT assertions.
 *
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 *
 * const key = ServiceAccount.generate({ projectId: "my-project" })
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as ServiceAccount from "./ServiceAccount.js"
