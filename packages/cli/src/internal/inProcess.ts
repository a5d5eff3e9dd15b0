/**
 * The in-process emulator behind `--emulator`: it refuses the flags it provides itself, then starts the emulator in
 * the command's scope, loaded only when asked for so that ordinary commands start faster.
 */
import type { FcmServer } from "@effect-fcm/emulator"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { CliError, ExitCode, usage } from "./errors.js"

/**
 * Starts the emulator for `--emulator`. `provided` are the flags the emulator replaces, each with its value (unset
 * when `undefined`): any one given is a usage error naming it.
 *
 * @internal
 */
export const startEmulator = (
  provided: ReadonlyArray<readonly [flag: string, value: unknown]>,
  projectId: string | undefined
): Effect.Effect<FcmServer.Service, CliError, Scope.Scope> =>
  Effect.gen(function*() {
    const clash = provided.filter(([, value]) => value !== undefined).map(([flag]) => flag)
    if (clash.length > 0) {
      return yield* usage(`--emulator provides the credentials and the URL: drop ${clash.join(", ")}`)
    }
    const { FcmServer } = yield* Effect.promise(() => import("@effect-fcm/emulator"))
    return yield* FcmServer.make(projectId === undefined ? {} : { projectId }).pipe(
      Effect.mapError((e) => new CliError({ code: ExitCode.Transport, message: e.message }))
    )
  })
