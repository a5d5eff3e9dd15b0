/**
 * Backoff and Retry-After: when to send again. Pure functions, plus the default retry `Schedule`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"

/**
 * The default backoff base `B`: one second.
 *
 * @example
 * ```ts
 * import { Backoff } from "@effect-fcm/fcm"
 *
 * // the first retry waits between 500 and 1499 ms
 * const first = Backoff.millis(Backoff.DEFAULT_BASE_MILLIS, 0)
 * assert.ok(first >= 500 && first < 1500)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_MILLIS = 1000

/**
 * The longest wait the default schedule ever chooses on its own: one minute (a server's Retry-After may ask for more).
 *
 * @example
 * ```ts
 * import { Backoff } from "@effect-fcm/fcm"
 *
 * // a schedule that never waits longer than ten seconds between attempts
 * const schedule = Backoff.schedule({ capMillis: Backoff.DEFAULT_CAP_MILLIS / 6 })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CAP_MILLIS = 60_000

/**
 * How many times the default schedule sends again after the first attempt.
 *
 * @example
 * ```ts
 * import { Backoff } from "@effect-fcm/fcm"
 *
 * // twice the default number of retries
 * const schedule = Backoff.schedule({ retries: Backoff.DEFAULT_RETRIES * 2 })
 * ```
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
 * @example
 * ```ts
 * import { Backoff } from "@effect-fcm/fcm"
 *
 * // attempt 2 with B = 1000: 4000 − 500 + U[0, 1000), here with U = 0
 * assert.strictEqual(Backoff.millis(1000, 2, () => 0), 3500)
 * ```
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

const DAY_NAMES = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
const DAY_NAMES_LONG = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const
const MONTH = `(${MONTHS.join("|")})`
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})"

/** `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7, the preferred form). */
const IMF_FIXDATE = new RegExp(`^${DAY_NAMES}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`)
/** `Sunday, 06-Nov-94 08:49:37 GMT` (obsolete RFC 850 form, two-digit year). */
const RFC850_DATE = new RegExp(`^${DAY_NAMES_LONG}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`)
/** `Sun Nov  6 08:49:37 1994` (obsolete ANSI C asctime() form). */
const ASCTIME_DATE = new RegExp(`^${DAY_NAMES} ${MONTH} (\\d{2}| \\d) ${TIME} (\\d{4})$`)

/** Epoch milliseconds of a calendar date and time in UTC, or `undefined` when it does not exist (31 Feb, 25:00). */
const utc = (
  year: number,
  month: string,
  day: number,
  hour: number,
  minute: number,
  second: number
): number | undefined => {
  const monthIndex = MONTHS.indexOf(month as typeof MONTHS[number])
  // a leap second (60) is allowed by the grammar; it is read as the first second of the next minute
  if (monthIndex < 0 || hour > 23 || minute > 59 || second > 60) return undefined
  const millis = Date.UTC(year, monthIndex, day, hour, minute, second)
  const date = new Date(millis)
  return date.getUTCFullYear() === year && date.getUTCMonth() === monthIndex && date.getUTCDate() === day
    ? millis
    : undefined
}

/**
 * Parses an HTTP-date (RFC 9110 §5.6.7): an IMF-fixdate, or one of the two obsolete forms (RFC 850 and asctime) that
 * recipients must still accept. Anything else, including text that `Date.parse` would guess a date from, is
 * `undefined`. A two-digit RFC 850 year is read as the year with those digits within 50 years of `nowMillis`.
 */
const parseHttpDate = (value: string, nowMillis: number): number | undefined => {
  let match = IMF_FIXDATE.exec(value)
  if (match !== null) {
    const [, day, month, year, hour, minute, second] = match
    return utc(Number(year), month!, Number(day), Number(hour), Number(minute), Number(second))
  }
  match = RFC850_DATE.exec(value)
  if (match !== null) {
    const [, day, month, yy, hour, minute, second] = match
    const currentYear = new Date(nowMillis).getUTCFullYear()
    let year = Math.floor(currentYear / 100) * 100 + Number(yy)
    if (year > currentYear + 50) year -= 100
    else if (year < currentYear - 50) year += 100
    return utc(year, month!, Number(day), Number(hour), Number(minute), Number(second))
  }
  match = ASCTIME_DATE.exec(value)
  if (match !== null) {
    const [, month, day, hour, minute, second, year] = match
    return utc(Number(year), month!, Number(day!.trim()), Number(hour), Number(minute), Number(second))
  }
  return undefined
}

/**
 * Parses a `Retry-After` header as RFC 9110 §10.2.3 defines it: delay-seconds (digits only) or an HTTP-date
 * (IMF-fixdate, or the obsolete RFC 850 and asctime forms), relative to `nowMillis`. Returns the wait in
 * milliseconds, or `undefined` when the header is absent, is anything else (`"1.5"`, `"soon 2099"`, an ISO date),
 * or asks for less than one second, a date in the past included (the seed's rule: such values mean "no hint").
 *
 * @example
 * ```ts
 * import { Backoff } from "@effect-fcm/fcm"
 *
 * const now = Date.parse("2024-05-01T12:00:00Z")
 * assert.strictEqual(Backoff.parseRetryAfter("120", now), 120_000)
 * assert.strictEqual(Backoff.parseRetryAfter("Wed, 01 May 2024 12:00:30 GMT", now), 30_000)
 * assert.strictEqual(Backoff.parseRetryAfter("0", now), undefined)
 * assert.strictEqual(Backoff.parseRetryAfter("retry 2030", now), undefined) // not an HTTP-date
 * ```
 *
 * @since 0.1.0
 * @category retry-after
 */
export const parseRetryAfter = (header: string | null | undefined, nowMillis: number): number | undefined => {
  if (header === undefined || header === null) return undefined
  const value = header.trim()
  if (value.length === 0) return undefined
  if (/^\d+$/.test(value)) {
    const wait = Number(value) * 1000
    return wait >= 1000 && Number.isSafeInteger(wait) ? wait : undefined
  }
  const date = parseHttpDate(value, nowMillis)
  if (date === undefined) return undefined
  const wait = date - nowMillis
  return wait >= 1000 ? wait : undefined
}

/**
 * Options of the default retry schedule.
 *
 * @example
 * ```ts
 * import { Backoff } from "@effect-fcm/fcm"
 *
 * const options: Backoff.ScheduleOptions = { baseMillis: 500, capMillis: 30_000, retries: 3 }
 * const schedule = Backoff.schedule(options)
 * ```
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
 * @example
 * ```ts
 * import { Backoff, FcmClient, Message } from "@effect-fcm/fcm"
 *
 * const message = Message.multicast(["token-1", "token-2"], { data: { score: "3-0" } })
 *
 * // at most 3 retries, waiting 250 ms · 2^n (jittered) but never more than 5 seconds
 * const program = FcmClient.sendWithRetry(message, {
 *   schedule: Backoff.schedule({ baseMillis: 250, capMillis: 5_000, retries: 3 })
 * })
 * ```
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
