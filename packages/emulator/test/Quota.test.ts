/**
 * The configured project quota: a token bucket of messages on the requests' clock; a send beyond it is answered with
 * the project-quota 429 of its protocol and counts nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import { ERROR_INFO, legacy, makeModel, NOW, v1 } from "./helpers.js"

const send = (token: string) => ({ message: { token, data: { a: "b" } } })
const multicast = (n: number) => ({ registration_ids: Array.from({ length: n }, (_, i) => `t${i}`) })

describe("Model quota", () => {
  it("answers v1 sends beyond the bucket with RESOURCE_EXHAUSTED, the project's ErrorInfo and a Retry-After", () => {
    const model = makeModel({ quota: { perMinute: 60_000, burst: 3 } }) // one message a millisecond
    for (let i = 0; i < 3; i++) assert.strictEqual(v1(model, send(`t${i}`)).status, 200)
    const refused = v1(model, send("t3"))
    assert.strictEqual(refused.status, 429)
    assert.strictEqual(refused.json.error.status, "RESOURCE_EXHAUSTED")
    const info = refused.json.error.details.find((d: any) => d["@type"] === ERROR_INFO)
    assert.strictEqual(info.reason, "RATE_LIMIT_EXCEEDED")
    assert.strictEqual(info.metadata.quota_limit, "SendsPerMinutePerProject")
    assert.strictEqual(refused.headers["retry-after"], "1")
    // a millisecond later, one message's room
    assert.strictEqual(v1(model, send("t3"), { now: NOW + 1 }).status, 200)
    assert.strictEqual(v1(model, send("t4"), { now: NOW + 1 }).status, 429)
    // never more than the burst, however long the wait
    for (let i = 0; i < 3; i++) assert.strictEqual(v1(model, send(`u${i}`), { now: NOW + 60_000 }).status, 200)
    assert.strictEqual(v1(model, send("u3"), { now: NOW + 60_000 }).status, 429)
    const counters = model.counters()
    assert.strictEqual(counters.statuses["429"], 3)
    assert.strictEqual(counters.delivered, 7)
  })

  it("counts a legacy request's tokens and refuses the whole request when they do not fit", () => {
    const model = makeModel({ quota: { perMinute: 60_000, burst: 1_000 } })
    assert.strictEqual(legacy(model, multicast(600)).json.success, 600)
    const refused = legacy(model, multicast(500))
    assert.strictEqual(refused.status, 429)
    assert.isString(refused.headers["retry-after"])
    // the refused request took nothing: the 400 left still go
    assert.strictEqual(legacy(model, multicast(400)).json.success, 400)
    assert.strictEqual(legacy(model, multicast(500), { now: NOW + 500 }).json.success, 500)
  })

  it("starts full again after a reset, and has no quota unless configured", () => {
    const model = makeModel({ quota: { perMinute: 60, burst: 1 } })
    assert.strictEqual(v1(model, send("a")).status, 200)
    assert.strictEqual(v1(model, send("b")).status, 429)
    model.reset()
    assert.strictEqual(v1(model, send("c")).status, 200)
    const unlimited = makeModel()
    for (let i = 0; i < 100; i++) assert.strictEqual(v1(unlimited, send(`t${i}`)).status, 200)
  })
})
