/**
 * Talking to OAuth2 token endpoints and the GCP metadata server, and turning their answers into typed errors that
 * never carry a secret.
 *
 * @internal
 */
import type { HttpClient, HttpClientError, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { parseRetryAfter } from "../Backoff.js"
import { AuthenticationError, excerpt, TransportError } from "../FcmError.js"
import { configurationFailure, transportSignal } from "./http.js"
import { scrub } from "./jwt.js"

/**
 * Who answers a token request; shapes messages and hints.
 *
 * @internal
 */
export interface Endpoint {
  /** Used in messages, e.g. `token endpoint https://oauth2.googleapis.com/token`. */
  readonly label: string
  readonly kind: "oauth2" | "metadata"
}

/**
 * What a token endpoint or the metadata server returns on success.
 *
 * @internal
 */
export const TokenResponse = Schema.Struct({
  access_token: Schema.NonEmptyString,
  expires_in: Schema.optional(
    Schema.Union(Schema.Number, Schema.NumberFromString).pipe(Schema.filter((n) => Number.isFinite(n) && n >= 0))
  ),
  token_type: Schema.optional(Schema.String)
})

const OAuthError = Schema.Struct({
  error: Schema.String,
  error_description: Schema.optional(Schema.String)
})

/**
 * When `expires_in` is absent, tokens are assumed to last this long (Google's tokens last an hour).
 *
 * @internal
 */
export const DEFAULT_EXPIRES_IN_SECONDS = 3600

/** The first 200 characters of a server's text, flattened and with anything token-shaped removed. */
const safeText = (text: string, secrets: ReadonlyArray<string>): string => excerpt(scrub(text, secrets), 200)

const describeCause = (cause: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = cause
  for (let depth = 0; depth < 4 && current !== null && current !== undefined; depth++) {
    if (typeof current === "object") {
      const code = (current as { code?: unknown }).code
      const message = (current as { message?: unknown }).message
      if (typeof message === "string" && message.length > 0 && !parts.includes(message)) parts.push(message)
      if (typeof code === "string" && !parts.some((p) => p.includes(code))) parts.push(code)
      current = (current as { cause?: unknown }).cause
    } else {
      if (typeof current === "string") parts.push(current)
      break
    }
  }
  return parts.join(": ")
}

/**
 * Maps a failure of `HttpClient.execute` or of reading the body. Network trouble is worth retrying.
 *
 * @internal
 */
export const fromHttpClientError = (
  endpoint: Endpoint,
  secrets: ReadonlyArray<string>
) =>
(error: HttpClientError.HttpClientError): TransportError => {
  // a token endpoint whose certificate does not verify, an unknown host, nothing listening: retrying cannot help
  const configuration = endpoint.kind === "oauth2" && error._tag === "RequestError" && error.reason === "Transport"
    ? configurationFailure(error.request, transportSignal(error.cause), "the service account key's token_uri")
    : undefined
  if (configuration !== undefined) {
    return new TransportError({ reason: `${endpoint.label} could not be reached: ${configuration}`, retryable: false })
  }
  const detail = scrub(
    [error.description, describeCause(error.cause)].filter((s) => s !== undefined && s.length > 0).join(": "),
    secrets
  )
  const retryable = error._tag === "ResponseError" || error.reason === "Transport"
  const what = error._tag === "ResponseError"
    ? "answered with a body that could not be read"
    : error.reason === "Transport"
    ? "could not be reached"
    : "could not be called"
  const hint = endpoint.kind === "metadata"
    ? " (is this running on Google Cloud? Elsewhere, use a service account key)"
    : ""
  return new TransportError({
    reason: `${endpoint.label} ${what}${detail.length > 0 ? `: ${excerpt(detail, 200)}` : ""}${hint}`,
    retryable
  })
}

const OAUTH_HINTS: Record<string, string> = {
  invalid_grant: "check the machine's clock (JWT iat/exp) and that the key has not been revoked or deleted",
  invalid_scope:
    "check the requested scopes; sending with FCM needs https://www.googleapis.com/auth/firebase.messaging (or https://www.googleapis.com/auth/cloud-platform)",
  invalid_client:
    "the service account (client_email) is unknown or disabled; check that the key belongs to an existing, enabled service account",
  unauthorized_client:
    "the service account is not allowed to use this grant; check that it is enabled and that the key is current",
  invalid_request: "the token request was rejected as malformed; check the key's token_uri and client_email",
  access_denied: "the service account was denied access; check its IAM roles (e.g. Firebase Cloud Messaging API Admin)"
}

const statusHint = (endpoint: Endpoint, status: number): string => {
  if (endpoint.kind === "metadata") {
    if (status === 404) {
      return "no service account is attached to this instance or service; attach one, or use a service account key"
    }
    if (status === 403) {
      return "the metadata server refused the request; check the instance's access scopes and the Metadata-Flavor header"
    }
    return "check the metadata server address (GCE_METADATA_HOST)"
  }
  if (status === 404) return "check the key's token_uri"
  return "check the service account key and its token_uri"
}

/**
 * Turns a token endpoint's answer into a token or a typed error. `secrets` (the assertion) are scrubbed from any
 * text quoted in an error; a successful body is never quoted, since it holds the access token.
 *
 * @internal
 */
export const interpretTokenResponse = (
  endpoint: Endpoint,
  response: HttpClientResponse.HttpClientResponse,
  body: string,
  secrets: ReadonlyArray<string>
): Effect.Effect<
  { readonly accessToken: string; readonly expiresInSeconds: number },
  AuthenticationError | TransportError
> =>
  Effect.gen(function*() {
    const status = response.status
    if (status >= 200 && status < 300) {
      const json = parseJson(body)
      const decoded = json === undefined
        ? Either.left("the body is not JSON")
        : Schema.decodeUnknownEither(TokenResponse)(json).pipe(Either.mapLeft(() => describeTokenResponseProblem(json)))
      if (Either.isLeft(decoded)) {
        return yield* new TransportError({
          reason: `${endpoint.label} answered HTTP ${status} with an unexpected body: ${decoded.left}`,
          retryable: false,
          status
        })
      }
      return {
        accessToken: decoded.right.access_token,
        expiresInSeconds: decoded.right.expires_in ?? DEFAULT_EXPIRES_IN_SECONDS
      }
    }
    return yield* failForStatus(endpoint, response, body, secrets)
  })

/**
 * Turns a non-2xx answer into the matching typed error.
 *
 * @internal
 */
export const failForStatus = (
  endpoint: Endpoint,
  response: HttpClientResponse.HttpClientResponse,
  body: string,
  secrets: ReadonlyArray<string>
): Effect.Effect<never, AuthenticationError | TransportError> =>
  Effect.gen(function*() {
    const status = response.status
    if (status === 408 || status === 429 || status >= 500) {
      const now = yield* Clock.currentTimeMillis
      // the same rule as FCM's answers: delay-seconds or an HTTP-date, and under a second (0, a past date) is no hint
      const after = parseRetryAfter(response.headers["retry-after"], now)
      return yield* new TransportError({
        reason: `${endpoint.label} answered HTTP ${status}; no token could be fetched, try again later`,
        retryable: true,
        status,
        body: safeText(body, secrets),
        ...(after === undefined ? {} : { retryAfterMillis: after })
      })
    }
    if (status >= 400) {
      const json = parseJson(body)
      const oauth = json === undefined ? undefined : Schema.decodeUnknownOption(OAuthError)(json)
      if (oauth !== undefined && oauth._tag === "Some") {
        const { error, error_description } = oauth.value
        const code = safeText(error, secrets)
        const description = error_description === undefined ? "" : `: ${safeText(error_description, secrets)}`
        return yield* new AuthenticationError({
          reason: `${code}${description}`,
          status,
          hint: OAUTH_HINTS[error] ?? statusHint(endpoint, status)
        })
      }
      const text = safeText(body, secrets)
      return yield* new AuthenticationError({
        reason: `${endpoint.label} answered HTTP ${status}${text.length > 0 ? `: ${text}` : ""}`,
        status,
        hint: statusHint(endpoint, status)
      })
    }
    return yield* new TransportError({
      reason: `${endpoint.label} answered with unexpected HTTP status ${status}`,
      retryable: false,
      status
    })
  })

const parseJson = (body: string): unknown => {
  try {
    return JSON.parse(body) as unknown
  } catch {
    return undefined
  }
}

const describeTokenResponseProblem = (json: unknown): string => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return "expected a JSON object"
  const record = json as Record<string, unknown>
  if (!("access_token" in record)) return "access_token is missing"
  if (typeof record.access_token !== "string" || record.access_token.length === 0) {
    return "access_token is not a non-empty string"
  }
  if ("expires_in" in record) return "expires_in is not a non-negative number of seconds"
  return "token_type is not a string"
}

