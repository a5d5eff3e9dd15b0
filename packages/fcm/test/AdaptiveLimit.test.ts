/**
 * The adaptive concurrency limit as pure logic, driven by scripted samples on a fake time line: it grows while
 * latency is flat and the limit is reached, shrinks on dropped requests and on rising latency, and stays within its
 * floor and cap.
 */
import { assert, describe, it } from "@effect/vitest"
import { AdaptiveLimit, type Config, defaults, type Sample } from "../src/internal/adaptiveLimit.js"

const config = (overrides: Partial<Config> = {}): Config => ({
  initial: 16,
  min: 2,
  max: 100,
  ...defaults,
  ...overrides
})

/** A sender that keeps the limit full: each round is `limit` answers started at `time`, answered after `latency`. */
class Driver {
  time = 0
  constructor(readonly limit: AdaptiveLimit) {}
  round(latencyMillis: number, options: { inFlight?: number; dropped?: number } = {}): void {
    const n = this.limit.current
    for (let i = 0; i < n; i++) {
      const sample: Sample = {
        startedAt: this.time,
        latencyMillis,
        inFlight: options.inFlight ?? n,
        dropped: i < (options.dropped ?? 0)
      }
      this.limit.update(sample)
    }
    this.time += latencyMillis + 1
  }
}

describe("AdaptiveLimit", () => {
  it("grows by √limit per round of flat latency while the limit is reached", () => {
    const limit = new AdaptiveLimit(config())
    const driver = new Driver(limit)
    driver.round(50)
    assert.strictEqual(limit.current, 20) // 16 + √16
    driver.round(50)
    assert.strictEqual(limit.current, 24) // 20 + √20 = 24.47
    for (let i = 0; i < 10; i++) driver.round(50)
    assert.isAbove(limit.current, 60)
  })

  it("does not grow while the sender does not use the limit", () => {
    const limit = new AdaptiveLimit(config())
    const driver = new Driver(limit)
    for (let i = 0; i < 10; i++) driver.round(50, { inFlight: 3 })
    assert.strictEqual(limit.current, 16)
  })

  it("never grows past the cap", () => {
    const limit = new AdaptiveLimit(config({ max: 30 }))
    const driver = new Driver(limit)
    for (let i = 0; i < 20; i++) driver.round(50)
    assert.strictEqual(limit.current, 30)
  })

  it("halves at once on a dropped request (a 429, a 5xx, a reset)", () => {
    const limit = new AdaptiveLimit(config({ initial: 64 }))
    limit.update({ startedAt: 0, latencyMillis: 10, inFlight: 64, dropped: true })
    assert.strictEqual(limit.current, 32)
  })

  it("shrinks once for drops of requests sent under the old limit, again for a later one", () => {
    const limit = new AdaptiveLimit(config({ initial: 64 }))
    // 64 requests started at 0; the first answer (at 10) is a 429, then the others
    limit.update({ startedAt: 0, latencyMillis: 10, inFlight: 64, dropped: true })
    for (let i = 1; i < 64; i++) limit.update({ startedAt: 0, latencyMillis: 12, inFlight: 64, dropped: true })
    assert.strictEqual(limit.current, 32)
    // a request started after the decrease and dropped too: the server is still refusing
    limit.update({ startedAt: 20, latencyMillis: 10, inFlight: 32, dropped: true })
    assert.strictEqual(limit.current, 16)
  })

  it("never shrinks below the floor", () => {
    const limit = new AdaptiveLimit(config({ initial: 8, min: 3 }))
    for (let t = 0; t < 10; t++) limit.update({ startedAt: t * 100, latencyMillis: 10, inFlight: 8, dropped: true })
    assert.strictEqual(limit.current, 3)
  })

  it("shrinks in proportion when latency rises, by at most half", () => {
    const limit = new AdaptiveLimit(config({ initial: 40, max: 40 }))
    const driver = new Driver(limit)
    driver.round(50) // the baseline: 50 ms
    assert.strictEqual(limit.current, 40)
    driver.round(100) // twice the baseline: × 1.5 · 50 / 100
    assert.strictEqual(limit.current, 30)
    const before = limit.current
    driver.round(1000) // twenty times: by half, not more
    assert.strictEqual(limit.current, Math.floor(before / 2))
  })

  it("keeps its limit when latency rises within the tolerance", () => {
    const limit = new AdaptiveLimit(config({ initial: 40, max: 40 }))
    const driver = new Driver(limit)
    driver.round(50)
    driver.round(70)
    driver.round(60)
    assert.strictEqual(limit.current, 40)
  })

  it("ignores rises of a few milliseconds over sub-millisecond answers", () => {
    const limit = new AdaptiveLimit(config({ initial: 40, max: 40 }))
    const driver = new Driver(limit)
    driver.round(0.2)
    driver.round(3) // fifteen times, but 2.8 ms
    assert.strictEqual(limit.current, 40)
  })

  it("adopts a lasting change of latency and grows again", () => {
    const limit = new AdaptiveLimit(config({ initial: 40, max: 200 }))
    const driver = new Driver(limit)
    driver.round(20)
    driver.round(100) // the path changed: shrinks
    const shrunk = limit.current
    assert.isBelow(shrunk, 40)
    for (let i = 0; i < 30; i++) driver.round(100)
    assert.isAbove(limit.current, shrunk)
  })

  it("recovers after drops once answers are good again", () => {
    const limit = new AdaptiveLimit(config({ initial: 64 }))
    const driver = new Driver(limit)
    driver.round(50, { dropped: 1 })
    assert.strictEqual(limit.current, 32)
    for (let i = 0; i < 10; i++) driver.round(50)
    assert.isAbove(limit.current, 64)
  })
})
