/**
 * The reliability harness: the loopback emulator (TLS, throwaway certificate) behind the real pooled HTTP/2 transport
 * of `@effect-fcm/node`, a v1 client on top, and the bookkeeping that checks a send against what the emulator
 * received.
 *
 * Three views of every send are compared:
 * - the `Result` the caller gets (or the error the send failed with);
 * - what the client saw on the wire, per token: every request of the send route and its answer (an instrumented
 *   `HttpClient` sits between the sender and the pool);
 * - what the emulator received and answered, per token (its records).
 */
import { Model } from "@effect-fcm/emulator"
import type { FcmServer } from "@effect-fcm/emulator"
import type { FcmError, Result } from "@effect-fcm/fcm"
import { Credentials, DirectExchange, FcmClient, FcmV1, Message } from "@effect-fcm/fcm"
import { Http2Client } from "@effect-fcm/node"
import { HttpClient } from "@effect/platform"
import type { HttpClientRequest } from "@effect/platform"
import { Cause, Clock, Context, Duration, Effect, Exit, Fiber, Layer, Metric, Option, Schedule } from "effect"
import * as assert from "node:assert/strict"

// -----------------------------------------------------------------------------------------------------------------
// process guards
// -----------------------------------------------------------------------------------------------------------------

const guardState = { uncaught: 0, unhandled: 0, installed: false, last: [] as Array<string> }

/**
 * Counts uncaught exceptions and unhandled rejections of the test process. Vitest reports them too, but only after
 * the fact and not per scenario; the counters let each scenario assert that it caused none.
 */
export const installProcessGuards = (): void => {
  if (guardState.installed) return
  guardState.installed = true
  process.on("uncaughtException", (error) => {
    guardState.uncaught++
    guardState.last.push(`uncaughtException: ${String(error)}`)
  })
  process.on("unhandledRejection", (reason) => {
    guardState.unhandled++
    guardState.last.push(`unhandledRejection: ${String(reason)}`)
  })
}

export const processGuards = (): { readonly uncaught: number; readonly unhandled: number } => ({
  uncaught: guardState.uncaught,
  unhandled: guardState.unhandled
})

export const assertNoEscapes = (before: { readonly uncaught: number; readonly unhandled: number }, what: string) => {
  const now = processGuards()
  assert.strictEqual(
    now.uncaught - before.uncaught,
    0,
    `${what}: uncaught exceptions: ${guardState.last.join("; ")}`
  )
  assert.strictEqual(
    now.unhandled - before.unhandled,
    0,
    `${what}: unhandled rejections: ${guardState.last.join("; ")}`
  )
}

// -----------------------------------------------------------------------------------------------------------------
// handles
// -----------------------------------------------------------------------------------------------------------------

interface SocketLike {
  readonly localPort?: number
  readonly remotePort?: number
  readonly constructor: { readonly name: string }
  readonly destroyed?: boolean
  readonly connecting?: boolean
  readonly readyState?: string
  /** The server that accepted the socket (`null` for a socket this process connected). */
  readonly server?: unknown
}

const activeSockets = (): ReadonlyArray<SocketLike> =>
  (process as unknown as { _getActiveHandles: () => Array<unknown> })._getActiveHandles().filter((
    h
  ): h is SocketLike => typeof h === "object" && h !== null && "remotePort" in h && "localPort" in h)

/**
 * Open sockets of the process: the client's and, on loopback, the server's end of each of its connections. With
 * `serverPort`, the sockets a server accepted (the emulator's, local port `serverPort`, or a relay's) are left out,
 * also once destroyed, when a socket no longer tells its ports: they are the test's, not the client's (the emulator
 * closes them on its own schedule, and keeps one open now and then after a connection is cut mid-handshake).
 */
export const openSockets = (serverPort?: number): number =>
  activeSockets().filter((s) => serverPort === undefined || (s.localPort !== serverPort && s.server == null)).length

