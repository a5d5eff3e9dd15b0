/**
 * The version of `@effect-fcm/cli`, read from its package.json: the nearest one up from this module that names the
 * package (`src/` in a clone, `build/esm/` or `build/cjs/` when installed), so `fcm --version` cannot disagree with
 * the package.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/**
 * The `version` of the nearest package.json named `name` at or above `dir`, or undefined.
 *
 * @internal
 */
export const find = (dir: string, name: string): string | undefined => {
  for (let current = dir;; current = path.dirname(current)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(current, "package.json"), "utf8"))
      if (manifest.name === name && typeof manifest.version === "string") return manifest.version
    } catch {
      // no package.json here, or not one we can read: keep going up
    }
    if (path.dirname(current) === current) return undefined
  }
}

/**
 * The version of this package ("unknown" if its package.json cannot be found, as in a bundle).
 *
 * @internal
 */
export const version: string = find(path.dirname(fileURLToPath(import.meta.url)), "@effect-fcm/cli") ?? "unknown"
