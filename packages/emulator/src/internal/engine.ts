/**
 * The scenario engine, shared by every route: which scenario applies to a key
 * (a queued one, the token's, the longest prefix's, the default), and what it
 * answers this time (`step`), counting attempts per scenario and key for
 * `times`, `Sequence` and `Mix`.
 *
 * The engine answers in scenario terms, never in a protocol's: an
 * {@link Outcome} carries the leaf scenario that decided the answer (a
 * delivery, a rejection or a request fault), which each route then renders
 * in its own protocol (`legacyRoute.ts`, `v1Route.ts`, `faults.ts`).
 *
 * @internal
 */
import type * as M from "../Model.js"
import * as Scenario from "../Scenario.js"
import { draw } from "./prng.js"

/** The leaf scenario that decides an answer. @internal */
export type Answer = Scenario.Delivery | Scenario.Rejection | Scenario.RequestFault

/** @internal */
export interface Outcome {
  readonly answer: Answer
  /** Milliseconds to wait before answering. */
  readonly latency: number
  /** Answer, then close the HTTP/2 session. */
  readonly goAwayAfter: boolean
  /** A transient rejection that answers the whole legacy request (5xx / 429) rather than one `results` entry. */
  readonly requestLevel: boolean
}

/** @internal */
export const DELIVER: Outcome = {
  answer: Scenario.Delivered.make(),
  latency: 0,
  goAwayAfter: false,
  requestLevel: false
}

/** @internal */
export const isDelivery = (answer: Answer): answer is Scenario.Delivery =>
  answer._tag === "Delivered" || answer._tag === "Canonical"

/** @internal */
export const isFault = (answer: Answer): answer is Scenario.RequestFault => Scenario.isRequestFault(answer)

const outcomes = new WeakMap<object, Outcome>()

/** The outcome of a leaf scenario, one per scenario value. @internal */
export const outcomeOf = (answer: Answer, requestLevel = false): Outcome => {
  let o = outcomes.get(answer)
  if (o === undefined) {
    o = { ...DELIVER, answer, requestLevel }
    outcomes.set(answer, o)
  }
  return o
}

const legacyOutcomes = new Map<Scenario.LegacyErrorCode, Outcome>()

/** The outcome of a legacy error code found by a route's own validation. @internal */
export const legacyCodeOutcome = (code: Scenario.LegacyErrorCode): Outcome => {
  let o = legacyOutcomes.get(code)
  if (o === undefined) {
    o = outcomeOf(Scenario.LegacyError.make({ code }))
    legacyOutcomes.set(code, o)
  }
  return o
}

const withLatency = (o: Outcome, ms: number): Outcome => (ms > 0 ? { ...o, latency: o.latency + ms } : o)

/** 503 or 500 when a rejection is a server error (of any protocol), undefined otherwise. @internal */
export const serverErrorStatus = (answer: Answer): 503 | 500 | undefined => {
  switch (answer._tag) {
    case "Unavailable":
      return 503
    case "InternalError":
      return 500
    case "LegacyError":
      return answer.code === "Unavailable" ? 503 : answer.code === "InternalServerError" ? 500 : undefined
    default:
      return undefined
  }
}

const hasRetryAfter = (
  s: Scenario.Scenario
): s is Scenario.Unavailable | Scenario.InternalError | Scenario.QuotaExceeded =>
  s._tag === "Unavailable" || s._tag === "InternalError" || s._tag === "QuotaExceeded"

/** The `Retry-After` a rejection asks for. @internal */
export const retryAfterOf = (answer: Answer): Scenario.RetryAfter | undefined =>
  hasRetryAfter(answer) ? answer.retryAfter : undefined

/**
 * The name a record gives an outcome: `"delivered"`, `"canonical"`, FCM's
 * legacy error code (the records of both protocols share these names, and
 * the legacy API answers them in `results[].error`), `"ProjectQuotaExceeded"`,
 * or the tag of a request fault.
 *
 * @internal
 */
export const outcomeName = (answer: Answer, topicLike: boolean): string => {
  switch (answer._tag) {
    case "Delivered":
      return "delivered"
    case "Canonical":
      return "canonical"
    case "NotRegistered":
      return "NotRegistered"
    case "InvalidToken":
      return "InvalidRegistration"
    case "SenderMismatch":
      return "MismatchSenderId"
    case "ThirdPartyAuthError":
      return "InvalidApnsCredential"
    case "LegacyError":
      return answer.code
    case "Unavailable":
      return "Unavailable"
    case "InternalError":
      return "InternalServerError"
    case "QuotaExceeded":
      return answer.variant === "project"
        ? "ProjectQuotaExceeded"
        : topicLike
        ? "TopicsMessageRateExceeded"
        : "DeviceMessageRateExceeded"
    default:
      return answer._tag
  }
}

