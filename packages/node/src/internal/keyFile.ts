/**
 * The file system `NodeFcm.layer` gives its credentials: it reads a service account key with `node:fs` and nothing
 * else, so that `@effect-fcm/node` needs no `@effect/platform-node`. Every other operation is `FileSystem`'s no-op.
 *
 * @internal
 */
import * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import { readFile } from "node:fs/promises"

const REASONS: Readonly<Record<string, PlatformError.SystemErrorReason>> = {
  ENOENT: "NotFound",
  ENOTDIR: "NotFound",
  EACCES: "PermissionDenied",
  EPERM: "PermissionDenied",
  EISDIR: "BadResource",
  EBUSY: "Busy",
  ETIMEDOUT: "TimedOut"
}

/**
 * @internal
 */
export const layer: Layer.Layer<FileSystem.FileSystem> = FileSystem.layerNoop({
  readFileString: (path) =>
    Effect.tryPromise({
      try: (signal) => readFile(path, { encoding: "utf8", signal }),
      catch: (cause) => {
        const code = typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : undefined
        return new PlatformError.SystemError({
          module: "FileSystem",
          method: "readFileString",
          reason: (typeof code === "string" ? REASONS[code] : undefined) ?? "Unknown",
          pathOrDescriptor: path,
          description: typeof code === "string" ? code : String(cause),
          cause
        })
      }
    })
})
