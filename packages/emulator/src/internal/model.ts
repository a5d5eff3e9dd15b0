import * as crypto from "node:crypto"
import type * as M from "../Model.js"
import * as Scenario from "../Scenario.js"
import type * as ServiceAccount from "../ServiceAccount.js"
import * as Legacy from "./legacy.js"
import * as OAuth from "./oauth.js"
import * as Pages from "./pages.js"
import { draw } from "./prng.js"
import { Ring } from "./ring.js"
import * as V1 from "./v1.js"

type ErrorCode = Scenario.LegacyErrorCode | "QuotaExceeded" | "ProjectQuotaExceeded"

interface Outcome {
  readonly type: "deliver" | "error" | "fault"
  readonly canonical: string | undefined
  readonly code: ErrorCode | undefined
  readonly retryAfter: Scenario.RetryAfter | undefined
  readonly requestLevel: boolean
  readonly fault: Scenario.RequestFault | undefined
  readonly goAwayAfter: boolean
  readonly latency: number
}

const DELIVER: Outcome = {
  type: "deliver",
  canonical: undefined,
  code: undefined,
  retryAfter: undefined,
  requestLevel: false,
  fault: undefined,
  goAwayAfter: false,
  latency: 0
}

const errorOutcome = (
  code: ErrorCode,
  retryAfter: Scenario.RetryAfter | undefined = undefined,
  requestLevel = false
): Outcome => ({ ...DELIVER, type: "error", code, retryAfter, requestLevel })

const faultOutcome = (fault: Scenario.RequestFault): Outcome => ({ ...DELIVER, type: "fault", fault })

const withLatency = (o: Outcome, ms: number): Outcome => (ms > 0 ? { ...o, latency: o.latency + ms } : o)

const ERROR_OUTCOMES = new Map<ErrorCode, Outcome>()
const errorOf = (code: ErrorCode): Outcome => {
  let o = ERROR_OUTCOMES.get(code)
  if (o === undefined) {
    o = errorOutcome(code)
    ERROR_OUTCOMES.set(code, o)
  }
  return o
}

const MIX_ORDER: ReadonlyArray<keyof Scenario.MixRates> = [
  "unavailable",
  "internalError",
  "quotaExceeded",
  "notRegistered",
  "invalidToken",
  "senderMismatch",
  "thirdPartyAuthError",
  "canonical",
  "reset",
  "goAway",
  "hang",
  "malformedJson",
  "htmlError",
  "emptyBody"
]

const TRANSIENT_MIX: ReadonlySet<keyof Scenario.MixRates> = new Set([
  "unavailable",
  "internalError",
  "quotaExceeded",
  "reset",
  "goAway",
  "hang",
  "malformedJson",
  "htmlError",
  "emptyBody"
])

const MIX_FAULTS: Partial<Record<keyof Scenario.MixRates, Scenario.RequestFault>> = {
  reset: Scenario.reset as Scenario.RequestFault,
  goAway: Scenario.goAway() as Scenario.RequestFault,
  hang: Scenario.hang as Scenario.RequestFault,
  malformedJson: Scenario.malformedJson() as Scenario.RequestFault,
  htmlError: Scenario.htmlBadGateway as Scenario.RequestFault,
  emptyBody: Scenario.emptyBody() as Scenario.RequestFault
}

const JSON_HEADERS: Readonly<Record<string, string>> = { "content-type": "application/json; charset=UTF-8" }
const TEXT_HEADERS: Readonly<Record<string, string>> = { "content-type": "text/plain; charset=UTF-8" }
const HTML_HEADERS: Readonly<Record<string, string>> = { "content-type": "text/html; charset=UTF-8" }

const V1_PATH = /^\/v1\/projects\/([^/]+)\/messages(?::|%3A|%3a)send$/
const METADATA_TOKEN = /^\/computeMetadata\/v1\/instance\/service-accounts\/([^/]+)\/token$/
const METADATA_EMAIL = /^\/computeMetadata\/v1\/instance\/service-accounts\/([^/]+)\/email$/

const header = (headers: M.Headers, name: string): string | undefined => {
  const v = headers[name]
  return typeof v === "string" ? v : v === undefined ? undefined : v[0]
}

const textOf = (body: string | Uint8Array): string =>
  typeof body === "string" ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8")

const retryAfterValue = (ra: Scenario.RetryAfter, now: number): string =>
  ra.format === "seconds"
    ? String(Math.max(0, Math.ceil(ra.seconds)))
    : new Date(Math.ceil((now + ra.seconds * 1000) / 1000) * 1000).toUTCString()

const response = (
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string,
  latency = 0,
  fault: M.Fault | undefined = undefined
): M.Response => ({ status, headers, body, latency, fault })

