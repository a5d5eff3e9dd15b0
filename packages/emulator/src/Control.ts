/**
 * The emulator's control routes, for a process that drives a running emulator over HTTP (another language, a
 * shell script, a load test):
 *
 * - `POST /__emulator/scenarios` with a JSON {@link Body}: changes the scenarios; `200 {}`, or `400 {"error": …}`
 *   naming the field that is wrong (nothing is changed then). `GET` answers `405` with the body's description and
 *   an example.
 * - `GET /__emulator/counters`: the {@link Model.Counters}.
 * - `GET /__emulator/records?limit=100`: the latest records, oldest first.
 * - `POST /__emulator/reset`: clears records, counters and attempt counts; restores the configured scenarios.
 * - `POST /__emulator/expire-tokens`: every access token issued so far is expired.
 *
 * They are on unless the model's config says `controlRoutes: false`.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as scenarioJson from "./internal/scenarioJson.js"
import type * as Model from "./Model.js"
import * as Scenario from "./Scenario.js"

/**
 * The routes a scenario can be queued on; `"any"` is the next request on any route.
 *
 * @example
 * ```ts
 * import { Control } from "@effect-fcm/emulator"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(Control.QueueRoute)("token"))
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const QueueRoute = Schema.Literal("legacy", "v1", "token", "metadata", "any").annotations({
  message: () => ({ message: "expected one of \"legacy\", \"v1\", \"token\", \"metadata\", \"any\"", override: true })
})

/**
 * One entry of `enqueue`: the next `count` (default 1) requests on `route` (default `"any"`) are answered by
 * `scenario`.
 *
 * @example
 * ```ts
 * import { Control, Scenario } from "@effect-fcm/emulator"
 * import { Schema } from "effect"
 *
 * const entry = Schema.decodeUnknownSync(Control.Enqueue)({ route: "v1", scenario: "unavailable", count: 2 })
 * assert.deepStrictEqual(entry, { route: "v1", scenario: Scenario.unavailable(), count: 2 })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Enqueue = Schema.Struct({
  route: Schema.optionalWith(QueueRoute, { default: () => "any" as const }),
  scenario: Scenario.Scenario,
  count: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { default: () => 1 })
})

/**
 * The JSON body of `POST /__emulator/scenarios`. Every field is optional; they apply in this order:
 *
 * - `clear: true` removes every scenario (the configured ones too) and every queued one;
 * - `default`: the scenario of every target without a more specific one (`null` removes it);
 * - `tokens`: scenarios per exact token (`null` removes one);
 * - `prefixes`: scenarios per token prefix, the longest prefix wins (`null` removes one);
 * - `enqueue`: scenarios for the next requests on a route ({@link Enqueue}).
 *
 * A scenario is written as its name (`"notRegistered"`) or its object (`{"_tag":"Unavailable","times":2}`); see
 * {@link Scenario.Scenario}.
 *
 * @example
 * ```ts
 * import { Control, Scenario } from "@effect-fcm/emulator"
 * import { Either } from "effect"
 *
 * const body = Control.decodeBody({
 *   tokens: { "device-gone": "notRegistered", "device-back": null },
 *   enqueue: [{ route: "v1", scenario: { _tag: "Unavailable", retryAfter: 1 } }]
 * })
 * assert.deepStrictEqual(Either.map(body, (b) => b.tokens?.["device-gone"]), Either.right(Scenario.notRegistered))
 * assert.deepStrictEqual(
 *   Control.decodeBody({ enqueue: [{ route: "v2", scenario: "reset" }] }),
 *   Either.left("enqueue.0.route: expected one of \"legacy\", \"v1\", \"token\", \"metadata\", \"any\"")
 * )
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Body = Schema.Struct({
  clear: Schema.optional(Schema.Boolean),
  default: Schema.optional(Schema.NullOr(Scenario.Scenario)),
  tokens: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.NullOr(Scenario.Scenario) })),
  prefixes: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.NullOr(Scenario.Scenario) })),
  enqueue: Schema.optional(Schema.Array(Enqueue))
})

/**
 * @example
 * ```ts
 * import { Control, Scenario } from "@effect-fcm/emulator"
 *
 * const body: Control.Body = { clear: true, default: Scenario.unavailable({ times: 1 }) }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Body extends Schema.Schema.Type<typeof Body> {}

/**
 * Reads a control body; the error names the field, e.g. `tokens.device-1.times: Expected number, actual "2"`.
 *
 * @example
 * ```ts
 * import { Control } from "@effect-fcm/emulator"
 * import { Either } from "effect"
 *
 * assert.ok(Either.isRight(Control.decodeBody({ default: "hang" })))
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeBody = (input: unknown): Either.Either<Body, string> =>
  Either.mapLeft(decodeEither(input), Scenario.formatError)

const decodeEither = Schema.decodeUnknownEither(Body)

/**
 * Applies a control body to a model, in the order {@link Body} lists.
 *
 * @example
 * ```ts
 * import { Control, Model, Scenario } from "@effect-fcm/emulator"
 *
 * const model = Model.make()
 * Control.apply(model, { prefixes: { "stale-": Scenario.notRegistered } })
 * ```
 *
 * @since 0.1.0
 * @category control
 */
export const apply = (model: Model.Model, body: Body): void => {
  if (body.clear === true) model.clearScenarios()
  if (body.default !== undefined) model.setDefault(body.default ?? undefined)
  for (const [token, scenario] of Object.entries(body.tokens ?? {})) model.setToken(token, scenario ?? undefined)
  for (const [prefix, scenario] of Object.entries(body.prefixes ?? {})) model.setPrefix(prefix, scenario ?? undefined)
  for (const entry of body.enqueue ?? []) model.enqueue(entry.route, entry.scenario, entry.count)
}

/**
 * What `GET /__emulator/scenarios` answers (with status 405): how to use the route.
 *
 * @example
 * ```ts
 * import { Control } from "@effect-fcm/emulator"
 *
 * assert.ok(Control.usage.error.startsWith("POST"))
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const usage = {
  error: "POST a JSON object to change the scenarios; every field is optional",
  fields: {
    clear: "true: remove every scenario and every queued one first",
    default: "a scenario for every target without a more specific one (null removes it)",
    tokens: "{ token: scenario } for exact tokens (null removes one)",
    prefixes: "{ prefix: scenario } for token prefixes; the longest prefix wins (null removes one)",
    enqueue: "[{ route?: legacy | v1 | token | metadata | any, scenario, count?: 1 }] for the next requests"
  },
  scenario: `a name (${
    Scenario.tags.map(scenarioJson.nameOf).join(", ")
  }) or an object with its _tag and fields, e.g. {"_tag":"Unavailable","times":2,"retryAfter":5}`,
  example: {
    tokens: { "device-gone": "notRegistered" },
    prefixes: { "flaky-": { _tag: "Unavailable", times: 1, retryAfter: 1 } },
    enqueue: [{ route: "v1", scenario: "reset", count: 1 }]
  }
} as const
