import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Scenario from "../src/Scenario.js"
import * as ServiceAccount from "../src/ServiceAccount.js"
import {
  account,
  BAD_REQUEST,
  bearer,
  call,
  ERROR_INFO,
  FCM_ERROR,
  legacy,
  makeModel,
  NOW,
  stranger,
  v1
} from "./helpers.js"

describe("legacy /fcm/send", () => {
  it("rejects a missing or wrong server key with a 401 HTML page", () => {
    const model = makeModel()
    for (const headers of [{}, { authorization: "key=wrong" }, { authorization: "Bearer x" }]) {
      const r = call(model, { path: "/fcm/send", headers, body: { to: "t" } })
      assert.strictEqual(r.status, 401)
      assert.match(r.headers["content-type"]!, /text\/html/)
      assert.include(r.text, "<TITLE>Unauthorized</TITLE>")
      assert.include(r.text, "Error 401")
    }
  })

  it("answers 400 with a text explanation for bad requests", () => {
    const model = makeModel()
    const cases: ReadonlyArray<readonly [unknown, RegExp]> = [
      ["{not json", /^JSON_PARSING_ERROR/],
      [{ data: { a: "b" } }, /Missing "to", "registration_ids" or "condition"/],
      [{ registration_ids: [] }, /cannot be empty/],
      [
        { registration_ids: Array.from({ length: 1001 }, (_, i) => `t${i}`) },
        /\(1001\) exceeds maximum allowed \(1000\)/
      ],
      [{ registration_ids: "abc" }, /"registration_ids" must be a JSON array/],
      [{ to: "a", registration_ids: ["b"] }, /not both/],
      [{ to: "a", time_to_live: "10" }, /"time_to_live" must be a JSON number/],
      [{ to: "a", data: [1] }, /"data" must be a JSON object/]
    ]
    for (const [body, expected] of cases) {
      const r = legacy(model, body)
      assert.strictEqual(r.status, 400, JSON.stringify(body).slice(0, 60))
      assert.match(r.headers["content-type"]!, /text\/plain/)
      assert.match(r.text, expected)
    }
    const ok = legacy(model, { registration_ids: Array.from({ length: 1000 }, (_, i) => `t${i}`) })
    assert.strictEqual(ok.status, 200)
    assert.strictEqual(ok.json.success, 1000)
  })

  it("answers registration_ids positionally with counts, message ids and canonical ids", () => {
    const model = makeModel({
      scenarios: {
        tokens: {
          gone: Scenario.notRegistered,
          moved: Scenario.canonical("new-token"),
          busy: Scenario.unavailable()
        }
      }
    })
    const r = legacy(model, { registration_ids: ["ok1", "gone", "moved", "busy", "bad token", "ok2"] })
    assert.strictEqual(r.status, 200)
    assert.match(r.headers["content-type"]!, /application\/json/)
    const body = r.json
    assert.typeOf(body.multicast_id, "number")
    assert.strictEqual(body.success, 3)
    assert.strictEqual(body.failure, 3)
    assert.strictEqual(body.canonical_ids, 1)
    assert.strictEqual(body.results.length, 6)
    assert.match(body.results[0].message_id, /^0:\d+%[0-9a-f]{16}$/)
    assert.deepStrictEqual(body.results[1], { error: "NotRegistered" })
    assert.strictEqual(body.results[2].registration_id, "new-token")
    assert.typeOf(body.results[2].message_id, "string")
    assert.deepStrictEqual(body.results[3], { error: "Unavailable" })
    assert.deepStrictEqual(body.results[4], { error: "InvalidRegistration" })
    assert.notStrictEqual(body.results[0].message_id, body.results[5].message_id)
  })

  it("produces every legacy error code by scenario", () => {
    for (const code of Scenario.legacyErrorCodes) {
      const model = makeModel({ scenarios: { default: Scenario.legacyError(code) } })
      const r = legacy(model, { registration_ids: ["a", "b"] })
      assert.strictEqual(r.status, 200, code)
      assert.deepStrictEqual(r.json.results, [{ error: code }, { error: code }])
      assert.strictEqual(r.json.failure, 2)
    }
  })

  it("maps the v1-style scenarios to legacy codes", () => {
    const model = makeModel({
      scenarios: {
        tokens: {
          a: Scenario.invalidToken,
          b: Scenario.senderMismatch,
          c: Scenario.internalError(),
          d: Scenario.quotaExceeded(),
          e: Scenario.thirdPartyAuthError
        }
      }
    })
    const r = legacy(model, { registration_ids: ["a", "b", "c", "d", "e"] })
    assert.deepStrictEqual(r.json.results.map((x: any) => x.error), [
      "InvalidRegistration",
      "MismatchSenderId",
      "InternalServerError",
      "DeviceMessageRateExceeded",
      "InvalidApnsCredential"
    ])
    const topic = legacy(makeModel({ scenarios: { default: Scenario.quotaExceeded() } }), { to: "/topics/news" })
    assert.deepStrictEqual(topic.json, { error: "TopicsMessageRateExceeded" })
  })

  it("validates the message itself (TTL, reserved data keys, size, empty tokens)", () => {
    const model = makeModel()
    assert.deepStrictEqual(legacy(model, { to: "a", time_to_live: 2419201 }).json.results, [{ error: "InvalidTtl" }])
    assert.deepStrictEqual(legacy(model, { to: "a", time_to_live: 0 }).json.success, 1)
    assert.deepStrictEqual(legacy(model, { to: "a", data: { from: "x" } }).json.results, [{ error: "InvalidDataKey" }])
    assert.deepStrictEqual(legacy(model, { to: "a", data: { "google.x": "x" } }).json.results, [
      { error: "InvalidDataKey" }
    ])
    assert.deepStrictEqual(legacy(model, { to: "a", data: { k: "x".repeat(4100) } }).json.results, [
      { error: "MessageTooBig" }
    ])
    assert.deepStrictEqual(legacy(model, { to: "/topics/t", data: { k: "x".repeat(3000) } }).json, {
      error: "MessageTooBig"
    })
    assert.deepStrictEqual(legacy(model, { to: "" }).json.results, [{ error: "MissingRegistration" }])
  })

  it("answers topics and conditions with a numeric message_id", () => {
    const model = makeModel()
    const t = legacy(model, { to: "/topics/news", notification: { title: "t" } })
    assert.strictEqual(t.status, 200)
    assert.deepStrictEqual(Object.keys(t.json), ["message_id"])
    assert.typeOf(t.json.message_id, "number")
    const c = legacy(model, { condition: "'a' in topics && 'b' in topics" })
    assert.typeOf(c.json.message_id, "number")
    assert.notStrictEqual(c.json.message_id, t.json.message_id)
    const recs = model.records()
    assert.deepStrictEqual(recs[0]!.target, { _tag: "Topic", topic: "news" })
    assert.deepStrictEqual(recs[1]!.target, { _tag: "Condition", condition: "'a' in topics && 'b' in topics" })
  })

  it("dry_run gives fake ids and delivers nothing", () => {
    const model = makeModel()
    const r = legacy(model, { registration_ids: ["a", "b"], dry_run: true })
    assert.deepStrictEqual(r.json.results, [{ message_id: "fake_message_id" }, { message_id: "fake_message_id" }])
    assert.strictEqual(model.counters().delivered, 0)
    assert.strictEqual(model.counters().dryRuns, 1)
    assert.strictEqual(model.records()[0]!.delivered, 0)
    assert.isTrue(model.records()[0]!.dryRun)
    legacy(model, { registration_ids: ["a", "b"] })
    assert.strictEqual(model.counters().delivered, 2)
  })

  it("supports the plain-text form", () => {
    const model = makeModel({
      scenarios: { tokens: { moved: Scenario.canonical("c2"), gone: Scenario.notRegistered } }
    })
    const text = (token: string) =>
      call(model, {
        path: "/fcm/send",
        headers: { authorization: "key=emulator-server-key", "content-type": "application/x-www-form-urlencoded" },
        body: `registration_id=${token}&data.k=v&collapse_key=x`
      })
    assert.match(text("ok").text, /^id=0:\d+%[0-9a-f]+\n$/)
    assert.match(text("moved").text, /^id=.+\nregistration_id=c2\n$/)
    assert.strictEqual(text("gone").text, "Error=NotRegistered\n")
    assert.deepStrictEqual(model.records()[0]!.body, { registration_id: "ok", collapse_key: "x", data: { k: "v" } })
  })

  it("request-level scenarios answer the whole request", () => {
    const model = makeModel()
    model.enqueue("legacy", Scenario.unavailable({ retryAfter: 7 }))
    const r = legacy(model, { registration_ids: ["a", "b"] })
    assert.strictEqual(r.status, 503)
    assert.strictEqual(r.headers["retry-after"], "7")
    assert.include(r.text, "Error 503")
    assert.strictEqual(legacy(model, { registration_ids: ["a", "b"] }).status, 200)

    model.enqueue("legacy", Scenario.internalError())
    assert.strictEqual(legacy(model, { to: "a" }).status, 500)
    model.enqueue("legacy", Scenario.unauthenticated())
    assert.strictEqual(legacy(model, { to: "a" }).status, 401)
    model.enqueue("legacy", Scenario.badRequest("Invalid field"))
    const bad = legacy(model, { to: "a" })
    assert.strictEqual(bad.status, 400)
    assert.strictEqual(bad.text, "Invalid field\n")
    model.enqueue("legacy", Scenario.htmlBadGateway)
    const html = legacy(model, { to: "a" })
    assert.strictEqual(html.status, 502)
    assert.include(html.text, "Error 502 (Server Error)")
    model.enqueue("legacy", Scenario.malformedJson())
    const malformed = legacy(model, { to: "a" })
    assert.strictEqual(malformed.status, 200)
    assert.throws(() => JSON.parse(malformed.text))
    model.enqueue("legacy", Scenario.emptyBody({ status: 503 }))
    const empty = legacy(model, { to: "a" })
    assert.strictEqual(empty.status, 503)
    assert.strictEqual(empty.text, "")
    model.enqueue("legacy", Scenario.quotaExceeded({ variant: "project", retryAfter: 60 }))
    const quota = legacy(model, { to: "a" })
    assert.strictEqual(quota.status, 429)
    assert.strictEqual(quota.headers["retry-after"], "60")
  })

  it("a per-token transient error with Retry-After stays in the results of a 200", () => {
    const model = makeModel({ scenarios: { tokens: { a: Scenario.unavailable({ times: 1, retryAfter: 3 }) } } })
    const r = legacy(model, { registration_ids: ["a", "b"] })
    assert.strictEqual(r.status, 200)
    assert.strictEqual(r.headers["retry-after"], "3")
    assert.deepStrictEqual(r.json.results[0], { error: "Unavailable" })
    const again = legacy(model, { registration_ids: ["a"] })
    assert.strictEqual(again.json.success, 1)
    assert.isUndefined(again.headers["retry-after"])
  })

  it("a request-level token scenario makes the whole legacy response a 503", () => {
    const model = makeModel({ scenarios: { tokens: { a: Scenario.unavailable({ level: "request", times: 1 }) } } })
    assert.strictEqual(legacy(model, { registration_ids: ["b", "a"] }).status, 503)
    assert.strictEqual(legacy(model, { registration_ids: ["b", "a"] }).status, 200)
  })
})

