/**
 * Loaded with an `effect` that is not on the 3.x line (Effect 4 is npm's `latest`), the package fails at once with
 * the versions to install.
 */
import { assert, describe, it, vi } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as EffectVersion from "../src/internal/effectVersion.js"

describe("the Effect line", () => {
  it("tells Effect 3's Effect module from Effect 4's", () => {
    assert.isTrue(EffectVersion.isEffect3(Effect))
    assert.isFalse(EffectVersion.isEffect3({ result: () => undefined, succeed: () => undefined }))
  })

  it("names the ranges the package.json states", () => {
    const manifest = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8"))
    assert.deepStrictEqual(EffectVersion.peers, {
      effect: manifest.peerDependencies.effect,
      "@effect/platform": manifest.peerDependencies["@effect/platform"]
    })
    assert.include(EffectVersion.message, "npm install effect@^3.22 @effect/platform@^0.97")
  })

  it("loading the package with Effect 4's Effect module fails with that message", async () => {
    vi.resetModules()
    vi.doMock("effect/Effect", () => ({ either: undefined, result: () => undefined, succeed: () => undefined }))
    try {
      const error = await import("../src/index.js").then(() => undefined, (e: unknown) => e)
      assert.instanceOf(error, Error)
      assert.strictEqual((error as Error).message, EffectVersion.message)
    } finally {
      vi.doUnmock("effect/Effect")
      vi.resetModules()
    }
  })
})
