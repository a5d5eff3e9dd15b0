/**
 * Exit codes, and the one error type the commands fail with: a message for stderr and the code to exit with.
 */
import type { FcmError } from "@effect-fcm/fcm"
import type * as ConfigError from "effect/ConfigError"
import * as Data from "effect/Data"

/**
 * The exit codes of `fcm`, for scripts.
 *
 * @internal
 */
export const ExitCode = {
  /** Every target was delivered (a canonical, replaced token counts as delivered). */
  Ok: 0,
  /** Unexpected failure (a bug): please report it. */
  Unexpected: 1,
  /** Invalid input or usage; nothing was sent. */
  Usage: 2,
  /** The credentials (service account key or API key) were rejected. */
  Authentication: 3,
  /** Some targets are not registered or failed for good; none is left to retry. */
  Partial: 4,
  /** Some targets are still retryable after the retries. */
  Retryable: 5,
  /** The exchange with FCM failed as a whole (an unexpected answer, a non-retryable transport failure). */
  Transport: 6,
  /** Interrupted (Ctrl-C, SIGTERM). */
  Interrupted: 130
} as const

/** @internal */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * A failure of a command: `message` goes to stderr as one line (empty when the command already explained itself),
 * `code` is the exit code.
 *
 * @internal
 */
export class CliError extends Data.TaggedError("CliError")<{
  readonly code: ExitCode
  readonly message: string
}> {}

/** @internal */
export const usage = (message: string): CliError => new CliError({ code: ExitCode.Usage, message })

/**
 * The exit code and message of a send that failed as a whole.
 *
 * @internal
 */
export const fromFcmError = (error: FcmError.FcmError, hint?: (field: string) => string | undefined): CliError => {
  switch (error._tag) {
    case "AuthenticationError":
      return new CliError({ code: ExitCode.Authentication, message: error.message })
    case "InvalidMessage": {
      const flag = hint?.(error.field)
      return new CliError({
        code: ExitCode.Usage,
        message: flag === undefined ? error.message : `${error.message} (${flag})`
      })
    }
    case "TransportError":
      return new CliError({ code: ExitCode.Transport, message: transportMessage(error) })
  }
}

/**
 * A transport failure in one line: the reason, the status and the start of the body.
 *
 * @internal
 */
export const transportMessage = (error: {
  readonly reason: string
  readonly status?: number | undefined
  readonly body?: string | undefined
}): string => {
  const status = error.status === undefined ? "" : ` (HTTP ${error.status})`
  const body = error.body === undefined || error.body.length === 0
    ? ""
    : `: ${error.body.length > 120 ? `${error.body.slice(0, 120)}…` : error.body}`
  return `transport failure: ${error.reason}${status}${body}`.replace(/\s+/g, " ")
}

/** @internal */
export const fromConfigError = (error: ConfigError.ConfigError): CliError => {
  const messages: Array<string> = []
  const walk = (e: ConfigError.ConfigError): void => {
    switch (e._op) {
      case "And":
      case "Or":
        walk(e.left)
        walk(e.right)
        break
      case "InvalidData":
      case "MissingData":
      case "SourceUnavailable":
      case "Unsupported":
        messages.push(e.message)
    }
  }
  walk(error)
  return usage(messages.join("; ") || String(error))
}
