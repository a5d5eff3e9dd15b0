import { Message } from "@effect-fcm/fcm"
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { firstDuplicate } from "../src/internal/duplicates.js"

/** What `firstDuplicate` must answer: the first repeat, with the index of its first occurrence. */
const reference = (tokens: ReadonlyArray<string>): readonly [number, number] | undefined => {
  const seen = new Map<string, number>()
  for (let i = 0; i < tokens.length; i++) {
    const first = seen.get(tokens[i]!)
    if (first !== undefined) return [i, first]
    seen.set(tokens[i]!, i)
  }
  return undefined
}

/** A deterministic generator (mulberry32), so that every run checks the same tokens. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
const tokenFrom = (next: () => number, length: number) =>
  Array.from({ length }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join("")

// tokens that differ only in their middle: the same length and the same first and last 16 characters
const middle = (i: number) => `${"p".repeat(20)}${i.toString(36).padStart(6, "0")}${"s".repeat(20)}`

describe("duplicate tokens", () => {
  it("distinct tokens have none, however alike their ends", () => {
    assert.strictEqual(firstDuplicate(Array.from({ length: 5000 }, (_, i) => middle(i))), undefined)
    const next = random(1)
    assert.strictEqual(firstDuplicate(Array.from({ length: 20_000 }, () => tokenFrom(next, 152))), undefined)
    assert.strictEqual(firstDuplicate([]), undefined)
    assert.strictEqual(firstDuplicate(["a"]), undefined)
    assert.strictEqual(firstDuplicate(["a", "b", "ab", "ba", "aa"]), undefined)
  })

  it("the first repeat is found with its first occurrence, whatever the tokens look like", () => {
    const alike = Array.from({ length: 5000 }, (_, i) => middle(i))
    alike[4000] = alike[123]!
    alike[4500] = alike[123]!
    assert.deepStrictEqual(firstDuplicate(alike), [4000, 123])

    const next = random(2)
    for (let round = 0; round < 50; round++) {
      const n = 2 + Math.floor(next() * 3000)
      const length = 1 + Math.floor(next() * 40)
      const tokens = Array.from({ length: n }, () => tokenFrom(next, length))
      // copy a few tokens over later ones (or none)
      for (let k = Math.floor(next() * 3); k > 0; k--) {
        tokens[Math.floor(next() * n)] = tokens[Math.floor(next() * n)]!
      }
      assert.deepStrictEqual(firstDuplicate(tokens), reference(tokens))
    }
  })

  it("Message.validate names the repeat and its first occurrence", () => {
    const tokens = Array.from({ length: 5000 }, (_, i) => middle(i))
    tokens[4999] = tokens[0]!
    const error = Either.getLeft(Message.validateEither(Message.multicast(tokens)))
    assert.ok(error._tag === "Some")
    assert.strictEqual(error.value.field, "tokens[4999]")
    assert.include(error.value.message, "duplicates tokens[0]")
  })
})
