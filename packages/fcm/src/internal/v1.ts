import * as Redacted from "effect/Redacted"
import { parseRetryAfter } from "../Backoff.js"
import { AuthenticationError, InvalidMessage, TransportError } from "../FcmError.js"
import { Outcome } from "../Result.js"
import type { Answer } from "./http.js"
import { serverCode, serverText } from "./serverText.js"

/** The code of a token whose 200 answer carried no message name: it may have been delivered. @internal */
export const MALFORMED_RESPONSE = "MALFORMED_RESPONSE"

/** The shortest wait after a quota error, as Google asks. @internal */
export const QUOTA_MIN_DELAY_MILLIS = 60_000

/**
 * The codes whose answers, when they are all a send's first answers, mean a configuration mistake rather than bad
 * tokens: a bare `NOT_FOUND` (no `UNREGISTERED` detail: a wrong project id or base URL), `SENDER_ID_MISMATCH` (the
 * tokens belong to another project than the one sent as).
 *
 * @internal
 */
export const CONFIGURATION_CODES: ReadonlySet<string> = new Set(["NOT_FOUND", "SENDER_ID_MISMATCH"])

/**
 * The error of a send whose first answers were all {@link CONFIGURATION_CODES}: it names the project and the base URL
 * the send went to, and no target is reported for deletion.
 *
 * @internal
 */
export const misconfigured = (code: string, answers: number, projectId: string, baseUrl: string): TransportError =>
  new TransportError({
    reason: code === "SENDER_ID_MISMATCH"
      ? `FCM answered SENDER_ID_MISMATCH to the first ${answers} message${answers === 1 ? "" : "s"} of the send: ` +
        `the tokens belong to another Firebase project than ${projectId} (sent to ${baseUrl}); check the project ` +
        `id and the service account. No token was reported for deletion`
      : `FCM answered NOT_FOUND (without UNREGISTERED) to the first ${answers} message${answers === 1 ? "" : "s"} ` +
        `of the send: check the project id (${projectId}) and the base URL (${baseUrl}). No token was reported ` +
        `for deletion`,
    retryable: false,
    status: code === "SENDER_ID_MISMATCH" ? 403 : 404
  })

/**
 * The classification of one v1 answer: an outcome for the target, a 401 that a fresh access token may cure, or an
 * error that fails the whole send (it would fail the same way for every target).
 *
 * @internal
 */
export type Classified =
  | { readonly _tag: "Outcome"; readonly outcome: Outcome }
  | { readonly _tag: "Unauthenticated"; readonly error: AuthenticationError }
  | { readonly _tag: "Fatal"; readonly error: AuthenticationError | InvalidMessage | TransportError }

/** The parts of a `google.rpc.Status` error body that classification reads. @internal */
export interface RpcStatus {
  readonly code: number | undefined
  readonly status: string | undefined
  readonly message: string | undefined
  readonly fcmErrorCode: string | undefined
  readonly reason: string | undefined
  /** A `QuotaFailure` detail, or an `ErrorInfo` naming a quota limit: a project's or a topic's quota, not a device's. */
  readonly quotaLimit: boolean
  readonly fields: ReadonlyArray<{ readonly field: string; readonly description: string }>
}

const FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
const ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
const BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
const QUOTA_FAILURE = "type.googleapis.com/google.rpc.QuotaFailure"

const str = (u: unknown): string | undefined => typeof u === "string" ? u : undefined

/**
 * Reads a `google.rpc.Status` error body; `undefined` when the body is not one (HTML, empty, other JSON).
 *
 * @internal
 */
export const parseStatus = (body: string): RpcStatus | undefined => {
  if (body.length === 0 || body.charCodeAt(0) !== 123 /* { */) return undefined
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return undefined
  }
  const error = typeof json === "object" && json !== null ? (json as { error?: unknown }).error : undefined
  if (typeof error !== "object" || error === null) return undefined
  const e = error as Record<string, unknown>
  let fcmErrorCode: string | undefined
  let reason: string | undefined
  let quotaLimit = false
  const fields: Array<{ field: string; description: string }> = []
  if (Array.isArray(e.details)) {
    for (const detail of e.details) {
      if (typeof detail !== "object" || detail === null) continue
      const d = detail as Record<string, unknown>
      const type = d["@type"]
      if (type === FCM_ERROR) fcmErrorCode ??= str(d.errorCode)
      else if (type === QUOTA_FAILURE) quotaLimit = true
      else if (type === ERROR_INFO) {
        reason ??= str(d.reason)
        const metadata = typeof d.metadata === "object" && d.metadata !== null ? d.metadata as object : {}
        if (d.reason === "RATE_LIMIT_EXCEEDED" || "quota_limit" in metadata || "quota_metric" in metadata) {
          quotaLimit = true
        }
      } else if (type === BAD_REQUEST && Array.isArray(d.fieldViolations)) {
        for (const v of d.fieldViolations) {
          if (typeof v === "object" && v !== null) {
            const field = str((v as Record<string, unknown>).field)
            if (field !== undefined) {
              fields.push({ field, description: str((v as Record<string, unknown>).description) ?? "" })
            }
          }
        }
      }
    }
  }
  return {
    code: typeof e.code === "number" ? e.code : undefined,
    status: str(e.status),
    message: str(e.message),
    fcmErrorCode,
    reason,
    quotaLimit,
    fields
  }
}

