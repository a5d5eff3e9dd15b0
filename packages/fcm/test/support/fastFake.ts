import { Headers, HttpClient, HttpClientResponse, HttpIncomingMessage } from "@effect/platform"
import type { HttpClientRequest } from "@effect/platform"
import { Effect, Inspectable, Option, Stream } from "effect"

/**
 * A minimal in-memory response: enough of `HttpClientResponse` for the senders (status, headers, text, json), with no
 * web `Response` behind it, so load tests measure the sender rather than the fake.
 */
class MemoryResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  declare readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId
  declare readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId
  readonly headers = Headers.empty
  readonly cookies = undefined as never
  readonly remoteAddress = Option.none()
  constructor(readonly request: HttpClientRequest.HttpClientRequest, readonly status: number, readonly body: string) {
    super()
  }
  get text() {
    return Effect.succeed(this.body)
  }
  get json() {
    return Effect.succeed(JSON.parse(this.body) as unknown)
  }
  get arrayBuffer() {
    return Effect.succeed(new TextEncoder().encode(this.body).buffer as ArrayBuffer)
  }
  get stream() {
    return Stream.succeed(new TextEncoder().encode(this.body))
  }
  get urlParamsBody() {
    return Effect.die("not supported")
  }
  get formData() {
    return Effect.die("not supported")
  }
  toJSON() {
    return { status: this.status }
  }
}
Object.defineProperty(MemoryResponse.prototype, HttpClientResponse.TypeId, { value: HttpClientResponse.TypeId })
Object.defineProperty(MemoryResponse.prototype, HttpIncomingMessage.TypeId, { value: HttpIncomingMessage.TypeId })

/** An HttpClient that answers every request with `answer(request)` (a status and a body), synchronously. */
export const fastFake = (
  answer: (request: HttpClientRequest.HttpClientRequest) => readonly [number, string]
): HttpClient.HttpClient =>
  HttpClient.makeWith<never, never, never, never>(
    (request) =>
      Effect.map(request, (r) => {
        const [status, body] = answer(r)
        return new MemoryResponse(r, status, body)
      }),
    Effect.succeed
  )