/** The open sockets as `local port → remote port` (for messages). */
export const describeSockets = (): string =>
  activeSockets().map((h) =>
    `${h.constructor.name} ${h.localPort}→${h.remotePort} (${h.readyState}${h.destroyed ? ", destroyed" : ""}${
      h.connecting ? ", connecting" : ""
    }${h.server == null ? "" : ", accepted"})`
  ).join(", ")

/** Polls in real time until the process has at most `baseline` open sockets; returns what is left after `within`. */
export const waitForSockets = (baseline: number, within = 3_000, serverPort?: number): Effect.Effect<number> =>
  Effect.promise(async () => {
    const deadline = Date.now() + within
    let open = openSockets(serverPort)
    while (open > baseline && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      open = openSockets(serverPort)
    }
    return open
  })

/** Sleeps in real time, whatever the Clock (interruptible). */
export const realSleep = (millis: number): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), millis)
    return Effect.sync(() => clearTimeout(timer))
  })

/** Polls `condition` every millisecond in real time (whatever the Clock) until it holds (true) or `within` ms pass. */
export const waitUntil = (condition: () => boolean, within = 5_000): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    const deadline = Date.now() + within
    let timer: ReturnType<typeof setTimeout> | undefined
    const poll = () => {
      if (condition()) return resume(Effect.succeed(true))
      if (Date.now() > deadline) return resume(Effect.succeed(false))
      timer = setTimeout(poll, 1)
    }
    poll()
    return Effect.sync(() => clearTimeout(timer))
  })

// -----------------------------------------------------------------------------------------------------------------
// time warp
// -----------------------------------------------------------------------------------------------------------------

/**
 * A clock that tells the real time but sleeps `factor` times faster, and notes every sleep it is asked for (unwarped,
 * in milliseconds) in `sleeps`. Retry schedules, Retry-After waits (a 429's minute becomes 60 s / factor) and the
 * credentials' own deadline run quickly, while every transport deadline (the pool's `requestTimeout`, connect
 * timeouts) and every timestamp (HTTP-date Retry-After, token expiry) stay real.
 */
export const warpClock = (factor: number, sleeps: Array<number> = []): Clock.Clock => {
  const base = Clock.make()
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => base.unsafeCurrentTimeMillis(),
    unsafeCurrentTimeNanos: () => base.unsafeCurrentTimeNanos(),
    currentTimeMillis: base.currentTimeMillis,
    currentTimeNanos: base.currentTimeNanos,
    sleep: (duration) => {
      const millis = Duration.toMillis(duration)
      sleeps.push(millis)
      return base.sleep(Duration.millis(millis / factor))
    }
  }
}

// -----------------------------------------------------------------------------------------------------------------
// the client's view
// -----------------------------------------------------------------------------------------------------------------

/** What the client saw of one token's requests. */
export interface TokenAttempts {
  attempts: number
  /** Answers that said "delivered": a 200 whose body names the message. */
  deliveredSeen: number
  /** Other answers (errors, malformed bodies). */
  answered: number
  /** Requests that failed on the wire (reset, GOAWAY, timeout, refused connection). */
  failed: number
  /** Requests abandoned because the send was interrupted. */
  interrupted: number
  readonly reasons: Array<string>
}

/** Every request of the send route the client made, per token; and the token endpoint's. */
export class AttemptLog {
  readonly byToken = new Map<string, TokenAttempts>()
  tokenRequests = 0
  sendRequests = 0
  /** Send requests made through the transport's direct exchange (the others went through `execute`). */
  directRequests = 0
  /** Targets sent again by the job-queue loop (`send` mode). */
  resends = 0
  /** The waits the job-queue loop took, in milliseconds, as `result.delay(attempt)` gave them. */
  readonly delays: Array<number> = []
  /**
   * Runs before the n-th send request (counting from 1) leaves the client: the place to inject a fault on an event
   * (the n-th request) rather than after some elapsed time.
   */
  atSend: ((n: number) => Effect.Effect<void> | undefined) | undefined = undefined

