/**
 * The OAuth2 token endpoint, `POST /token` (and Google's older paths): the JWT-bearer grant, the assertion verified
 * against the trusted service accounts (RS256, claims, clock skew), answered with an access token or an OAuth2
 * error (`invalid_grant`, `invalid_request`, …), as Google's endpoint does. Queued scenarios answer in OAuth2's
 * terms too.
 *
 * @internal
 */
import type * as M from "../Model.js"
import { goAwayAfter, type Handled, header, JSON_HEADERS, response, textOf } from "./answer.js"
import * as Faults from "./faults.js"
import * as OAuth from "./oauth.js"
import type { State } from "./state.js"
import * as V1Route from "./v1Route.js"

const NO_CACHE = { ...JSON_HEADERS, "cache-control": "no-cache, no-store, max-age=0, must-revalidate" }

const oauthError = (error: string, description: string, latency = 0): M.Response =>
  response(400, JSON_HEADERS, JSON.stringify({ error, error_description: description }), latency)

/** @internal */
export const wording: Faults.Wording = {
  truncated: V1Route.wording.truncated,
  unauthenticated: (_, latency) => oauthError("invalid_grant", OAuth.INVALID_SIGNATURE, latency),
  badRequest: (fault, latency) => oauthError("invalid_request", fault.message, latency)
}

/** @internal */
export const handle = (state: State, request: M.Request): Handled => {
  const now = request.now
  const route = "token" as const
  const protocol = "oauth2" as const
  const fail = (status: number, error: string, description: string): Handled => ({
    response: response(status, NO_CACHE, JSON.stringify({ error, error_description: description })),
    route,
    protocol,
    outcomes: [error]
  })
  const faulted = Faults.service(state.engine, wording, route, protocol, now)
  if (faulted === "goaway") return goAwayAfter(handle(state, request))
  if (faulted !== undefined) return faulted
  const text = textOf(request.body)
  const contentType = header(request.headers, "content-type") ?? ""
  let grantType: unknown
  let assertion: unknown
  if (contentType.includes("application/json")) {
    try {
      const u = JSON.parse(text) as Record<string, unknown>
      grantType = u?.grant_type
      assertion = u?.assertion
    } catch {
      return fail(400, "invalid_request", "The request body is not valid JSON.")
    }
  } else {
    const params = new URLSearchParams(text)
    grantType = params.get("grant_type") ?? undefined
    assertion = params.get("assertion") ?? undefined
  }
  if (grantType === undefined) return fail(400, "invalid_request", "Missing required parameter: grant_type")
  if (grantType !== OAuth.JWT_BEARER) {
    return fail(400, "unsupported_grant_type", `Invalid grant_type: ${String(grantType)}`)
  }
  if (typeof assertion !== "string" || assertion === "") {
    return fail(400, "invalid_request", "Missing required parameter: assertion")
  }
  const verified = OAuth.verifyAssertion(assertion, state.trusted, Math.floor(now / 1000), state.clockSkew)
  if (!verified.ok) return fail(400, verified.error, verified.description)
  const issued = state.issueAccessToken(now, {
    ...(verified.account.projectId ? { projectId: verified.account.projectId } : {})
  })
  return { response: response(200, NO_CACHE, JSON.stringify(issued)), route, protocol, outcomes: ["issued"] }
}
