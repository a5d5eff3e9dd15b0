/**
 * RS256 JSON Web Tokens on WebCrypto: PEM decoding, key import, signing. Runs wherever `globalThis.crypto.subtle`
 * exists (Node 20+, Deno, Bun, workers, browsers). Nothing here logs or throws key material.
 *
 * @internal
 */

/**
 * The RSASSA-PKCS1-v1_5 / SHA-256 algorithm that RS256 names.
 *
 * @internal
 */
export const RS256: RsaHashedImportParams = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }

/**
 * Why a PEM string could not be turned into a private key. The text is safe to show: it never quotes the key.
 *
 * @internal
 */
export type PemProblem =
  | { readonly _tag: "NotPem" }
  | { readonly _tag: "WrongLabel"; readonly label: string }
  | { readonly _tag: "BadBase64" }

const textEncoder = new TextEncoder()

/**
 * Encodes bytes as unpadded base64url (RFC 7515 §2).
 *
 * @internal
 */
export const base64UrlEncode = (bytes: Uint8Array): string => {
  let binary = ""
  const chunk = 0x8000
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk))
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

/**
 * Decodes unpadded or padded base64url or base64. Returns `undefined` when the text is not base64.
 *
 * @internal
 */
export const base64Decode = (text: string): Uint8Array<ArrayBuffer> | undefined => {
  const normalised = text.replace(/-/g, "+").replace(/_/g, "/")
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalised)) return undefined
  const padded = normalised.replace(/=+$/, "")
  if (padded.length % 4 === 1) return undefined
  let binary: string
  try {
    binary = atob(padded + "=".repeat((4 - (padded.length % 4)) % 4))
  } catch {
    return undefined
  }
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/**
 * Encodes a JSON value as one JWT segment.
 *
 * @internal
 */
export const encodeSegment = (value: unknown): string => base64UrlEncode(textEncoder.encode(JSON.stringify(value)))

/**
 * Extracts the DER bytes of a PKCS#8 `-----BEGIN PRIVATE KEY-----` block.
 *
 * Keys pasted into environment variables often carry literal `\n` sequences instead of line breaks; those are
 * accepted, as is surrounding whitespace.
 *
 * @internal
 */
export const pemToPkcs8 = (pem: string): Uint8Array<ArrayBuffer> | PemProblem => {
  const text = pem.replace(/\\r/g, "").replace(/\\n/g, "\n")
  const match = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(text)
  if (match === null) return { _tag: "NotPem" }
  const label = match[1] ?? ""
  if (label !== "PRIVATE KEY") return { _tag: "WrongLabel", label }
  const body = (match[2] ?? "").replace(/\s+/g, "")
  if (body.length === 0) return { _tag: "BadBase64" }
  const der = base64Decode(body)
  return der === undefined ? { _tag: "BadBase64" } : der
}

/**
 * Imports PKCS#8 DER bytes as a non-extractable RS256 signing key.
 *
 * @internal
 */
export const importRs256PrivateKey = (pkcs8: Uint8Array<ArrayBuffer>): Promise<CryptoKey> =>
  globalThis.crypto.subtle.importKey("pkcs8", pkcs8, RS256, false, ["sign"])

/**
 * Signs `header.claims` with RS256 and returns the compact JWT.
 *
 * @internal
 */
export const signRs256 = async (
  key: CryptoKey,
  header: Readonly<Record<string, unknown>>,
  claims: Readonly<Record<string, unknown>>
): Promise<string> => {
  const signingInput = `${encodeSegment({ ...header, alg: "RS256" })}.${encodeSegment(claims)}`
  const signature = await globalThis.crypto.subtle.sign(RS256, key, textEncoder.encode(signingInput))
  return `${signingInput}.${base64UrlEncode(new Uint8Array(signature))}`
}

/**
 * The claims of an OAuth2 JWT-bearer assertion for a Google service account.
 *
 * @internal
 */
export interface AssertionClaims {
  readonly iss: string
  readonly scope: string
  readonly aud: string
  readonly iat: number
  readonly exp: number
}

/**
 * Builds the header and claims of a service-account assertion (pure).
 *
 * @internal
 */
export const assertionParts = (options: {
  readonly clientEmail: string
  readonly privateKeyId: string
  readonly tokenUri: string
  readonly scopes: ReadonlyArray<string>
  readonly nowMillis: number
  readonly lifetimeSeconds: number
}): { readonly header: Record<string, unknown>; readonly claims: AssertionClaims } => {
  const iat = Math.floor(options.nowMillis / 1000)
  return {
    header: { alg: "RS256", typ: "JWT", kid: options.privateKeyId },
    claims: {
      iss: options.clientEmail,
      scope: options.scopes.join(" "),
      aud: options.tokenUri,
      iat,
      exp: iat + options.lifetimeSeconds
    }
  }
}

/**
 * Replaces anything shaped like a compact JWS/JWT (three base64url segments) and every given secret in text that
 * came from a server, so that an endpoint echoing a request cannot smuggle a credential into an error.
 *
 * @internal
 */
export const scrub = (text: string, secrets: ReadonlyArray<string> = []): string => {
  let out = text
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join("<redacted>")
  }
  return out
    .replace(/[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, "<redacted>")
    .replace(/ya29\.[A-Za-z0-9._-]+/g, "<redacted>")
}