  entry(token: string): TokenAttempts {
    let entry = this.byToken.get(token)
    if (entry === undefined) {
      entry = { attempts: 0, deliveredSeen: 0, answered: 0, failed: 0, interrupted: 0, reasons: [] }
      this.byToken.set(token, entry)
    }
    return entry
  }
}

const decoder = new TextDecoder()

const requestText = (request: HttpClientRequest.HttpClientRequest): string => {
  const body = request.body
  if (body._tag === "Uint8Array") return decoder.decode(body.body)
  if (body._tag === "Raw" && typeof body.body === "string") return body.body
  return ""
}

/** The targets of a send request: the v1 message's token/topic/condition, or the legacy registration ids. */
export const targetsOfRequest = (request: HttpClientRequest.HttpClientRequest): ReadonlyArray<string> => {
  try {
    const json = JSON.parse(requestText(request)) as {
      message?: { token?: string; topic?: string; condition?: string }
      registration_ids?: ReadonlyArray<string>
      to?: string
    }
    if (json.message !== undefined) {
      const t = json.message.token ?? json.message.topic ?? json.message.condition
      return t === undefined ? [] : [t]
    }
    return json.registration_ids ?? (json.to === undefined ? [] : [json.to])
  } catch {
    return []
  }
}

const isSend = (url: string): boolean => url.includes("/messages:send") || url.endsWith("/fcm/send")

/** For each target, whether the answer says it was delivered (v1 `{name}`, legacy `results[i].message_id`). */
const deliveredInAnswer = (body: string, targets: number): ReadonlyArray<boolean> => {
  try {
    const json = JSON.parse(body) as { name?: unknown; results?: ReadonlyArray<{ message_id?: unknown }> }
    if (typeof json.name === "string" && json.name.length > 0) return [true]
    if (Array.isArray(json.results) && json.results.length === targets) {
      return json.results.map((r) => r !== null && typeof r === "object" && r.message_id !== undefined)
    }
  } catch {
    // not JSON: nothing delivered as far as the client can tell
  }
  return Array.from({ length: targets }, () => false)
}

const targetsOfBody = (text: string): ReadonlyArray<string> => {
  try {
    const json = JSON.parse(text) as { message?: { token?: string; topic?: string; condition?: string } }
    const t = json.message?.token ?? json.message?.topic ?? json.message?.condition
    return t === undefined ? [] : [t]
  } catch {
    return []
  }
}

/**
 * Wraps an `HttpClient` so that every send request and its answer lands in `log`. When the client offers a direct
 * exchange (the pool's does), the wrapper offers one too, logged the same way, so that the sender takes the same
 * path as over the bare pool (`log.directRequests` counts them).
 */
export const instrument = (client: HttpClient.HttpClient, log: AttemptLog): HttpClient.HttpClient => {
  /** One send request: `effect` answers it, `read` gives its status and body. */
  const observe = <A, E, R>(
    targets: ReadonlyArray<string>,
    effect: Effect.Effect<A, E, R>,
    read: (answer: A) => Effect.Effect<{ readonly status: number; readonly body: string }>
  ): Effect.Effect<A, E, R> => {
    const n = ++log.sendRequests
    for (const t of targets) log.entry(t).attempts++
    const fault = log.atSend?.(n)
    const exchange = fault === undefined ? effect : Effect.zipRight(fault, effect)
    return exchange.pipe(
      Effect.tap((answer) =>
        Effect.map(read(answer), ({ body, status }) => {
          const delivered = status === 200 ? deliveredInAnswer(body, targets.length) : []
          targets.forEach((t, i) => {
            if (delivered[i] === true) log.entry(t).deliveredSeen++
            else log.entry(t).answered++
          })
        })
      ),
      Effect.onExit((exit) =>
        Effect.sync(() => {
          if (Exit.isSuccess(exit)) return
          const interrupted = Cause.isInterruptedOnly(exit.cause)
          for (const t of targets) {
            const entry = log.entry(t)
            if (interrupted) entry.interrupted++
            else {
              entry.failed++
              if (entry.reasons.length < 4) entry.reasons.push(Cause.pretty(exit.cause).split("\n")[0]!)
            }
          }
        })
      )
    )
  }
  const wrapped = HttpClient.transform(client, (effect, request) => {
    if (!isSend(request.url)) {
      log.tokenRequests++
      return effect
    }
    return observe(
      targetsOfRequest(request),
      effect,
      (response) =>
        Effect.map(Effect.orElseSucceed(response.text, () => ""), (body) => ({ status: response.status, body }))
    )
  })
  const direct = DirectExchange.get(client)
  if (direct === undefined) return wrapped
  return DirectExchange.offer(wrapped, (url, headers, body) => {
    if (!isSend(url)) {
      log.tokenRequests++
      return direct(url, headers, body)
    }
    log.directRequests++
    return observe(targetsOfBody(body), direct(url, headers, body), Effect.succeed)
  })
}