/**
 * Executes a request with a deadline, reading the body as text. Failures become `TransportError`s.
 *
 * @internal
 */
export const executeText = (
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  endpoint: Endpoint,
  timeout: Duration.DurationInput,
  secrets: ReadonlyArray<string>
): Effect.Effect<{ readonly response: HttpClientResponse.HttpClientResponse; readonly body: string }, TransportError> =>
  client.execute(request).pipe(
    Effect.flatMap((response) => Effect.map(response.text, (body) => ({ response, body }))),
    Effect.mapError(fromHttpClientError(endpoint, secrets)),
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () =>
        new TransportError({
          reason: `${endpoint.label} did not answer within ${Duration.format(Duration.decode(timeout))}`,
          retryable: true
        })
    })
  )

/**
 * Fetches one access token: executes the request, reads the token answer and dates its expiry on Effect's `Clock`.
 *
 * @internal
 */
export const fetchToken = (
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  endpoint: Endpoint,
  timeout: Duration.DurationInput,
  secrets: ReadonlyArray<string>
): Effect.Effect<
  { readonly token: Redacted.Redacted<string>; readonly expiresAt: number },
  AuthenticationError | TransportError
> =>
  Effect.gen(function*() {
    const { body, response } = yield* executeText(client, request, endpoint, timeout, secrets)
    const token = yield* interpretTokenResponse(endpoint, response, body, secrets)
    const now = yield* Clock.currentTimeMillis
    return { token: Redacted.make(token.accessToken), expiresAt: now + token.expiresInSeconds * 1000 }
  })
