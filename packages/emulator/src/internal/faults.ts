/**
 * Request faults: the scenarios that answer a whole request whatever its
 * targets. The transport-level ones (reset, hang, GOAWAY, an HTML page, an
 * empty body) look the same on every route; the ones a protocol words
 * itself (a truncated body, rejected credentials, a bad request) are given
 * by each route as its {@link Wording}, so each protocol speaks its own terms.
 *
 * A new request fault is a new case of {@link render} (and, if protocols word
 * it differently, a new member of {@link Wording}).
 *
 * @internal
 */
import type * as M from "../Model.js"
import type * as Scenario from "../Scenario.js"
import {
  GOAWAY,
  GOAWAY_RESPOND,
  type Handled,
  HANG,
  HTML_HEADERS,
  JSON_HEADERS,
  RESET,
  response,
  withRetryAfter
} from "./answer.js"
import type { Engine } from "./engine.js"
import { isFault, retryAfterOf, serverErrorStatus } from "./engine.js"
import * as Pages from "./pages.js"

/** How a protocol words the faults that have a body. @internal */
export interface Wording {
  /** A body cut short. */
  readonly truncated: string
  readonly unauthenticated: (fault: Scenario.Unauthenticated, latency: number) => M.Response
  readonly badRequest: (fault: Scenario.BadRequest, latency: number) => M.Response
}

/** @internal */
export const render = (fault: Scenario.RequestFault, wording: Wording, now: number, latency: number): M.Response => {
  switch (fault._tag) {
    case "Reset":
      return response(0, {}, "", latency, RESET)
    case "Hang":
      return response(0, {}, "", latency, HANG)
    case "GoAway":
      return response(0, {}, "", latency, fault.respond ? GOAWAY_RESPOND : GOAWAY)
    case "MalformedJson":
      return response(fault.status, JSON_HEADERS, wording.truncated, latency)
    case "HtmlError":
      return response(
        fault.status,
        withRetryAfter(HTML_HEADERS, fault.retryAfter, now),
        Pages.serverError(fault.status),
        latency
      )
    case "EmptyBody":
      return response(fault.status, JSON_HEADERS, "", latency)
    case "Unauthenticated":
      return wording.unauthenticated(fault, latency)
    case "BadRequest":
      return wording.badRequest(fault, latency)
  }
}

/** A request fault as a route's whole answer. @internal */
export const handled = (
  fault: Scenario.RequestFault,
  wording: Wording,
  route: M.Route,
  protocol: M.Protocol,
  now: number,
  latency = 0
): Handled => ({ response: render(fault, wording, now, latency), route, protocol, outcomes: [fault._tag] })

/**
 * A queued scenario on a route that sends no message (the token endpoint and
 * the metadata server): a request fault, a server error in OAuth2's terms
 * (`temporarily_unavailable`, `internal_failure`), or `"goaway"` to answer
 * and then close the session. Other scenarios do not apply there.
 *
 * @internal
 */
export const service = (
  engine: Engine,
  wording: Wording,
  route: M.Route,
  protocol: M.Protocol,
  now: number
): Handled | "goaway" | undefined => {
  const queued = engine.peekQueued(route)
  if (queued === undefined) return undefined
  engine.takeQueued(route)
  const o = engine.step(queued, `\u0000${route}`)
  if (o.goAwayAfter) return "goaway"
  if (isFault(o.answer)) return handled(o.answer, wording, route, protocol, now, o.latency)
  const status = serverErrorStatus(o.answer)
  if (status === undefined) return undefined
  const body = JSON.stringify(
    status === 503
      ? { error: "temporarily_unavailable", error_description: "The service is currently unavailable." }
      : { error: "internal_failure", error_description: "Backend Error" }
  )
  return {
    response: response(status, withRetryAfter(JSON_HEADERS, retryAfterOf(o.answer), now), body, o.latency),
    route,
    protocol,
    outcomes: [status === 503 ? "Unavailable" : "InternalServerError"]
  }
}
