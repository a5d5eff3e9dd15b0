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
    assert.strictEqual(Backoff.parseRetryAfter(" 1.5 ", now), 1500)
    assert.strictEqual(Backoff.parseRetryAfter("0", now), undefined)
    assert.strictEqual(Backoff.parseRetryAfter("0.5", now), undefined)
    assert.strictEqual(Backoff.parseRetryAfter("", now), undefined)
    assert.strictEqual(Backoff.parseRetryAfter("soon", now), undefined)
    assert.strictEqual(Backoff.parseRetryAfter(undefined, now), undefined)
    assert.strictEqual(Backoff.parseRetryAfter("-5", now), undefined)
    assert.strictEqual(Backoff.parseRetryAfter(new Date(now + 90_000).toUTCString(), now), 90_000)
    assert.strictEqual(Backoff.parseRetryAfter(new Date(now - 90_000).toUTCString(), now), undefined)
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