const RESET: M.Fault = { _tag: "Reset" }
const HANG: M.Fault = { _tag: "Hang" }
const GOAWAY_RESPOND: M.Fault = { _tag: "GoAway", respond: true }
const GOAWAY: M.Fault = { _tag: "GoAway", respond: false }

interface Handled {
  readonly response: M.Response
  readonly route: M.Route
  readonly protocol: M.Protocol
  readonly target?: M.Target | undefined
  readonly outcomes?: ReadonlyArray<string> | undefined
  readonly body?: unknown
  readonly dryRun?: boolean
  readonly delivered?: number
  readonly failed?: number
}

const goAwayAfter = (h: Handled): Handled =>
  h.response.fault === undefined ? { ...h, response: { ...h.response, fault: GOAWAY_RESPOND } } : h

interface Issued {
  readonly expiresAt: number
  readonly projectId: string | undefined
}

interface Queued {
  readonly scenario: Scenario.Scenario
  remaining: number
}

interface MutableCounters {
  requests: number
  routes: Map<string, number>
  protocols: Map<string, number>
  statuses: Map<number, number>
  httpVersions: Map<string, number>
  faults: Map<string, number>
  messages: number
  delivered: number
  failed: number
  dryRuns: number
  accessTokens: number
}

const emptyCounters = (): MutableCounters => ({
  requests: 0,
  routes: new Map(),
  protocols: new Map(),
  statuses: new Map(),
  httpVersions: new Map(),
  faults: new Map(),
  messages: 0,
  delivered: 0,
  failed: 0,
  dryRuns: 0,
  accessTokens: 0
})

const bump = <K>(m: Map<K, number>, key: K): void => {
  m.set(key, (m.get(key) ?? 0) + 1)
}

const toRecord = <K>(m: Map<K, number>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const [k, v] of m) out[String(k)] = v
  return out
}

const outcomeName = (o: Outcome, topicLike: boolean): string => {
  switch (o.type) {
    case "deliver":
      return o.canonical === undefined ? "delivered" : "canonical"
    case "error":
      return o.code === "QuotaExceeded"
        ? (topicLike ? "TopicsMessageRateExceeded" : "DeviceMessageRateExceeded")
        : (o.code as string)
    case "fault":
      return (o.fault as Scenario.RequestFault)._tag
  }
}

class ModelImpl implements M.Model {
  readonly projectId: string
  readonly apiKeys: ReadonlyArray<string>
  readonly accessTokenLifetime: number
  private readonly clockSkew: number
  private readonly enforceProject: boolean
  private readonly controlRoutes: boolean
  private readonly apiKeySet: Set<string>
  private readonly trusted = new Map<string, OAuth.TrustedKey>()
  private readonly tokens = new Map<string, Issued>()

  private defaultScenario: Scenario.Scenario | undefined
  private readonly tokenScenarios = new Map<string, Scenario.Scenario>()
  private prefixScenarios: Array<readonly [string, Scenario.Scenario]> = []
  private readonly queues = new Map<M.Route | "any", Array<Queued>>()
  private queued = 0
  private attempts = new WeakMap<object, Map<string, number>>()

  private recording: boolean
  private readonly ring: Ring<M.Record>
  private seq = 0
  private c = emptyCounters()

  private messageSeq = 0
  private numericId = 0
  private readonly idSuffix: string

  constructor(private readonly config: M.Config) {
    this.projectId = config.projectId ?? "emulator-project"
    this.apiKeys = config.apiKeys ?? ["emulator-server-key"]
    this.apiKeySet = new Set(this.apiKeys)
    this.accessTokenLifetime = config.accessTokenLifetime ?? 3600
    this.clockSkew = config.clockSkew ?? 60
    this.enforceProject = config.enforceProject ?? true
    this.controlRoutes = config.controlRoutes ?? true
    this.recording = config.record ?? true
    this.ring = new Ring(config.recordCapacity ?? 10_000)
    this.idSuffix = crypto.randomBytes(8).toString("hex")
    for (const account of config.serviceAccounts ?? []) this.trust(account)
    this.applyConfiguredScenarios()
  }

  // -------------------------------------------------------------------------
  // state
  // -------------------------------------------------------------------------

  private applyConfiguredScenarios(): void {
    const s = this.config.scenarios
    this.defaultScenario = s?.default
    this.tokenScenarios.clear()
    this.prefixScenarios = []
    for (const [token, scenario] of Object.entries(s?.tokens ?? {})) this.tokenScenarios.set(token, scenario)
    for (const [prefix, scenario] of Object.entries(s?.prefixes ?? {})) this.setPrefix(prefix, scenario)
    this.queues.clear()
    this.queued = 0
  }

  readonly trust = (account: ServiceAccount.ServiceAccountKey | ServiceAccount.Trusted): void => {
    const t = OAuth.toTrustedKey(account)
    this.trusted.set(t.clientEmail, t)
  }

