/**
 * An in-memory `HttpClient` for the property tests: it answers each request from a function of its parsed body, and
 * counts what it received. Nothing touches the network.
 */
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import type { HttpClientRequest } from "@effect/platform"
import { Effect } from "effect"

export type FakeAnswer =
  | {
    readonly _tag: "Response"
    readonly status: number
    readonly body: string
    readonly headers?: Readonly<Record<string, string>>
  }
  | { readonly _tag: "NetworkError"; readonly description: string }

export const respond = (status: number, body: unknown, headers?: Record<string, string>): FakeAnswer => ({
  _tag: "Response",
  status,
  body: typeof body === "string" ? body : JSON.stringify(body),
  ...(headers === undefined ? {} : { headers })
})

export interface Received {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  readonly json: any
}

const decoder = new TextDecoder()

export const bodyText = (request: HttpClientRequest.HttpClientRequest): string => {
  const body = request.body
  switch (body._tag) {
    case "Uint8Array":
      return decoder.decode(body.body)
    case "Raw":
      return typeof body.body === "string" ? body.body : String(body.body)
    default:
      return ""
  }
}

/** A fake client; `received` holds every request (unless `record` is false), `count` counts them. */
export const fake = (answer: (request: Received, index: number) => FakeAnswer) => {
  const received: Array<Received> = []
  const state = { count: 0 }
  const client = HttpClient.make((request) =>
    Effect.suspend(() => {
      const text = bodyText(request)
      let json: unknown
      try {
        json = text.length > 0 ? JSON.parse(text) : undefined
      } catch {
        json = undefined
      }
      const r: Received = { url: request.url, headers: request.headers, text, json }
      received.push(r)
      const a = answer(r, state.count++)
      if (a._tag === "NetworkError") {
        return Effect.fail(
          new HttpClientError.RequestError({ request, reason: "Transport", description: a.description })
        )
      }
      return Effect.succeed(
        HttpClientResponse.fromWeb(
          request,
          new Response(a.body.length === 0 ? null : a.body, { status: a.status, headers: a.headers ?? {} })
        )
      )
    })
  )
  return { client, received, state }
}