describe("v1 messages:send", () => {
  it("delivers and names the message", () => {
    const model = makeModel()
    const r = v1(model, { message: { token: "tok-1", data: { a: "b" }, notification: { title: "hi" } } })
    assert.strictEqual(r.status, 200)
    assert.match(r.json.name, /^projects\/proj-a\/messages\/0:\d+%[0-9a-f]{16}$/)
    const topic = v1(model, { message: { topic: "news" } })
    assert.match(topic.json.name, /^projects\/proj-a\/messages\/\d+$/)
    const dry = v1(model, { message: { token: "tok-1" }, validate_only: true })
    assert.deepStrictEqual(dry.json, { name: "projects/proj-a/messages/fake_message_id" })
    const c = model.counters()
    assert.strictEqual(c.delivered, 2)
    assert.strictEqual(c.dryRuns, 1)
    const rec = model.records()[0]!
    assert.strictEqual(rec.protocol, "v1")
    assert.deepStrictEqual(rec.target, { _tag: "Token", token: "tok-1" })
    assert.deepStrictEqual(rec.body, { message: { token: "tok-1", data: { a: "b" }, notification: { title: "hi" } } })
  })

  it("accepts the encoded colon and camelCase fields", () => {
    const model = makeModel()
    const r = call(model, {
      path: "/v1/projects/proj-a/messages%3Asend",
      headers: { authorization: `Bearer ${bearer(model)}` },
      body: {
        validateOnly: false,
        message: { token: "t", android: { collapseKey: "c", ttl: "3.5s", priority: "HIGH" } }
      }
    })
    assert.strictEqual(r.status, 200)
  })

  it("checks the bearer token", () => {
    const model = makeModel()
    const missing = call(model, { path: "/v1/projects/proj-a/messages:send", body: { message: { token: "t" } } })
    assert.strictEqual(missing.status, 401)
    assert.strictEqual(missing.json.error.status, "UNAUTHENTICATED")
    assert.strictEqual(missing.json.error.details[0].reason, "CREDENTIALS_MISSING")

    const unknown = v1(model, { message: { token: "t" } }, { token: "ya29.made-up" })
    assert.strictEqual(unknown.status, 401)
    assert.deepStrictEqual(Object.keys(unknown.json.error), ["code", "message", "status"])
    assert.strictEqual(unknown.json.error.code, 401)
    assert.match(unknown.headers["www-authenticate"]!, /invalid_token/)

    const token = model.issueAccessToken(NOW, { lifetime: 60 }).access_token
    assert.strictEqual(v1(model, { message: { token: "t" } }, { token, now: NOW + 59_000 }).status, 200)
    const expired = v1(model, { message: { token: "t" } }, { token, now: NOW + 60_000 })
    assert.strictEqual(expired.status, 401)
    assert.deepStrictEqual(expired.json.error.details, [
      {
        "@type": ERROR_INFO,
        reason: "ACCESS_TOKEN_EXPIRED",
        domain: "googleapis.com",
        metadata: { service: "fcm.googleapis.com", method: "google.firebase.fcm.v1.FcmService.SendMessage" }
      }
    ])

    const other = model.issueAccessToken(NOW).access_token
    model.expireAccessTokens()
    assert.strictEqual(
      v1(model, { message: { token: "t" } }, { token: other }).json.error.details[0].reason,
      "ACCESS_TOKEN_EXPIRED"
    )
  })

  it("rejects a project other than the token's", () => {
    const model = makeModel()
    const r = v1(model, { message: { token: "t" } }, { project: "proj-b" })
    assert.strictEqual(r.status, 403)
    assert.strictEqual(r.json.error.status, "PERMISSION_DENIED")
    assert.include(r.json.error.message, "projects/proj-b")
    const lax = makeModel({ enforceProject: false })
    assert.strictEqual(v1(lax, { message: { token: "t" } }, { project: "proj-b" }).status, 200)
  })

  it("answers each scenario with FCM's exact error body", () => {
    const model = makeModel({
      scenarios: {
        tokens: {
          gone: Scenario.notRegistered,
          bad: Scenario.invalidToken,
          other: Scenario.senderMismatch,
          busy: Scenario.unavailable(),
          broken: Scenario.internalError(),
          fast: Scenario.quotaExceeded(),
          apns: Scenario.thirdPartyAuthError,
          project: Scenario.quotaExceeded({ variant: "project" })
        }
      }
    })
    const send = (token: string) => v1(model, { message: { token } })
    const expect = (token: string, status: number, error: unknown) => {
      const r = send(token)
      assert.strictEqual(r.status, status, token)
      assert.match(r.headers["content-type"]!, /application\/json/)
      assert.deepStrictEqual(r.json, { error }, token)
    }
    expect("gone", 404, {
      code: 404,
      message: "Requested entity was not found.",
      status: "NOT_FOUND",
      details: [{ "@type": FCM_ERROR, errorCode: "UNREGISTERED" }]
    })
    expect("bad", 400, {
      code: 400,
      message: "The registration token is not a valid FCM registration token",
      status: "INVALID_ARGUMENT",
      details: [
        { "@type": FCM_ERROR, errorCode: "INVALID_ARGUMENT" },
        {
          "@type": BAD_REQUEST,
          fieldViolations: [
            { field: "message.token", description: "The registration token is not a valid FCM registration token" }
          ]
        }
      ]
    })
    expect("other", 403, {
      code: 403,
      message: "SenderId mismatch",
      status: "PERMISSION_DENIED",
      details: [{ "@type": FCM_ERROR, errorCode: "SENDER_ID_MISMATCH" }]
    })
    expect("busy", 503, {
      code: 503,
      message: "The service is currently unavailable.",
      status: "UNAVAILABLE",
      details: [{ "@type": FCM_ERROR, errorCode: "UNAVAILABLE" }]
    })
    expect("broken", 500, {
      code: 500,
      message: "Internal error encountered.",
      status: "INTERNAL",
      details: [{ "@type": FCM_ERROR, errorCode: "INTERNAL" }]
    })
    expect("fast", 429, {
      code: 429,
      message: "Device message rate exceeded.",
      status: "RESOURCE_EXHAUSTED",
      details: [{ "@type": FCM_ERROR, errorCode: "QUOTA_EXCEEDED" }]
    })
    expect("apns", 401, {
      code: 401,
      message: "Auth error from APNS or Web Push Service",
      status: "UNAUTHENTICATED",
      details: [{ "@type": FCM_ERROR, errorCode: "THIRD_PARTY_AUTH_ERROR" }]
    })
    const project = send("project")
    assert.strictEqual(project.status, 429)
    assert.strictEqual(project.json.error.status, "RESOURCE_EXHAUSTED")
    assert.isFalse(project.json.error.details.some((d: any) => d["@type"] === FCM_ERROR))
    const info = project.json.error.details.find((d: any) => d["@type"] === ERROR_INFO)
    assert.strictEqual(info.reason, "RATE_LIMIT_EXCEEDED")
    assert.strictEqual(info.metadata.quota_metric, "fcm.googleapis.com/send_requests")
    assert.strictEqual(info.metadata.quota_limit, "SendsPerMinutePerProject")
  })

  it("maps every legacy code to a v1 error", () => {
    const expected: Record<Scenario.LegacyErrorCode, readonly [number, string]> = {
      MissingRegistration: [400, "INVALID_ARGUMENT"],
      InvalidRegistration: [400, "INVALID_ARGUMENT"],
      NotRegistered: [404, "UNREGISTERED"],
      InvalidPackageName: [400, "INVALID_ARGUMENT"],
      MismatchSenderId: [403, "SENDER_ID_MISMATCH"],
      MessageTooBig: [400, "INVALID_ARGUMENT"],
      InvalidDataKey: [400, "INVALID_ARGUMENT"],
      InvalidTtl: [400, "INVALID_ARGUMENT"],
      Unavailable: [503, "UNAVAILABLE"],
      InternalServerError: [500, "INTERNAL"],
      DeviceMessageRateExceeded: [429, "QUOTA_EXCEEDED"],
      TopicsMessageRateExceeded: [429, "QUOTA_EXCEEDED"],
      InvalidApnsCredential: [401, "THIRD_PARTY_AUTH_ERROR"]
    }
    for (const code of Scenario.legacyErrorCodes) {
      const model = makeModel({ scenarios: { default: Scenario.legacyError(code) } })
      const r = v1(model, { message: { token: "t" } })
      assert.strictEqual(r.status, expected[code][0], code)
      assert.strictEqual(r.json.error.details[0].errorCode, expected[code][1], code)
    }
  })

  it("validates the message like FCM", () => {
    const model = makeModel()
    const violation = (body: unknown) => {
      const r = v1(model, body)
      assert.strictEqual(r.status, 400, JSON.stringify(body))
      assert.strictEqual(r.json.error.status, "INVALID_ARGUMENT")
      const br = r.json.error.details.find((d: any) => d["@type"] === BAD_REQUEST)
      return { error: r.json.error, field: br?.fieldViolations[0].field, fcm: r.json.error.details[0].errorCode }
    }
    const nonString = violation({ message: { token: "t", data: { a: "x", b: 1 } } })
    assert.deepStrictEqual(nonString.error, {
      code: 400,
      message: "Invalid value at 'message.data[1].value' (TYPE_STRING), 1",
      status: "INVALID_ARGUMENT",
      details: [
        {
          "@type": BAD_REQUEST,
          fieldViolations: [
            { field: "message.data[1].value", description: "Invalid value at 'message.data[1].value' (TYPE_STRING), 1" }
          ]
        }
      ]
    })
    const reserved = violation({ message: { token: "t", data: { from: "x" } } })
    assert.strictEqual(reserved.field, "message.data")
    assert.strictEqual(reserved.fcm, "INVALID_ARGUMENT")
    assert.strictEqual(violation({ message: { token: "t", data: { "gcm.x": "y" } } }).field, "message.data")
    assert.strictEqual(violation({ message: {} }).error.message, "Recipient of the message is not set.")
    assert.strictEqual(violation({}).error.message, "Recipient of the message is not set.")
    assert.strictEqual(violation({ message: { token: "a", topic: "b" } }).field, "message")
    assert.strictEqual(violation({ message: { token: "has space" } }).field, "message.token")
    assert.strictEqual(violation({ message: { topic: "/topics/x" } }).field, "message.topic")
    assert.strictEqual(
      violation({
        message: {
          condition:
            "'a' in topics && 'b' in topics && 'c' in topics && 'd' in topics && 'e' in topics && 'f' in topics"
        }
      }).field,
      "message.condition"
    )
    assert.strictEqual(violation({ message: { token: "t", bogus: 1 } }).field, "message")
    assert.match(violation({ message: { token: "t", bogus: 1 } }).error.message, /Unknown name "bogus" at 'message'/)
    assert.strictEqual(violation({ message: { token: "t" }, extra: true }).field, undefined)
    assert.strictEqual(violation({ message: { token: "t", android: { ttl: "10" } } }).field, "message.android.ttl")
    assert.strictEqual(
      violation({ message: { token: "t", android: { ttl: "2419201s" } } }).field,
      "message.android.ttl"
    )
    assert.strictEqual(
      violation({ message: { token: "t", android: { priority: "urgent" } } }).field,
      "message.android.priority"
    )
    assert.strictEqual(
      violation({ message: { token: "t", android: { data: { k: 2 } } } }).field,
      "message.android.data[0].value"
    )
    assert.strictEqual(
      violation({ message: { token: "t", android: { notification: { color: "red" } } } }).field,
      "message.android.notification.color"
    )
    assert.strictEqual(
      violation({ message: { token: "t", apns: { headers: { "apns-priority": 10 } } } }).field,
      "message.apns.headers[0].value"
    )
    assert.strictEqual(
      violation({ message: { token: "t", webpush: { fcm_options: { link: "http://x" } } } }).field,
      "message.webpush.fcm_options.link"
    )
    assert.strictEqual(
      violation({ message: { token: "t", notification: { title: 5 } } }).field,
      "message.notification.title"
    )
    assert.strictEqual(
      violation({ message: { token: "t", data: { k: "x".repeat(5000) } } }).error.message,
      "Message is too big"
    )
    const bad = v1(model, "{oops")
    assert.strictEqual(bad.status, 400)
    assert.match(bad.json.error.message, /^Invalid JSON payload received/)
    // nothing invalid was counted as delivered
    assert.strictEqual(model.counters().delivered, 0)
  })

  it("request faults and queued scenarios", () => {
    const model = makeModel()
    model.enqueue("v1", Scenario.unauthenticated({ expired: true }))
    assert.strictEqual(v1(model, { message: { token: "t" } }).json.error.details[0].reason, "ACCESS_TOKEN_EXPIRED")
    model.enqueue("v1", Scenario.reset)
    assert.deepStrictEqual(v1(model, { message: { token: "t" } }).response.fault, { _tag: "Reset" })
    model.enqueue("v1", Scenario.hang)
    assert.deepStrictEqual(v1(model, { message: { token: "t" } }).response.fault, { _tag: "Hang" })
    model.enqueue("any", Scenario.goAway({ respond: true }))
    const ga = v1(model, { message: { token: "t" } })
    assert.strictEqual(ga.status, 200)
    assert.deepStrictEqual(ga.response.fault, { _tag: "GoAway", respond: true })
    model.enqueue("v1", Scenario.latency(250, Scenario.notRegistered))
    const slow = v1(model, { message: { token: "t" } })
    assert.strictEqual(slow.response.latency, 250)
    assert.strictEqual(slow.status, 404)
    model.enqueue("v1", Scenario.badRequest())
    const br = v1(model, { message: { token: "t" } })
    assert.deepStrictEqual(br.json, {
      error: { code: 400, message: "Request contains an invalid argument.", status: "INVALID_ARGUMENT" }
    })
    model.enqueue("v1", Scenario.htmlError({ status: 502, retryAfter: Scenario.retryAfterDate(30) }))
    const html = v1(model, { message: { token: "t" } })
    assert.strictEqual(html.status, 502)
    assert.strictEqual(html.headers["retry-after"], new Date(NOW + 30_000).toUTCString())
    assert.strictEqual(v1(model, { message: { token: "t" } }).status, 200)
    const c = model.counters()
    assert.strictEqual(c.faults.Reset, 1)
    assert.strictEqual(c.faults.Hang, 1)
    assert.strictEqual(c.statuses["0"], 2)
  })
})