  readonly records = (): ReadonlyArray<M.Record> => this.ring.toArray()

  readonly counters = (): M.Counters => ({
    requests: this.c.requests,
    routes: toRecord(this.c.routes),
    protocols: toRecord(this.c.protocols),
    statuses: toRecord(this.c.statuses),
    httpVersions: toRecord(this.c.httpVersions),
    faults: toRecord(this.c.faults),
    messages: this.c.messages,
    delivered: this.c.delivered,
    failed: this.c.failed,
    dryRuns: this.c.dryRuns,
    accessTokens: this.c.accessTokens
  })

  readonly reset = (): void => {
    this.ring.clear()
    this.c = emptyCounters()
    this.attempts = new WeakMap()
    this.applyConfiguredScenarios()
  }

  readonly setRecording = (enabled: boolean): void => {
    this.recording = enabled
  }

  readonly setDefault = (scenario: Scenario.Scenario | undefined): void => {
    this.defaultScenario = scenario
  }

  readonly setToken = (token: string, scenario: Scenario.Scenario | undefined): void => {
    if (scenario === undefined) this.tokenScenarios.delete(token)
    else this.tokenScenarios.set(token, scenario)
  }

  readonly setPrefix = (prefix: string, scenario: Scenario.Scenario | undefined): void => {
    const rest = this.prefixScenarios.filter(([p]) => p !== prefix)
    if (scenario !== undefined) rest.push([prefix, scenario])
    rest.sort((a, b) => b[0].length - a[0].length)
    this.prefixScenarios = rest
  }

  readonly enqueue = (route: M.Route | "any", scenario: Scenario.Scenario, count = 1): void => {
    if (count <= 0) return
    let q = this.queues.get(route)
    if (q === undefined) {
      q = []
      this.queues.set(route, q)
    }
    q.push({ scenario, remaining: count })
    this.queued += count
  }

  readonly clearScenarios = (): void => {
    this.defaultScenario = undefined
    this.tokenScenarios.clear()
    this.prefixScenarios = []
    this.queues.clear()
    this.queued = 0
  }

  readonly issueAccessToken = (
    now: number,
    options: { readonly projectId?: string; readonly lifetime?: number } = {}
  ): { readonly access_token: string; readonly expires_in: number; readonly token_type: "Bearer" } => {
    const lifetime = options.lifetime ?? this.accessTokenLifetime
    if (this.tokens.size >= 10_000) {
      for (const [t, info] of this.tokens) if (info.expiresAt <= now) this.tokens.delete(t)
    }
    const token = `ya29.emulator.${crypto.randomBytes(24).toString("base64url")}`
    this.tokens.set(token, { expiresAt: now + lifetime * 1000, projectId: options.projectId })
    this.c.accessTokens++
    return { access_token: token, expires_in: lifetime, token_type: "Bearer" }
  }

  readonly expireAccessTokens = (): void => {
    for (const [t, info] of this.tokens) this.tokens.set(t, { ...info, expiresAt: -Infinity })
  }

  // -------------------------------------------------------------------------
  // scenarios
  // -------------------------------------------------------------------------

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

  private peekQueued(route: M.Route): Scenario.Scenario | undefined {
    if (this.queued === 0) return undefined
    const q = this.queues.get(route)
    if (q !== undefined && q.length > 0) return q[0]!.scenario
    const any = this.queues.get("any")
    return any !== undefined && any.length > 0 ? any[0]!.scenario : undefined
  }

