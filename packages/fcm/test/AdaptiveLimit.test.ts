/**
 * The adaptive concurrency limit as pure logic, driven by scripted samples on a fake time line: it steps up while a
 * step raises throughput (judged on requests started after the step), takes back a step that does not, shrinks on
 * dropped requests and on rising latency, and stays within its floor and cap. Simulated servers: a fixed latency with
 * a throughput ceiling, a CPU-bound sender whose latency grows with what is in flight, a 429 storm, and noise.
 */
import { assert, describe, it } from "@effect/vitest"
import { AdaptiveLimit, type Config, defaults, type Sample } from "../src/internal/adaptiveLimit.js"

/** The defaults, with steps of a quarter and windows of one round whatever its length (for the scripted rounds). */
const config = (overrides: Partial<Config> = {}): Config => ({
  initial: 16,
  min: 2,
  max: 100,
  ...defaults,
  step: 1.25,
  minSamples: 1,
  minWindowMillis: 0,
  ...overrides
})

/** The defaults as a client uses them (for the simulated servers). */
const real = (overrides: Partial<Config> & Pick<Config, "initial" | "max">): Config => ({
  min: 1,
  ...defaults,
  ...overrides
})

const most = (values: ReadonlyArray<number>) => values.reduce((a, b) => Math.max(a, b), -Infinity)
const least = (values: ReadonlyArray<number>) => values.reduce((a, b) => Math.min(a, b), Infinity)

/**
 * A sender that keeps the limit full, in rounds: each round is `limit` requests started at `time`, all answered after
 * `latency`; the next round starts just after.
 */
class Driver {
  time = 0
  constructor(readonly limit: AdaptiveLimit) {}
  round(latencyMillis: number, options: { inFlight?: number; dropped?: number } = {}): void {
    const n = this.limit.current
    const startedAt = this.time
    for (let i = 0; i < n; i++) {
      const sample: Sample = {
        startedAt,
        latencyMillis,
        inFlight: options.inFlight ?? n,
        dropped: i < (options.dropped ?? 0)
      }
      this.limit.update(sample)
    }
    this.time += latencyMillis + 1
  }
}

/** How a simulated server answers a request started with `inFlight` requests in flight (itself included). */
type Server = (inFlight: number, now: number) => { readonly latencyMillis: number; readonly dropped: boolean }

/**
 * A sender with more to send than the limit lets through, against `server`: it starts requests whenever fewer than
 * the limit are in flight, and feeds each answer to the limit as it comes (a discrete-event simulation). Answers the
 * requests answered a millisecond, and the limit seen after each answer.
 */
const simulate = (limit: AdaptiveLimit, server: Server, answers: number) => {
  // a binary heap of requests in flight by answer time
  const heap: Array<Sample & { readonly doneAt: number }> = []
  const push = (s: Sample & { readonly doneAt: number }) => {
    heap.push(s)
    let i = heap.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (heap[p]!.doneAt <= heap[i]!.doneAt) break
      ;[heap[p], heap[i]] = [heap[i]!, heap[p]!]
      i = p
    }
  }
  const pop = () => {
    const top = heap[0]!
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      let i = 0
      while (true) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && heap[l]!.doneAt < heap[m]!.doneAt) m = l
        if (r < heap.length && heap[r]!.doneAt < heap[m]!.doneAt) m = r
        if (m === i) break
        ;[heap[m], heap[i]] = [heap[i]!, heap[m]!]
        i = m
      }
    }
    return top
  }
  let now = 0
  const limits: Array<number> = []
  const times: Array<number> = []
  const fill = () => {
    while (heap.length < limit.current) {
      const inFlight = heap.length + 1
      const { dropped, latencyMillis } = server(inFlight, now)
      push({ startedAt: now, latencyMillis, inFlight, dropped, doneAt: now + latencyMillis })
    }
  }
  fill()
  const begin = now
  for (let i = 0; i < answers; i++) {
    const answer = pop()
    now = answer.doneAt
    limit.update(answer)
    limits.push(limit.current)
    times.push(now)
    fill()
  }
  return { perMilli: answers / (now - begin), limits, times }
}

/** A fixed latency up to the server's ceiling of `perMilli` answers a millisecond; beyond it, requests queue. */
const ceiling = (latencyMillis: number, perMilli: number): Server => (inFlight) => ({
  latencyMillis: Math.max(latencyMillis, inFlight / perMilli),
  dropped: false
})

