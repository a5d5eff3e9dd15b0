/**
 * Sending an HTTP v1 message file as it is written (with its `android`, `apns` and `webpush` blocks) through the
 * library's v1 client.
 *
 * The client is given a multicast message with the targets and no payload, so each of its requests carries only
 * `{"message":{"token":…}}` (plus `validate_only` for a dry run). This transform fills in the file's wire message
 * around that target, so retries, Retry-After, 401 refreshes and the per-token buckets all stay the library's.
 */
import { HttpBody, HttpClientRequest } from "@effect/platform"

const decoder = new TextDecoder()

/**
 * Rewrites the body of every `messages:send` request: the target the client chose, with `wire` as the rest of the
 * message.
 *
 * @internal
 */
export const withWireMessage = (wire: Record<string, unknown>) => (request: HttpClientRequest.HttpClientRequest) => {
  if (!request.url.endsWith("/messages:send") || request.body._tag !== "Uint8Array") return request
  const sent = JSON.parse(decoder.decode(request.body.body)) as {
    readonly message: Record<string, unknown>
    readonly validate_only?: boolean
  }
  const body = JSON.stringify({
    message: { ...sent.message, ...wire },
    ...(sent.validate_only === true ? { validate_only: true } : {})
  })
  return HttpClientRequest.setBody(request, HttpBody.text(body, "application/json"))
}