describe("scenario resolution", () => {
  it("exact token, then the longest prefix, then the default", () => {
    const model = makeModel({
      scenarios: {
        default: Scenario.senderMismatch,
        prefixes: { "a": Scenario.notRegistered, "ab": Scenario.invalidToken },
        tokens: { "abc": Scenario.delivered }
      }
    })
    const r = legacy(model, { registration_ids: ["abc", "abd", "ax", "z"] })
    assert.deepStrictEqual(r.json.results.map((x: any) => x.error ?? "ok"), [
      "ok",
      "InvalidRegistration",
      "NotRegistered",
      "MismatchSenderId"
    ])
    model.setPrefix("ab", undefined)
    model.setDefault(undefined)
    assert.deepStrictEqual(
      legacy(model, { registration_ids: ["abd", "z"] }).json.results.map((x: any) => x.error ?? "ok"),
      [
        "NotRegistered",
        "ok"
      ]
    )
  })

  it("unavailable N times counts per token across requests and protocols", () => {
    const model = makeModel({ scenarios: { prefixes: { flaky: Scenario.unavailable({ times: 2, retryAfter: 1 }) } } })
    const statuses: Array<number> = []
    for (let i = 0; i < 3; i++) statuses.push(v1(model, { message: { token: "flaky-1" } }).status)
    assert.deepStrictEqual(statuses, [503, 503, 200])
    assert.deepStrictEqual(
      legacy(model, { registration_ids: ["flaky-2", "flaky-1"] }).json.results.map((x: any) => x.error ?? "ok"),
      ["Unavailable", "ok"]
    )
    assert.strictEqual(v1(model, { message: { token: "flaky-2" } }).status, 503)
    assert.strictEqual(v1(model, { message: { token: "flaky-2" } }).status, 200)
    model.reset()
    assert.strictEqual(v1(model, { message: { token: "flaky-1" } }).status, 503)
  })

  it("a sequence steps per token and repeats its last step", () => {
    const model = makeModel({
      scenarios: { default: Scenario.sequence(Scenario.reset, Scenario.internalError(), Scenario.delivered) }
    })
    const outcome = (token: string) => {
      const r = v1(model, { message: { token } })
      return r.response.fault?._tag ?? r.status
    }
    assert.deepStrictEqual([outcome("a"), outcome("a"), outcome("b"), outcome("a"), outcome("a")], [
      "Reset",
      500,
      "Reset",
      200,
      200
    ])
  })

  it("the next N requests on a route", () => {
    const model = makeModel()
    model.enqueue("v1", Scenario.notRegistered, 2)
    const s = [0, 1, 2].map(() => v1(model, { message: { token: "t" } }).status)
    assert.deepStrictEqual(s, [404, 404, 200])
    model.enqueue("legacy", Scenario.notRegistered)
    assert.strictEqual(v1(model, { message: { token: "t" } }).status, 200)
    assert.deepStrictEqual(legacy(model, { registration_ids: ["x", "y"] }).json.results, [
      { error: "NotRegistered" },
      { error: "NotRegistered" }
    ])
  })

  it("a seeded mix is deterministic per seed and token, and retries redraw", () => {
    const rates = { unavailable: 0.3, notRegistered: 0.1, reset: 0.05 }
    const run = (seed: number) => {
      const model = makeModel({ scenarios: { default: Scenario.mix({ seed, rates }) } })
      const tokens = Array.from({ length: 400 }, (_, i) => `tok-${i}`)
      const first = legacy(model, { registration_ids: tokens.slice(0, 200) })
      const perToken = tokens.slice(200).map((t) => {
        const r = v1(model, { message: { token: t } })
        return r.response.fault?._tag ?? r.status
      })
      return {
        first: first.response.fault ? "fault" : first.text.replace(/"(message_id|multicast_id)":("[^"]*"|\d+)/g, ""),
        perToken
      }
    }
    const a = run(42)
    const b = run(42)
    const c = run(43)
    assert.deepStrictEqual(a, b)
    assert.notDeepEqual(a.perToken, c.perToken)
    const count = (x: unknown) => a.perToken.filter((s) => s === x).length
    assert.isTrue(count(503) > 30 && count(503) < 95, `unavailable ${count(503)}`)
    assert.isTrue(count(404) > 5 && count(404) < 40, `notRegistered ${count(404)}`)
    assert.isTrue(count("Reset") > 0 && count("Reset") < 25, `reset ${count("Reset")}`)

    const model = makeModel({ scenarios: { default: Scenario.mix({ seed: 7, rates: { unavailable: 0.5 } }) } })
    let delivered = 0
    for (let i = 0; i < 50; i++) {
      for (let attempt = 0; attempt < 20; attempt++) {
        if (v1(model, { message: { token: `r-${i}` } }).status === 200) {
          delivered++
          break
        }
      }
    }
    assert.strictEqual(delivered, 50)
  })

  it("reads scenarios from JSON", () => {
    assert.deepStrictEqual(Scenario.decodeUnknownSync("notRegistered"), Scenario.notRegistered)
    assert.deepStrictEqual(Scenario.decodeUnknownSync("htmlBadGateway"), Scenario.htmlError({ status: 502 }))
    assert.deepStrictEqual(Scenario.decodeUnknownSync("goAway"), Scenario.goAway())
    assert.deepStrictEqual(
      Scenario.decodeUnknownSync({ _tag: "Unavailable", times: 2, retryAfter: 5 }),
      Scenario.unavailable({ times: 2, retryAfter: 5 })
    )
    assert.deepStrictEqual(
      Scenario.decodeUnknownSync({ _tag: "Sequence", steps: ["reset", { _tag: "Latency", millis: 5 }] }),
      Scenario.sequence(Scenario.reset, Scenario.latency(5))
    )
    const error = (u: unknown): string => Either.getOrThrow(Either.flip(Scenario.decodeUnknown(u)))
    assert.match(error({ _tag: "Nope" }), /^_tag: Expected "Delivered" \| .*, actual "Nope"$/)
    assert.match(
      error({ _tag: "LegacyError", code: "Nope" }),
      /^code: expected one of "MissingRegistration", "InvalidRegistration", /
    )
    assert.match(error("nonsense"), /^unknown scenario "nonsense" \(one of delivered, canonical, notRegistered, /)
    assert.strictEqual(error({ _tag: "Unavailable", times: "twice" }), "times: Expected number, actual \"twice\"")
    assert.strictEqual(
      error({ _tag: "Unavailable", level: "everything" }),
      "level: expected one of \"token\", \"request\""
    )
    assert.strictEqual(
      error({ _tag: "Sequence", steps: ["reset", { _tag: "Latency", then: "nonsense" }] }).split(" (")[0],
      "steps.1.then: unknown scenario \"nonsense\""
    )
    assert.match(error({ _tag: "Mix", rates: {} }), /^seed: is missing$/)
    assert.match(error({ _tag: "Mix", seed: 1, rates: { unavailable: -1 } }), /^rates\.unavailable: /)
  })
})

describe("OAuth2 token endpoint", () => {
  const form = (assertion: string, grant = "urn:ietf:params:oauth:grant-type:jwt-bearer") =>
    new URLSearchParams({ grant_type: grant, assertion }).toString()
  const exchange = (model: ReturnType<typeof makeModel>, assertion: string, now = NOW, path = "/token") =>
    call(model, {
      path,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form(assertion),
      now
    })
  const iat = Math.floor(NOW / 1000)

  it("issues an access token for a correctly signed assertion, usable on v1", () => {
    const model = makeModel({ accessTokenLifetime: 1800 })
    const r = exchange(model, ServiceAccount.signAssertion(account, { issuedAt: iat }))
    assert.strictEqual(r.status, 200)
    assert.deepStrictEqual(Object.keys(r.json).sort(), ["access_token", "expires_in", "token_type"])
    assert.strictEqual(r.json.token_type, "Bearer")
    assert.strictEqual(r.json.expires_in, 1800)
    const send = v1(model, { message: { token: "t" } }, { token: r.json.access_token })
    assert.strictEqual(send.status, 200)
    assert.strictEqual(
      v1(model, { message: { token: "t" } }, { token: r.json.access_token, now: NOW + 1800_000 }).status,
      401
    )
    assert.strictEqual(model.counters().accessTokens, 1)
  })

  it("accepts the cloud-platform scope, any host for the audience, and the old endpoint path", () => {
    const model = makeModel()
    const ok = [
      ServiceAccount.signAssertion(account, { issuedAt: iat, scope: `openid ${ServiceAccount.cloudPlatformScope}` }),
      ServiceAccount.signAssertion(account, { issuedAt: iat, audience: "http://127.0.0.1:9/token" }),
      ServiceAccount.signAssertion(account, { issuedAt: iat, audience: "https://accounts.google.com/o/oauth2/token" }),
      ServiceAccount.signAssertion(account, { issuedAt: iat + 50 })
    ]
    for (const a of ok) assert.strictEqual(exchange(model, a).status, 200)
    assert.strictEqual(exchange(model, ok[0]!, NOW, "/o/oauth2/token").status, 200)
  })

  it("rejects bad signatures, claims and grants", () => {
    const model = makeModel()
    const expectError = (assertion: string, error: string, description: RegExp) => {
      const r = exchange(model, assertion)
      assert.strictEqual(r.status, 400)
      assert.strictEqual(r.json.error, error)
      assert.match(r.json.error_description, description)
    }
    // signed by another key but claiming the trusted account
    const forged = ServiceAccount.signAssertion(
      { ...stranger, client_email: account.client_email, private_key_id: account.private_key_id },
      { issuedAt: iat }
    )
    expectError(forged, "invalid_grant", /^Invalid JWT Signature\.$/)
    const good = ServiceAccount.signAssertion(account, { issuedAt: iat })
    const [h, c, s] = good.split(".") as [string, string, string]
    const claims = JSON.parse(Buffer.from(c, "base64url").toString())
    const tampered = `${h}.${
      Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 100 })).toString("base64url")
    }.${s}`
    expectError(tampered, "invalid_grant", /^Invalid JWT Signature\.$/)
    expectError(ServiceAccount.signAssertion(stranger, { issuedAt: iat }), "invalid_grant", /account not found/)
    expectError(
      ServiceAccount.signAssertion(account, { issuedAt: iat, scope: "https://www.googleapis.com/auth/userinfo.email" }),
      "invalid_scope",
      /scope/
    )
    expectError(
      ServiceAccount.signAssertion(account, { issuedAt: iat, audience: "https://oauth2.googleapis.com/other" }),
      "invalid_grant",
      /audience/
    )
    expectError(ServiceAccount.signAssertion(account, { issuedAt: iat - 3700 }), "invalid_grant", /iat and exp/)
    expectError(ServiceAccount.signAssertion(account, { issuedAt: iat + 120 }), "invalid_grant", /iat and exp/)
    expectError(
      ServiceAccount.signAssertion(account, { issuedAt: iat, lifetime: 3601 }),
      "invalid_grant",
      /iat and exp/
    )
    expectError("not-a-jwt", "invalid_grant", /Invalid JWT/)
    const wrongGrant = call(model, {
      path: "/token",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form(good, "client_credentials")
    })
    assert.strictEqual(wrongGrant.json.error, "unsupported_grant_type")
    const none = call(model, {
      path: "/token",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
    })
    assert.strictEqual(none.json.error, "invalid_request")
    assert.strictEqual(model.counters().accessTokens, 0)
  })

  it("trusts public keys given without the private key", () => {
    const model = makeModel({
      serviceAccounts: [{ clientEmail: stranger.client_email, publicKey: ServiceAccount.trust(stranger).publicKey }]
    })
    assert.strictEqual(exchange(model, ServiceAccount.signAssertion(stranger, { issuedAt: iat })).status, 200)
    assert.strictEqual(exchange(model, ServiceAccount.signAssertion(account, { issuedAt: iat })).status, 400)
  })

  it("queued faults on the token route", () => {
    const model = makeModel()
    const good = ServiceAccount.signAssertion(account, { issuedAt: iat })
    model.enqueue("token", Scenario.unavailable({ retryAfter: 2 }))
    const r = exchange(model, good)
    assert.strictEqual(r.status, 503)
    assert.strictEqual(r.headers["retry-after"], "2")
    model.enqueue("token", Scenario.unauthenticated())
    assert.deepStrictEqual(exchange(model, good).json, {
      error: "invalid_grant",
      error_description: "Invalid JWT Signature."
    })
    model.enqueue("token", Scenario.reset)
    assert.deepStrictEqual(exchange(model, good).response.fault, { _tag: "Reset" })
    assert.strictEqual(exchange(model, good).status, 200)
  })
})

describe("metadata server, 404 and inspection", () => {
  it("serves a token and the project id with Metadata-Flavor: Google", () => {
    const model = makeModel()
    const path = "/computeMetadata/v1/instance/service-accounts/default/token"
    const denied = call(model, { method: "GET", path })
    assert.strictEqual(denied.status, 403)
    assert.include(denied.text, "Metadata-Flavor")
    const r = call(model, { method: "GET", path: `${path}?scopes=x`, headers: { "metadata-flavor": "Google" } })
    assert.strictEqual(r.status, 200)
    assert.strictEqual(r.headers["metadata-flavor"], "Google")
    assert.strictEqual(r.json.token_type, "Bearer")
    assert.strictEqual(v1(model, { message: { token: "t" } }, { token: r.json.access_token }).status, 200)
    const p = call(model, {
      method: "GET",
      path: "/computeMetadata/v1/project/project-id",
      headers: { "metadata-flavor": "Google" }
    })
    assert.strictEqual(p.text, "proj-a")
    const e = call(model, {
      method: "GET",
      path: "/computeMetadata/v1/instance/service-accounts/default/email",
      headers: { "metadata-flavor": "Google" }
    })
    assert.strictEqual(e.text, account.client_email)
  })

  it("answers unknown routes with Google's 404 HTML", () => {
    const model = makeModel()
    for (const [method, path] of [["POST", "/batch"], ["GET", "/fcm/send"], ["GET", "/"]] as const) {
      const r = call(model, { method, path })
      assert.strictEqual(r.status, 404)
      assert.match(r.headers["content-type"]!, /text\/html/)
      assert.include(r.text, "Error 404 (Not Found)")
      assert.include(r.text, `<code>${path}</code>`)
    }
    assert.strictEqual(model.counters().routes.unknown, 3)
  })

  it("records into a bounded ring, can stop recording, and counts per route, status and protocol", () => {
    const model = makeModel({ recordCapacity: 3 })
    for (let i = 0; i < 5; i++) legacy(model, { to: `t${i}` })
    v1(model, { message: { token: "x" } })
    const recs = model.records()
    assert.strictEqual(recs.length, 3)
    assert.deepStrictEqual(recs.map((r) => r.seq), [4, 5, 6])
    assert.deepStrictEqual(recs[0]!.target, { _tag: "Token", token: "t3" })
    assert.strictEqual(recs[0]!.time, NOW)
    assert.deepStrictEqual(recs[0]!.outcomes, ["delivered"])
    assert.strictEqual(recs[2]!.protocol, "v1")
    model.setRecording(false)
    legacy(model, { to: "z" })
    assert.strictEqual(model.records().length, 3)
    const c = model.counters()
    assert.strictEqual(c.requests, 7)
    assert.deepStrictEqual(c.routes, { legacy: 6, v1: 1 })
    assert.deepStrictEqual(c.protocols, { legacy: 6, v1: 1 })
    assert.deepStrictEqual(c.statuses, { "200": 7 })
    assert.deepStrictEqual(c.httpVersions, { test: 7 })
    assert.strictEqual(c.delivered, 7)
    model.reset()
    assert.strictEqual(model.records().length, 0)
    assert.strictEqual(model.counters().requests, 0)
    const off = makeModel({ record: false })
    legacy(off, { to: "a" })
    assert.strictEqual(off.records().length, 0)
    assert.strictEqual(off.counters().delivered, 1)
  })

  it("control routes change scenarios and report counters", () => {
    const model = makeModel()
    const set = call(model, {
      path: "/__emulator/scenarios",
      body: { tokens: { a: "notRegistered" }, enqueue: [{ route: "v1", scenario: { _tag: "Unavailable" }, count: 1 }] }
    })
    assert.strictEqual(set.status, 200)
    assert.strictEqual(v1(model, { message: { token: "b" } }).status, 503)
    assert.strictEqual(v1(model, { message: { token: "a" } }).status, 404)
    const counters = call(model, { method: "GET", path: "/__emulator/counters" })
    assert.strictEqual(counters.json.requests, 2)
    assert.strictEqual(call(model, { path: "/__emulator/scenarios", body: { default: { _tag: "Bogus" } } }).status, 400)
    assert.strictEqual(call(model, { path: "/__emulator/reset" }).status, 200)
    assert.strictEqual(model.counters().requests, 0)
    assert.strictEqual(v1(model, { message: { token: "a" } }).status, 200)
  })
})

describe("control route", () => {
  it("GET /__emulator/scenarios says how to use it; POST applies a body in order, or refuses it naming the field", () => {
    const model = makeModel({ scenarios: { prefixes: { "old-": Scenario.notRegistered } } })
    const usage = call(model, { method: "GET", path: "/__emulator/scenarios" })
    assert.strictEqual(usage.status, 405)
    assert.strictEqual(usage.headers.allow, "POST")
    assert.strictEqual(usage.json.error, "use POST")
    assert.deepStrictEqual(Object.keys(usage.json.usage.fields), ["clear", "default", "tokens", "prefixes", "enqueue"])
    // the example it gives is a valid body
    assert.strictEqual(call(model, { path: "/__emulator/scenarios", body: usage.json.usage.example }).status, 200)
    assert.deepStrictEqual(v1(model, { message: { token: "device-gone" } }).response.fault, { _tag: "Reset" })
    assert.strictEqual(v1(model, { message: { token: "device-gone" } }).status, 404)

    const refused = (body: unknown) => {
      const r = call(model, { path: "/__emulator/scenarios", body })
      assert.strictEqual(r.status, 400)
      return r.json.error as string
    }
    assert.strictEqual(
      refused({ tokens: { a: { _tag: "Unavailable", times: "2" } } }),
      "tokens.a.times: Expected number, actual \"2\""
    )
    assert.strictEqual(
      refused({ enqueue: [{ route: "v2", scenario: "reset" }] }),
      "enqueue.0.route: expected one of \"legacy\", \"v1\", \"token\", \"metadata\", \"any\""
    )
    assert.strictEqual(
      refused({ enqueue: [{ scenario: "reset", count: 0 }] }),
      "enqueue.0.count: Expected a positive number, actual 0"
    )
    assert.match(refused({ default: "bogus" }), /^default: unknown scenario "bogus"/)
    assert.match(refused([]), /^Expected \{ readonly clear\?: boolean \| undefined; /)
    // nothing of a refused body is applied
    assert.strictEqual(refused({ tokens: { "device-gone": null }, default: "bogus" }).split(":")[0], "default")
    assert.strictEqual(v1(model, { message: { token: "device-gone" } }).status, 404)

    // null removes; clear comes first, then default, tokens, prefixes, enqueue
    const applied = call(model, {
      path: "/__emulator/scenarios",
      body: {
        clear: true,
        default: "senderMismatch",
        tokens: { "device-gone": null, kept: "delivered" },
        prefixes: { "flaky-": { _tag: "Unavailable", times: 1 } },
        enqueue: [{ route: "legacy", scenario: "hang", count: 2 }]
      }
    })
    assert.strictEqual(applied.status, 200)
    assert.strictEqual(v1(model, { message: { token: "device-gone" } }).status, 403) // the default now
    assert.strictEqual(v1(model, { message: { token: "old-1" } }).status, 403) // the configured prefix was cleared
    assert.strictEqual(v1(model, { message: { token: "kept" } }).status, 200)
    assert.strictEqual(v1(model, { message: { token: "flaky-1" } }).status, 503)
    assert.strictEqual(v1(model, { message: { token: "flaky-1" } }).status, 200)
    assert.deepStrictEqual(legacy(model, { to: "kept" }).response.fault, { _tag: "Hang" })
    assert.deepStrictEqual(legacy(model, { to: "kept" }).response.fault, { _tag: "Hang" })
    assert.strictEqual(legacy(model, { to: "kept" }).status, 200)
  })
})

describe("every scenario, in each protocol's terms", () => {
  // Adding a scenario to the union makes this record incomplete (a type error) until it has a sample here, and the
  // routes' exhaustive switches (legacyRoute, v1Route, faults) incomplete until they render it.
  const samples: Record<Scenario.Scenario["_tag"], Scenario.Encoded> = {
    Delivered: "delivered",
    Canonical: "canonical",
    NotRegistered: "notRegistered",
    InvalidToken: "invalidToken",
    SenderMismatch: "senderMismatch",
    ThirdPartyAuthError: "thirdPartyAuthError",
    LegacyError: { _tag: "LegacyError", code: "InvalidTtl" },
    Unavailable: "unavailable",
    InternalError: "internalError",
    QuotaExceeded: { _tag: "QuotaExceeded", variant: "project" },
    Reset: "reset",
    Hang: "hang",
    GoAway: "goAway",
    MalformedJson: "malformedJson",
    HtmlError: "htmlError",
    EmptyBody: "emptyBody",
    Unauthenticated: "unauthenticated",
    BadRequest: "badRequest",
    Latency: { _tag: "Latency", millis: 1, then: "notRegistered" },
    Sequence: { _tag: "Sequence", steps: ["senderMismatch"] },
    Mix: { _tag: "Mix", seed: 1, rates: { thirdPartyAuthError: 1 } }
  }

  it("the union's tags are the samples' (one place lists every scenario)", () => {
    assert.deepStrictEqual([...Scenario.tags].sort(), Object.keys(samples).sort())
  })

  for (const [tag, sample] of Object.entries(samples)) {
    it(`${tag}: v1 answers a google.rpc status with v1's own code, legacy a legacy code or a whole-request answer`, () => {
      const scenario = Scenario.decodeUnknownSync(sample)
      const model = makeModel({ scenarios: { default: scenario } })
      const a = v1(model, { message: { token: "t" } })
      const b = legacy(model, { registration_ids: ["t"] })
      if (a.response.fault !== undefined) {
        assert.deepStrictEqual(b.response.fault, a.response.fault)
        return
      }
      if (a.json?.name !== undefined) {
        assert.match(a.json.name, /^projects\/proj-a\/messages\//)
        assert.match(b.json.results[0].message_id, /^0:/)
        return
      }
      if (a.json?.error === undefined) {
        // a transport-level page or body, the same on both routes
        assert.include(["HtmlError", "EmptyBody", "MalformedJson"], tag)
        assert.strictEqual(b.status, a.status)
        return
      }
      // v1: google.rpc.Status, and for a rejection of the message an FcmError code (or the project quota's ErrorInfo)
      assert.strictEqual(a.json.error.code, a.status)
      assert.match(a.json.error.status, /^[A-Z_]+$/)
      const rejection = Schema.is(Scenario.Rejection)(scenario) || ["Latency", "Sequence", "Mix"].includes(tag)
      if (rejection) {
        const detail = a.json.error.details.find((d: { "@type": string }) =>
          d["@type"] === FCM_ERROR || d["@type"] === ERROR_INFO
        )
        assert.match(detail.errorCode ?? detail.reason, /^[A-Z_]+$/)
      }
      // legacy: a legacy error code in the token's result, or the whole request answered in legacy's terms
      if (b.status === 200) {
        assert.include(Scenario.legacyErrorCodes, b.json.results[0].error)
      } else {
        assert.notInclude(b.text, "\"error\":{")
        assert.include([400, 401, 429, 500, 503], b.status)
      }
    })
  }
})
