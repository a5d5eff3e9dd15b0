/**
 * The adaptive concurrency limit: how many requests may be in flight, learnt from the answers. Pure logic, no I/O and
 * no clock of its own (each sample says when its request started and how long it took), so that it can be driven by
 * scripted samples.
 *
 * - **Additive increase.** After a round of answers (as many as the limit) whose mean latency is flat and during which
 *   the limit was reached (the sender wanted more in flight than it had), the limit grows by √limit (at least 1).
 *   With latency flat, more in flight is more throughput (Little's law), so it grows only while throughput rises.
 * - **Multiplicative decrease on errors.** An answer that says the server or the network could not take the request
 *   (a project's 429, a 5xx, a reset connection, a timeout) multiplies the limit by `backoff` at once. Answers to
 *   requests started before that decrease were sent under the old limit: they neither shrink it again nor count
 *   towards the next round.
 * - **Decrease on rising latency.** A round whose mean latency exceeds `tolerance` × the baseline (and by more than
 *   `minRiseMillis`) shrinks the limit in proportion, limit × tolerance × baseline / latency, by at most `backoff`.
 *   The baseline is a moving average of the rounds' latencies, so a lasting change of the path is adopted in a few
 *   rounds.
 *
 * The limit stays within [`min`, `max`].
 *
 * @internal
 */

/** @internal */
export interface Config {
  readonly initial: number
  readonly min: number
  readonly max: number
  /** A round's latency above `tolerance` × the baseline counts as rising. */
  readonly tolerance: number
  /** A rise smaller than this, in milliseconds, never counts (clock resolution, noise of sub-millisecond answers). */
  readonly minRiseMillis: number
  /** The factor of a decrease on an error, and the smallest factor of a decrease on latency. */
  readonly backoff: number
  /** The weight of a round's latency in the baseline. */
  readonly smoothing: number
}

/** @internal */
export const defaults = {
  tolerance: 1.5,
  minRiseMillis: 5,
  backoff: 0.5,
  smoothing: 0.2
} as const

/** One answered request. @internal */
export interface Sample {
  /** When the request started, in milliseconds (any clock, the same for every sample). */
  readonly startedAt: number
  /** From its start to its answer, in milliseconds. */
  readonly latencyMillis: number
  /** Requests in flight when it started, itself included. */
  readonly inFlight: number
  /** The server or the network could not take it: a project's 429, a 5xx, a reset, a timeout. */
  readonly dropped: boolean
}

/** What a sample did to the limit. @internal */
export type Change = "none" | "increase" | "decrease"

/** @internal */
export class AdaptiveLimit {
  /** The limit, fractional: {@link current} is what applies. */
  limit: number
  /** The moving average of the rounds' mean latencies, once a round has completed. */
  baseline: number | undefined = undefined
  private decreasedAt = -Infinity
  private count = 0
  private sum = 0
  private saturated = false

  constructor(readonly config: Config) {
    this.limit = clamp(config.initial, config.min, config.max)
  }

  /** The requests that may be in flight now. */
  get current(): number {
    return Math.max(this.config.min, Math.floor(this.limit))
  }

  /** Learns from one answer. */
  update(sample: Sample): Change {
    // sent under a limit that has since been lowered: says nothing of the current one
    if (sample.startedAt < this.decreasedAt) return "none"
    const { config } = this
    if (sample.dropped) return this.decrease(this.limit * config.backoff, sample)
    this.count++
    this.sum += sample.latencyMillis
    if (sample.inFlight >= this.current) this.saturated = true
    if (this.count < this.current) return "none"
    const latency = this.sum / this.count
    const saturated = this.saturated
    this.resetRound()
    const baseline = this.baseline
    this.baseline = baseline === undefined ? latency : baseline + config.smoothing * (latency - baseline)
    if (
      baseline !== undefined && latency > baseline * config.tolerance && latency - baseline > config.minRiseMillis
    ) {
      const factor = Math.max(config.backoff, (baseline * config.tolerance) / latency)
      return this.decrease(this.limit * factor, sample)
    }
    if (!saturated || this.limit >= config.max) return "none"
    this.limit = Math.min(config.max, this.limit + Math.max(1, Math.sqrt(this.limit)))
    return "increase"
  }

  private decrease(to: number, sample: Sample): Change {
    const before = this.current
    this.limit = clamp(to, this.config.min, this.config.max)
    this.decreasedAt = sample.startedAt + sample.latencyMillis
    this.resetRound()
    return this.current < before ? "decrease" : "none"
  }

  private resetRound(): void {
    this.count = 0
    this.sum = 0
    this.saturated = false
  }
}

const clamp = (n: number, min: number, max: number): number => Math.min(max, Math.max(min, n))
