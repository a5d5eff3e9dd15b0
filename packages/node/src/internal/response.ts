import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import type * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { IncomingHttpHeaders } from "node:http"

/** @internal */
export const EMPTY_BODY: Buffer = Buffer.alloc(0)

/**
 * A response whose body has been read completely into memory. Header conversion is deferred until `headers` is
 * first read, so callers that only look at the status and the body pay nothing for it.
 *
 * @internal
 */
export class BufferedResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  declare readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId
  declare readonly [IncomingMessage.TypeId]: IncomingMessage.TypeId

  private cachedHeaders: Headers.Headers | undefined = undefined
  private cachedCookies: Cookies.Cookies | undefined = undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    private readonly rawHeaders: IncomingHttpHeaders,
    readonly body: Buffer,
    readonly remoteAddress: Option.Option<string>
  ) {
    super()
  }

  get headers(): Headers.Headers {
    if (this.cachedHeaders !== undefined) return this.cachedHeaders
    const raw = this.rawHeaders
    const out: Record<string, string | ReadonlyArray<string>> = {}
    for (const key in raw) {
      // HTTP/2 pseudo-headers (`:status`) are not headers of the response
      if (key.charCodeAt(0) === 58) continue
      const value = raw[key]
      if (value !== undefined) out[key] = value
    }
    return this.cachedHeaders = Headers.fromInput(out)
  }

  get cookies(): Cookies.Cookies {
    if (this.cachedCookies !== undefined) return this.cachedCookies
    const header = this.rawHeaders["set-cookie"]
    return this.cachedCookies = header === undefined ? Cookies.empty : Cookies.fromSetCookie(header)
  }

  // The body is in memory: decoding happens when the accessor is read, with no closure per call.

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.succeed(this.body.toString("utf8"))
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    if (this.body.length === 0) return Effect.succeed(null)
    try {
      return Effect.succeed(JSON.parse(this.body.toString("utf8")) as unknown)
    } catch (cause) {
      return Effect.fail(this.decodeError(cause))
    }
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    const copy = new Uint8Array(this.body.length)
    copy.set(this.body)
    return Effect.succeed(copy.buffer)
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return this.body.length === 0 ? Stream.empty : Stream.succeed(this.body)
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    try {
      return Effect.succeed(UrlParams.fromInput(new URLSearchParams(this.body.toString("utf8"))))
    } catch (cause) {
      return Effect.fail(this.decodeError(cause))
    }
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.tryPromise({
      try: () => {
        const contentType = this.rawHeaders["content-type"]
        const init: ResponseInit = contentType === undefined ? {} : { headers: { "content-type": contentType } }
        return new Response(new Uint8Array(this.body), init).formData()
      },
      catch: (cause) => this.decodeError(cause)
    })
  }

  toJSON(): unknown {
    return IncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }

  private decodeError(cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }
}

Object.defineProperty(BufferedResponse.prototype, HttpClientResponse.TypeId, { value: HttpClientResponse.TypeId })
Object.defineProperty(BufferedResponse.prototype, IncomingMessage.TypeId, { value: IncomingMessage.TypeId })
