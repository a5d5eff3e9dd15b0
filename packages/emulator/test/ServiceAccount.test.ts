import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as crypto from "node:crypto"
import * as ServiceAccount from "../src/ServiceAccount.js"
import { account } from "./helpers.js"

describe("ServiceAccount", () => {
  it.effect("generates a service-account key file", () =>
    Effect.gen(function*() {
      const key = yield* ServiceAccount.generate({ projectId: "my-proj", tokenUri: "http://127.0.0.1:1/token" })
      assert.strictEqual(key.type, "service_account")
      assert.strictEqual(key.project_id, "my-proj")
      assert.strictEqual(key.token_uri, "http://127.0.0.1:1/token")
      assert.match(key.client_email, /@my-proj\.iam\.gserviceaccount\.com$/)
      assert.match(key.private_key_id, /^[0-9a-f]{40}$/)
      assert.match(key.client_id, /^\d{21}$/)
      assert.match(key.private_key, /^-----BEGIN PRIVATE KEY-----\n/)
      const privateKey = crypto.createPrivateKey(key.private_key)
      assert.strictEqual(privateKey.asymmetricKeyType, "rsa")
      assert.strictEqual(privateKey.asymmetricKeyDetails?.modulusLength, 2048)
      const other = yield* ServiceAccount.generate()
      assert.notStrictEqual(other.private_key, key.private_key)
      assert.strictEqual(other.project_id, ServiceAccount.defaultProjectId)
      assert.strictEqual(other.token_uri, "https://oauth2.googleapis.com/token")
    }))

  it("signs an RS256 assertion with the expected header and claims", () => {
    const key = account
    const jwt = ServiceAccount.signAssertion(key, { issuedAt: 1000, lifetime: 600, claims: { sub: "x@y" } })
    const [h, c, s] = jwt.split(".") as [string, string, string]
    assert.deepStrictEqual(JSON.parse(Buffer.from(h, "base64url").toString()), {
      alg: "RS256",
      typ: "JWT",
      kid: key.private_key_id
    })
    assert.deepStrictEqual(JSON.parse(Buffer.from(c, "base64url").toString()), {
      iss: key.client_email,
      scope: ServiceAccount.firebaseMessagingScope,
      aud: key.token_uri,
      iat: 1000,
      exp: 1600,
      sub: "x@y"
    })
    const publicKey = ServiceAccount.trust(key).publicKey
    assert.isTrue(crypto.verify("RSA-SHA256", Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s, "base64url")))
    assert.strictEqual(
      ServiceAccount.tokenRequestBody("a.b.c"),
      "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c"
    )
  })
})
