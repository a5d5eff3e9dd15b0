/**
 * The model: the state every route shares (configuration, the scenario engine, trusted accounts, issued access
 * tokens, ids), the dispatch of a request to its route, and the records and counters of what was answered.
 *
 * Each route is its own module and answers in its own protocol's terms: `legacyRoute.ts`, `v1Route.ts`,
 * `tokenRoute.ts`, `metadataRoute.ts`, `controlRoute.ts`; the scenarios they render come from `engine.ts`.
 *
 * @internal
 */
import * as crypto from "node:crypto"
import type * as M from "../Model.js"
import type * as Scenario from "../Scenario.js"
import type * as ServiceAccount from "../ServiceAccount.js"
import { type Handled, HTML_HEADERS, response } from "./answer.js"
import * as ControlRoute from "./controlRoute.js"
import { Engine } from "./engine.js"
import * as LegacyRoute from "./legacyRoute.js"
import * as MetadataRoute from "./metadataRoute.js"
import * as OAuth from "./oauth.js"
import * as Pages from "./pages.js"
import { ProjectQuota } from "./quota.js"
import { Ring } from "./ring.js"
import type { Issued, State } from "./state.js"
import * as TokenRoute from "./tokenRoute.js"
import * as TopicsRoute from "./topicsRoute.js"
import * as V1Route from "./v1Route.js"

const V1_PATH = /^\/v1\/projects\/([^/]+)\/messages(?::|%3A|%3a)send$/
const IID_PATH = /^\/iid\/v1(?::|%3A|%3a)batch(Add|Remove)$/

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

class ModelImpl implements M.Model, State {
  readonly projectId: string
  readonly apiKeys: ReadonlyArray<string>
  readonly accessTokenLifetime: number
  readonly clockSkew: number
  readonly enforceProject: boolean
  readonly apiKeySet: ReadonlySet<string>
  readonly engine: Engine
  readonly quota: ProjectQuota | undefined
  readonly trusted = new Map<string, OAuth.TrustedKey>()
  readonly accessTokens = new Map<string, Issued>()
  readonly subscriptions = new Map<string, Set<string>>()
  private readonly controlRoutes: boolean

  private recording: boolean
  private readonly ring: Ring<M.Record>
  private seq = 0
  private c = emptyCounters()

  private messageSeq = 0
  private lastNumericId = 0
  private readonly idSuffix: string
  private readonly namePrefixes = new Map<string, string>()

  constructor(config: M.Config) {
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
    this.engine = new Engine(config.scenarios)
    this.quota = config.quota === undefined ? undefined : new ProjectQuota(config.quota)
    for (const account of config.serviceAccounts ?? []) this.trust(account)
  }

  // ---------------------------------------------------------------------------
  // state
  // ---------------------------------------------------------------------------

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

  readonly subscribers = (topic: string): ReadonlyArray<string> => [...(this.subscriptions.get(topic) ?? [])]

  readonly reset = (): void => {
    this.ring.clear()
    this.subscriptions.clear()
    this.c = emptyCounters()
    this.engine.forgetAttempts()
    this.engine.restore()
    this.quota?.reset()
  }

  readonly setRecording = (enabled: boolean): void => {
    this.recording = enabled
  }

  readonly setDefault = (scenario: Scenario.Scenario | undefined): void => this.engine.setDefault(scenario)

  readonly setToken = (token: string, scenario: Scenario.Scenario | undefined): void =>
    this.engine.setToken(token, scenario)

  readonly setPrefix = (prefix: string, scenario: Scenario.Scenario | undefined): void =>
    this.engine.setPrefix(prefix, scenario)

  readonly enqueue = (route: M.Route | "any", scenario: Scenario.Scenario, count = 1): void =>
    this.engine.enqueue(route, scenario, count)

  readonly clearScenarios = (): void => this.engine.clear()

  readonly issueAccessToken = (
    now: number,
    options: { readonly projectId?: string; readonly lifetime?: number } = {}
  ): { readonly access_token: string; readonly expires_in: number; readonly token_type: "Bearer" } => {
    const lifetime = options.lifetime ?? this.accessTokenLifetime
    if (this.accessTokens.size >= 10_000) {
      for (const [t, info] of this.accessTokens) if (info.expiresAt <= now) this.accessTokens.delete(t)
    }
    const token = `ya29.emulator.${crypto.randomBytes(24).toString("base64url")}`
    this.accessTokens.set(token, { expiresAt: now + lifetime * 1000, projectId: options.projectId })
    this.c.accessTokens++
    return { access_token: token, expires_in: lifetime, token_type: "Bearer" }
  }

  readonly expireAccessTokens = (): void => {
    for (const [t, info] of this.accessTokens) this.accessTokens.set(t, { ...info, expiresAt: -Infinity })
  }

  // ---------------------------------------------------------------------------
  // ids
  // ---------------------------------------------------------------------------

  readonly namePrefix = (project: string): string => {
    let prefix = this.namePrefixes.get(project)
    if (prefix === undefined) {
      prefix = JSON.stringify(`projects/${project}/messages/`).slice(1, -1)
      if (this.namePrefixes.size < 1000) this.namePrefixes.set(project, prefix)
    }
    return prefix
  }

  readonly messageId = (now: number): string => {
    this.messageSeq = (this.messageSeq + 1) % 1_000_000
    return `0:${now}${String(this.messageSeq).padStart(6, "0")}%${this.idSuffix}`
  }

  readonly numericId = (now: number): number => {
    this.lastNumericId = Math.max(this.lastNumericId + 1, now * 1000)
    return this.lastNumericId
  }

  // ---------------------------------------------------------------------------
  // dispatch
  // ---------------------------------------------------------------------------

  readonly handle = (request: M.Request): M.Response => {
    const q = request.path.indexOf("?")
    const pathname = q >= 0 ? request.path.slice(0, q) : request.path
    const method = request.method
    if (this.controlRoutes && pathname.startsWith("/__emulator/")) {
      return ControlRoute.handle(this, request, pathname, request.path.slice(pathname.length))
    }
    let handled: Handled
    if (method === "POST" || method === "post") {
      let m: RegExpExecArray | null
      if (pathname.startsWith("/v1/") && (m = V1_PATH.exec(pathname)) !== null) {
        handled = V1Route.handle(this, request, decodeURIComponent(m[1]!))
      } else if (pathname.startsWith("/iid/") && (m = IID_PATH.exec(pathname)) !== null) {
        handled = TopicsRoute.handle(this, request, m[1] === "Add" ? "add" : "remove")
      } else if (pathname === "/fcm/send" || pathname === "/gcm/send") {
        handled = LegacyRoute.handle(this, request)
      } else if (OAuth.TOKEN_PATHS.has(pathname)) {
        handled = TokenRoute.handle(this, request)
      } else {
        handled = unknown(pathname)
      }
    } else if ((method === "GET" || method === "get") && pathname.startsWith("/computeMetadata/")) {
      handled = MetadataRoute.handle(this, request, pathname)
    } else {
      handled = unknown(pathname)
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
    const record: M.Record = {
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
      delivered: h.delivered ?? 0,
      ...(h.reached === undefined ? {} : { reached: h.reached })
    }
    this.ring.push(record)
  }
}

const unknown = (pathname: string): Handled => ({
  response: response(404, HTML_HEADERS, Pages.notFound(pathname)),
  route: "unknown",
  protocol: "none"
})

/** @internal */
export const make = (config: M.Config = {}): M.Model => new ModelImpl(config)
