import { HttpClient, HttpClientResponse } from "@effect/platform"
import type { HttpClientError, HttpClientRequest } from "@effect/platform"
import { Effect, Layer } from "effect"

export interface Recorded {
  readonly url: string
  readonly method: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly json: any
}

export interface Reply {
  readonly status?: number
  readonly body?: string | object
  readonly headers?: Record<string, string>
}

const bodyText = (request: HttpClientRequest.HttpClientRequest): string => {
  const body = request.body
  switch (body._tag) {
    case "Uint8Array":
      return new TextDecoder().decode(body.body)
    case "Raw":
      return typeof body.body === "string" ? body.body : String(body.body)
    default:
      return ""
  }
}

/**
 * A recording HttpClient for unit tests: `answer` sees each request (with its parsed JSON body) and returns a reply
 * or an effect of one; every request is kept in `requests`.
 */
export const recorder = (
  answer: (request: Recorded, index: number) => Reply | Effect.Effect<Reply, HttpClientError.HttpClientError>,
  options: { readonly record?: boolean } = {}
) => {
  const record = options.record ?? true
  let count = 0
  const requests: Array<Recorded> = []
  const client = HttpClient.make((request) =>
    Effect.gen(function*() {
      const text = bodyText(request)
      let json: unknown = undefined
      try {
        json = text.length > 0 ? JSON.parse(text) : undefined
      } catch {
        json = undefined
      }
      const recorded: Recorded = {
        url: request.url,
        method: request.method,
        headers: request.headers,
        body: text,
        json
      }
      if (record) requests.push(recorded)
      const replied = answer(recorded, count++)
      const reply = Effect.isEffect(replied) ? yield* replied : replied
      const body = reply.body === undefined
        ? ""
        : typeof reply.body === "string"
        ? reply.body
        : JSON.stringify(reply.body)
      return HttpClientResponse.fromWeb(
        request,
        new Response(body, { status: reply.status ?? 200, headers: reply.headers ?? {} })
      )
    })
  )
  return { requests, layer: Layer.succeed(HttpClient.HttpClient, client) }
}

/** The legacy answer of the seed's T1 mock: every token delivered as `1:<i>`. */
export const allDelivered = (request: Recorded): Reply => {
  const ids: ReadonlyArray<string> = request.json.registration_ids
  return {
    body: {
      multicast_id: ids.length,
      success: ids.length,
      canonical_ids: 0,
      results: ids.map((_, i) => ({ message_id: `1:${i}` }))
    }
  }
}
