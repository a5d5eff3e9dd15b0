/**
 * The legacy HTTP API, `POST /fcm/send` (and `/gcm/send`): `Authorization: key=…`, a JSON or plain-text body,
 * and answers in legacy terms: a `results` entry per token with its legacy error code, or, for faults and
 * request-level errors, an HTML page for the whole request.
 *
 * A new per-target scenario is rendered here by `outcomeName`'s legacy code (the name in
 * `results[].error`); a new request fault by the `wording` below or by `faults.ts`.
 *
 * @internal
 */
import type * as M from "../Model.js"
import type * as Scenario from "../Scenario.js"
import {
  GOAWAY_RESPOND,
  type Handled,
  header,
  HTML_HEADERS,
  JSON_HEADERS,
  response,
  TEXT_HEADERS,
  textOf,
  withRetryAfter
} from "./answer.js"
import * as Engine from "./engine.js"
import * as Faults from "./faults.js"
import * as LegacyRequest from "./legacyRequest.js"
import * as Pages from "./pages.js"
import type { State } from "./state.js"

/** @internal */
export const wording: Faults.Wording = {
  truncated: "{\"multicast_id\":1,\"success\":1,\"results\":[{\"message_",
  unauthenticated: (_, latency) => response(401, HTML_HEADERS, Pages.legacyPage(401), latency),
  badRequest: (fault, latency) => response(400, TEXT_HEADERS, `${fault.message}\n`, latency)
}

/** @internal */
export const handle = (state: State, request: M.Request): Handled => {
  const now = request.now
  const auth = header(request.headers, "authorization")
  const key = auth !== undefined && auth.startsWith("key=") ? auth.slice(4).trim() : undefined
  if (key === undefined || !state.apiKeySet.has(key)) {
    return { response: response(401, HTML_HEADERS, Pages.legacyPage(401)), route: "legacy", protocol: "legacy" }
  }
  const engine = state.engine
  const queuedFault = engine.takeQueuedFault("legacy")
  if (queuedFault !== undefined) return Faults.handled(queuedFault, wording, "legacy", "legacy", now)
  const parsed = LegacyRequest.parse(textOf(request.body), header(request.headers, "content-type"))
  if (!parsed.ok) {
    return {
      response: response(400, TEXT_HEADERS, parsed.text),
      route: "legacy",
      protocol: "legacy",
      body: parsed.body
    }
  }
  const keys = parsed.keys
  const queued = state.quota?.take(keys.length, now) ?? engine.takeQueued("legacy")
  const outcomes: Array<Engine.Outcome> = new Array(keys.length)
  let latency = 0
  let fault: Scenario.RequestFault | undefined
  let requestErrorAt = -1
  let goAwayAfter = false
  for (let i = 0; i < keys.length; i++) {
    const keyError = parsed.keyErrors?.[i]
    const o = keyError !== undefined
      ? Engine.legacyCodeOutcome(keyError)
      : parsed.messageError !== undefined
      ? Engine.legacyCodeOutcome(parsed.messageError)
      : engine.outcomeFor(keys[i]!, queued)
    outcomes[i] = o
    if (o.latency > latency) latency = o.latency
    if (o.goAwayAfter) goAwayAfter = true
    if (Engine.isFault(o.answer)) {
      fault ??= o.answer
    } else if (!Engine.isDelivery(o.answer) && fault === undefined && requestErrorAt < 0) {
      if (o.requestLevel) requestErrorAt = i
      else if (parsed.mode === "text" && Engine.serverErrorStatus(o.answer) !== undefined) requestErrorAt = i
    }
  }
  const names = outcomes.map((o) => Engine.outcomeName(o.answer, parsed.topicLike))
  const done = (
    res: M.Response,
    outcomeNames: ReadonlyArray<string>,
    delivered: number,
    failed: number
  ): Handled => ({
    response: res,
    route: "legacy",
    protocol: "legacy",
    target: parsed.target,
    body: parsed.body,
    dryRun: parsed.dryRun,
    outcomes: outcomeNames,
    delivered,
    failed
  })
  if (fault !== undefined) {
    const tag = fault._tag
    return done(Faults.render(fault, wording, now, latency), names.map(() => tag), 0, keys.length)
  }
  if (requestErrorAt >= 0) {
    const o = outcomes[requestErrorAt]!
    const status = Engine.serverErrorStatus(o.answer) ?? 429
    const headers = withRetryAfter(HTML_HEADERS, Engine.retryAfterOf(o.answer), now)
    const name = names[requestErrorAt]!
    return done(response(status, headers, Pages.legacyPage(status), latency), names.map(() => name), 0, keys.length)
  }
  let success = 0
  let failure = 0
  let canonicalIds = 0
  const dry = parsed.dryRun
  const after = goAwayAfter ? GOAWAY_RESPOND : undefined
  if (parsed.mode === "text") {
    const o = outcomes[0]!
    let text: string
    if (Engine.isDelivery(o.answer)) {
      success = 1
      text = `id=${dry ? "fake_message_id" : state.messageId(now)}\n` +
        (o.answer._tag === "Canonical" ? `registration_id=${o.answer.registrationId}\n` : "")
    } else {
      failure = 1
      text = `Error=${names[0]}\n`
    }
    return done(response(200, TEXT_HEADERS, text, latency, after), names, dry ? 0 : success, failure)
  }
  let body: string
  let retryAfter: ReturnType<typeof Engine.retryAfterOf>
  if (parsed.topicLike) {
    const o = outcomes[0]!
    if (Engine.isDelivery(o.answer)) {
      success = 1
      body = dry ? "{\"message_id\":-1}" : `{"message_id":${state.numericId(now)}}`
    } else {
      failure = 1
      retryAfter = Engine.retryAfterOf(o.answer)
      body = JSON.stringify({ error: names[0] })
    }
  } else {
    const results: Array<Record<string, string>> = new Array(outcomes.length)
    for (let i = 0; i < outcomes.length; i++) {
      const answer = outcomes[i]!.answer
      if (Engine.isDelivery(answer)) {
        success++
        const id = dry ? "fake_message_id" : state.messageId(now)
        if (answer._tag === "Canonical") {
          canonicalIds++
          results[i] = { message_id: id, registration_id: answer.registrationId! }
        } else {
          results[i] = { message_id: id }
        }
      } else {
        failure++
        retryAfter ??= Engine.retryAfterOf(answer)
        results[i] = { error: names[i]! }
      }
    }
    body = JSON.stringify({
      multicast_id: state.numericId(now),
      success,
      failure,
      canonical_ids: canonicalIds,
      results
    })
  }
  return done(
    response(200, withRetryAfter(JSON_HEADERS, retryAfter, now), body, latency, after),
    names,
    dry ? 0 : success,
    failure
  )
}
