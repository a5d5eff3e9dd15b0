/**
 * The adaptive concurrency limit: how many requests may be in flight, learnt from the answers. Pure logic, no I/O and
 * no clock of its own (each sample says when its request started and how long it took), so that it can be driven by
 * scripted samples.
 *
 * The answers are read in *windows*: a window holds the answers to requests started under one limit (after its last
 * change), at least as many as the limit (and `minSamples`), over at least `minWindowMillis`. A window's throughput
 * is, by Little's law, its mean requests in flight ÷ its mean latency.
 *
 * - **Growth while it pays.** After two *full* windows at one limit (the sender kept at least `fullShare` of the
 *   limit in flight on average: it wanted more than it had), the later no faster than the earlier by what a step
 *   must gain (a sender speeding up on its own would pass for it), the limit takes a step: × `step`. The next window,
 *   of requests started after the step only, judges it: the step is kept, and the next one taken at once, when
 *   throughput rose by at least `gainShare` of the step (a step of 50% must bring at least 25% more throughput: a
 *   large step stands out of the noise of a busy machine); otherwise latency rose with the step (the sender or the
 *   server is saturated) and the step is taken back, and the limit holds for 1, 2, 4… (at most `maxHold`) windows
 *   before it tries again. A step whose window was not full, or whose latency fell by more than `drift` (more in
 *   flight never makes answers faster: the sender is warming up, or the path got faster), proves nothing: it is
 *   taken back without a hold, and tried again after a new measure.
 * - **Multiplicative decrease on errors.** An answer that says the server or the network could not take the request
 *   (a project's 429, a 5xx, a reset connection, a timeout) multiplies the limit by `backoff` at once. Answers to
 *   requests started before that decrease were sent under the old limit: they neither shrink it again nor count
 *   towards the next window.
 * - **Decrease on rising latency.** A window (other than a step's) whose mean latency exceeds `tolerance` × the
 *   baseline (and by more than `minRiseMillis`) shrinks the limit in proportion, limit × tolerance × baseline /
 *   latency, by at most `backoff`. The baseline is a moving average of the full windows' latencies (a burst of
 *   requests started at once is not one), so a lasting change of the path is adopted in a few windows.
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
  /** A window's latency above `tolerance` × the baseline counts as rising. */
  readonly tolerance: number
  /** A rise smaller than this, in milliseconds, never counts (clock resolution, noise of sub-millisecond answers). */
  readonly minRiseMillis: number
  /** The factor of a decrease on an error, and the smallest factor of a decrease on latency. */
  readonly backoff: number
  /** The weight of a window's latency in the baseline. */
  readonly smoothing: number
  /** The factor of a step up (at least one more request). */
  readonly step: number
  /** The share of a step's own growth that throughput must gain for the step to be kept. */
  readonly gainShare: number
  /** The fewest answers in a window. */
  readonly minSamples: number
  /** The shortest window, in milliseconds from the limit's change to its last answer. */
  readonly minWindowMillis: number
  /** The most windows the limit holds after a step that did not pay. */
  readonly maxHold: number
  /** A window is full when its mean requests in flight reach this share of its limit. */
  readonly fullShare: number
  /**
   * A step's window whose latency fell by more than this share says nothing of the step (more in flight never makes
   * answers faster): the sender or the path is speeding up on its own, as a process warming up does.
   */
  readonly drift: number
}

