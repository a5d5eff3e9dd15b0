/**
 * The places of a governor (its requests in flight), for a caller that holds a place across several requests: the
 * engine's workers, which follow the limit rather than ask for a place per request. A place is taken at once when one
 * is free and nobody waits for one, and awaited otherwise; its holder gives it back when it ends, or after a request
 * when the limit fell below the places held or another caller waits.
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import type { Governor } from "../Governor.js"
import type * as Result from "../Result.js"

/**
 * The callers that share their places (the workers of one fan-out): how many places they hold. A governor shares its
 * places between the groups that want them.
 *
 * @internal
 */
export interface Group {
  held: number
}

/** Whether a caller holds a place; a place granted to a waiter is marked here as it is granted. @internal */
export interface Holder {
  holding: boolean
  readonly group: Group
}

/** @internal */
export interface Places {
  /** Counts a group in for its share of the places; answers the function that counts it out. */
  readonly join: () => () => void
  /** Takes a place now if one is free and nobody waits for one; marks `holder` and answers whether it did. */
  readonly tryTake: (holder: Holder) => boolean
  /**
   * Waits its turn for a place. The place is marked on `holder` as it is granted, so that a holder interrupted after
   * the grant still gives it back (with the rest of what it holds, when it ends).
   */
  readonly take: (holder: Holder) => Effect.Effect<unknown>
  /** Gives back `holder`'s place, if it holds one. */
  readonly give: (holder: Holder) => void
  /**
   * Whether a holder of `group` should give its place back now: more places are held than the limit, or someone waits
   * while the group holds more than its share.
   */
  readonly yielding: (group: Group) => boolean
  /** Whether a caller of `group` without a place should wait for one: the group holds less than its share. */
  readonly wanting: (group: Group) => boolean
  /** The places free that nobody waits for. */
  readonly spare: () => number
  /** The places held now. */
  readonly held: () => number
  /** Learns from the answer to a request started at `startedAt` (the fiber's clock) with `inFlight` places held. */
  readonly learn: (
    startedAt: number,
    latencyMillis: number,
    inFlight: number,
    outcomes: ReadonlyArray<Result.Outcome>
  ) => void
}

/**
 * The places of the governors built by `Governor.unsafeMake` without a rate budget (a request under a budget waits for
 * the budget first, one request at a time: it goes through `Governor.run`).
 *
 * @internal
 */
export const registry = new WeakMap<Governor, Places>()