/** The kinds a mix draws, in the order of the draw: the keys of `MixRates`. */
const MIX_ORDER = Object.keys(Scenario.MixRates.fields) as ReadonlyArray<keyof Scenario.MixRates>

/** A drawn kind that is retried gets a fresh draw; a permanent one keeps its fate. */
const isTransient = (answer: Answer): boolean => Scenario.isRequestFault(answer) || hasRetryAfter(answer)

interface Queued {
  readonly scenario: Scenario.Scenario
  remaining: number
}

/** @internal */
export class Engine {
  private defaultScenario: Scenario.Scenario | undefined
  private readonly tokenScenarios = new Map<string, Scenario.Scenario>()
  private prefixScenarios: Array<readonly [string, Scenario.Scenario]> = []
  private readonly queues = new Map<M.Route | "any", Array<Queued>>()
  private queued = 0
  private attempts = new WeakMap<object, Map<string, number>>()
  private readonly mixAnswers = new WeakMap<Scenario.Mix, Map<string, Scenario.Scenario>>()

  constructor(private readonly configured: M.Scenarios | undefined) {
    this.restore()
  }

  /** Back to the configured scenarios, nothing queued. */
  restore(): void {
    const s = this.configured
    this.defaultScenario = s?.default
    this.tokenScenarios.clear()
    this.prefixScenarios = []
    for (const [token, scenario] of Object.entries(s?.tokens ?? {})) this.tokenScenarios.set(token, scenario)
    for (const [prefix, scenario] of Object.entries(s?.prefixes ?? {})) this.setPrefix(prefix, scenario)
    this.queues.clear()
    this.queued = 0
  }

  /** Forgets how often each key was answered. */
  forgetAttempts(): void {
    this.attempts = new WeakMap()
  }

  setDefault(scenario: Scenario.Scenario | undefined): void {
    this.defaultScenario = scenario
  }

  setToken(token: string, scenario: Scenario.Scenario | undefined): void {
    if (scenario === undefined) this.tokenScenarios.delete(token)
    else this.tokenScenarios.set(token, scenario)
  }

  setPrefix(prefix: string, scenario: Scenario.Scenario | undefined): void {
    const rest = this.prefixScenarios.filter(([p]) => p !== prefix)
    if (scenario !== undefined) rest.push([prefix, scenario])
    rest.sort((a, b) => b[0].length - a[0].length)
    this.prefixScenarios = rest
  }

  enqueue(route: M.Route | "any", scenario: Scenario.Scenario, count = 1): void {
    if (count <= 0) return
    let q = this.queues.get(route)
    if (q === undefined) {
      q = []
      this.queues.set(route, q)
    }
    q.push({ scenario, remaining: count })
    this.queued += count
  }

  clear(): void {
    this.defaultScenario = undefined
    this.tokenScenarios.clear()
    this.prefixScenarios = []
    this.queues.clear()
    this.queued = 0
  }

  private attempt(s: object, key: string, increment = true): number {
    let m = this.attempts.get(s)
    if (m === undefined) {
      m = new Map()
      this.attempts.set(s, m)
    }
    const n = m.get(key) ?? 0
    if (increment) m.set(key, n + 1)
    return n
  }

  private scenarioFor(key: string): Scenario.Scenario | undefined {
    if (this.tokenScenarios.size > 0) {
      const exact = this.tokenScenarios.get(key)
      if (exact !== undefined) return exact
    }
    const prefixes = this.prefixScenarios
    for (let i = 0; i < prefixes.length; i++) {
      const entry = prefixes[i]!
      if (key.startsWith(entry[0])) return entry[1]
    }
    return this.defaultScenario
  }

  /** The scenario queued for the next request on a route (or on any), without taking it. */
  peekQueued(route: M.Route): Scenario.Scenario | undefined {
    if (this.queued === 0) return undefined
    const q = this.queues.get(route)
    if (q !== undefined && q.length > 0) return q[0]!.scenario
    const any = this.queues.get("any")
    return any !== undefined && any.length > 0 ? any[0]!.scenario : undefined
  }

