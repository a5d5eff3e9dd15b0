/**
 * `fcm token`: exchanges a service-account key for an OAuth2 access token, as HTTP v1 sends do, and prints it,
 * redacted unless asked.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { CliError, ExitCode, transportMessage, usage } from "./errors.js"
import * as Http from "./http.js"
import * as Parse from "./parse.js"
import { credentialsFromFile, credentialsPath } from "./send.js"

/** @internal */
export interface Input {
  readonly credentials: string | undefined
  readonly project: string | undefined
  readonly ca: string | undefined
  readonly reveal: boolean
}

/**
 * How a token is shown unless `--reveal`: its length only.
 *
 * @internal
 */
export const redact = (token: string): string => `<redacted: ${token.length} chars>`

/**
 * Prints the access token on stdout (and where it came from on stderr).
 *
 * @internal
 */
export const run = (input: Input): Effect.Effect<ExitCode, CliError> =>
  Effect.scoped(Effect.gen(function*() {
    const path = yield* credentialsPath(input.credentials)
    if (path === undefined) {
      return yield* usage(
        "no credentials: pass --credentials service-account.json or set GOOGLE_APPLICATION_CREDENTIALS"
      )
    }
    const ca = input.ca === undefined ? undefined : [yield* Parse.readText(input.ca, "certificate file")]
    const http = Context.get(yield* Layer.build(Http.layer({ ca })), HttpClient.HttpClient)
    const credentials = yield* credentialsFromFile(path, { projectId: input.project }).pipe(
      Effect.provideService(HttpClient.HttpClient, http)
    )
    const token = yield* credentials.accessToken.pipe(
      Effect.mapError((e) =>
        e._tag === "AuthenticationError"
          ? new CliError({ code: ExitCode.Authentication, message: e.message })
          : new CliError({ code: ExitCode.Transport, message: transportMessage(e) })
      )
    )
    const project = Option.getOrUndefined(credentials.projectId)
    yield* Console.error(`${credentials.description}${project === undefined ? "" : `, project ${project}`}`)
    const value = Redacted.value(token)
    yield* Console.log(input.reveal ? value : redact(value))
    return ExitCode.Ok
  }))