// -----------------------------------------------------------------------------------------------------------------
// the emulator's view
// -----------------------------------------------------------------------------------------------------------------

/** What the emulator did with one token. */
export interface TokenSeen {
  requests: number
  deliveries: number
  readonly outcomes: Array<string>
}

export const emulatorView = (records: ReadonlyArray<Model.Record>): Map<string, TokenSeen> => {
  const out = new Map<string, TokenSeen>()
  for (const record of records) {
    if (record.route !== "v1" && record.route !== "legacy") continue
    Model.targetsOf(record).forEach((token, i) => {
      const outcome = record.outcomes[i] ?? record.outcomes[0] ?? "none"
      let seen = out.get(token)
      if (seen === undefined) {
        seen = { requests: 0, deliveries: 0, outcomes: [] }
        out.set(token, seen)
      }
      seen.requests++
      seen.outcomes.push(outcome)
      if (!record.dryRun && (outcome === "delivered" || outcome === "canonical")) seen.deliveries++
    })
  }
  return out
}

// -----------------------------------------------------------------------------------------------------------------
// invariants
// -----------------------------------------------------------------------------------------------------------------

/** One line of the fault table. */
export interface Row {
  readonly fault: string
  readonly tokens: number
  /** Tokens in `success` or `canonical`. */
  readonly delivered: number
  /** Targets sent again after a retryable outcome (`fcm_retries_total`, or the job-queue loop's count). */
  readonly retried: number
  /** Tokens in `failed` or `notRegistered`, or every undelivered token when the send failed as a whole. */
  readonly failed: number
  /** Tokens still `retryable` when the send returned. */
  readonly retryable: number
  /** Tokens in `unknown` (at-most-once delivery: delivered once or not at all). */
  readonly unknown: number
  /** Tokens sent but not reported, or reported but not sent. Must be 0. */
  readonly lost: number
  /** Tokens the emulator delivered more than once. */
  readonly duplicates: number
  /** Tokens the emulator delivered at least once without the client ever seeing that answer (reset, timeout). */
  readonly answerLost: number
  /** The error the send failed with as a whole, if it did. */
  readonly error: string | undefined
}

export type SendOutcome =
  | { readonly _tag: "Result"; readonly result: Result.Result }
  | { readonly _tag: "Error"; readonly error: FcmError.FcmError }

/**
 * Checks a send against the client's and the emulator's views and returns its line of the table. Asserts:
 * - every input token is in exactly one bucket (of the result, or of the error's partial result when the send failed
 *   as a whole after its fan-out began);
 * - no token's delivery was seen twice by the client (a retry never resends a token whose delivery it saw), and the
 *   client never saw more deliveries than the emulator made;
 * - every token reported delivered was delivered by the emulator, and every token the client saw delivered is
 *   reported delivered;
 * - the emulator and the client saw no token that is not in the input.
 *
 * Together the first two mean that every extra delivery (a duplicate) is explained by a delivery whose answer never
 * reached the client: with at most one delivery seen, `deliveries − 1 ≤ deliveries − seen`.
 */
