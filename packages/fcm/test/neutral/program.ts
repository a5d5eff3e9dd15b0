/**
 * A program that the neutral-platform test bundles together with the whole core (`export *` keeps every module) and
 * runs where only web-standard globals exist. It sends over HTTP v1 with a service-account key read through a
 * `FileSystem` and signed with WebCrypto, against a minimal in-memory FCM (the emulator's fake uses `node:crypto`).
 */
import { FileSystem, HttpClient, HttpClientResponse } from "@effect/platform"
import { Effect, Layer, Stream } from "effect"
import { Credentials, FcmClient, FcmV1, Message, Result } from "../../src/index.js"

export * from "../../src/index.js"

/** What the host passes in: primitives only, so that nothing crosses from its realm but strings and numbers. */
export interface Input {
  readonly privateKeyPem: string
  readonly publicKeyPem: string
  readonly streamTokens: number
}

const PROJECT = "neutral-project"
const TOKEN_URI = "https://oauth2.example.test/token"
const KEY_PATH = "/secrets/service-account.json"
const RS256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }

const json = (request: Parameters<typeof HttpClientResponse.fromWeb>[0], status: number, body: unknown) =>
  HttpClientResponse.fromWeb(
    request,
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })
  )

const base64UrlBytes = (text: string): Uint8Array<ArrayBuffer> => {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

const spki = (pem: string): Uint8Array<ArrayBuffer> =>
  base64UrlBytes(pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, ""))

/** Runs the program; resolves with a JSON summary for the host to check. */
export const run = (input: Input): Promise<string> => {
  const seen = { tokenRequests: 0, verifiedAssertions: 0, sends: 0, bearer: new Set<string>() }
  const fake = HttpClient.make((request, url) =>
    Effect.gen(function*() {
      const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
      if (url.href === TOKEN_URI) {
        seen.tokenRequests++
        const assertion = new URLSearchParams(body).get("assertion") ?? ""
        const [header = "", claims = "", signature = ""] = assertion.split(".")
        const key = yield* Effect.promise(() =>
          crypto.subtle.importKey("spki", spki(input.publicKeyPem), RS256, false, ["verify"])
        )
        const valid = yield* Effect.promise(() =>
          crypto.subtle.verify(RS256, key, base64UrlBytes(signature), new TextEncoder().encode(`${header}.${claims}`))
        )
        if (!valid) return json(request, 400, { error: "invalid_grant", error_description: "Invalid JWT Signature." })
        seen.verifiedAssertions++
        return json(request, 200, { access_token: "ya29.neutral", expires_in: 3600, token_type: "Bearer" })
      }
      seen.sends++
      seen.bearer.add(request.headers["authorization"] ?? "")
      const token = (JSON.parse(body) as { message?: { token?: string } }).message?.token ?? ""
      if (token.startsWith("gone-")) {
        return json(request, 404, {
          error: {
            code: 404,
            message: "Requested entity was not found.",
            status: "NOT_FOUND",
            details: [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode: "UNREGISTERED" }]
          }
        })
      }
      return json(request, 200, { name: `projects/${PROJECT}/messages/${seen.sends}` })
    })
  )

  const files = FileSystem.layerNoop({
    readFileString: (path) =>
      path === KEY_PATH
        ? Effect.succeed(JSON.stringify({
          type: "service_account",
          project_id: PROJECT,
          private_key_id: "neutral-key",
          private_key: input.privateKeyPem,
          client_email: `sender@${PROJECT}.iam.gserviceaccount.com`,
          token_uri: TOKEN_URI
        }))
        : Effect.dieMessage(`unexpected path ${path}`)
  })

  const Fcm = FcmV1.layer().pipe(
    Layer.provide(Credentials.layerFile(KEY_PATH)),
    Layer.provide(Layer.merge(Layer.succeed(HttpClient.HttpClient, fake), files))
  )

  const program = Effect.gen(function*() {
    const result = yield* FcmClient.send(Message.multicast(["device-1", "gone-1"], { data: { k: "v" } }))
    // More tokens than the stream sends between two yields to the event loop (1024): a timer set before it starts
    // fires while it runs, through the runtime's `setTimeout` (the in-memory FCM never does real I/O).
    let emitted = 0
    let emittedWhenTimerFired: number | undefined
    setTimeout(() => (emittedWhenTimerFired = emitted), 0)
    const summary = yield* FcmClient.sendStream(
      Stream.range(1, input.streamTokens).pipe(Stream.map((i) => `stream-${i}`)),
      { data: { k: "v" } },
      { retry: false }
    ).pipe(Stream.tap(() => Effect.sync(() => emitted++)), Stream.run(Result.summarySink))
    return JSON.stringify({
      success: [...result.success.keys()],
      notRegistered: [...result.notRegistered],
      streamSuccess: summary.success,
      timerFiredDuringStream: emittedWhenTimerFired !== undefined && emittedWhenTimerFired < input.streamTokens,
      tokenRequests: seen.tokenRequests,
      verifiedAssertions: seen.verifiedAssertions,
      sends: seen.sends,
      bearer: [...seen.bearer]
    })
  })

  return Effect.runPromise(program.pipe(Effect.provide(Fcm)))
}
