/**
 * The project's message quota, when one is configured: a token bucket of messages (not requests) that starts full,
 * holds `burst` messages and refills at `perMinute`, on the requests' own clock (`request.now`). A send request whose
 * messages the bucket does not hold is refused whole with the project-quota 429 (v1 `RESOURCE_EXHAUSTED` with a
 * `QuotaFailure`; legacy, the whole request) and takes nothing from it, with a `Retry-After` of the seconds until
 * it would.
 *
 * @internal
 */
import type * as M from "../Model.js"
import * as Scenario from "../Scenario.js"

/** @internal */
export class ProjectQuota {
  private readonly perMillis: number
  private readonly burst: number
  private tokens: number
  private last: number | undefined

  constructor(config: NonNullable<M.Config["quota"]>) {
    this.perMillis = config.perMinute / 60_000
    this.burst = Math.max(1, config.burst ?? config.perMinute)
    this.tokens = this.burst
  }

  /** Back to a full bucket. */
  reset(): void {
    this.tokens = this.burst
    this.last = undefined
  }

  /**
   * Takes `messages` from the bucket at `now` when it holds them (`undefined`); otherwise takes nothing and answers
   * the scenario that refuses the request.
   */
  take(messages: number, now: number): Scenario.Scenario | undefined {
    if (this.last !== undefined && now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.perMillis)
    }
    if (this.last === undefined || now > this.last) this.last = now
    // a thousandth of a message of slack: a sender on the same clock and rate may not be refused for rounding
    if (this.tokens + 1e-3 >= messages) {
      this.tokens -= messages
      return undefined
    }
    const seconds = Math.max(1, Math.ceil((messages - this.tokens) / this.perMillis / 1000))
    return Scenario.quotaExceeded({ variant: "project", retryAfter: seconds })
  }
}
