/**
 * What every route builds its answer with: the response, what the model
 * records of it (`Handled`), content types, headers and `Retry-After` values.
 *
 * @internal
 */
import type * as M from "../Model.js"
import type * as Scenario from "../Scenario.js"

/** @internal */
export const JSON_HEADERS: Readonly<Record<string, string>> = { "content-type": "application/json; charset=UTF-8" }
/** @internal */
export const TEXT_HEADERS: Readonly<Record<string, string>> = { "content-type": "text/plain; charset=UTF-8" }
/** @internal */
export const HTML_HEADERS: Readonly<Record<string, string>> = { "content-type": "text/html; charset=UTF-8" }

/** @internal */
export const RESET: M.Fault = { _tag: "Reset" }
/** @internal */
export const HANG: M.Fault = { _tag: "Hang" }
/** @internal */
export const GOAWAY_RESPOND: M.Fault = { _tag: "GoAway", respond: true }
/** @internal */
export const GOAWAY: M.Fault = { _tag: "GoAway", respond: false }

/** A route's answer and what the model records and counts of it. @internal */
export interface Handled {
  readonly response: M.Response
  readonly route: M.Route
  readonly protocol: M.Protocol
  readonly target?: M.Target | undefined
  readonly outcomes?: ReadonlyArray<string> | undefined
  readonly body?: unknown
  readonly dryRun?: boolean
  readonly delivered?: number
  readonly failed?: number
  /** The tokens a delivered topic send reached. */
  readonly reached?: ReadonlyArray<string> | undefined
}

/** @internal */
export const response = (
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string,
  latency = 0,
  fault: M.Fault | undefined = undefined
): M.Response => ({ status, headers, body, latency, fault })

/** The same answer, then the HTTP/2 session closed. @internal */
export const goAwayAfter = (h: Handled): Handled =>
  h.response.fault === undefined ? { ...h, response: { ...h.response, fault: GOAWAY_RESPOND } } : h

/** @internal */
export const header = (headers: M.Headers, name: string): string | undefined => {
  const v = headers[name]
  return typeof v === "string" ? v : v === undefined ? undefined : v[0]
}

/** @internal */
export const textOf = (body: string | Uint8Array): string =>
  typeof body === "string" ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8")

/** The `Retry-After` header value, an HTTP-date counted from `now` when asked so. @internal */
export const retryAfterValue = (ra: Scenario.RetryAfter, now: number): string =>
  ra.format === "seconds"
    ? String(Math.max(0, Math.ceil(ra.seconds)))
    : new Date(Math.ceil((now + ra.seconds * 1000) / 1000) * 1000).toUTCString()

/** Headers plus a `Retry-After` when one is asked for. @internal */
export const withRetryAfter = (
  headers: Readonly<Record<string, string>>,
  retryAfter: Scenario.RetryAfter | undefined,
  now: number
): Readonly<Record<string, string>> =>
  retryAfter === undefined ? headers : { ...headers, "retry-after": retryAfterValue(retryAfter, now) }
