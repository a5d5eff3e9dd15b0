/**
 * The seed's usage example, line for line, over the legacy protocol. Run against the in-memory fake so it works
 * anywhere: `pnpm exec tsx packages/fcm/examples/seed-example.ts`.
 */
import { FcmClient, FcmLegacy, Message } from "@effect-fcm/fcm"
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Console, Duration, Effect, Layer, Option, Redacted } from "effect"

// Construct (key => scalar) payload. Nested structures are refused with an InvalidMessage naming the field.
const data = { str: "string", int: 10 }

const multicast = Message.multicast(["registration_id_1", "registration_id_2"], {
  data,
  collapseKey: "my.key",
  dryRun: true
})

let retry = 0

const program = Effect.gen(function*() {
  const fcm = yield* FcmClient.FcmClient
  // attempt send
  const res = yield* fcm.send(multicast)

  // nothing to do on success
  for (const [regId, msgId] of res.success) yield* Console.log(`Successfully sent ${regId} as ${msgId}`)

  // update your registration ID's
  for (const [regId, newRegId] of res.canonical) yield* Console.log(`Replacing ${regId} with ${newRegId} in database`)

  // probably app was uninstalled
  for (const regId of res.notRegistered) yield* Console.log(`Removing ${regId} from database`)

  // unrecoverably failed, these ID's will not be retried
  for (const [regId, errCode] of res.failed) yield* Console.log(`Removing ${regId} because ${errCode}`)

  // if some registration ID's have recoverably failed
  if (res.needsRetry()) {
    // construct new message with only failed regids
    const retryMsg = Option.getOrThrow(res.retry())
    // you have to wait before attempting again. delay() will tell you how long to wait depending on your
    // current retry counter, starting from 0.
    yield* Console.log(
      `Wait or schedule task after ${Duration.format(res.delay(retry))} for ${retryMsg.tokens?.length} tokens`
    )
    retry += 1 // and send retryMsg again
  }
}).pipe(
  Effect.catchTags({
    // stop and fix your settings
    AuthenticationError: () => Console.log("Your Google API key is rejected"),
    // probably your extra options, such as timeToLive, are invalid. Read the error for more info.
    InvalidMessage: (e) => Console.log(`Invalid message/option: ${e.message}`),
    // your network is down, or FCM answered something unexpected. When the problem is resolved, you can retry
    // the whole message.
    TransportError: (e) => Console.log(`Something went wrong on the way to FCM: ${e.message}`)
  })
)

// An FCM stand-in: the first token is delivered, the second is unavailable.
const fakeFcm = Layer.succeed(
  HttpClient.HttpClient,
  HttpClient.make((request) =>
    Effect.succeed(
      HttpClientResponse.fromWeb(
        request,
        Response.json({ multicast_id: 1, results: [{ message_id: "0:1" }, { error: "Unavailable" }] })
      )
    )
  )
)

program.pipe(
  Effect.provide(FcmLegacy.layer({ apiKey: Redacted.make("API_KEY") }).pipe(Layer.provide(fakeFcm))),
  Effect.runPromise
)
