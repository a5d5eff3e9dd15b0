/**
 * The Effect line this package needs, checked once when it is loaded: with Effect 4 installed (npm's `latest`, which
 * a bare `npm install effect` picks), a load through CommonJS fails here with the versions to install, rather than
 * deep in a module that cannot be found.
 */
import * as Effect from "effect/Effect"

/**
 * The ranges of the peers, as the package.json states them.
 *
 * @internal
 */
export const peers = { effect: "^3.22.4", "@effect/platform": "^0.97.2" } as const

/**
 * What to do when the installed `effect` is not on the 3.x line.
 *
 * @internal
 */
export const message = "@effect-fcm/fcm needs Effect 3 (effect@^3.22 with @effect/platform@^0.97), but the " +
  "installed effect is not on the 3.x line (Effect 4 is npm's `latest`). Install the Effect 3 line: " +
  "npm install effect@^3.22 @effect/platform@^0.97 (and @effect/platform-node@^0.108, @effect/cli@^0.77, " +
  "@effect/vitest@^0.30 if you use them)."

/**
 * Whether an `Effect` module is Effect 3's: `Effect.either` is Effect 3 only (Effect 4 renamed it `Effect.result`).
 *
 * @internal
 */
export const isEffect3 = (module: object): boolean => typeof (module as { either?: unknown }).either === "function"

if (!isEffect3(Effect)) throw new Error(message)
