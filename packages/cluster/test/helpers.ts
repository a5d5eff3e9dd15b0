import { Broadcast, Quota, Setup, TokenSource } from "@effect-fcm/cluster"
import { Emulator, FcmFake, Scenario } from "@effect-fcm/emulator"
import { Credentials, FcmV1 } from "@effect-fcm/fcm"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { WorkflowEngine } from "@effect/workflow"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/** Counts, per token, the v1 requests the emulator delivered. */
export const deliveries = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  const counts = new Map<string, number>()
  for (const record of yield* emulator.records) {
    if (record.route !== "v1" || record.delivered === 0 || record.target?._tag !== "Token") continue
    counts.set(record.target.token, (counts.get(record.target.token) ?? 0) + 1)
  }
  return counts
})

/** The v1 client over the in-memory fake, with the fake's inspection service. */
export const FakeFcm = Layer.unwrapEffect(
  Effect.map(
    Emulator.Emulator,
    (emulator) => FcmV1.layer().pipe(Layer.provide(Credentials.layerServiceAccount(emulator.serviceAccount)))
  )
).pipe(
  Layer.provideMerge(FcmFake.layer({
    recordCapacity: 100_000,
    scenarios: {
      prefixes: {
        "stale-": Scenario.notRegistered,
        "bad-": Scenario.invalidToken,
        "flaky-": Scenario.unavailable({ times: 1 })
      }
    }
  }))
)

/**
 * A runner on `WorkflowEngine.layerMemory` with an in-memory SQLite database and the fake, for campaigns over the
 * given token sources.
 */
export const memoryRunner = (
  sources: TokenSource.Service | Readonly<Record<string, ReadonlyArray<string>>>,
  config: Partial<Broadcast.Config> = {}
) =>
  Broadcast.layer({ backoffMillis: 1, ...config }).pipe(
    Layer.provide(Quota.layerUnlimited),
    Layer.provideMerge(
      "read" in sources && typeof sources.read === "function"
        ? TokenSource.make(sources as TokenSource.Service)
        : TokenSource.layerMemory(sources as Readonly<Record<string, ReadonlyArray<string>>>)
    ),
    Layer.provideMerge(FakeFcm),
    Layer.provideMerge(WorkflowEngine.layerMemory),
    Layer.provideMerge(SqliteClient.layer({ filename: ":memory:" }))
  )

export const tokens = (n: number, prefix = "phone-") => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

/**
 * A runner on the embedded set-up (SingleRunner on a SQLite file) with the fake, for campaigns over the given token
 * sources: the engine's messages are in the file, as in production.
 */
export const embeddedRunner = (
  filename: string,
  sources: Readonly<Record<string, ReadonlyArray<string>>>,
  config: Partial<Broadcast.Config> = {}
) =>
  Broadcast.layer({ backoffMillis: 1, ...config }).pipe(
    Layer.provide(Quota.layerUnlimited),
    Layer.provideMerge(TokenSource.layerMemory(sources)),
    Layer.provideMerge(FakeFcm),
    Layer.provideMerge(Setup.embedded({ filename }))
  )

/** A SQLite file in a directory of its own under the system's temp directory. */
export const tempDb = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fcm-cluster-")), "campaigns.db")
