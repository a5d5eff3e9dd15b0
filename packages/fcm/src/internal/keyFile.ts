/**
 * Reading a service account key file through `@effect/platform`'s `FileSystem`: a file that cannot be read is a
 * `ConfigError` naming where its path came from (the `path` argument or `GOOGLE_APPLICATION_CREDENTIALS`) and why,
 * never an `AuthenticationError`.
 *
 * @internal
 */
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"

/** Where a key file's path came from, and what to check when it cannot be read. @internal */
export interface Origin {
  readonly name: string
  readonly hint: string
}

/** The path passed as an argument. @internal */
export const PATH_ARGUMENT: Origin = { name: "path", hint: "check the path and the file's permissions" }

/** The path in `GOOGLE_APPLICATION_CREDENTIALS`. @internal */
export const ENV_VARIABLE: Origin = {
  name: "GOOGLE_APPLICATION_CREDENTIALS",
  hint: "check the path in GOOGLE_APPLICATION_CREDENTIALS and the file's permissions"
}

const describeReadFailure = (error: PlatformError.PlatformError): string => {
  if (error._tag === "SystemError") {
    switch (error.reason) {
      case "NotFound":
        return "no such file"
      case "PermissionDenied":
        return "permission denied"
      case "BadResource":
        return "not a regular file"
      default:
        return error.description ?? error.reason
    }
  }
  return error.description ?? "it could not be decoded as text"
}

/** The text of the key file at `path`. @internal */
export const read = (
  path: string,
  origin: Origin
): Effect.Effect<string, ConfigError.ConfigError, FileSystem.FileSystem> =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path)).pipe(
    Effect.mapError((error) =>
      ConfigError.InvalidData(
        [origin.name],
        `service account key file ${path} could not be read: ${describeReadFailure(error)}; ${origin.hint}`
      )
    )
  )