export const checkInvariants = (
  fault: string,
  input: ReadonlyArray<string>,
  outcome: SendOutcome,
  records: ReadonlyArray<Model.Record>,
  log: AttemptLog,
  retried: number
): { readonly row: Row; readonly problems: ReadonlyArray<string> } => {
  const seen = emulatorView(records)
  const inputSet = new Set(input)
  assert.strictEqual(inputSet.size, input.length, `${fault}: the input has duplicate tokens`)
  const problems: Array<string> = []
  let lost = 0
  const lose = (why: string) => {
    lost++
    if (problems.length < 10) problems.push(why)
  }

  for (const token of seen.keys()) if (!inputSet.has(token)) lose(`the emulator saw ${token}, which was not sent`)
  for (const token of log.byToken.keys()) if (!inputSet.has(token)) lose(`the client sent ${token}, not in the input`)

  let delivered = 0
  let failed = 0
  let retryable = 0
  let unknown = 0
  // A send that failed as a whole after its fan-out began reports every token in the error's partial result.
  const result = outcome._tag === "Result" ? outcome.result : outcome.error.partial
  if (result !== undefined) {
    // Exactly one bucket per token: the bucket views are disjoint and together hold every input token.
    const buckets = new Map<string, string>()
    const put = (token: string, bucket: string) => {
      const other = buckets.get(token)
      if (other !== undefined) lose(`${token} is in ${other} and in ${bucket}`)
      buckets.set(token, bucket)
    }
    for (const t of result.success.keys()) put(t, "success")
    for (const t of result.canonical.keys()) put(t, "canonical")
    for (const t of result.notRegistered) put(t, "notRegistered")
    for (const t of result.failed.keys()) put(t, "failed")
    for (const t of result.retryable.keys()) put(t, "retryable")
    for (const t of result.unknown.keys()) put(t, "unknown")
    for (const t of input) if (!buckets.has(t)) lose(`${t} is in no bucket`)
    for (const t of buckets.keys()) if (!inputSet.has(t)) lose(`${t} is reported but was not in the input`)
    const c = result.counts
    assert.strictEqual(
      c.success + c.canonical + c.notRegistered + c.failed + c.retryable + c.unknown,
      input.length,
      `${fault}: bucket counts`
    )
    delivered = c.success + c.canonical
    failed = c.notRegistered + c.failed
    retryable = c.retryable
    unknown = c.unknown
    for (const token of input) {
      const bucket = buckets.get(token)
      const emulator = seen.get(token)
      const client = log.byToken.get(token)
      const deliveries = emulator?.deliveries ?? 0
      const deliveredSeen = client?.deliveredSeen ?? 0
      if (bucket === "success" || bucket === "canonical") {
        if (deliveries === 0) lose(`${token} is reported delivered but the emulator never delivered it`)
        if (deliveredSeen !== 1) lose(`${token} is reported delivered but the client saw ${deliveredSeen} deliveries`)
      } else if (deliveredSeen > 0) {
        lose(`${token} is reported ${bucket} although the client saw it delivered`)
      }
    }
  } else {
    // The send failed as a whole before its fan-out began: nothing is reported per token. A token the client saw
    // delivered is lost (its delivery is known on the wire but not to the caller); the others are covered by the error.
    for (const token of input) {
      const client = log.byToken.get(token)
      if ((client?.deliveredSeen ?? 0) > 0) {
        lose(`${token} was delivered but the send failed with ${outcome._tag === "Error" ? outcome.error._tag : "?"}`)
      } else failed++
    }
  }

  let duplicates = 0
  let answerLost = 0
  for (const token of input) {
    const deliveries = seen.get(token)?.deliveries ?? 0
    const client = log.byToken.get(token)
    const deliveredSeen = client?.deliveredSeen ?? 0
    if (deliveredSeen > 1) lose(`${token}: the client saw ${deliveredSeen} deliveries, so it was resent after one`)
    if (deliveredSeen > deliveries) {
      lose(`${token}: the client saw ${deliveredSeen} deliveries, the emulator made ${deliveries}`)
    }
    if (deliveries > 1) duplicates++
    if (deliveries > deliveredSeen) answerLost++
  }
  const row: Row = {
    fault,
    tokens: input.length,
    delivered,
    retried,
    failed,
    retryable,
    unknown,
    lost,
    duplicates,
    answerLost,
    error: outcome._tag === "Error" ? outcome.error._tag : undefined
  }
  return { row, problems }
}