const outcome = (o: Outcome): Classified => ({ _tag: "Outcome", outcome: o })

const isTokenProblem = (rpc: RpcStatus): boolean =>
  rpc.fields.some((f) => f.field === "message.token" || f.field === "token") ||
  (rpc.fields.length === 0 && rpc.message !== undefined && /registration token/i.test(rpc.message))

const retryable = (reason: string, retryAfterMillis: number | undefined): Classified =>
  outcome(Outcome.Retryable({ reason, retryAfterMillis }))

/**
 * Classifies one v1 answer for one target, from the HTTP status, `error.status`, the `FcmError` detail and the
 * `ErrorInfo` reason together. Bodies that are not JSON (an HTML 502, an empty 503) are classified by status.
 *
 * Every text taken from the answer into an error or an outcome passes {@link serverText} (or {@link serverCode}),
 * with `token`, the access token the request carried, as a secret: a server echoing the request's bearer token
 * cannot smuggle it into an error.
 *
 * @internal
 */
export const classify = (answer: Answer, token?: Redacted.Redacted<string>): Classified => {
  const { body, status } = answer
  if (status === 200) {
    if (body.charCodeAt(0) === 123) {
      try {
        const name = (JSON.parse(body) as { name?: unknown }).name
        if (typeof name === "string" && name.length > 0) return outcome(Outcome.Delivered({ messageId: name }))
      } catch {
        // falls through to the malformed answer below
      }
    }
    // The message may have been delivered: the token fails with a code of its own rather than being sent again,
    // and the rest of the fan-out goes on.
    return outcome(Outcome.Failed({ code: MALFORMED_RESPONSE }))
  }
  const secrets = token === undefined ? [] : [Redacted.value(token)]
  const rpc = parseStatus(body)
  const rawCode = rpc?.fcmErrorCode ?? rpc?.status
  const code = rawCode === undefined ? undefined : serverCode(rawCode, secrets)
  const text = (t: string) => serverText(t, secrets)
  const retryAfterMillis = parseRetryAfter(answer.retryAfter, answer.nowMillis)

  // Only UNREGISTERED says the token is dead. A bare NOT_FOUND is what a wrong project or a misrouted request gets:
  // it fails the target with its code, and a send whose first answers are all such fails as a whole (misconfigured).
  if (code === "UNREGISTERED") return outcome(Outcome.NotRegistered({ code: "UNREGISTERED" }))
  if (code === "SENDER_ID_MISMATCH" || code === "THIRD_PARTY_AUTH_ERROR" || code === "APNS_AUTH_ERROR") {
    return outcome(Outcome.Failed({ code }))
  }
  if (code === "QUOTA_EXCEEDED" || code === "RESOURCE_EXHAUSTED" || status === 429) {
    if (rpc?.fcmErrorCode === "QUOTA_EXCEEDED" && !rpc.quotaLimit) {
      // A device's message rate (no QuotaFailure naming a project or topic limit): that target alone backs off,
      // exponentially (the sender stretches `notBefore` per attempt), no sooner than a Retry-After.
      return outcome(Outcome.Retryable({
        reason: "QUOTA_EXCEEDED",
        retryAfterMillis: undefined,
        notBefore: answer.nowMillis + (retryAfterMillis ?? 0)
      }))
    }
    // A project's or a topic's quota, or a 429 that does not say: the whole send waits at least a minute.
    return retryable(code ?? "HTTP 429", Math.max(retryAfterMillis ?? 0, QUOTA_MIN_DELAY_MILLIS))
  }
  if (code === "UNAVAILABLE" || code === "INTERNAL" || (status >= 500 && status <= 599 && code !== "UNIMPLEMENTED")) {
    return retryable(code ?? `HTTP ${status}`, retryAfterMillis)
  }
  if (code === "INVALID_ARGUMENT" || status === 400) {
    if (rpc !== undefined && isTokenProblem(rpc)) return outcome(Outcome.Failed({ code: "INVALID_ARGUMENT" }))
    const violation = rpc?.fields[0]
    return {
      _tag: "Fatal",
      error: new InvalidMessage({
        field: violation === undefined ? "message" : text(violation.field),
        reason: text(violation?.description || rpc?.message || "FCM rejected the message"),
        status,
        body: text(body)
      })
    }
  }
  if (status === 401) {
    return {
      _tag: "Unauthenticated",
      error: new AuthenticationError({
        reason: text(rpc?.message ?? "FCM rejected the access token"),
        status,
        hint: rpc?.reason === "ACCESS_TOKEN_EXPIRED"
          ? "the access token expired; check the machine's clock"
          : "check that the service account belongs to the project and has the Firebase Cloud Messaging API Admin role"
      })
    }
  }
  if (status === 403) {
    return {
      _tag: "Fatal",
      error: new AuthenticationError({
        reason: text(rpc?.message ?? "FCM refused the request"),
        status,
        hint: "enable the Firebase Cloud Messaging API for the project and grant the service account permission to send"
      })
    }
  }
  if (status === 404 && rpc === undefined) {
    return {
      _tag: "Fatal",
      error: new TransportError({
        reason: "FCM answered 404 for the send endpoint; check the project id and the base URL",
        retryable: false,
        status,
        body: text(body)
      })
    }
  }
  return outcome(Outcome.Failed({ code: code ?? `HTTP ${status}` }))
}