  private takeQueued(route: M.Route): Scenario.Scenario | undefined {
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

  /** Takes a queued scenario now when it is a request-level fault. */
  private takeQueuedFault(route: M.Route): Scenario.RequestFault | undefined {
    const head = this.peekQueued(route)
    if (head !== undefined && Scenario.isRequestFault(head) && !(head._tag === "GoAway" && head.respond)) {
      this.takeQueued(route)
      return head
    }
    return undefined
  }

  private step(s: Scenario.Scenario, key: string): Outcome {
    switch (s._tag) {
      case "Delivered":
        return DELIVER
      case "Canonical":
        return { ...DELIVER, canonical: s.registrationId ?? `${key}:canonical` }
      case "NotRegistered":
        return errorOf("NotRegistered")
      case "InvalidToken":
        return errorOf("InvalidRegistration")
      case "SenderMismatch":
        return errorOf("MismatchSenderId")
      case "ThirdPartyAuthError":
        return errorOf("InvalidApnsCredential")
      case "LegacyError":
        return errorOf(s.code)
      case "Unavailable":
        return s.times === Infinity || this.attempt(s, key) < s.times
          ? errorOutcome("Unavailable", s.retryAfter, s.level === "request")
          : DELIVER
      case "InternalError":
        return s.times === Infinity || this.attempt(s, key) < s.times
          ? errorOutcome("InternalServerError", s.retryAfter, s.level === "request")
          : DELIVER
      case "QuotaExceeded":
        return s.times === Infinity || this.attempt(s, key) < s.times
          ? errorOutcome(
            s.variant === "project" ? "ProjectQuotaExceeded" : "QuotaExceeded",
            s.retryAfter,
            s.variant === "project"
          )
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
        return s.respond ? { ...DELIVER, goAwayAfter: true } : faultOutcome(s)
      default:
        return faultOutcome(s)
    }
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
    if (kind !== undefined && TRANSIENT_MIX.has(kind)) m.set(key, n + 1)
    else if (n > 0) m.delete(key)
    const latency = s.latency === undefined
      ? 0
      : s.latency.min +
        Math.floor(draw(s.seed, key, n, 1) * (Math.max(s.latency.max, s.latency.min) - s.latency.min + 1))
    let o: Outcome
    switch (kind) {
      case undefined:
        o = DELIVER
        break
      case "unavailable":
        o = errorOutcome("Unavailable", s.retryAfter)
        break
      case "internalError":
        o = errorOutcome("InternalServerError", s.retryAfter)
        break
      case "quotaExceeded":
        o = errorOutcome("QuotaExceeded", s.retryAfter)
        break
      case "notRegistered":
        o = errorOf("NotRegistered")
        break
      case "invalidToken":
        o = errorOf("InvalidRegistration")
        break
      case "senderMismatch":
        o = errorOf("MismatchSenderId")
        break
      case "thirdPartyAuthError":
        o = errorOf("InvalidApnsCredential")
        break
      case "canonical":
        o = { ...DELIVER, canonical: `${key}:canonical` }
        break
      default:
        o = faultOutcome(MIX_FAULTS[kind]!)
    }
    return withLatency(o, latency)
  }

  private outcomeFor(key: string, queued: Scenario.Scenario | undefined): Outcome {
    if (queued !== undefined) {
      const o = this.step(queued, key)
      return o.type === "error" &&
          (o.code === "Unavailable" || o.code === "InternalServerError" || o.code === "QuotaExceeded")
        ? { ...o, requestLevel: true }
        : o
    }
    const s = this.scenarioFor(key)
    return s === undefined ? DELIVER : this.step(s, key)
  }

  // -------------------------------------------------------------------------
  // ids
  // -------------------------------------------------------------------------

  private readonly namePrefixes = new Map<string, string>()

  /** `projects/{project}/messages/`, escaped for a JSON string. */
  private namePrefix(project: string): string {
    let prefix = this.namePrefixes.get(project)
    if (prefix === undefined) {
      prefix = JSON.stringify(`projects/${project}/messages/`).slice(1, -1)
      if (this.namePrefixes.size < 1000) this.namePrefixes.set(project, prefix)
    }
    return prefix
  }

  private messageId(now: number): string {
    this.messageSeq = (this.messageSeq + 1) % 1_000_000
    return `0:${now}${String(this.messageSeq).padStart(6, "0")}%${this.idSuffix}`
  }

  private numeric(now: number): number {
    this.numericId = Math.max(this.numericId + 1, now * 1000)
    return this.numericId
  }

  // -------------------------------------------------------------------------
  // faults shared by the routes
  // -------------------------------------------------------------------------

  private faultResponse(
    fault: Scenario.RequestFault,
    route: M.Route,
    now: number,
    latency: number
  ): M.Response {
    switch (fault._tag) {
      case "Reset":
        return response(0, {}, "", latency, RESET)
      case "Hang":
        return response(0, {}, "", latency, HANG)
      case "GoAway":
        return response(0, {}, "", latency, fault.respond ? GOAWAY_RESPOND : GOAWAY)
      case "MalformedJson":
        return response(
          fault.status,
          JSON_HEADERS,
          route === "legacy"
            ? "{\"multicast_id\":1,\"success\":1,\"results\":[{\"message_"
            : "{\n  \"name\": \"projects/",
          latency
        )
      case "HtmlError":
        return response(
          fault.status,
          fault.retryAfter
            ? { ...HTML_HEADERS, "retry-after": retryAfterValue(fault.retryAfter, now) }
            : HTML_HEADERS,
          Pages.serverError(fault.status),
          latency
        )
      case "EmptyBody":
        return response(fault.status, JSON_HEADERS, "", latency)
      case "Unauthenticated": {
        if (route === "legacy") return response(401, HTML_HEADERS, Pages.legacyPage(401), latency)
        if (route === "token") {
          return response(
            400,
            JSON_HEADERS,
            JSON.stringify({ error: "invalid_grant", error_description: OAuth.INVALID_SIGNATURE }),
            latency
          )
        }
        const e = fault.expired ? V1.expiredAccessToken : V1.invalidAccessToken
        return response(e.status, { ...JSON_HEADERS, ...e.headers }, e.body, latency)
      }
      case "BadRequest": {
        if (route === "legacy") return response(400, TEXT_HEADERS, `${fault.message}\n`, latency)
        if (route === "token") {
          return response(
            400,
            JSON_HEADERS,
            JSON.stringify({ error: "invalid_request", error_description: fault.message }),
            latency
          )
        }
        const e = V1.plainBadRequest(fault.message)
        return response(e.status, JSON_HEADERS, e.body, latency)
      }
    }
  }

  private faultHandled(
    fault: Scenario.RequestFault,
    route: M.Route,
    protocol: M.Protocol,
    now: number,
    latency = 0
  ): Handled {
    return {
      response: this.faultResponse(fault, route, now, latency),
      route,
      protocol,
      outcomes: [fault._tag]
    }
  }

  // -------------------------------------------------------------------------
  // routes
  // -------------------------------------------------------------------------

  readonly handle = (request: M.Request): M.Response => {
    const q = request.path.indexOf("?")
    const pathname = q >= 0 ? request.path.slice(0, q) : request.path
    const method = request.method
    let handled: Handled
    if (method === "POST" || method === "post") {
      let m: RegExpExecArray | null
      if (pathname.startsWith("/v1/") && (m = V1_PATH.exec(pathname)) !== null) {
        handled = this.v1(request, decodeURIComponent(m[1]!))
      } else if (pathname === "/fcm/send" || pathname === "/gcm/send") {
        handled = this.legacy(request)
      } else if (OAuth.TOKEN_PATHS.has(pathname)) {
        handled = this.token(request)
      } else if (this.controlRoutes && pathname.startsWith("/__emulator/")) {
        return this.control(request, pathname, request.path.slice(pathname.length))
      } else {
        handled = this.unknown(pathname)
      }
    } else if ((method === "GET" || method === "get") && pathname.startsWith("/computeMetadata/")) {
      handled = this.metadata(request, pathname)
    } else if (this.controlRoutes && pathname.startsWith("/__emulator/")) {
      return this.control(request, pathname, request.path.slice(pathname.length))
    } else {
      handled = this.unknown(pathname)
    }
    this.account(request, pathname, handled)
    return handled.response
  }

  private account(request: M.Request, pathname: string, h: Handled): void {
    const c = this.c
    const status = h.response.fault !== undefined && !(h.response.fault._tag === "GoAway" && h.response.fault.respond)
      ? 0
      : h.response.status
    const httpVersion = request.httpVersion ?? "unknown"
    c.requests++
    bump(c.routes, h.route)
    bump(c.protocols, h.protocol)
    bump(c.statuses, status)
    bump(c.httpVersions, httpVersion)
    if (h.response.fault !== undefined) bump(c.faults, h.response.fault._tag)
    if (h.route === "legacy" || h.route === "v1") {
      const outcomes = h.outcomes?.length ?? 0
      c.messages += outcomes
      c.delivered += h.delivered ?? 0
      c.failed += h.failed ?? 0
      if (h.dryRun === true) c.dryRuns++
    }
    if (!this.recording) return
    this.ring.push({
      seq: ++this.seq,
      time: request.now,
      route: h.route,
      protocol: h.protocol,
      httpVersion,
      method: request.method,
      path: pathname,
      status,
      fault: h.response.fault?._tag,
      target: h.target,
      outcomes: h.outcomes ?? [],
      body: h.body,
      dryRun: h.dryRun ?? false,
      delivered: h.delivered ?? 0
    })
  }

  private unknown(pathname: string): Handled {
    return {
      response: response(404, HTML_HEADERS, Pages.notFound(pathname)),
      route: "unknown",
      protocol: "none"
    }
  }

  private legacy(request: M.Request): Handled {
    const now = request.now
    const auth = header(request.headers, "authorization")
    const key = auth !== undefined && auth.startsWith("key=") ? auth.slice(4).trim() : undefined
    if (key === undefined || !this.apiKeySet.has(key)) {
      return { response: response(401, HTML_HEADERS, Pages.legacyPage(401)), route: "legacy", protocol: "legacy" }
    }
    const fault = this.takeQueuedFault("legacy")
    if (fault !== undefined) return this.faultHandled(fault, "legacy", "legacy", now)
    const parsed = Legacy.parse(textOf(request.body), header(request.headers, "content-type"))
    if (!parsed.ok) {
      return {
        response: response(400, TEXT_HEADERS, parsed.text),
        route: "legacy",
        protocol: "legacy",
        body: parsed.body
      }
    }
    const queued = this.takeQueued("legacy")
    const keys = parsed.keys
    const outcomes: Array<Outcome> = new Array(keys.length)
    let latency = 0
    let faultAt = -1
    let requestErrorAt = -1
    let goAwayAfter = false
    for (let i = 0; i < keys.length; i++) {
      const keyError = parsed.keyErrors?.[i]
      const o = keyError !== undefined
        ? errorOf(keyError)
        : parsed.messageError !== undefined
        ? errorOf(parsed.messageError)
        : this.outcomeFor(keys[i]!, queued)
      outcomes[i] = o
      if (o.latency > latency) latency = o.latency
      if (o.goAwayAfter) goAwayAfter = true
      if (o.type === "fault" && faultAt < 0) faultAt = i
      else if (o.type === "error" && faultAt < 0 && requestErrorAt < 0) {
        if (o.requestLevel || o.code === "ProjectQuotaExceeded") requestErrorAt = i
        else if (parsed.mode === "text" && (o.code === "Unavailable" || o.code === "InternalServerError")) {
          requestErrorAt = i
        }
      }
    }
    const names = outcomes.map((o) => outcomeName(o, parsed.topicLike))
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
    if (faultAt >= 0) {
      const f = outcomes[faultAt]!.fault!
      return done(this.faultResponse(f, "legacy", now, latency), names.map(() => f._tag), 0, keys.length)
    }
    if (requestErrorAt >= 0) {
      const o = outcomes[requestErrorAt]!
      const status = o.code === "Unavailable" ? 503 : o.code === "InternalServerError" ? 500 : 429
      const headers = o.retryAfter
        ? { ...HTML_HEADERS, "retry-after": retryAfterValue(o.retryAfter, now) }
        : HTML_HEADERS
      const name = outcomeName(o, parsed.topicLike)
      return done(response(status, headers, Pages.legacyPage(status), latency), names.map(() => name), 0, keys.length)
    }
    let success = 0
    let failure = 0
    let canonicalIds = 0
    let retryAfter: Scenario.RetryAfter | undefined
    const dry = parsed.dryRun
    if (parsed.mode === "text") {
      const o = outcomes[0]!
      let text: string
      if (o.type === "deliver") {
        success = 1
        text = `id=${dry ? "fake_message_id" : this.messageId(now)}\n` +
          (o.canonical !== undefined ? `registration_id=${o.canonical}\n` : "")
      } else {
        failure = 1
        text = `Error=${names[0]}\n`
      }
      return done(
        response(200, TEXT_HEADERS, text, latency, goAwayAfter ? GOAWAY_RESPOND : undefined),
        names,
        dry ? 0 : success,
        failure
      )
    }
    let body: string
    if (parsed.topicLike) {
      const o = outcomes[0]!
      if (o.type === "deliver") {
        success = 1
        body = dry ? "{\"message_id\":-1}" : `{"message_id":${this.numeric(now)}}`
      } else {
        failure = 1
        retryAfter = o.retryAfter
        body = JSON.stringify({ error: names[0] })
      }
    } else {
      const results: Array<Record<string, string>> = new Array(outcomes.length)
      for (let i = 0; i < outcomes.length; i++) {
        const o = outcomes[i]!
        if (o.type === "deliver") {
          success++
          const id = dry ? "fake_message_id" : this.messageId(now)
          if (o.canonical !== undefined) {
            canonicalIds++
            results[i] = { message_id: id, registration_id: o.canonical }
          } else {
            results[i] = { message_id: id }
          }
        } else {
          failure++
          if (o.retryAfter !== undefined && retryAfter === undefined) retryAfter = o.retryAfter
          results[i] = { error: names[i]! }
        }
      }
      body = JSON.stringify({
        multicast_id: this.numeric(now),
        success,
        failure,
        canonical_ids: canonicalIds,
        results
      })
    }
    const headers = retryAfter ? { ...JSON_HEADERS, "retry-after": retryAfterValue(retryAfter, now) } : JSON_HEADERS
    return done(
      response(200, headers, body, latency, goAwayAfter ? GOAWAY_RESPOND : undefined),
      names,
      dry ? 0 : success,
      failure
    )
  }

  private v1(request: M.Request, project: string): Handled {
    const now = request.now
    const route = "v1" as const
    const protocol = "v1" as const
    const error = (e: V1.ErrorBody, extra?: Partial<Handled>): Handled => ({
      response: response(e.status, e.headers ? { ...JSON_HEADERS, ...e.headers } : JSON_HEADERS, e.body),
      route,
      protocol,
      ...extra
    })
    const auth = header(request.headers, "authorization")
    if (auth === undefined || auth === "") return error(V1.credentialsMissing)
    const bearer = auth.length > 7 && auth.slice(0, 7).toLowerCase() === "bearer " ? auth.slice(7).trim() : undefined
    const issued = bearer === undefined ? undefined : this.tokens.get(bearer)
    if (issued === undefined) return error(V1.invalidAccessToken)
    if (issued.expiresAt <= now) return error(V1.expiredAccessToken)
    if (this.enforceProject && issued.projectId !== undefined && issued.projectId !== project) {
      return error(V1.permissionDenied(project))
    }
    const fault = this.takeQueuedFault(route)
    if (fault !== undefined) return this.faultHandled(fault, route, protocol, now)
    const v = V1.validate(textOf(request.body))
    if (!v.ok) return error(v.error, { body: v.body, outcomes: ["InvalidArgument"], failed: 1 })
    const queued = this.takeQueued(route)
    const o = this.outcomeFor(v.key, queued)
    const topicLike = v.target._tag !== "Token"
    const outcomes = [outcomeName(o, topicLike)]
    let res: M.Response
    let delivered = 0
    switch (o.type) {
      case "fault":
        res = this.faultResponse(o.fault!, route, now, o.latency)
        break
      case "error": {
        const e = V1.errorFor(o.code!, v.target, project)
        const headers = o.retryAfter
          ? { ...JSON_HEADERS, ...e.headers, "retry-after": retryAfterValue(o.retryAfter, now) }
          : e.headers
          ? { ...JSON_HEADERS, ...e.headers }
          : JSON_HEADERS
        res = response(e.status, headers, e.body, o.latency)
        break
      }
      case "deliver": {
        const id = v.validateOnly ? "fake_message_id" : topicLike ? String(this.numeric(now)) : this.messageId(now)
        res = response(
          200,
          JSON_HEADERS,
          `{"name":"${this.namePrefix(project)}${id}"}`,
          o.latency,
          o.goAwayAfter ? GOAWAY_RESPOND : undefined
        )
        delivered = v.validateOnly ? 0 : 1
      }
    }
    return {
      response: res,
      route,
      protocol,
      target: v.target,
      body: v.body,
      dryRun: v.validateOnly,
      outcomes,
      delivered,
      failed: o.type === "deliver" ? 0 : 1
    }
  }

  /** A queued scenario answered by the token and metadata routes. */
  private serviceFault(route: M.Route, protocol: M.Protocol, now: number): Handled | "goaway" | undefined {
    const queued = this.peekQueued(route)
    if (queued === undefined) return undefined
    this.takeQueued(route)
    const o = this.step(queued, `\u0000${route}`)
    if (o.goAwayAfter) return "goaway"
    if (o.type === "fault") return this.faultHandled(o.fault!, route, protocol, now, o.latency)
    if (o.type === "error" && (o.code === "Unavailable" || o.code === "InternalServerError")) {
      const status = o.code === "Unavailable" ? 503 : 500
      const body = JSON.stringify(
        status === 503
          ? { error: "temporarily_unavailable", error_description: "The service is currently unavailable." }
          : { error: "internal_failure", error_description: "Backend Error" }
      )
      const headers = o.retryAfter
        ? { ...JSON_HEADERS, "retry-after": retryAfterValue(o.retryAfter, now) }
        : JSON_HEADERS
      return { response: response(status, headers, body, o.latency), route, protocol, outcomes: [o.code] }
    }
    return undefined
  }

  private token(request: M.Request): Handled {
    const now = request.now
    const route = "token" as const
    const protocol = "oauth2" as const
    const fail = (status: number, error: string, description: string): Handled => ({
      response: response(
        status,
        { ...JSON_HEADERS, "cache-control": "no-cache, no-store, max-age=0, must-revalidate" },
        JSON.stringify({ error, error_description: description })
      ),
      route,
      protocol,
      outcomes: [error]
    })
    const faulted = this.serviceFault(route, protocol, now)
    if (faulted === "goaway") return goAwayAfter(this.token(request))
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
    const verified = OAuth.verifyAssertion(assertion, this.trusted, Math.floor(now / 1000), this.clockSkew)
    if (!verified.ok) return fail(400, verified.error, verified.description)
    const issued = this.issueAccessToken(now, {
      ...(verified.account.projectId ? { projectId: verified.account.projectId } : {})
    })
    return {
      response: response(
        200,
        { ...JSON_HEADERS, "cache-control": "no-cache, no-store, max-age=0, must-revalidate" },
        JSON.stringify(issued)
      ),
      route,
      protocol,
      outcomes: ["issued"]
    }
  }

  private metadata(request: M.Request, pathname: string): Handled {
    const now = request.now
    const route = "metadata" as const
    const protocol = "metadata" as const
    if (header(request.headers, "metadata-flavor") !== "Google") {
      return {
        response: response(
          403,
          HTML_HEADERS,
          `<!DOCTYPE html>\n<html lang=en>\n<title>Error 403 (Forbidden)!!1</title>\n<p><b>403.</b> <ins>That’s an error.</ins>\n<p>Your client does not have permission to get URL <code>${pathname}</code> from this server. Missing Metadata-Flavor:Google header. <ins>That’s all we know.</ins>\n`
        ),
        route,
        protocol,
        outcomes: ["forbidden"]
      }
    }
    const faulted = this.serviceFault(route, protocol, now)
    if (faulted === "goaway") return goAwayAfter(this.metadata(request, pathname))
    if (faulted !== undefined) return faulted
    const headers = { ...JSON_HEADERS, "metadata-flavor": "Google" }
    const textHeaders = { "content-type": "application/text", "metadata-flavor": "Google" }
    if (METADATA_TOKEN.test(pathname)) {
      const issued = this.issueAccessToken(now, { projectId: this.projectId })
      return { response: response(200, headers, JSON.stringify(issued)), route, protocol, outcomes: ["issued"] }
    }
    if (pathname === "/computeMetadata/v1/project/project-id") {
      return { response: response(200, textHeaders, this.projectId), route, protocol, outcomes: ["project-id"] }
    }
    if (METADATA_EMAIL.test(pathname)) {
      const first = this.trusted.keys().next()
      const email = first.done ? `default@${this.projectId}.iam.gserviceaccount.com` : first.value
      return { response: response(200, textHeaders, email), route, protocol, outcomes: ["email"] }
    }
    return { response: response(404, HTML_HEADERS, Pages.notFound(pathname)), route, protocol }
  }

  private control(request: M.Request, pathname: string, query: string): M.Response {
    const ok = (body: unknown): M.Response => response(200, JSON_HEADERS, JSON.stringify(body))
    const bad = (message: string): M.Response => response(400, JSON_HEADERS, JSON.stringify({ error: message }))
    const method = request.method.toUpperCase()
    switch (pathname) {
      case "/__emulator/counters":
        return ok(this.counters())
      case "/__emulator/records": {
        const limit = Number(new URLSearchParams(query.slice(1)).get("limit") ?? "100")
        const all = this.records()
        return ok(all.slice(Math.max(0, all.length - (Number.isFinite(limit) ? limit : 100))))
      }
      case "/__emulator/reset":
        if (method !== "POST") return bad("use POST")
        this.reset()
        return ok({})
      case "/__emulator/expire-tokens":
        if (method !== "POST") return bad("use POST")
        this.expireAccessTokens()
        return ok({})
      case "/__emulator/scenarios": {
        if (method !== "POST") return bad("use POST")
        let u: unknown
        try {
          u = JSON.parse(textOf(request.body))
        } catch {
          return bad("the body must be JSON")
        }
        const result = this.applyControl(u)
        return result === undefined ? ok({}) : bad(result)
      }
      default:
        return response(404, HTML_HEADERS, Pages.notFound(pathname))
    }
  }

  private applyControl(u: unknown): string | undefined {
    if (typeof u !== "object" || u === null) return "the body must be an object"
    const o = u as Record<string, unknown>
    const decode = (x: unknown): Scenario.Scenario | string => (x === null ? "null" : Scenario.fromJson(x))
    const actions: Array<() => void> = []
    if (o.clear === true) actions.push(() => this.clearScenarios())
    if (o.default !== undefined) {
      if (o.default === null) actions.push(() => this.setDefault(undefined))
      else {
        const s = decode(o.default)
        if (typeof s === "string") return `default: ${s}`
        actions.push(() => this.setDefault(s))
      }
    }
    for (
      const [field, set] of [
        ["tokens", this.setToken],
        ["prefixes", this.setPrefix]
      ] as const
    ) {
      const entries = o[field]
      if (entries === undefined) continue
      if (typeof entries !== "object" || entries === null) return `${field} must be an object`
      for (const [k, v] of Object.entries(entries)) {
        if (v === null) {
          actions.push(() => set(k, undefined))
          continue
        }
        const s = decode(v)
        if (typeof s === "string") return `${field}.${k}: ${s}`
        actions.push(() => set(k, s))
      }
    }
    if (o.enqueue !== undefined) {
      if (!Array.isArray(o.enqueue)) return "enqueue must be an array"
      for (const entry of o.enqueue as Array<unknown>) {
        if (typeof entry !== "object" || entry === null) return "enqueue entries must be objects"
        const e = entry as Record<string, unknown>
        const route = e.route ?? "any"
        if (!["legacy", "v1", "token", "metadata", "any"].includes(route as string)) {
          return `unknown route ${String(route)}`
        }
        const s = decode(e.scenario)
        if (typeof s === "string") return `enqueue: ${s}`
        const count = typeof e.count === "number" ? e.count : 1
        actions.push(() => this.enqueue(route as M.Route | "any", s, count))
      }
    }
    for (const action of actions) action()
    return undefined
  }
}

/** @internal */
export const make = (config: M.Config = {}): M.Model => new ModelImpl(config)