// -----------------------------------------------------------------------------------------------------------------
// the client under test
// -----------------------------------------------------------------------------------------------------------------

export interface ClientOptions {
  readonly http?: Http2Client.Options
  readonly v1?: FcmV1.Options
  readonly credentials?: Credentials.ServiceAccountOptions
}

/**
 * The stack under test: `Http2Client.layer` (trusting the emulator's certificate, with a request timeout) → the
 * instrumented client → service-account credentials from the emulator's trusted key → `FcmV1.layer` (its own
 * timeout off: the transport enforces it).
 */
export const clientLayer = (
  emulator: FcmServer.Service,
  log: AttemptLog,
  options: ClientOptions = {}
): Layer.Layer<FcmClient.FcmClient | Http2Client.Pool, unknown> => {
  const transport = Http2Client.layer({
    ca: emulator.certificatePem === undefined ? undefined : [emulator.certificatePem],
    proxy: "none",
    requestTimeout: "2 seconds",
    ...options.http
  })
  const http = Layer.effectContext(
    Effect.gen(function*() {
      const pool = yield* Http2Client.Pool
      const client = yield* HttpClient.HttpClient
      return Context.make(Http2Client.Pool, pool).pipe(Context.add(HttpClient.HttpClient, instrument(client, log)))
    })
  ).pipe(Layer.provide(transport))
  return FcmV1.layer({ baseUrl: emulator.baseUrl, timeout: false, ...options.v1 }).pipe(
    // The credentials' deadline runs on the (warped) Effect clock: 10 minutes is a few seconds of real time.
    Layer.provide(
      Credentials.layerServiceAccount(emulator.serviceAccount, { timeout: "10 minutes", ...options.credentials })
    ),
    Layer.provideMerge(http)
  )
}

// -----------------------------------------------------------------------------------------------------------------
// scenarios
// -----------------------------------------------------------------------------------------------------------------

export interface Context_ {
  readonly emulator: FcmServer.Service
  readonly log: AttemptLog
}

export interface Spec extends ClientOptions {
  readonly fault: string
  readonly tokens: ReadonlyArray<string>
  /** Scenarios to install on the emulator before the send. */
  readonly setup?: (emulator: FcmServer.Service) => Effect.Effect<void>
  /** Runs alongside the send (e.g. expires the emulator's tokens mid-send); interrupted when the send ends. */
  readonly during?: (context: Context_) => Effect.Effect<void>
  /**
   * Runs before the n-th send request (counting from 1) leaves the client, e.g. cuts the connection or expires the
   * emulator's tokens at the 100th request: a fault on an event, whatever the machine's load.
   */
  readonly atSend?: (n: number, context: Context_) => Effect.Effect<void> | undefined
  /** `retry` (default): `sendWithRetry`; `send`: one attempt, then the job-queue loop resends `retry()` itself. */
  readonly mode?: "retry" | "send"
  readonly schedule?: Schedule.Schedule<unknown, Result.Result>
  /** Sleeps of the Effect clock run this many times faster (default 200). */
  readonly warp?: number
  /** Where the client sends (default the emulator; a proxy in front of it for connection resets). */
  readonly baseUrl?: string
  /** `false` returns the invariant violations in the run instead of failing on them. */
  readonly check?: boolean
  /**
   * Whether the fault can lose an answer after the server processed the request (a cut connection, an answer slower
   * than the timeout). Unless it can, the run must show no lost answer and no duplicate.
   */
  readonly answersMayBeLost?: boolean
  /** Where the records come from (default the emulator's); e.g. those of an emulator replaced mid-send too. */
  readonly records?: Effect.Effect<ReadonlyArray<Model.Record>>
  /** Skip resetting the emulator (its scenarios were set up by the caller). */
  readonly keepEmulatorState?: boolean
}

