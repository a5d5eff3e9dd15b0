/**
 * Which certificate authorities a TLS connection trusts: Node's bundled roots (`tls.rootCertificates`) plus the
 * client's `ca` option. Node's own `ca` option replaces the bundled roots rather than adding to them, so the pool
 * builds the secure context itself, once per distinct set of certificates in the process (parsing the bundled
 * roots takes tens of milliseconds: never once per connection).
 *
 * @internal
 */
import * as tls from "node:tls"

/** @internal */
export type Certificates = string | Buffer | ReadonlyArray<string | Buffer>

/**
 * The certificates a connection trusts when `ca` is given: the bundled roots, then `ca`.
 *
 * @internal
 */
export const trustedCertificates = (ca: Certificates): Array<string | Buffer> => [
  ...tls.rootCertificates,
  ...(typeof ca === "string" || Buffer.isBuffer(ca) ? [ca] : ca)
]

const contexts = new Map<string, tls.SecureContext>()
const MAX_CONTEXTS = 16

const keyOf = (ca: Certificates): string =>
  typeof ca === "string" || Buffer.isBuffer(ca) ? ca.toString() : ca.map((c) => c.toString()).join("\n")

/**
 * The secure context trusting the bundled roots and `ca`, shared by every pool of the process given the same
 * certificates.
 *
 * @internal
 */
export const secureContextFor = (ca: Certificates): tls.SecureContext => {
  const key = keyOf(ca)
  let context = contexts.get(key)
  if (context === undefined) {
    if (contexts.size >= MAX_CONTEXTS) contexts.clear()
    context = tls.createSecureContext({ ca: trustedCertificates(ca) })
    contexts.set(key, context)
  }
  return context
}
