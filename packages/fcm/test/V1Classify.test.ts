import { assert, describe, it } from "@effect/vitest"
import * as V1 from "../src/internal/v1.js"
import { Outcome } from "../src/Result.js"

const NOW = Date.UTC(2026, 10, 28, 12)

const rpc = (code: number, status: string, message: string, details: ReadonlyArray<object> = []) =>
  JSON.stringify({ error: { code, message, status, details } })
const fcmError = (errorCode: string) => ({
  "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
  errorCode
})

const classify = (status: number, body: string, retryAfter?: string) =>
  V1.classify({ status, body, retryAfter, nowMillis: NOW })

const bucket = (c: V1.Classified) =>
  c._tag === "Outcome" ? c.outcome._tag : c._tag === "Fatal" ? `Fatal:${c.error._tag}` : c._tag

describe("v1 classification (bodies as recorded in fcm-protocols.md §2.3)", () => {
  it("200 with a name is delivered, keeping the name as the message id", () => {
    const c = classify(200, JSON.stringify({ name: "projects/p/messages/0:123" }))
    assert.strictEqual(bucket(c), "Delivered")
    assert.deepStrictEqual(
      c._tag === "Outcome" && c.outcome._tag === "Delivered" && c.outcome.messageId,
      "projects/p/messages/0:123"
    )
  })

  it("200 without a name fails that token alone (it may have been delivered, so it is never resent)", () => {
    for (const body of ["", "{}", "<html></html>", "{\"name\":5}"]) {
      const c = classify(200, body)
      assert.deepStrictEqual(c._tag === "Outcome" && c.outcome, { _tag: "Failed", code: "MALFORMED_RESPONSE" } as never)
    }
  })

  it("404 NOT_FOUND with FcmError UNREGISTERED is not registered", () => {
    const c = classify(404, rpc(404, "NOT_FOUND", "Requested entity was not found.", [fcmError("UNREGISTERED")]))
    assert.strictEqual(bucket(c), "NotRegistered")
  })

  it("a bare 404 NOT_FOUND (no UNREGISTERED detail: a wrong project, a misrouted request) fails with its code", () => {
    const c = classify(404, rpc(404, "NOT_FOUND", "Requested entity was not found."))
    assert.strictEqual(bucket(c), "Failed")
    assert.deepStrictEqual(c._tag === "Outcome" ? c.outcome : undefined, Outcome.Failed({ code: "NOT_FOUND" }))
  })

  it("an HTML 404 (wrong project or URL, or a backend incident) never deletes tokens", () => {
    const c = classify(404, "<!DOCTYPE html><html><title>Error 404 (Not Found)!!1</title></html>")
    assert.strictEqual(bucket(c), "Fatal:TransportError")
  })

  it("INVALID_ARGUMENT naming message.token fails that token", () => {
    const c = classify(
      400,
      rpc(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token", [
        fcmError("INVALID_ARGUMENT"),
        {
          "@type": "type.googleapis.com/google.rpc.BadRequest",
          fieldViolations: [{ field: "message.token", description: "Invalid registration token" }]
        }
      ])
    )
    assert.strictEqual(bucket(c), "Failed")
    assert.deepStrictEqual(c._tag === "Outcome" && c.outcome._tag === "Failed" && c.outcome.code, "INVALID_ARGUMENT")
  })

  it("INVALID_ARGUMENT about the payload fails the whole send with InvalidMessage naming the field", () => {
    const c = classify(
      400,
      rpc(400, "INVALID_ARGUMENT", "Invalid value at 'message.data[0].value'", [
        {
          "@type": "type.googleapis.com/google.rpc.BadRequest",
          fieldViolations: [{ field: "message.data[0].value", description: "Invalid value at 'message.data[0].value'" }]
        }
      ])
    )
    assert.strictEqual(bucket(c), "Fatal:InvalidMessage")
    if (c._tag === "Fatal" && c.error._tag === "InvalidMessage") {
      assert.strictEqual(c.error.field, "message.data[0].value")
      assert.strictEqual(c.error.status, 400)
    }
  })

  it("a 400 with no details (payload too large) is an InvalidMessage", () => {
    assert.strictEqual(bucket(classify(400, "")), "Fatal:InvalidMessage")
    assert.strictEqual(
      bucket(classify(400, rpc(400, "INVALID_ARGUMENT", "Message is too big"))),
      "Fatal:InvalidMessage"
    )
  })

  it("SENDER_ID_MISMATCH and THIRD_PARTY_AUTH_ERROR fail the token with that code", () => {
    const mismatch = classify(403, rpc(403, "PERMISSION_DENIED", "SenderId mismatch", [fcmError("SENDER_ID_MISMATCH")]))
    assert.strictEqual(bucket(mismatch), "Failed")
    const apns = classify(
      401,
      rpc(401, "UNAUTHENTICATED", "Auth error from APNS", [fcmError("THIRD_PARTY_AUTH_ERROR")])
    )
    assert.deepStrictEqual(
      apns._tag === "Outcome" && apns.outcome._tag === "Failed" && apns.outcome.code,
      "THIRD_PARTY_AUTH_ERROR"
    )
  })

  it("a bare 401 UNAUTHENTICATED asks for a fresh access token, with an expiry hint when the reason says so", () => {
    const c = classify(
      401,
      rpc(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", [
        { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "ACCESS_TOKEN_EXPIRED" }
      ])
    )
    assert.strictEqual(c._tag, "Unauthenticated")
    if (c._tag === "Unauthenticated") assert.include(c.error.hint!, "expired")
  })

  it("403 PERMISSION_DENIED without an FcmError is an AuthenticationError for the whole send", () => {
    assert.strictEqual(
      bucket(classify(403, rpc(403, "PERMISSION_DENIED", "Firebase Cloud Messaging API has not been used"))),
      "Fatal:AuthenticationError"
    )
  })

  it("QUOTA_EXCEEDED without a QuotaFailure is a device's limit: that target alone backs off, from its Retry-After", () => {
    const c = classify(
      429,
      rpc(429, "RESOURCE_EXHAUSTED", "Device message rate exceeded.", [fcmError("QUOTA_EXCEEDED")])
    )
    assert.deepStrictEqual(
      c._tag === "Outcome" && c.outcome,
      Outcome.Retryable({ reason: "QUOTA_EXCEEDED", retryAfterMillis: undefined, notBefore: NOW })
    )
    const later = classify(429, rpc(429, "RESOURCE_EXHAUSTED", "rate", [fcmError("QUOTA_EXCEEDED")]), "5")
    assert.strictEqual(
      later._tag === "Outcome" && later.outcome._tag === "Retryable" && later.outcome.notBefore,
      NOW + 5000
    )
  })

  it("QUOTA_EXCEEDED with a QuotaFailure (a project's or topic's limit) waits at least a minute, whatever Retry-After says", () => {
    const quotaFailure = {
      "@type": "type.googleapis.com/google.rpc.QuotaFailure",
      violations: [{ subject: "projects/p", description: "SendsPerMinutePerProject" }]
    }
    const c = classify(
      429,
      rpc(429, "RESOURCE_EXHAUSTED", "Quota exceeded", [fcmError("QUOTA_EXCEEDED"), quotaFailure]),
      "5"
    )
    assert.deepStrictEqual(c._tag === "Outcome" && c.outcome, {
      _tag: "Retryable",
      reason: "QUOTA_EXCEEDED",
      retryAfterMillis: 60_000
    } as never)
    const longer = classify(
      429,
      rpc(429, "RESOURCE_EXHAUSTED", "Quota exceeded", [fcmError("QUOTA_EXCEEDED"), quotaFailure]),
      "120"
    )
    assert.strictEqual(
      longer._tag === "Outcome" && longer.outcome._tag === "Retryable" && longer.outcome.retryAfterMillis,
      120_000
    )
  })

  it("the project-quota 429 RESOURCE_EXHAUSTED with only an ErrorInfo is retryable after a minute", () => {
    const c = classify(
      429,
      rpc(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric", [{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "RATE_LIMIT_EXCEEDED",
        metadata: { quota_limit: "SendsPerMinutePerProject" }
      }])
    )
    assert.deepStrictEqual(
      c._tag === "Outcome" && c.outcome._tag === "Retryable" && c.outcome.reason,
      "RESOURCE_EXHAUSTED"
    )
    assert.strictEqual(c._tag === "Outcome" && c.outcome._tag === "Retryable" && c.outcome.retryAfterMillis, 60_000)
  })

  it("a 429 with an empty body is still a quota wait", () => {
    const c = classify(429, "")
    assert.strictEqual(c._tag === "Outcome" && c.outcome._tag === "Retryable" && c.outcome.retryAfterMillis, 60_000)
  })

  it("UNAVAILABLE and INTERNAL are retryable with their Retry-After (seconds or HTTP-date)", () => {
    const u = classify(
      503,
      rpc(503, "UNAVAILABLE", "The service is currently unavailable.", [fcmError("UNAVAILABLE")]),
      "30"
    )
    assert.deepStrictEqual(
      u._tag === "Outcome" && u.outcome,
      { _tag: "Retryable", reason: "UNAVAILABLE", retryAfterMillis: 30_000 } as never
    )
    const i = classify(
      500,
      rpc(500, "INTERNAL", "Internal error", [fcmError("INTERNAL")]),
      new Date(NOW + 45_000).toUTCString()
    )
    assert.deepStrictEqual(
      i._tag === "Outcome" && i.outcome,
      { _tag: "Retryable", reason: "INTERNAL", retryAfterMillis: 45_000 } as never
    )
  })

  it("HTML 502 and empty 503 are classified by status, never 'unknown'", () => {
    const html = classify(502, "<html><body><h1>Error 502 (Server Error)!!1</h1></body></html>")
    assert.deepStrictEqual(
      html._tag === "Outcome" && html.outcome._tag === "Retryable" && html.outcome.reason,
      "HTTP 502"
    )
    const empty = classify(503, "")
    assert.deepStrictEqual(
      empty._tag === "Outcome" && empty.outcome._tag === "Retryable" && empty.outcome.reason,
      "HTTP 503"
    )
  })

  it("501 UNIMPLEMENTED fails the token with its status code", () => {
    const c = classify(501, rpc(501, "UNIMPLEMENTED", "Operation is not implemented"))
    assert.deepStrictEqual(c._tag === "Outcome" && c.outcome, { _tag: "Failed", code: "UNIMPLEMENTED" } as never)
  })

  it("parseStatus ignores bodies that are not google.rpc.Status", () => {
    assert.strictEqual(V1.parseStatus("<html>"), undefined)
    assert.strictEqual(V1.parseStatus("{\"error\":\"invalid_grant\"}"), undefined)
    assert.strictEqual(V1.parseStatus("{not json"), undefined)
  })
})
