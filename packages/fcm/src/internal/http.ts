import type { HttpClient, HttpClientError, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import type * as Clock from "effect/Clock"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as DirectExchange from "../DirectExchange.js"
import { TransportError } from "../FcmError.js"

/** @internal */
export interface Answer {
  readonly status: number
  readonly body: string
  readonly retryAfter: string | undefined
  readonly nowMillis: number
}

/**
 * The request could not complete: `Retryable` failures (network, timeout, a body cut short) leave the targets to be
 * sent again, `mayHaveBeenProcessed` telling whether FCM may have acted on the request (a resend may then deliver a
 * message twice) or provably did not (nothing reached it); `Fatal` ones (an invalid URL, a body that cannot be
 * encoded, a configuration that can never work: a certificate that does not verify, an unknown host, nothing
 * listening at the URL) are a `TransportError` that fails the send without spending the backoff.
 *
 * @internal
 */
export type Failure =
  | { readonly _tag: "Retryable"; readonly reason: string; readonly mayHaveBeenProcessed: boolean }
  | { readonly _tag: "Fatal"; readonly error: TransportError }

const describe = (error: HttpClientError.HttpClientError): string => {
  const detail = error.description ?? (error.cause instanceof Error ? error.cause.message : undefined)
  return detail === undefined ? error.reason : `${error.reason}: ${detail}`
}

/**
 * What a transport says about a failed request, read from the `cause` of its `RequestError` (reason
 * `"Transport"`). The contract is structural, so that any `HttpClient` can take part: a cause with a boolean
 * `mayHaveBeenProcessed` speaks for itself (`@effect-fcm/node`'s `WireError` does, with its `code` and
 * `connectedBefore`); for any other cause, the first `code` along its `cause` chain is read (platform's Node and
 * fetch clients fail with the system error, or a `TypeError` caused by it), a failure to connect counts as not
 * processed and anything else as possibly processed.
 *
 * @internal
 */
export interface TransportSignal {
  readonly mayHaveBeenProcessed: boolean
  readonly code: string | undefined
  readonly connectedBefore: boolean
}

/** Certificate verification failures (OpenSSL's, as Node reports them): retrying cannot make them pass. */
const TLS_VERIFICATION_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "INVALID_CA",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "HOSTNAME_MISMATCH"
])

/** Codes of a connection that could not be made: the request never left the process. */
const NOT_SENT_CODES = new Set([
  ...TLS_VERIFICATION_CODES,
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH"
])

const codeOf = (u: unknown): string | undefined => {
  const code = typeof u === "object" && u !== null ? (u as { readonly code?: unknown }).code : undefined
  return typeof code === "string" ? code : undefined
}

/** @internal */
export const transportSignal = (cause: unknown): TransportSignal => {
  if (typeof cause === "object" && cause !== null) {
    const signal = cause as { readonly mayHaveBeenProcessed?: unknown; readonly connectedBefore?: unknown }
    if (typeof signal.mayHaveBeenProcessed === "boolean") {
      return {
        mayHaveBeenProcessed: signal.mayHaveBeenProcessed,
        code: codeOf(cause),
        connectedBefore: signal.connectedBefore === true
      }
    }
  }
  let code: string | undefined
  let current = cause
  for (let depth = 0; depth < 5 && code === undefined && typeof current === "object" && current !== null; depth++) {
    code = codeOf(current)
    current = (current as { readonly cause?: unknown }).cause
  }
  return { mayHaveBeenProcessed: code === undefined || !NOT_SENT_CODES.has(code), code, connectedBefore: false }
}

const originOf = (request: HttpClientRequest.HttpClientRequest): string => {
  try {
    return new URL(request.url).origin
  } catch {
    return request.url
  }
}

/**
 * The reason a transport failure can never succeed when retried, or `undefined` when it may: a certificate that
 * does not verify, and (on first contact, not after the origin answered before: that is a server restarting) an
 * unknown host or a refused connection. The reason names the origin and the fix; `setting` is where the URL comes
 * from (`baseUrl` for a sender).
 *
 * @internal
 */
