/**
 * A scripted legacy server for the stream tests (Stream.test.ts, StreamFailure.test.ts): an in-memory `HttpClient` that
 * answers the n-th request as the test's script says, and counts what it was asked.
 */
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import { Deferred, Effect, Layer } from "effect"

/**
 * How a request is answered: every token delivered (`"ok"`), every token retryable (`Unavailable`), a failure of the
 * whole request (`"unauthorized"`: a 401, `AuthenticationError`; `"unreachable"`: a transport failure that can never
 * work), or no answer until interrupted (`"hang"`).
 */
export type Answer = "ok" | "retryable" | "unauthorized" | "unreachable" | "hang"

/**
 * The server: `script(n, ids)` answers the n-th request (its tokens `ids`); `gate(n)`, when given, holds that answer
 * until the deferred completes. `stats` holds the tokens of every request in order, the requests open now and those
 * interrupted while they hung.
 */
export const legacyServer = (
  script: (index: number, ids: ReadonlyArray<string>) => Answer,
  gate?: (index: number) => Deferred.Deferred<void> | undefined
) => {
  const stats = { requests: [] as Array<ReadonlyArray<string>>, open: 0, interrupted: 0 }
  const results = (
    request: Parameters<typeof HttpClientResponse.fromWeb>[0],
    result: (id: string) => object,
    ids: ReadonlyArray<string>
  ) => HttpClientResponse.fromWeb(request, new Response(JSON.stringify({ results: ids.map(result) })))
  const client = HttpClient.make((request) =>
    Effect.suspend(() => {
      const body = request.body
      const ids: ReadonlyArray<string> = body._tag === "Uint8Array"
        ? JSON.parse(new TextDecoder().decode(body.body)).registration_ids
        : []
      const index = stats.requests.push(ids) - 1
      const held = gate?.(index)
      const reply = Effect.suspend(() => {
        switch (script(index, ids)) {
          case "ok":
            return Effect.succeed(results(request, (id) => ({ message_id: `m-${id}` }), ids))
          case "retryable":
            return Effect.succeed(results(request, () => ({ error: "Unavailable" }), ids))
          case "unauthorized":
            return Effect.succeed(HttpClientResponse.fromWeb(request, new Response("Unauthorized", { status: 401 })))
          case "unreachable":
            return Effect.fail(
              new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: "no such host" })
            )
          case "hang":
            return Effect.onInterrupt(Effect.never, () => Effect.sync(() => stats.interrupted++))
        }
      })
      return Effect.acquireUseRelease(
        Effect.sync(() => stats.open++),
        () => held === undefined ? reply : Effect.zipRight(Deferred.await(held), reply),
        () => Effect.sync(() => stats.open--)
      )
    })
  )
  return { stats, layer: Layer.succeed(HttpClient.HttpClient, client) }
}
