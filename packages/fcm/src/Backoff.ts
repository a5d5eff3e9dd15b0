/**
 * Backoff and Retry-After: when to send again. Pure functions, plus the default retry `Schedule`.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Random, Schedule } from "effect"

/**
 * The default backoff base `B`: one second.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_MILLIS = 1000

/**
 * The longest wait the default schedule ever chooses on its own: one minute (a server's Retry-After may ask for more).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CAP_MILLIS = 60_000

/**
 * How many times the default schedule sends again after the first attempt.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_RETRIES = 5

const defaultRandom = (bound: number): number => Math.floor(Math.random() * bound)

/**
 * The backoff before attempt `attempt + 1`, in milliseconds: `B·2^attempt − ⌊B/2⌋ + U`, where `U` is a uniform
 * integer in `[0, B)` drawn from `random`. Computed in floating point, so large attempts never overflow; the result is
 * at most `Number.MAX_SAFE_INTEGER`. A negative or fractional attempt counts as the integer below it, at least 0; a base
 * that is not a positive integer throws a `RangeError` (the protocol layers refuse one at construction).
 *
 * @since 0.1.0
 * @category backoff
 */
export const millis = (
  base: number,
  attempt: number,
  random: (bound: number) => number = defaultRandom
): number => {
  if (!Number.isSafeInteger(base) || base < 1) {
    throw new RangeError(`backoff base must be a positive integer, got ${base}`)
  }
  const n = Number.isFinite(attempt) ? Math.max(0, Math.floor(attempt)) : 0
  const jitter = random(base)
  const value = base * 2 ** n - Math.floor(base / 2) + jitter
  return Math.min(value, Number.MAX_SAFE_INTEGER)
}

/**
 * Parses a `Retry-After` header: a number of seconds, or an HTTP-date (relative to `nowMillis`). Returns the wait in
 * milliseconds, or `undefined` when the header is absent, unparseable, or asks for less than one second (the seed's
 * rule: such values mean "no hint").
 *
 * @since 0.1.0
 * @category retry-after
 */
export const parseRetryAfter = (header: string | null | undefined, nowMillis: number): number | undefined => {
  if (header === undefined || header === null) return undefined
  const value = header.trim()
  if (value.length === 0) return undefined
  if (/^\d+(\.\d+)?$/.test(value)) {
    const seconds = Number(value)
    return Number.isFinite(seconds) && seconds >= 1 ? Math.round(seconds * 1000) : undefined
  }
  const date = Date.parse(value)
  if (Number.isNaN(date)) return undefined
  const wait = date - nowMillis
  return wait >= 1000 ? wait : undefined
}

/**
 * Options of the default retry schedule.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScheduleOptions {
  /** The backoff base `B`, in milliseconds (default 1000). */
  readonly baseMillis?: number
  /** The longest backoff the schedule chooses (default 60 s). */
  readonly capMillis?: number
  /** How many retries after the first attempt (default 5). */
  readonly retries?: number
}

/**
 * The default retry schedule: the seed's backoff `B·2^n − ⌊B/2⌋ + U[0, B)` with its jitter drawn from Effect's
 * `Random` (so tests can seed it), capped at `capMillis`, for at most `retries` retries. Its output is the retry
 * count.
 *
 * @since 0.1.0
 * @category schedules
 */
export const schedule = (options: ScheduleOptions = {}): Schedule.Schedule<number> => {
  const base = options.baseMillis ?? DEFAULT_BASE_MILLIS
  const cap = options.capMillis ?? DEFAULT_CAP_MILLIS
  const retries = options.retries ?? DEFAULT_RETRIES
  millis(base, 0, () => 0) // refuses a base that is not a positive integer
  return Schedule.recurs(retries).pipe(
    Schedule.addDelayEffect((n) =>
      Random.nextIntBetween(0, base).pipe(
        Effect.map((jitter) => Duration.millis(Math.min(cap, millis(base, n, () => jitter))))
      )
    )
  )
}
