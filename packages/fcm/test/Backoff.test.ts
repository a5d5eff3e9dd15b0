import { Backoff, Message, Result } from "@effect-fcm/fcm"
import { assert, describe, it } from "@effect/vitest"
import { Duration } from "effect"

describe("Backoff", () => {
  it("follows B·2^r − ⌊B/2⌋ + U[0,B) with the seed's ranges for B = 1000", () => {
    const ranges = [[500, 1499], [1500, 2499], [3500, 4499], [7500, 8499], [15500, 16499]]
    ranges.forEach(([lo, hi], r) => {
      assert.strictEqual(Backoff.millis(1000, r, () => 0), lo)
      assert.strictEqual(Backoff.millis(1000, r, (bound) => bound - 1), hi)
      for (let i = 0; i < 200; i++) {
        const ms = Backoff.millis(1000, r)
        assert.isTrue(ms >= lo! && ms <= hi! && Number.isInteger(ms), `r=${r}: ${ms}`)
      }
    })
  })

  it("B = 1 gives exactly 2^r ms; B = 3 at r = 0 gives 2, 3 or 4 ms", () => {
    assert.deepStrictEqual([0, 1, 2, 3].map((r) => Backoff.millis(1, r)), [1, 2, 4, 8])
    assert.deepStrictEqual([0, 1, 2].map((u) => Backoff.millis(3, 0, () => u)), [2, 3, 4])
  })

  it("does not overflow 32 bits for large attempts", () => {
    assert.strictEqual(Backoff.millis(1000, 31, () => 0), 1000 * 2 ** 31 - 500)
    assert.strictEqual(Backoff.millis(1000, 40, () => 0), 1000 * 2 ** 40 - 500)
    assert.strictEqual(Backoff.millis(1000, 5000, () => 0), Number.MAX_SAFE_INTEGER)
  })

  it("refuses a base that is not a positive integer (the seed raised on B = 0)", () => {
    assert.throws(() => Backoff.millis(0, 0), RangeError)
    assert.throws(() => Backoff.millis(1.5, 0), RangeError)
  })

  it("parses Retry-After as seconds or an HTTP-date; values under one second mean no hint", () => {
    const now = Date.UTC(2026, 10, 28, 12, 0, 0)
    assert.strictEqual(Backoff.parseRetryAfter("120", now), 120_000)
    assert.strictEqual(Backoff.parseRetryAfter(" 7 ", now), 7000)
    assert.strictEqual(Backoff.parseRetryAfter("0", now), undefined)
    assert.strictEqual(Backoff.parseRetryAfter("", now), undefined)
    assert.strictEqual(Backoff.parseRetryAfter("soon", now), undefined)
    assert.strictEqual(Backoff.parseRetryAfter(undefined, now), undefined)
    assert.strictEqual(Backoff.parseRetryAfter(null, now), undefined)
    assert.strictEqual(Backoff.parseRetryAfter(new Date(now + 90_000).toUTCString(), now), 90_000)
    assert.strictEqual(Backoff.parseRetryAfter(new Date(now - 90_000).toUTCString(), now), undefined)
    assert.strictEqual(Backoff.parseRetryAfter(new Date(now + 500).toUTCString(), now), undefined)
  })

  it("reads the three HTTP-date forms of RFC 9110: IMF-fixdate, RFC 850 and asctime", () => {
    const now = Date.UTC(2026, 10, 28, 12, 0, 0) // Saturday 28 November 2026
    assert.strictEqual(Backoff.parseRetryAfter("Sat, 28 Nov 2026 12:01:30 GMT", now), 90_000)
    assert.strictEqual(Backoff.parseRetryAfter("Saturday, 28-Nov-26 12:01:30 GMT", now), 90_000)
    assert.strictEqual(Backoff.parseRetryAfter("Sat Nov 28 12:01:30 2026", now), 90_000)
    // asctime pads a one-digit day with a space
    assert.strictEqual(
      Backoff.parseRetryAfter("Tue Dec  1 12:00:00 2026", now),
      Date.UTC(2026, 11, 1, 12) - now
    )
    // a two-digit year is the one within 50 years: 27 is 2027, 99 is 1999 (in the past, so no hint)
    assert.strictEqual(
      Backoff.parseRetryAfter("Monday, 01-Feb-27 00:00:00 GMT", now),
      Date.UTC(2027, 1, 1) - now
    )
    assert.strictEqual(Backoff.parseRetryAfter("Monday, 01-Feb-99 00:00:00 GMT", now), undefined)
    // a date past the turn of the year
    assert.strictEqual(
      Backoff.parseRetryAfter("Fri, 01 Jan 2027 00:00:00 GMT", now),
      Date.UTC(2027, 0, 1) - now
    )
  })

  it("gives no hint for anything RFC 9110 does not allow, however much it looks like a date", () => {
    const now = Date.UTC(2026, 10, 28, 12, 0, 0)
    const junk = [
      "soon 2099",
      "later, 3000",
      "retry 2030",
      "2099-01-01",
      "2099-01-01T00:00:00Z",
      "1.5",
      " 1.5 ",
      "0.5",
      "-5",
      "+5",
      "1e3",
      "0x10",
      "5 seconds",
      "120, 60",
      "Sat, 28 Nov 2099 12:01:30 UTC", // GMT is the only zone
      "Sat, 28 Nov 2099 12:01:30 +0000",
      "sat, 28 nov 2099 12:01:30 GMT", // day and month names are case-sensitive
      "Sat, 28 November 2099 12:01:30 GMT",
      "Sat, 8 Nov 2099 12:01:30 GMT", // IMF-fixdate has a two-digit day
      "Sat, 28 Nov 99 12:01:30 GMT",
      "Sat,28 Nov 2099 12:01:30 GMT",
      "Sat, 28 Nov 2099 12:01 GMT",
      "Sat, 31 Feb 2099 12:00:00 GMT", // no such day
      "Sat, 28 Nov 2099 24:00:00 GMT",
      "Sat, 28 Nov 2099 12:60:00 GMT",
      "Sat, 28-Nov-99 12:01:30 GMT", // RFC 850 spells the day name out
      "Saturday, 28-Nov-2099 12:01:30 GMT",
      "Sat Nov 28 12:01:30 2099 GMT",
      "Sat Nov 28 2099",
      "Sat, 28 Nov 2099 12:01:30 GMT trailing",
      "next Tuesday"
    ]
    for (const value of junk) {
      assert.strictEqual(Backoff.parseRetryAfter(value, now), undefined, JSON.stringify(value))
    }
  })

  it("gives no hint for a delay too large to be a number of milliseconds", () => {
    assert.strictEqual(Backoff.parseRetryAfter("9".repeat(30), 0), undefined)
    assert.strictEqual(Backoff.parseRetryAfter("86400", 0), 86_400_000)
  })
})

describe("Result.delay", () => {
  const message = Message.multicast(["a", "b"])
  const retryable = (retryAfterMillis: number | undefined) =>
    Result.make(message, [
      ["a", Result.Outcome.Delivered({ messageId: "1" })],
      ["b", Result.Outcome.Retryable({ reason: "Unavailable", retryAfterMillis })]
    ])

  it("falls back to the backoff for the caller's attempt counter", () => {
    const result = retryable(undefined)
    assert.strictEqual(Duration.toMillis(result.delay(0, () => 0)), 500)
    assert.strictEqual(Duration.toMillis(result.delay(3, () => 999)), 8499)
    assert.strictEqual(Duration.toMillis(result.delay(-2, () => 0)), 500)
  })

  it("returns the server's Retry-After whatever the attempt", () => {
    const result = retryable(120_000)
    assert.strictEqual(Duration.toMillis(result.delay(0)), 120_000)
    assert.strictEqual(Duration.toMillis(result.delay(7)), 120_000)
  })

  it("uses the result's own backoff base", () => {
    const result = new Result.Result(message, retryable(undefined).outcomes, 10)
    assert.strictEqual(Duration.toMillis(result.delay(2, () => 0)), 35)
  })
})
