/**
 * A campaign: one message sent to every token of a token source, durably. Its identifier is the idempotency key (a
 * second start with the same id is the same campaign), its message is stored once, and its progress is the delivery
 * ledger. This module holds the models and the errors of campaigns.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A campaign identifier: 1–128 characters, letters, digits and `.`, `_`, `:`, `-`, starting with a letter or digit.
 *
 * @example
 * ```ts
 * import { Campaign } from "@effect-fcm/cluster"
 * import { Schema } from "effect"
 *
 * assert.ok(Schema.is(Campaign.CampaignId)("spring-sale-2026"))
 * assert.ok(!Schema.is(Campaign.CampaignId)("spring sale"))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const CampaignId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, {
    message: () => "a campaign id is 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
  })
).annotations({ identifier: "CampaignId" })

/**
 * Where a campaign stands: `running`, `paused` (runners hold their chunks until it is resumed), `cancelled` (no new
 * target is sent) or `done` (every chunk ran).
 *
 * @example
 * ```ts
 * import type { Campaign } from "@effect-fcm/cluster"
 *
 * const isActive = (state: Campaign.State): boolean => state === "running" || state === "paused"
 * assert.ok(isActive("paused"))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type State = "running" | "paused" | "cancelled" | "done"

/**
 * The number of targets in each bucket of the ledger, as `Result`'s buckets: delivered (`success`), delivered to a
 * replaced token (`canonical`), `notRegistered`, `failed` for good, and still `retryable` after the campaign's
 * attempts.
 *
 * @example
 * ```ts
 * import { Campaign } from "@effect-fcm/cluster"
 * import { Schema } from "effect"
 *
 * const counts = Schema.decodeUnknownSync(Campaign.Counts)({
 *   success: 9, canonical: 0, notRegistered: 1, failed: 0, retryable: 0, unknown: 0
 * })
 * assert.strictEqual(Campaign.total(counts), 10)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const Counts = Schema.Struct({
  success: Schema.Number,
  canonical: Schema.Number,
  notRegistered: Schema.Number,
  failed: Schema.Number,
  retryable: Schema.Number,
  /** Targets whose request may have reached FCM, with a client set to at-most-once delivery: never resent. */
  unknown: Schema.Number
})

/**
 * @example
 * ```ts
 * import type { Campaign } from "@effect-fcm/cluster"
 *
 * const delivered = (counts: Campaign.Counts): number => counts.success + counts.canonical
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Counts extends Schema.Schema.Type<typeof Counts> {}

/**
 * The number of targets with an outcome.
 *
 * @example
 * ```ts
 * import { Campaign } from "@effect-fcm/cluster"
 *
 * assert.strictEqual(Campaign.total({ success: 2, canonical: 1, notRegistered: 0, failed: 1, retryable: 0, unknown: 1 }), 5)
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const total = (counts: Counts): number =>
  counts.success + counts.canonical + counts.notRegistered + counts.failed + counts.retryable + counts.unknown

/**
 * What a finished campaign returns: its final state and the ledger's counts.
 *
 * @example
 * ```ts
 * import { Campaign } from "@effect-fcm/cluster"
 * import { Schema } from "effect"
 *
 * const summary = Schema.decodeUnknownSync(Campaign.Summary)({
 *   campaignId: "c1",
 *   state: "done",
 *   total: 1,
 *   counts: { success: 1, canonical: 0, notRegistered: 0, failed: 0, retryable: 0, unknown: 0 }
 * })
 * assert.strictEqual(summary.counts.success, 1)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const Summary = Schema.Struct({
  campaignId: Schema.String,
  state: Schema.Literal("running", "paused", "cancelled", "done"),
  total: Schema.Number,
  counts: Counts
})

/**
 * @example
 * ```ts
 * import type { Campaign } from "@effect-fcm/cluster"
 *
 * const line = (s: Campaign.Summary) => `${s.campaignId}: ${s.state}, ${s.counts.success} delivered of ${s.total}`
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Summary extends Schema.Schema.Type<typeof Summary> {}

/**
 * A campaign's progress: its state, the ledger's counts, the rate over the last ten seconds and the time left at
 * that rate, and what the workflow engine says of it (`suspended` after a failure it can be resumed from, `unknown`
 * when read without the engine).
 *
 * @example
 * ```ts
 * import type { Campaign } from "@effect-fcm/cluster"
 *
 * const line = (s: Campaign.Status) =>
 *   `${s.done}/${s.total} at ${s.perSecond.toFixed(0)}/s, ${s.etaSeconds === undefined ? "?" : s.etaSeconds} s left`
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Status {
  readonly campaignId: string
  readonly state: State
  readonly workflow: "running" | "suspended" | "complete" | "unknown"
  readonly total: number
  readonly done: number
  readonly counts: Counts
  readonly perSecond: number
  readonly etaSeconds: number | undefined
  readonly createdAt: number
  readonly updatedAt: number
}

/**
 * No campaign has this id (in `status`, `pause`, `resume`, `cancel` or `outcomes`).
 *
 * @example
 * ```ts
 * import { Campaign } from "@effect-fcm/cluster"
 *
 * const error = new Campaign.CampaignNotFound({ campaignId: "nope" })
 * assert.strictEqual(error.message, `no campaign "nope" in this database`)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class CampaignNotFound extends Schema.TaggedError<CampaignNotFound>("@effect-fcm/cluster/CampaignNotFound")(
  "CampaignNotFound",
  { campaignId: Schema.String }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `no campaign "${this.campaignId}" in this database`
  }
}

/**
 * A campaign refused before anything was stored or sent: `field` names what is wrong (`id`, `source`, `chunkSize`,
 * `message.data.from`…), `reason` why.
 *
 * @example
 * ```ts
 * import { Campaign } from "@effect-fcm/cluster"
 *
 * const error = new Campaign.InvalidCampaign({ field: "source", reason: "no token source named \"users\"" })
 * assert.strictEqual(error.message, `source: no token source named "users"`)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCampaign extends Schema.TaggedError<InvalidCampaign>("@effect-fcm/cluster/InvalidCampaign")(
  "InvalidCampaign",
  { field: Schema.String, reason: Schema.String }
) {
  /**
   * @since 0.1.0
   */
  override get message(): string {
    return `${this.field}: ${this.reason}`
  }
}
