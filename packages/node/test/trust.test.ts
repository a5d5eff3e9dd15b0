import { assert, describe, it } from "@effect/vitest"
import * as tls from "node:tls"
import { secureContextFor, trustedCertificates } from "../src/internal/trust.js"

const PEM = "-----BEGIN CERTIFICATE-----\nnot parsed here\n-----END CERTIFICATE-----\n"

describe("trusted certificates", () => {
  it("the ca option adds to Node's bundled roots instead of replacing them", () => {
    const trusted = trustedCertificates(PEM)
    assert.strictEqual(trusted.length, tls.rootCertificates.length + 1)
    assert.deepStrictEqual(trusted.slice(0, -1), [...tls.rootCertificates])
    assert.strictEqual(trusted.at(-1), PEM)
    assert.deepStrictEqual(trustedCertificates([PEM, Buffer.from(PEM)]).slice(-2), [PEM, Buffer.from(PEM)])
  })

  it("one secure context per distinct set of certificates, shared by every pool", () => {
    const [root] = tls.rootCertificates
    const a = secureContextFor(root!)
    assert.strictEqual(secureContextFor(root!), a)
    assert.strictEqual(secureContextFor(Buffer.from(root!)), a)
    assert.notStrictEqual(secureContextFor([root!, tls.rootCertificates[1]!]), a)
  })
})