export interface Run {
  readonly row: Row
  readonly problems: ReadonlyArray<string>
  readonly outcome: SendOutcome
  readonly records: ReadonlyArray<Model.Record>
  readonly log: AttemptLog
  readonly elapsedMillis: number
  readonly stats: Http2Client.Stats
  /** Whether every session and socket was closed the moment the scope's close returned. */
  readonly closedAtScopeEnd: boolean
  /** Every sleep on the Effect clock during the send (retry waits, deadlines), unwarped, in milliseconds. */
  readonly sleeps: ReadonlyArray<number>
}

const v1Retries = FcmClient.retriesTotal.pipe(Metric.tagged("protocol", "v1"))

/** The process-wide count of targets the v1 retry loop sent again. */
export const retriesCount: Effect.Effect<number> = Effect.map(Metric.value(v1Retries), (state) => state.count)

/** Retries 10 ms apart (warped), at most `retries` times; a server's Retry-After still wins. */
export const quickRetries = (retries = 8): Schedule.Schedule<unknown, Result.Result> =>
  Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(retries)))

/**
 * Runs one send against the emulator through a fresh client stack, closes the stack, and checks the invariants:
 * the table row, no escaped exception, every session and socket closed.
 */
export const runScenario = (emulator: FcmServer.Service, spec: Spec): Effect.Effect<Run> =>
  Effect.gen(function*() {
    installProcessGuards()
    if (spec.keepEmulatorState !== true) {
      yield* emulator.reset
      yield* emulator.clearScenarios
    }
    if (spec.setup !== undefined) yield* spec.setup(emulator)
    const log = new AttemptLog()
    const atSend = spec.atSend
    if (atSend !== undefined) log.atSend = (n) => atSend(n, { emulator, log })
    const guards = processGuards()
    const socketsBefore = openSockets(emulator.port)
    const retriesBefore = yield* retriesCount
    const started = Date.now()
    const message = Message.multicast(spec.tokens, { data: { kind: "reliability" } })
    const schedule = spec.schedule ?? quickRetries()
    let pool: Http2Client.Pool | undefined
    const sleeps: Array<number> = []
    const exit = yield* Effect.scoped(
      Effect.gen(function*() {
        const context = yield* Layer.build(
          clientLayer(emulator, log, {
            ...spec,
            v1: { ...spec.v1, ...(spec.baseUrl === undefined ? {} : { baseUrl: spec.baseUrl }) }
          })
        )
        pool = Context.get(context, Http2Client.Pool)
        const fcm = Context.get(context, FcmClient.FcmClient)
        const during = spec.during === undefined
          ? undefined
          : yield* Effect.forkScoped(spec.during({ emulator, log }))
        const send = spec.mode === "send" ? jobQueue(fcm, message, log) : fcm.sendWithRetry(message, { schedule })
        const exit = yield* Effect.exit(send)
        if (during !== undefined) yield* Fiber.interrupt(during)
        return exit
      })
    ).pipe(Effect.withClock(warpClock(spec.warp ?? 200, sleeps)), Effect.orDie)
    const elapsedMillis = Date.now() - started
    const stats = yield* pool!.stats
    const records = yield* (spec.records ?? emulator.records)
    let outcome: SendOutcome
    if (Exit.isSuccess(exit)) outcome = { _tag: "Result", result: exit.value }
    else {
      const failure = Cause.failureOption(exit.cause)
      if (Option.isNone(failure)) {
        return yield* Effect.dieMessage(`${spec.fault}: the send died: ${Cause.pretty(exit.cause)}`)
      }
      outcome = { _tag: "Error", error: failure.value }
    }
    const retried = (yield* retriesCount) - retriesBefore + log.resends
    const { problems, row } = checkInvariants(spec.fault, spec.tokens, outcome, records, log, retried)
    if (spec.check !== false) {
      assert.deepStrictEqual(problems, [], `${spec.fault}: invariants`)
      if (spec.answersMayBeLost !== true) {
        assert.strictEqual(row.answerLost, 0, `${spec.fault}: an answer was lost although the fault cannot lose one`)
        assert.strictEqual(row.duplicates, 0, `${spec.fault}: a token was delivered twice`)
      }
    }
    // Every session and socket of the client is closed when the scope's close returns: `Pool.close` waits for them,
    // a session the pool had already destroyed (after a GOAWAY) whose socket was still closing included. Only the
    // sockets of a relay in front of the emulator (`baseUrl`) close a moment later, when they see the client's close.
    const closedAtScopeEnd = stats.sessionsOpen === 0 && openSockets(emulator.port) <= socketsBefore
    assert.strictEqual(stats.sessionsOpen, 0, `${spec.fault}: sessions left open when the scope closed`)
    assert.strictEqual(stats.sessionsConnecting, 0, `${spec.fault}: sessions left connecting`)
    assert.strictEqual(stats.streamsInFlight, 0, `${spec.fault}: streams left in flight`)
    assert.strictEqual(stats.queued, 0, `${spec.fault}: requests left queued`)
    const relayed = spec.baseUrl !== undefined
    const socketsAfter = relayed
      ? yield* waitForSockets(socketsBefore, 1_000, emulator.port)
      : openSockets(emulator.port)
    assert.ok(
      socketsAfter <= socketsBefore,
      `${spec.fault}: ${socketsAfter - socketsBefore} sockets still open ${
        relayed ? "1 s after" : "when"
      } the scope closed: ${describeSockets()} ` +
        `(emulator port ${emulator.port}, client sent to ${spec.baseUrl ?? emulator.baseUrl})`
    )
    assertNoEscapes(guards, spec.fault)
    return { row, problems, outcome, records, log, elapsedMillis, stats, closedAtScopeEnd, sleeps }
  })

