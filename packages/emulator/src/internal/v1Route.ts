/**
 * The HTTP v1 API, `POST /v1/projects/{project}/messages:send`: a bearer access token issued by the emulator
 * (for the project of its service account), one message per request, and answers in v1's own terms: the message
 * name, or a `google.rpc.Status` with an `FcmError` detail (see `v1Errors.ts`).
 *
 * A new per-target scenario is rendered here, by a case of {@link rejection}; a new request fault by the
 * `wording` below or by `faults.ts`.
 *
 * @internal
 */
import type * as M from "../Model.js"
import type * as Scenario from "../Scenario.js"
import { GOAWAY_RESPOND, type Handled, header, JSON_HEADERS, response, textOf, withRetryAfter } from "./answer.js"
import * as Engine from "./engine.js"
import * as Faults from "./faults.js"
import type { State } from "./state.js"
import * as V1 from "./v1Errors.js"
import * as V1Request from "./v1Request.js"

/** @internal */
export const wording: Faults.Wording = {
  truncated: "{\n  \"name\": \"projects/",
  unauthenticated: (fault, latency) => {
    const e = fault.expired ? V1.expiredAccessToken : V1.invalidAccessToken
    return response(e.status, { ...JSON_HEADERS, ...e.headers }, e.body, latency)
  },
  badRequest: (fault, latency) => {
    const e = V1.plainBadRequest(fault.message)
    return response(e.status, JSON_HEADERS, e.body, latency)
  }
}

/** The v1 error for a scenario that rejects the message. @internal */
export const rejection = (answer: Scenario.Rejection, target: M.Target, project: string): V1.ErrorBody => {
  switch (answer._tag) {
    case "NotRegistered":
      return V1.unregistered
    case "InvalidToken":
      return V1.invalidTarget(target)
    case "SenderMismatch":
      return V1.senderIdMismatch
    case "ThirdPartyAuthError":
      return V1.thirdPartyAuth
    case "LegacyError":
      return V1.fromLegacyCode(answer.code, target)
    case "Unavailable":
      return V1.unavailable
    case "InternalError":
      return V1.internal
    case "QuotaExceeded":
      return answer.variant === "project"
        ? V1.projectQuota(project)
        : V1.quotaExceeded(target._tag === "Topic" || target._tag === "Condition")
  }
}

const errorResponse = (e: V1.ErrorBody, latency = 0, extra?: Readonly<Record<string, string>>): M.Response =>
  response(e.status, e.headers || extra ? { ...JSON_HEADERS, ...e.headers, ...extra } : JSON_HEADERS, e.body, latency)

/** @internal */
export const handle = (state: State, request: M.Request, project: string): Handled => {
  const now = request.now
  const route = "v1" as const
  const protocol = "v1" as const
  const error = (e: V1.ErrorBody, extra?: Partial<Handled>): Handled => ({
    response: errorResponse(e),
    route,
    protocol,
    ...extra
  })
  const auth = header(request.headers, "authorization")
  if (auth === undefined || auth === "") return error(V1.credentialsMissing)
  const bearer = auth.length > 7 && auth.slice(0, 7).toLowerCase() === "bearer " ? auth.slice(7).trim() : undefined
  const issued = bearer === undefined ? undefined : state.accessTokens.get(bearer)
  if (issued === undefined) return error(V1.invalidAccessToken)
  if (issued.expiresAt <= now) return error(V1.expiredAccessToken)
  if (state.enforceProject && issued.projectId !== undefined && issued.projectId !== project) {
    return error(V1.permissionDenied(project))
  }
  const engine = state.engine
  const fault = engine.takeQueuedFault(route)
  if (fault !== undefined) return Faults.handled(fault, wording, route, protocol, now)
  const v = V1Request.validate(textOf(request.body))
  if (!v.ok) return error(v.error, { body: v.body, outcomes: ["InvalidArgument"], failed: 1 })
  const refused = state.quota?.take(1, now)
  const o = engine.outcomeFor(v.key, refused ?? engine.takeQueued(route))
  const topicLike = v.target._tag !== "Token"
  const answer = o.answer
  let res: M.Response
  let delivered = 0
  let reached: ReadonlyArray<string> | undefined
  if (Engine.isFault(answer)) {
    res = Faults.render(answer, wording, now, o.latency)
  } else if (Engine.isDelivery(answer)) {
    const id = v.validateOnly ? "fake_message_id" : topicLike ? String(state.numericId(now)) : state.messageId(now)
    res = response(
      200,
      JSON_HEADERS,
      `{"name":"${state.namePrefix(project)}${id}"}`,
      o.latency,
      o.goAwayAfter ? GOAWAY_RESPOND : undefined
    )
    delivered = v.validateOnly ? 0 : 1
    if (!v.validateOnly && v.target._tag === "Topic") {
      const topic = v.target.topic.startsWith("/topics/") ? v.target.topic.slice(8) : v.target.topic
      reached = [...(state.subscriptions.get(topic) ?? [])]
    }
  } else {
    const e = rejection(answer, v.target, project)
    const retryAfter = Engine.retryAfterOf(answer)
    res = errorResponse(e, o.latency, retryAfter ? withRetryAfter({}, retryAfter, now) : undefined)
  }
  return {
    response: res,
    route,
    protocol,
    target: v.target,
    body: v.body,
    dryRun: v.validateOnly,
    outcomes: [Engine.outcomeName(answer, topicLike)],
    delivered,
    failed: Engine.isDelivery(answer) ? 0 : 1,
    reached
  }
}
