import type { HttpClient, HttpClientError, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import type { Clock } from "effect"
import { ConfigError, Duration, Effect, Either } from "effect"
import { TransportError } from "../FcmError.js"

/** @internal */
export interface Answer {
  readonly status: number
  readonly body: string
  readonly retryAfter: string | undefined
  readonly nowMillis: number
}

/**
 * The request could not complete: `retryable` failures (network, timeout, a body cut short) leave the targets to be
 * sent again; the others (an invalid URL, a body that cannot be encoded) are a `TransportError`.
 *
 * @internal
 */
export type Failure =
  | { readonly _tag: "Retryable"; readonly reason: string }
  | { readonly _tag: "Fatal"; readonly error: TransportError }

const describe = (error: HttpClientError.HttpClientError): string => {
  const detail = error.description ?? (error.cause instanceof Error ? error.cause.message : undefined)
  return detail === undefined ? error.reason : `${error.reason}: ${detail}`
}

/** @internal */
export const fromHttpError = (error: HttpClientError.HttpClientError): Failure => {
  if (error._tag === "RequestError" && error.reason !== "Transport") {
    return {
      _tag: "Fatal",
      error: new TransportError({ reason: `the request could not be made (${describe(error)})`, retryable: false })
    }
  }
  return { _tag: "Retryable", reason: `NetworkError: ${describe(error)}` }
}

/**
 * Sends a request and reads the whole answer, within `timeout` when one is given. Never fails: the outcome is an
 * answer or a failure. `nowMillis` is read from `clock` when one is given (a sender captures its fiber's clock once
 * per fan-out), else from the fiber's `Clock`.
 *
 * @internal
 */
export const exchange = (
  http: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  timeout: Duration.Duration | undefined,
  clock?: Clock.Clock
): Effect.Effect<Either.Either<Answer, Failure>> => {
  const answer = Effect.flatMap(
    http.execute(request),
    clock === undefined ? readAnswer : (response) => readAnswerAt(response, clock)
  )
  if (timeout === undefined) return Effect.match(answer, matchAnswer)
  return answer.pipe(
    Effect.timeoutFail({ duration: timeout, onTimeout: () => "timeout" as const }),
    Effect.mapError((error): Failure =>
      error === "timeout"
        ? { _tag: "Retryable", reason: `Timeout: no answer within ${Duration.format(timeout)}` }
        : fromHttpError(error)
    ),
    Effect.either
  )
}

/**
 * An answer read from a response. `retryAfter` is read from the headers only when asked for: a sender that never
 * looks at it (v1 on a 200) does not pay for converting the response's headers.
 */
class ResponseAnswer implements Answer {
  constructor(
    private readonly response: HttpClientResponse.HttpClientResponse,
    readonly body: string,
    readonly nowMillis: number
  ) {}
  get status(): number {
    return this.response.status
  }
  get retryAfter(): string | undefined {
    return this.response.headers["retry-after"]
  }
}

const readAnswer = (
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<Answer, HttpClientError.ResponseError> => Effect.clockWith((clock) => readAnswerAt(response, clock))

const readAnswerAt = (
  response: HttpClientResponse.HttpClientResponse,
  clock: Clock.Clock
): Effect.Effect<Answer, HttpClientError.ResponseError> =>
  Effect.flatMap(
    response.text,
    (body) => Effect.succeed(new ResponseAnswer(response, body, clock.unsafeCurrentTimeMillis()))
  )

const matchAnswer = {
  onFailure: (error: HttpClientError.HttpClientError): Either.Either<Answer, Failure> =>
    Either.left(fromHttpError(error)),
  onSuccess: (answer: Answer): Either.Either<Answer, Failure> => Either.right(answer)
}

/**
 * Checks the shared numeric options of the protocol layers.
 *
 * @internal
 */
export const checkPositiveInt = (field: string, value: number): Effect.Effect<number, ConfigError.ConfigError> =>
  Number.isSafeInteger(value) && value > 0
    ? Effect.succeed(value)
    : Effect.fail(ConfigError.InvalidData([field], `${field} must be a positive integer, got ${String(value)}`))

/** @internal */
export const checkTimeout = (
  value: Duration.DurationInput
): Effect.Effect<Duration.Duration, ConfigError.ConfigError> => {
  const duration = Duration.decodeUnknown(value)
  return duration._tag === "Some" && Duration.greaterThan(duration.value, Duration.zero)
    ? Effect.succeed(duration.value)
    : Effect.fail(ConfigError.InvalidData(["timeout"], `timeout must be a positive duration, got ${String(value)}`))
}

/** @internal */
export const checkBaseUrl = (value: string): Effect.Effect<string, ConfigError.ConfigError> => {
  try {
    const url = new URL(value)
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http")
    return Effect.succeed(value.replace(/\/+$/, ""))
  } catch {
    return Effect.fail(ConfigError.InvalidData(["baseUrl"], `baseUrl must be an http(s) URL, got ${value}`))
  }
}