/** A sender that is its own bottleneck: it handles `perMilli` requests a millisecond whatever is in flight. */
const cpuBound = (perMilli: number): Server => (inFlight) => ({ latencyMillis: inFlight / perMilli, dropped: false })

/** A seeded generator, so that noisy runs are the same every time. */
const random = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
  return seed / 2_147_483_648
}

const noisy = (server: Server, spread: number, seed: number): Server => {
  const next = random(seed)
  return (inFlight, now) => {
    const answer = server(inFlight, now)
    return { ...answer, latencyMillis: answer.latencyMillis * (1 + spread * (2 * next() - 1)) }
  }
}

const at = <A>(values: ReadonlyArray<A>, fraction: number): A => values[Math.floor(values.length * fraction)]!

describe("AdaptiveLimit", () => {
  it("steps up after two full windows of flat latency, and again while the steps pay", () => {
    const limit = new AdaptiveLimit(config())
    const driver = new Driver(limit)
    driver.round(50)
    assert.strictEqual(limit.current, 16) // one window: nothing to compare it with
    driver.round(50)
    assert.strictEqual(limit.current, 20) // 16 × 1.25
    driver.round(50) // the step paid: throughput grew with the limit
    assert.strictEqual(limit.current, 25)
    for (let i = 0; i < 10; i++) driver.round(50)
    assert.strictEqual(limit.current, 100) // the cap
    for (let i = 0; i < 10; i++) driver.round(50)
    assert.strictEqual(limit.current, 100)
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

  it("takes back a step whose latency rose with it, and holds longer after each such step", () => {
    const limit = new AdaptiveLimit(config({ initial: 40 }))
    const driver = new Driver(limit)
    // latency in proportion to the limit: no step raises throughput
    const round = () => driver.round(limit.current)
    round()
    round()
    assert.strictEqual(limit.current, 50) // the step
    round()
    assert.strictEqual(limit.current, 40) // taken back: 50 in flight at 50 ms is 40 at 40 ms
    round() // holds one window
    assert.strictEqual(limit.current, 40)
    round() // tries again
    assert.strictEqual(limit.current, 50)
    round()
    assert.strictEqual(limit.current, 40)
    round()
    round() // holds two windows now
    assert.strictEqual(limit.current, 40)
    round()
    assert.strictEqual(limit.current, 50)
  })

  it("judges a step only on requests started after it", () => {
    const limit = new AdaptiveLimit(config({ initial: 40 }))
    for (let i = 0; i < 40; i++) limit.update({ startedAt: 0, latencyMillis: 50, inFlight: 40, dropped: false })
    for (let i = 0; i < 40; i++) limit.update({ startedAt: 60, latencyMillis: 50, inFlight: 40, dropped: false })
    assert.strictEqual(limit.current, 50) // stepped at 110
    // late answers to requests started before the step, slow: they say nothing of the step
    for (let i = 0; i < 40; i++) limit.update({ startedAt: 70, latencyMillis: 200, inFlight: 40, dropped: false })
    assert.strictEqual(limit.current, 50)
    // the step's own requests are as fast as before: it paid, and the next one is taken
    for (let i = 0; i < 50; i++) limit.update({ startedAt: 120, latencyMillis: 50, inFlight: 50, dropped: false })
    assert.strictEqual(limit.current, 62)
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
    driver.round(50) // the first window, a burst: no baseline yet
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
    driver.round(50)
    driver.round(70)
    driver.round(60)
    assert.strictEqual(limit.current, 40)
  })

  it("ignores rises of a few milliseconds over sub-millisecond answers", () => {
    const limit = new AdaptiveLimit(config({ initial: 40, max: 40 }))
    const driver = new Driver(limit)
    driver.round(0.2)
    driver.round(0.2)
    driver.round(3) // fifteen times, but 2.8 ms
    assert.strictEqual(limit.current, 40)
  })

  it("judges a window only once it spans `minWindowMillis`", () => {
    const limit = new AdaptiveLimit(config({ initial: 40, minWindowMillis: 100 }))
    const driver = new Driver(limit)
    driver.round(30) // the first window: complete at once
    driver.round(30)
    driver.round(30)
    driver.round(30)
    assert.strictEqual(limit.current, 40) // 93 ms of the second window: not complete yet
    driver.round(30)
    assert.strictEqual(limit.current, 50) // 124 ms: complete, and steady: the step
    driver.round(30)
    driver.round(30)
    driver.round(30)
    assert.strictEqual(limit.current, 50) // 93 ms from the step to the last answer: not yet
    driver.round(30)
    assert.strictEqual(limit.current, 62) // 124 ms: judged, and it paid
  })

  it("at a fixed latency with a throughput ceiling, ramps to the ceiling and holds near it", () => {
    // 50 ms a request, at most 10 answers a millisecond: 500 in flight is the most that pays
    const limit = new AdaptiveLimit(real({ initial: 256, max: 1_024 }))
    const run = simulate(limit, ceiling(50, 10), 100_000)
    assert.isAtLeast(run.perMilli, 9) // within 10% of the ceiling over the whole run, ramp included
    const late = run.limits.slice(run.limits.length / 2)
    assert.isAtLeast(least(late), 500) // 576: the last step that paid
    assert.isAtMost(at(late.slice().sort((a, b) => a - b), 0.75), 576) // the steps above it are tried, and taken back
  })

  it("at 50 ms with no ceiling in reach, grows from 256 to a cap of 800 in three steps after two steady windows", () => {
    const limit = new AdaptiveLimit(real({ initial: 256, max: 800 }))
    const run = simulate(limit, ceiling(50, 1_000), 50_000)
    const reached = run.limits.indexOf(800)
    assert.isAtLeast(reached, 0)
    assert.isAtMost(run.times[reached]!, 4 * 200 + 100)
    assert.strictEqual(new Set(run.limits.slice(0, reached + 1)).size, 4) // 256, 384, 576, 800
  })

  it("holds near its start on a CPU-bound sender, whose latency grows with what is in flight", () => {
    const limit = new AdaptiveLimit(real({ initial: 256, max: 1_024 }))
    const run = simulate(limit, cpuBound(8), 200_000)
    assert.isAtMost(most(run.limits), 384) // one step above its start at most
    assert.isAtLeast(least(run.limits), 256)
  })

  it("takes no step on a CPU-bound sender that speeds up on its own (warming up)", () => {
    // from 2 to 8 requests a millisecond over the first 3 seconds: every window is faster than the one before
    const warming: Server = (inFlight, now) => cpuBound(2 + 6 * Math.min(1, now / 3_000))(inFlight, now)
    const limit = new AdaptiveLimit(real({ initial: 256, max: 1_024 }))
    const run = simulate(limit, warming, 60_000)
    assert.isAtMost(most(run.limits), 384)
  })

  it("a step whose window the sender did not fill proves nothing", () => {
    const limit = new AdaptiveLimit(config({ initial: 40 }))
    const driver = new Driver(limit)
    driver.round(50)
    driver.round(50)
    assert.strictEqual(limit.current, 50) // the step
    driver.round(50, { inFlight: 20 }) // the sender had only 20 to send
    assert.strictEqual(limit.current, 40) // taken back, without a hold
    driver.round(50) // a new measure
    assert.strictEqual(limit.current, 40)
    driver.round(50)
    assert.strictEqual(limit.current, 50) // tried again
  })

  it("holds a few hundred on a noisy CPU-bound sender, and still ramps on a noisy fixed latency", () => {
    for (const seed of [1, 2, 3]) {
      const cpu = new AdaptiveLimit(real({ initial: 256, max: 1_024 }))
      const busy = simulate(cpu, noisy(cpuBound(8), 0.2, seed), 100_000)
      assert.isAtMost(at(busy.limits.slice().sort((a, b) => a - b), 0.9), 400, `seed ${seed}`)
      const far = new AdaptiveLimit(real({ initial: 256, max: 1_024 }))
      const flat = simulate(far, noisy(ceiling(50, 1_000), 0.2, seed), 100_000)
      assert.isAtLeast(at(flat.limits, 0.9), 800, `seed ${seed}`)
    }
  })

  it("collapses in a 429 storm and recovers once the server takes requests again", () => {
    const limit = new AdaptiveLimit(real({ initial: 256, max: 1_024 }))
    const stormEnds = 2_000
    const run = simulate(limit, (_, now) => ({ latencyMillis: 50, dropped: now < stormEnds }), 50_000)
    const duringStorm = run.limits.filter((_, i) => run.times[i]! < stormEnds)
    assert.isAtMost(least(duringStorm), 2)
    assert.isAtLeast(run.limits[run.limits.length - 1]!, 512)
  })

  it("adopts a lasting change of latency and grows again", () => {
    const limit = new AdaptiveLimit(config({ initial: 40, max: 40 })) // at its cap: no step to judge
    const driver = new Driver(limit)
    driver.round(20)
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
