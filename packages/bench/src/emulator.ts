/**
 * The emulator process of the benchmark: `FcmServer` over TLS on loopback, records off, every send answered
 * "delivered" after `--latency` milliseconds. It runs in its own process so that it never shares an event loop
 * (or a core's time slice) with the client being measured.
 *
 * It writes the throwaway service-account key and certificate to `--dir` and sends the parent one IPC message,
 * `{ baseUrl, port, keyPath, caPath, apiKey, projectId, accessToken }`, then runs until it gets SIGTERM or the
 * parent goes away. It answers the parent's `"cpu"` message with its own `process.cpuUsage()`.
 */
import { FcmServer, Scenario } from "@effect-fcm/emulator"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as fs from "node:fs"
import * as path from "node:path"
import * as ServerProcess from "./serverProcess.js"

const { dir, host, latency } = ServerProcess.flags()

const program = Effect.gen(function*() {
  const emulator = yield* FcmServer.make({
    tls: true,
    host,
    record: false,
    scenarios: { default: latency > 0 ? Scenario.latency(latency) : Scenario.delivered }
  })
  const keyPath = path.join(dir, `service-account-${latency}.json`)
  const caPath = path.join(dir, `ca-${latency}.pem`)
  fs.writeFileSync(keyPath, JSON.stringify(emulator.serviceAccount), { mode: 0o600 })
  fs.writeFileSync(caPath, emulator.certificatePem!)
  const ready: ServerProcess.Ready = {
    baseUrl: emulator.baseUrl,
    port: emulator.port,
    keyPath,
    caPath,
    apiKey: emulator.apiKey,
    projectId: emulator.projectId,
    accessToken: yield* emulator.issueAccessToken
  }
  process.send!(ready)
  return yield* Effect.never
}).pipe(Effect.scoped)

const fiber = Effect.runFork(program)
fiber.addObserver((exit) => {
  if (exit._tag === "Failure" && !Cause.isInterruptedOnly(exit.cause)) {
    console.error("emulator failed", exit.cause)
    process.exit(1)
  }
})
ServerProcess.serve(() => Effect.runFork(Fiber.interrupt(fiber)).addObserver(() => process.exit(0)))
