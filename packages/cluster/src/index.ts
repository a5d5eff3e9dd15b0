/**
 * Durable, resumable FCM campaigns on `@effect/cluster` and `@effect/workflow`: a campaign workflow of segments and
 * chunks, a delivery ledger, a shared quota, and two set-ups (one process on SQLite, runners on PostgreSQL).
 *
 * @example
 * ```ts
 * import { Broadcast, Quota, Setup, TokenSource } from "@effect-fcm/cluster"
 * import { NodeFcm } from "@effect-fcm/node"
 * import { Layer } from "effect"
 *
 * const Runner = Broadcast.layer().pipe(
 *   Layer.provide([Quota.layerSql(), NodeFcm.layer()]),
 *   Layer.provideMerge(TokenSource.layerSql),
 *   Layer.provideMerge(Setup.embedded({ filename: "campaigns.db" }))
 * )
 * ```
 *
 * @since 0.1.0
 */

/**
 * Durable campaigns: one message to every token of a source, on `@effect/workflow`.
 *
 * @example
 * ```ts
 * import { Broadcast } from "@effect-fcm/cluster"
 *
 * const summary = Broadcast.run({ id: "spring-sale", message: { data: { sale: "spring" } }, source: "all-users" })
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Broadcast from "./Broadcast.js"

/**
 * A campaign: models and errors.
 *
 * @example
 * ```ts
 * import { Campaign } from "@effect-fcm/cluster"
 *
 * const error = new Campaign.CampaignNotFound({ campaignId: "nope" })
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Campaign from "./Campaign.js"

/**
 * The delivery ledger: one outcome per campaign and target.
 *
 * @example
 * ```ts
 * import { Ledger } from "@effect-fcm/cluster"
 *
 * const counts = Ledger.counts("spring-sale")
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Ledger from "./Ledger.js"

/**
 * FCM's per-project budget, shared by every runner.
 *
 * @example
 * ```ts
 * import { Quota } from "@effect-fcm/cluster"
 *
 * const Shared = Quota.layerSql({ perMinute: 600_000 })
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Quota from "./Quota.js"

/**
 * Retention: pruning what finished campaigns leave in the database, by hand or as a daily `ClusterCron` job.
 *
 * @example
 * ```ts
 * import { Retention } from "@effect-fcm/cluster"
 *
 * const Pruning = Retention.layer({ after: "30 days" })
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Retention from "./Retention.js"

/**
 * Ready set-ups: one process on SQLite, or runners on PostgreSQL.
 *
 * @example
 * ```ts
 * import { Setup } from "@effect-fcm/cluster"
 *
 * const Embedded = Setup.embedded({ filename: "campaigns.db" })
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Setup from "./Setup.js"

/**
 * Where a campaign's tokens come from.
 *
 * @example
 * ```ts
 * import { TokenSource } from "@effect-fcm/cluster"
 *
 * const InMemory = TokenSource.layerMemory({ beta: ["token-1", "token-2"] })
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as TokenSource from "./TokenSource.js"