/** @internal */
export const defaults = {
  tolerance: 1.5,
  minRiseMillis: 5,
  backoff: 0.5,
  smoothing: 0.2,
  step: 1.5,
  gainShare: 0.5,
  minSamples: 32,
  minWindowMillis: 200,
  maxHold: 8,
  fullShare: 0.9,
  drift: 0.1
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

/** The answers to the requests started under one limit. */
class Window {
  count = 0
  latency = 0
  inFlight = 0
  constructor(
    /** When the limit was set: the window holds requests started from then on. */
    readonly from: number,
    readonly limit: number,
    /** The limit is a step up from the previous window's: this window judges it. */
    readonly probe: boolean
  ) {}
  add(sample: Sample): void {
    this.count++
    this.latency += sample.latencyMillis
    this.inFlight += sample.inFlight
  }
  /** Whether the sender kept the limit (nearly) full: it wanted more in flight than it had. */
  full(share: number): boolean {
    return this.inFlight >= share * this.limit * this.count
  }
  /** Answers a second, by Little's law (per millisecond: only ratios matter). */
  get throughput(): number {
    return this.latency > 0 ? this.inFlight / this.latency : Infinity
  }
}

/** @internal */
export class AdaptiveLimit {
  /** The limit, fractional: {@link current} is what applies. */
  limit: number
  /** The moving average of the full windows' mean latencies (steps' windows aside). */
  baseline: number | undefined = undefined
  /** The window of the current limit. */
  private window: Window
  /** The window before it, that a step is judged against; `undefined` after a decrease. */
  private previous: Window | undefined = undefined
  /** Windows to wait before the next step. */
  private hold = 0
  /** The hold after the next step that does not pay. */
  private nextHold = 1

  constructor(readonly config: Config) {
    this.limit = clamp(config.initial, config.min, config.max)
    this.window = new Window(-Infinity, this.current, false)
  }

  /** The requests that may be in flight now. */
  get current(): number {
    return Math.max(this.config.min, Math.floor(this.limit))
  }

  /** Learns from one answer. */
  update(sample: Sample): Change {
    const window = this.window
    // sent under an earlier limit: says nothing of the current one
    if (sample.startedAt < window.from) return "none"
    const { config } = this
    const now = sample.startedAt + sample.latencyMillis
    if (sample.dropped) return this.decrease(this.limit * config.backoff, now)
    window.add(sample)
    if (window.count < Math.max(window.limit, config.minSamples) || now - window.from < config.minWindowMillis) {
      return "none"
    }
    // the window is complete
    const latency = window.latency / window.count
    const full = window.full(config.fullShare)
    if (!window.probe) {
      // a step's window is judged against the window before it, below; the others against the baseline
      const baseline = this.baseline
      // a burst of requests started at once (a send's first) is no baseline: only a full window is
      if (full) this.baseline = baseline === undefined ? latency : baseline + config.smoothing * (latency - baseline)
      if (
        baseline !== undefined && latency > baseline * config.tolerance && latency - baseline > config.minRiseMillis
      ) {
        return this.decrease(this.limit * Math.max(config.backoff, (baseline * config.tolerance) / latency), now)
      }
    }
    const previous = this.previous
    if (window.probe && previous !== undefined) {
      if (
        !full || !previous.full(config.fullShare) || latency < (previous.latency / previous.count) * (1 - config.drift)
      ) {
        // the step's window says nothing of it (the sender did not fill it, or answers got faster on their own):
        // back to the limit before it, to try again from a new measure
        this.limit = previous.limit
        this.begin(now, false)
        return "decrease"
      }
      const grown = window.limit / previous.limit
      const gained = window.throughput / previous.throughput
      if (gained < 1 + config.gainShare * (grown - 1)) {
        // the step did not pay: back to the limit before it, and wait before the next one
        this.hold = this.nextHold
        this.nextHold = Math.min(config.maxHold, this.nextHold * 2)
        this.limit = previous.limit
        this.begin(now, false)
        return "decrease"
      }
      this.nextHold = 1
    } else if (this.hold > 0) {
      this.hold--
      this.begin(now, false)
      return "none"
    } else if (
      // a step is judged against this window: it must be steady, the second full window at this limit, and no faster
      // than the one before by what a step must gain (a sender warming up would pass for the step's gain)
      previous === undefined || previous.limit !== window.limit || !previous.full(config.fullShare) ||
      window.throughput > previous.throughput * (1 + config.gainShare * (config.step - 1))
    ) {
      this.begin(now, false)
      return "none"
    }
    if (!full || this.limit >= config.max) {
      this.begin(now, false)
      return "none"
    }
    this.limit = Math.min(config.max, this.limit + Math.max(1, this.limit * (config.step - 1)))
    this.begin(now, true)
    return "increase"
  }

  /** A new window from `now`, the current one becoming the previous one. */
  private begin(now: number, probe: boolean): void {
    this.previous = this.window
    this.window = new Window(now, this.current, probe)
  }

  private decrease(to: number, now: number): Change {
    const before = this.current
    this.limit = clamp(to, this.config.min, this.config.max)
    this.previous = undefined
    this.window = new Window(now, this.current, false)
    this.hold = 0
    this.nextHold = 1
    return this.current < before ? "decrease" : "none"
  }
}

const clamp = (n: number, min: number, max: number): number => Math.min(max, Math.max(min, n))
