/**
 * Shared plumbing of the integration suites: the loopback emulator behind a real HTTP stack (Node's fetch, i.e.
 * undici, over plain HTTP/1.1, and the pooled HTTP/2 client of `@effect-fcm/node`), clients of both protocols pointed
 * at it, and readers of the emulator's records.
 */
import { Emulator, FcmServer, Model } from "@effect-fcm/emulator"
import { Credentials, DirectExchange, FcmLegacy, FcmV1 } from "@effect-fcm/fcm"
import type { Result } from "@effect-fcm/fcm"
import { Http2Client } from "@effect-fcm/node"
import { FetchHttpClient, HttpClient } from "@effect/platform"
import { assert } from "@effect/vitest"
import { Effect, identity, Layer, Redacted, Schedule } from "effect"

/**
 * The emulator (started once per `layer(…)` block, i.e. once per file) and a real HTTP client; and the pooled HTTP/2
 * client of `@effect-fcm/node` (h2c to the emulator), whose direct exchange {@link v1PooledClient} sends through.
 */
export const emulatorLayer = (config: FcmServer.Config = {}) =>
  Layer.mergeAll(
    FcmServer.layer(config),
    FetchHttpClient.layer,
    Layer.project(Http2Client.layer({ h2c: true, proxy: "none" }), Http2Client.Pool, Http2Client.Pool, identity)
  )

/** Clears records, counters and attempt counts, and restores the configured scenarios: each test starts clean. */
export const fresh = Effect.flatMap(FcmServer.FcmServer, (emulator) => emulator.reset)

/** A legacy client with the emulator's API key. */
export const legacyClient = (options: Omit<FcmLegacy.Options, "apiKey"> = {}) =>
  Effect.gen(function*() {
    const emulator = yield* FcmServer.FcmServer
    return yield* FcmLegacy.make({ apiKey: Redacted.make(emulator.apiKey), baseUrl: emulator.baseUrl, ...options })
  }).pipe(Effect.orDie)

/** Service-account credentials for the emulator's throwaway key (its token_uri is the emulator's `/token`). */
export const serviceAccountCredentials = Effect.gen(function*() {
  const emulator = yield* FcmServer.FcmServer
  return yield* Credentials.serviceAccount(emulator.serviceAccount)
}).pipe(Effect.orDie)

/** A v1 client; with fresh credentials unless some are given (to share their token cache). */
export const v1Client = (options: FcmV1.Options = {}, credentials?: Credentials.Service) =>
  Effect.gen(function*() {
    const emulator = yield* FcmServer.FcmServer
    const service = credentials ?? (yield* serviceAccountCredentials)
    return yield* FcmV1.make({ baseUrl: emulator.baseUrl, ...options }).pipe(
      Effect.provideService(Credentials.Credentials, service)
    )
  }).pipe(Effect.orDie)

/** A v1 client over the pooled HTTP/2 client: every message through the pool's direct exchange. */
export const v1PooledClient = (options: FcmV1.Options = {}) =>
  Effect.gen(function*() {
    const pool = yield* Http2Client.Pool
    assert.isDefined(DirectExchange.get(pool.client), "the pool's client offers a direct exchange")
    return yield* v1Client(options).pipe(Effect.provideService(HttpClient.HttpClient, pool.client))
  })

/** A short retry schedule: 10 ms apart, at most `retries` retries. */
export const quickRetries = (retries = 5) =>
  Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(retries)))

/** Every recorded request of the send routes, oldest first. */
export const sends = Effect.flatMap(Emulator.Emulator, (emulator) => emulator.messages)

/** Every recorded request of one route. */
export const routeRecords = (route: Model.Route) =>
  Effect.map(
    Effect.flatMap(Emulator.Emulator, (emulator) => emulator.records),
    (rs) => rs.filter((r) => r.route === route)
  )

/** What the emulator saw of one token in one request. */
export interface Seen {
  readonly seq: number
  readonly time: number
  readonly status: number
  readonly fault: string | undefined
  readonly outcome: string
  readonly delivered: boolean
}

/**
 * The emulator's view per token: every request that carried it, in order. Requests answered before their body was
 * read (a rejected access token or API key, a fault queued with `enqueue`) have no target and are not counted.
 */
export const perToken = (records: ReadonlyArray<Model.Record>): ReadonlyMap<string, ReadonlyArray<Seen>> => {
  const out = new Map<string, Array<Seen>>()
  for (const record of records) {
    const targets = Model.targetsOf(record)
    targets.forEach((token, i) => {
      const outcome = record.outcomes[i] ?? record.outcomes[0] ?? "none"
      const seen: Seen = {
        seq: record.seq,
        time: record.time,
        status: record.status,
        fault: record.fault,
        outcome,
        delivered: !record.dryRun && (outcome === "delivered" || outcome === "canonical")
      }
      const list = out.get(token)
      if (list === undefined) out.set(token, [seen])
      else list.push(seen)
    })
  }
  return out
}

