/**
 * The Instance ID API's topic management, `POST /iid/v1:batchAdd` and `POST /iid/v1:batchRemove`: the same bearer
 * access tokens as HTTP v1 (plus the `access_token_auth: true` header the API asks for), at most 1,000 tokens per
 * request, and one `results` entry per token, `{}` or `{"error": CODE}`, in the request's order. Subscriptions are
 * kept in the model (`State.subscriptions`), so that a v1 send to a topic reaches exactly its subscribed tokens.
 *
 * Per-token scenarios answer per token (`notRegistered` → `NOT_FOUND`, `invalidToken` → `INVALID_ARGUMENT`, a
 * transient one → `INTERNAL` or `RESOURCE_EXHAUSTED`); a transient scenario queued on the `topics` route answers
 * the whole request (503, 500, 429), a queued request fault replaces the answer. Nothing changes subscriptions
 * unless the request is answered 200, and then only for the tokens answered `{}`.
 *
 * @internal
 */
import type * as M from "../Model.js"
import type * as Scenario from "../Scenario.js"
import { type Handled, header, JSON_HEADERS, response, textOf, withRetryAfter } from "./answer.js"
import * as Engine from "./engine.js"
import * as Faults from "./faults.js"
import { isRecord } from "./json.js"
import type { State } from "./state.js"

/** The most tokens one request may carry. @internal */
export const MAX_TOKENS = 1000

const TOPIC = /^\/topics\/([a-zA-Z0-9\-_.~%]+)$/

const error = (status: number, text: string, extra?: Readonly<Record<string, string>>): M.Response =>
  response(status, extra === undefined ? JSON_HEADERS : { ...JSON_HEADERS, ...extra }, JSON.stringify({ error: text }))

/** @internal */
export const wording: Faults.Wording = {
  truncated: "{\"results\":[{},",
  unauthenticated: (_fault, latency) => ({ ...error(401, "Unauthorized"), latency }),
  badRequest: (fault, latency) => ({ ...error(400, fault.message), latency })
}

/** The per-token code of a scenario's rejection. */
const codeOf = (answer: Scenario.Rejection): string => {
  switch (answer._tag) {
    case "NotRegistered":
      return "NOT_FOUND"
    case "Unavailable":
    case "InternalError":
      return "INTERNAL"
    case "QuotaExceeded":
      return "RESOURCE_EXHAUSTED"
    case "SenderMismatch":
    case "ThirdPartyAuthError":
      return "PERMISSION_DENIED"
    default:
      return "INVALID_ARGUMENT"
  }
}

/** @internal */
export const handle = (state: State, request: M.Request, action: "add" | "remove"): Handled => {
  const now = request.now
  const route = "topics" as const
  const protocol = "iid" as const
  const answer = (res: M.Response, extra?: Partial<Handled>): Handled => ({ response: res, route, protocol, ...extra })
  const auth = header(request.headers, "authorization")
  const bearer = auth !== undefined && auth.length > 7 && auth.slice(0, 7).toLowerCase() === "bearer "
    ? auth.slice(7).trim()
    : undefined
  const issued = bearer === undefined ? undefined : state.accessTokens.get(bearer)
  if (issued === undefined || issued.expiresAt <= now) return answer(error(401, "Unauthorized"))
  if (header(request.headers, "access_token_auth") !== "true") {
    return answer(error(401, "Unauthorized: an OAuth2 access token needs the header access_token_auth: true"))
  }
  const engine = state.engine
  const fault = engine.takeQueuedFault(route)
  if (fault !== undefined) return Faults.handled(fault, wording, route, protocol, now)
  let body: unknown
  try {
    body = JSON.parse(textOf(request.body))
  } catch {
    return answer(error(400, "InvalidJson"))
  }
  const to = isRecord(body) ? body.to : undefined
  const tokens = isRecord(body) ? body.registration_tokens : undefined
  const topic = typeof to === "string" ? TOPIC.exec(to)?.[1] : undefined
  if (topic === undefined) return answer(error(400, "InvalidTopicName"), { body })
  if (!Array.isArray(tokens) || tokens.length === 0 || !tokens.every((t) => typeof t === "string" && t !== "")) {
    return answer(error(400, "InvalidTokens"), { body })
  }
  if (tokens.length > MAX_TOKENS) return answer(error(400, "TooManyTokens"), { body })
  const target: M.Target = { _tag: "Topic", topic }
  const queued = engine.takeQueued(route)
  const codes: Array<string | undefined> = []
  for (const token of tokens as ReadonlyArray<string>) {
    const o = engine.outcomeFor(token, queued)
    const a = o.answer
    if (Engine.isFault(a)) return { ...Faults.handled(a, wording, route, protocol, now, o.latency), target, body }
    if (o.requestLevel && !Engine.isDelivery(a)) {
      const status = a._tag === "QuotaExceeded" ? 429 : Engine.serverErrorStatus(a) ?? 503
      const retryAfter = Engine.retryAfterOf(a)
      const headers = retryAfter === undefined ? undefined : withRetryAfter({}, retryAfter, now)
      return answer({ ...error(status, status === 429 ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE", headers) }, {
        target,
        body,
        outcomes: [Engine.outcomeName(a, true)]
      })
    }
    codes.push(Engine.isDelivery(a) ? undefined : codeOf(a))
  }
  let subscribed = state.subscriptions.get(topic)
  if (subscribed === undefined && action === "add") state.subscriptions.set(topic, subscribed = new Set())
  for (let i = 0; i < tokens.length; i++) {
    if (codes[i] !== undefined) continue
    if (action === "add") subscribed!.add(tokens[i])
    else subscribed?.delete(tokens[i])
  }
  const done = action === "add" ? "subscribed" : "unsubscribed"
  return answer(
    response(
      200,
      JSON_HEADERS,
      JSON.stringify({ results: codes.map((code) => (code === undefined ? {} : { error: code })) })
    ),
    { target, body, outcomes: codes.map((code) => code ?? done) }
  )
}