/**
 * The job-queue style: one attempt with `send`, then `retry()` sent again after `delay(attempt)` (slept on the
 * warped clock), merged, until nothing is retryable or `attempts` runs out.
 */
export const jobQueue = (
  fcm: FcmClient.FcmClient,
  message: Message.Message,
  log: AttemptLog,
  attempts = 8
): Effect.Effect<Result.Result, FcmError.FcmError> =>
  Effect.gen(function*() {
    let result = yield* fcm.send(message)
    for (let attempt = 0; attempt < attempts; attempt++) {
      const next = result.retry()
      if (next._tag === "None") break
      const delay = result.delay(attempt)
      log.delays.push(Duration.toMillis(delay))
      yield* Effect.sleep(delay)
      log.resends += Message.targets(next.value).length
      const again = yield* Effect.either(fcm.send(next.value))
      if (again._tag === "Left") break
      result = result.merge(again.right)
    }
    return result
  })

// -----------------------------------------------------------------------------------------------------------------
// the table
// -----------------------------------------------------------------------------------------------------------------

const HEADER = [
  "fault",
  "tokens",
  "delivered",
  "retried",
  "failed",
  "retryable",
  "unknown",
  "lost",
  "duplicates",
  "answer lost"
]

export const formatTable = (rows: ReadonlyArray<Row>): string => {
  const lines = rows.map((r) =>
    [
      r.error === undefined ? r.fault : `${r.fault} (send failed: ${r.error})`,
      r.tokens,
      r.delivered,
      r.retried,
      r.failed,
      r.retryable,
      r.unknown,
      r.lost,
      r.duplicates,
      r.answerLost
    ].map(String)
  )
  const all = [HEADER, ...lines]
  const widths = HEADER.map((_, i) => Math.max(...all.map((l) => l[i]!.length)))
  const fmt = (l: ReadonlyArray<string>) =>
    `| ${l.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`
  const rule = `|${widths.map((w, i) => (i === 0 ? `${"-".repeat(w + 1)}-` : `${"-".repeat(w + 1)}:`)).join("|")}|`
  return [fmt(HEADER), rule, ...lines.map(fmt)].join("\n")
}