export const configurationFailure = (
  request: HttpClientRequest.HttpClientRequest,
  signal: TransportSignal,
  setting = "baseUrl"
): string | undefined => {
  const code = signal.code
  if (code === undefined) return undefined
  if (TLS_VERIFICATION_CODES.has(code)) {
    return `the TLS certificate of ${originOf(request)} does not verify (${code}): trust its certificate ` +
      `authority with NodeFcm.layer({ transport: { ca } }) (Http2Client's ca option) or NODE_EXTRA_CA_CERTS, ` +
      `or check ${setting}`
  }
  if (signal.connectedBefore) return undefined
  if (code === "ENOTFOUND") {
    return `the host of ${originOf(request)} is unknown (ENOTFOUND): check ${setting}`
  }
  if (code === "ECONNREFUSED") {
    return `${originOf(request)} refused the connection (ECONNREFUSED): nothing listens there; check ${setting} ` +
      `(and that the server or emulator it names is running)`
  }
  return undefined
}

/** @internal */
export const fromHttpError = (error: HttpClientError.HttpClientError): Failure => {
  if (error._tag === "ResponseError") {
    return { _tag: "Retryable", reason: `NetworkError: ${describe(error)}`, mayHaveBeenProcessed: true }
  }
  if (error.reason !== "Transport") {
    return {
      _tag: "Fatal",
      error: new TransportError({ reason: `the request could not be made (${describe(error)})`, retryable: false })
    }
  }
  const signal = transportSignal(error.cause)
  const configuration = configurationFailure(error.request, signal)
  if (configuration !== undefined) {
    return { _tag: "Fatal", error: new TransportError({ reason: configuration, retryable: false }) }
  }
  return {
    _tag: "Retryable",
    reason: `NetworkError: ${describe(error)}`,
    mayHaveBeenProcessed: signal.mayHaveBeenProcessed
  }
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
        ? {
          _tag: "Retryable",
          reason: `Timeout: no answer within ${Duration.format(timeout)}`,
          mayHaveBeenProcessed: true
        }
        : fromHttpError(error)
    ),
    Effect.either
  )
}

/**
 * What a direct exchange ({@link DirectExchange.DirectExchange}) fails with: the transport's `HttpClientError`, or
 * `"timeout"` when the sender's own timeout (`Effect.timeoutFail`) ran out first.
 *
 * @internal
 */
export type DirectError = HttpClientError.HttpClientError | "timeout"

/**
 * The failure of a direct exchange, classified as {@link exchange} classifies the same failure of `execute`.
 *
 * @internal
 */
export const directFailure = (error: DirectError, timeout: Duration.Duration | undefined): Failure =>
  error === "timeout"
    ? {
      _tag: "Retryable",
      reason: `Timeout: no answer within ${Duration.format(timeout ?? Duration.zero)}`,
      mayHaveBeenProcessed: true
    }
    : fromHttpError(error)

/**
 * A direct exchange within `timeout` when one is given, as {@link exchange} runs `execute`.
 *
 * @internal
 */
export const directWithin = (
  answer: Effect.Effect<DirectExchange.Answer, HttpClientError.HttpClientError>,
  timeout: Duration.Duration | undefined
): Effect.Effect<DirectExchange.Answer, DirectError> =>
  timeout === undefined
    ? answer
    : Effect.timeoutFail(answer, { duration: timeout, onTimeout: () => "timeout" as const })

/**
 * The answer of a direct exchange, read at `nowMillis`. `retryAfter` is read from the transport's answer when
 * asked for, as with a response's headers.
 *
 * @internal
 */
export class DirectAnswer implements Answer {
  constructor(private readonly answer: DirectExchange.Answer, readonly nowMillis: number) {}
  get status(): number {
    return this.answer.status
  }
  get body(): string {
    return this.answer.body
  }
  get retryAfter(): string | undefined {
    return this.answer.retryAfter
  }
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
export const checkDelivery = (
  value: string | undefined
): Effect.Effect<"atLeastOnce" | "atMostOnce", ConfigError.ConfigError> =>
  value === undefined || value === "atLeastOnce" || value === "atMostOnce"
    ? Effect.succeed(value ?? "atLeastOnce")
    : Effect.fail(
      ConfigError.InvalidData(["delivery"], `delivery must be "atLeastOnce" or "atMostOnce", got ${String(value)}`)
    )

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
