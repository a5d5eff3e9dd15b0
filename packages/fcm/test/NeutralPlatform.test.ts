/**
 * The core is runtime-agnostic: bundled by esbuild for a neutral platform (no Node built-ins to resolve), it sends
 * over HTTP v1, service-account credentials and streams included, in a `vm` context that has only web-standard
 * globals: no `process`, `Buffer`, `setImmediate` or `require`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as esbuild from "esbuild"
import { generateKeyPairSync } from "node:crypto"
import { fileURLToPath } from "node:url"
import * as vm from "node:vm"
import type * as Program from "./neutral/program.js"

const entry = fileURLToPath(new URL("./neutral/program.ts", import.meta.url))

/** The globals a browser, a worker, Deno or Bun all offer; nothing Node-only. */
const webGlobals = () => ({
  setTimeout,
  clearTimeout,
  setInterval,
  clearInterval,
  queueMicrotask,
  structuredClone,
  TextEncoder,
  TextDecoder,
  URL,
  URLSearchParams,
  AbortController,
  AbortSignal,
  Headers,
  Request,
  Response,
  fetch,
  crypto: globalThis.crypto,
  atob,
  btoa,
  console,
  performance
})

const bundle = async (): Promise<string> => {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: "neutral",
    // packages that only declare `main`/`module` (neutral resolves none by default)
    mainFields: ["module", "main"],
    format: "iife",
    globalName: "NeutralProgram",
    target: "es2022",
    write: false,
    logLevel: "silent"
  })
  return result.outputFiles[0]!.text
}

describe("the core on a neutral platform", () => {
  it("bundles with no Node built-in and sends through an in-memory FCM with only web globals", async () => {
    // esbuild fails here if anything the core imports resolves to a Node built-in (`node:fs`, `fs`, …)
    const code = await bundle()
    assert.notMatch(code, /["'`]node:[a-z_/]+["'`]/, "the bundle names a node: module")

    const { privateKey, publicKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" }
    })
    const context = vm.createContext(webGlobals())
    vm.runInContext(code, context, { filename: "neutral-bundle.js" })
    for (const name of ["process", "Buffer", "setImmediate", "require", "global"]) {
      assert.strictEqual(vm.runInContext(`typeof ${name}`, context), "undefined", name)
    }

    const program = (context as { NeutralProgram: typeof Program }).NeutralProgram
    const input: Program.Input = { privateKeyPem: privateKey, publicKeyPem: publicKey, streamTokens: 1500 }
    const summary = JSON.parse(await program.run(input)) as Record<string, unknown>
    assert.deepStrictEqual(summary, {
      success: ["device-1"],
      notRegistered: ["gone-1"],
      streamSuccess: 1500,
      timerFiredDuringStream: true,
      tokenRequests: 1,
      verifiedAssertions: 1,
      sends: 1502,
      bearer: ["Bearer ya29.neutral"]
    })
  }, 60_000)
})
