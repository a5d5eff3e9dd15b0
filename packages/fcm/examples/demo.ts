/**
 * The README's main job: a multicast whose tokens are delivered, replaced, not registered, failed and retried,
 * sent with retries, and the report of what happened to each. It runs against an in-memory FCM.
 */
import { FcmClient, FcmLegacy, Message } from "@effect-fcm/fcm"
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Console, Effect, Layer, Redacted, Schedule } from "effect"

const tokens = ["device-ok-1", "device-ok-2", "device-moved", "device-gone", "device-bad", "device-busy"]

// How the stand-in FCM answers each token; device-busy is unavailable on the first attempt only.
let busyAttempts = 0
const answer = (token: string) => {
  switch (token) {
    case "device-moved":
      return { message_id: "0:moved", registration_id: "device-moved-v2" }
    case "device-gone":
      return { error: "NotRegistered" }
    case "device-bad":
      return { error: "InvalidRegistration" }
    case "device-busy":
      return busyAttempts++ === 0 ? { error: "Unavailable" } : { message_id: "0:busy" }
    default:
      return { message_id: `0:${token}` }
  }
}

const fcm = Layer.succeed(
  HttpClient.HttpClient,
  HttpClient.make((request) =>
    Effect.sync(() => {
      const body = request.body._tag === "Uint8Array" ? JSON.parse(new TextDecoder().decode(request.body.body)) : {}
      const ids: ReadonlyArray<string> = body.registration_ids ?? []
      return HttpClientResponse.fromWeb(request, Response.json({ multicast_id: 1, results: ids.map(answer) }))
    })
  )
)

const program = Effect.gen(function*() {
  const message = Message.multicast(tokens, {
    data: { kind: "greeting", count: 1 },
    notification: { title: "Hello", body: "From effect-fcm" },
    collapseKey: "greeting"
  })
  yield* Console.log(`Sending to ${tokens.length} tokens…`)
  const result = yield* FcmClient.sendWithRetry(message, { schedule: Schedule.spaced("100 millis") })
  yield* Console.log("\nDelivered:")
  for (const [token, id] of result.success) yield* Console.log(`  ${token}  ${id}`)
  yield* Console.log("Replace in your database:")
  for (const [token, next] of result.canonical) yield* Console.log(`  ${token} → ${next}`)
  yield* Console.log("Delete from your database (not registered):")
  for (const token of result.notRegistered) yield* Console.log(`  ${token}`)
  yield* Console.log("Failed for good:")
  for (const [token, code] of result.failed) yield* Console.log(`  ${token}  ${code}`)
  yield* Console.log(`Still retryable: ${result.retryable.size}`)
})

program.pipe(
  Effect.provide(FcmLegacy.layer({ apiKey: Redacted.make("demo-key") }).pipe(Layer.provide(fcm))),
  Effect.runPromise
)
