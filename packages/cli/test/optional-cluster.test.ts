/**
 * `@effect-fcm/cluster` is an optional peer of the command line: `fcm` runs without it, and `fcm broadcast` and
 * `fcm runner` name it when it is missing. The subprocesses resolve the package as absent through a module hook.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { CLUSTER_PACKAGE, loadCluster } from "../src/internal/broadcast.js"
import { fcm, tempDir } from "./support.js"

/** A module that makes `@effect-fcm/cluster` unresolvable, as in a project that did not install it. */
const hideCluster = () => {
  const dir = tempDir()
  const hooks = path.join(dir, "hooks.mjs")
  fs.writeFileSync(
    hooks,
    `export async function resolve(specifier, context, next) {
      if (specifier === "${CLUSTER_PACKAGE}" || specifier.startsWith("${CLUSTER_PACKAGE}/")) {
        const error = new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL)
        error.code = "ERR_MODULE_NOT_FOUND"
        throw error
      }
      return next(specifier, context)
    }\n`
  )
  const register = path.join(dir, "register.mjs")
  fs.writeFileSync(
    register,
    `import { register } from "node:module"\nregister(${JSON.stringify(pathToFileURL(hooks).href)})\n`
  )
  return { NODE_OPTIONS: `--import ${pathToFileURL(register).href}` }
}

describe("fcm without @effect-fcm/cluster", () => {
  it.effect(
    "runs its other commands, and broadcast and runner name the package to install (exit 2)",
    () =>
      Effect.gen(function*() {
        const env = hideCluster()
        const version = yield* fcm(["--version"], { env })
        assert.strictEqual(version.code, 0, version.stderr)
        const db = path.join(tempDir(), "campaigns.db")
        for (const args of [["broadcast", "status", "--id", "x", "--db", db], ["runner", "--db", db]]) {
          const run = yield* fcm(args, { env })
          assert.strictEqual(run.code, 2, run.stderr)
          assert.include(run.stderr, `need ${CLUSTER_PACKAGE}, which is not installed: npm install ${CLUSTER_PACKAGE}`)
        }
        assert.ok(!fs.existsSync(db), "nothing created")
      }),
    { timeout: 60_000 }
  )

  it.effect("a package that fails to load for another reason is named with that reason", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(loadCluster(() => Promise.reject(new Error("better_sqlite3.node: bad ELF"))))
      assert.strictEqual(error.code, 2)
      assert.include(error.message, `need ${CLUSTER_PACKAGE}, which failed to load: better_sqlite3.node: bad ELF`)
    }))
})