/** How many requests of the send routes carried `token`. */
export const timesSent = (records: ReadonlyArray<Model.Record>, token: string): number =>
  perToken(records).get(token)?.length ?? 0

/**
 * The invariant of a send checked against the emulator: every target is in exactly one bucket; a target in
 * `success`/`canonical` was delivered by exactly one request and never sent again afterwards; any other target was
 * never delivered; and no target the emulator saw is missing from the result, nor the other way round.
 */
export const assertAgreesWithEmulator = (result: Result.Result, records: ReadonlyArray<Model.Record>): void => {
  const seen = perToken(records)
  const buckets = new Map<string, string>()
  const put = (token: string, bucket: string) => {
    assert.isUndefined(buckets.get(token), `${token} is in ${buckets.get(token)} and in ${bucket}`)
    buckets.set(token, bucket)
  }
  for (const token of result.success.keys()) put(token, "success")
  for (const token of result.canonical.keys()) put(token, "canonical")
  for (const token of result.notRegistered) put(token, "notRegistered")
  for (const token of result.failed.keys()) put(token, "failed")
  for (const token of result.retryable.keys()) put(token, "retryable")
  assert.strictEqual(buckets.size, result.outcomes.size, "every target lands in exactly one bucket")
  assert.deepStrictEqual(
    [...seen.keys()].filter((t) => !buckets.has(t)),
    [],
    "every token the emulator saw is in the result"
  )
  for (const [token, bucket] of buckets) {
    const history = seen.get(token) ?? []
    assert.isAbove(history.length, 0, `${token} (${bucket}) never reached the emulator`)
    const deliveries = history.filter((s) => s.delivered)
    if (bucket === "success" || bucket === "canonical") {
      assert.strictEqual(deliveries.length, 1, `${token} was delivered ${deliveries.length} times`)
      assert.strictEqual(history[history.length - 1], deliveries[0], `${token} was sent again after its delivery`)
    } else {
      assert.strictEqual(deliveries.length, 0, `${token} is ${bucket} but the emulator delivered it`)
    }
  }
}

/** Sleeps in real time, whatever `Clock` is in context (for polling the emulator while a TestClock holds time). */
export const realSleep = (millis: number) =>
  Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, millis)))

/** Polls `condition` in real time until it holds; dies after `withinMillis`. */
export const waitUntil = <E, R>(
  condition: Effect.Effect<boolean, E, R>,
  what: string,
  withinMillis = 5_000
): Effect.Effect<void, E, R> =>
  Effect.gen(function*() {
    const deadline = Date.now() + withinMillis
    while (!(yield* condition)) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`timed out waiting until ${what}`)
      yield* realSleep(5)
    }
  })

/**
 * The two protocols, with the codes each reports for the same scenario; v1 twice: over fetch (`execute`) and over the
 * pooled HTTP/2 client (its direct exchange).
 */
export const protocols = [
  {
    name: "legacy",
    label: "legacy",
    pooled: false,
    client: (options: { readonly timeout?: FcmLegacy.Options["timeout"] } = {}) => legacyClient(options),
    codes: {
      unavailable: "Unavailable",
      internal: "InternalServerError",
      invalidToken: "InvalidRegistration",
      senderMismatch: "MismatchSenderId",
      thirdPartyAuth: "InvalidApnsCredential"
    }
  },
  {
    name: "v1",
    label: "v1",
    pooled: false,
    client: (options: { readonly timeout?: FcmV1.Options["timeout"] } = {}) => v1Client(options),
    codes: {
      unavailable: "UNAVAILABLE",
      internal: "INTERNAL",
      invalidToken: "INVALID_ARGUMENT",
      senderMismatch: "SENDER_ID_MISMATCH",
      thirdPartyAuth: "THIRD_PARTY_AUTH_ERROR"
    }
  },
  {
    name: "v1",
    label: "v1 over HTTP/2 (the direct exchange)",
    /** The pooled client resends a stream a GOAWAY refused once, transparently. */
    pooled: true,
    client: (options: { readonly timeout?: FcmV1.Options["timeout"] } = {}) => v1PooledClient(options),
    codes: {
      unavailable: "UNAVAILABLE",
      internal: "INTERNAL",
      invalidToken: "INVALID_ARGUMENT",
      senderMismatch: "SENDER_ID_MISMATCH",
      thirdPartyAuth: "THIRD_PARTY_AUTH_ERROR"
    }
  }
] as const