  /** Takes the scenario queued for the next request on a route (or on any). */
  takeQueued(route: M.Route): Scenario.Scenario | undefined {
    if (this.queued === 0) return undefined
    let q = this.queues.get(route)
    if (q === undefined || q.length === 0) q = this.queues.get("any")
    if (q === undefined || q.length === 0) return undefined
    const head = q[0]!
    head.remaining--
    this.queued--
    if (head.remaining <= 0) q.shift()
    return head.scenario
  }

  /** Takes a queued scenario now when it is a request fault that answers instead of the route. */
  takeQueuedFault(route: M.Route): Scenario.RequestFault | undefined {
    const head = this.peekQueued(route)
    if (head !== undefined && Scenario.isRequestFault(head) && !(head._tag === "GoAway" && head.respond)) {
      this.takeQueued(route)
      return head
    }
    return undefined
  }

  /** What a scenario answers for a key this time. */
  step(s: Scenario.Scenario, key: string): Outcome {
    switch (s._tag) {
      case "Delivered":
        return DELIVER
      case "Canonical":
        return { ...DELIVER, answer: { _tag: "Canonical", registrationId: s.registrationId ?? `${key}:canonical` } }
      case "NotRegistered":
      case "InvalidToken":
      case "SenderMismatch":
      case "ThirdPartyAuthError":
      case "LegacyError":
        return outcomeOf(s)
      case "Unavailable":
      case "InternalError":
        return s.times === Infinity || this.attempt(s, key) < s.times ? outcomeOf(s, s.level === "request") : DELIVER
      case "QuotaExceeded":
        return s.times === Infinity || this.attempt(s, key) < s.times
          ? outcomeOf(s, s.variant === "project")
          : DELIVER
      case "Latency":
        return withLatency(this.step(s.then, key), s.millis)
      case "Sequence": {
        const i = this.attempt(s, key)
        return this.step(s.steps[Math.min(i, s.steps.length - 1)]!, key)
      }
      case "Mix":
        return this.mix(s, key)
      case "GoAway":
        return s.respond ? { ...DELIVER, goAwayAfter: true } : outcomeOf(s)
      default:
        return outcomeOf(s)
    }
  }

  /** The scenario a mix draws for a kind: the kind's name, with the mix's Retry-After. */
  private mixAnswer(s: Scenario.Mix, kind: keyof Scenario.MixRates): Scenario.Scenario {
    let answers = this.mixAnswers.get(s)
    if (answers === undefined) {
      answers = new Map()
      this.mixAnswers.set(s, answers)
    }
    let answer = answers.get(kind)
    if (answer === undefined) {
      const named = Scenario.decodeUnknownSync(kind)
      answer = s.retryAfter !== undefined && hasRetryAfter(named)
        ? { ...named, retryAfter: s.retryAfter }
        : named
      answers.set(kind, answer)
    }
    return answer
  }

  private mix(s: Scenario.Mix, key: string): Outcome {
    let m = this.attempts.get(s)
    if (m === undefined) {
      m = new Map()
      this.attempts.set(s, m)
    }
    const n = m.get(key) ?? 0
    const r = draw(s.seed, key, n)
    let acc = 0
    let kind: keyof Scenario.MixRates | undefined
    for (const name of MIX_ORDER) {
      const rate = s.rates[name]
      if (rate === undefined || rate <= 0) continue
      acc += rate
      if (r < acc) {
        kind = name
        break
      }
    }
    const o = kind === undefined ? DELIVER : this.step(this.mixAnswer(s, kind), key)
    if (kind !== undefined && isTransient(o.answer)) m.set(key, n + 1)
    else if (n > 0) m.delete(key)
    const latency = s.latency === undefined
      ? 0
      : s.latency.min +
        Math.floor(draw(s.seed, key, n, 1) * (Math.max(s.latency.max, s.latency.min) - s.latency.min + 1))
    return withLatency(o, latency)
  }

  /** The outcome for one target: the queued scenario (transient errors then answer the whole request), or the key's. */
  outcomeFor(key: string, queued: Scenario.Scenario | undefined): Outcome {
    if (queued !== undefined) {
      const o = this.step(queued, key)
      return !o.requestLevel && (serverErrorStatus(o.answer) !== undefined || o.answer._tag === "QuotaExceeded")
        ? { ...o, requestLevel: true }
        : o
    }
    const s = this.scenarioFor(key)
    return s === undefined ? DELIVER : this.step(s, key)
  }
}
