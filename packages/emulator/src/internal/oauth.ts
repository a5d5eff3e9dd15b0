import * as crypto from "node:crypto"
import * as ServiceAccount from "../ServiceAccount.js"

/** @internal */
export interface TrustedKey {
  readonly clientEmail: string
  readonly key: crypto.KeyObject
  readonly keyId: string | undefined
  readonly projectId: string | undefined
}

/** @internal */
export const toTrustedKey = (account: ServiceAccount.ServiceAccountKey | ServiceAccount.Trusted): TrustedKey => {
  const t = ServiceAccount.isServiceAccountKey(account) ? ServiceAccount.trust(account) : account
  return {
    clientEmail: t.clientEmail,
    key: typeof t.publicKey === "string" ? crypto.createPublicKey(t.publicKey) : t.publicKey,
    keyId: t.privateKeyId,
    projectId: t.projectId
  }
}

/** The paths of Google's token endpoints, accepted as the JWT audience on any host. @internal */
export const TOKEN_PATHS: ReadonlySet<string> = new Set(["/token", "/o/oauth2/token", "/oauth2/v4/token"])

/** @internal */
export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"

/** @internal */
export type Verified =
  | { readonly ok: true; readonly account: TrustedKey }
  | { readonly ok: false; readonly error: string; readonly description: string }

const invalidGrant = (description: string): Verified => ({ ok: false, error: "invalid_grant", description })

/** @internal */
export const INVALID_SIGNATURE = "Invalid JWT Signature."
/** @internal */
export const INVALID_TIMES =
  "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."

const decodeJson = (segment: string): Record<string, unknown> | undefined => {
  try {
    const u: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"))
    return typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

const SCOPES: ReadonlySet<string> = new Set([ServiceAccount.firebaseMessagingScope, ServiceAccount.cloudPlatformScope])

const audienceOk = (aud: unknown): boolean => {
  const check = (a: unknown): boolean => {
    if (typeof a !== "string") return false
    try {
      return TOKEN_PATHS.has(new URL(a).pathname)
    } catch {
      return false
    }
  }
  return Array.isArray(aud) ? aud.some(check) : check(aud)
}

/**
 * Verifies a JWT-bearer assertion: RS256 signature by a trusted service
 * account, then audience, times and scope.
 *
 * @internal
 */
export const verifyAssertion = (
  assertion: string,
  trusted: ReadonlyMap<string, TrustedKey>,
  nowSeconds: number,
  skewSeconds: number
): Verified => {
  const parts = assertion.split(".")
  if (parts.length !== 3) return invalidGrant("Invalid JWT: the assertion must have three segments.")
  const [h, c, s] = parts as [string, string, string]
  const header = decodeJson(h)
  const claims = decodeJson(c)
  if (header === undefined || claims === undefined) return invalidGrant("Invalid JWT: the assertion is not valid JSON.")
  if (header.alg !== "RS256") return invalidGrant(INVALID_SIGNATURE)
  const iss = claims.iss
  const account = typeof iss === "string" ? trusted.get(iss) : undefined
  if (account === undefined) return invalidGrant("Invalid grant: account not found")
  if (typeof header.kid === "string" && account.keyId !== undefined && header.kid !== account.keyId) {
    return invalidGrant(INVALID_SIGNATURE)
  }
  let valid = false
  try {
    valid = crypto.verify("RSA-SHA256", Buffer.from(`${h}.${c}`), account.key, Buffer.from(s, "base64url"))
  } catch {
    valid = false
  }
  if (!valid) return invalidGrant(INVALID_SIGNATURE)
  if (!audienceOk(claims.aud)) {
    return invalidGrant(
      `Invalid JWT: Failed audience check. The right audience is ${ServiceAccount.defaultTokenUri}`
    )
  }
  const iat = claims.iat
  const exp = claims.exp
  if (
    typeof iat !== "number" || typeof exp !== "number" || iat > nowSeconds + skewSeconds || exp <= nowSeconds ||
    exp <= iat || exp - iat > 3600
  ) {
    return invalidGrant(INVALID_TIMES)
  }
  const scope = claims.scope
  if (typeof scope !== "string" || !scope.split(/\s+/).some((x) => SCOPES.has(x))) {
    return { ok: false, error: "invalid_scope", description: "Invalid OAuth scope or ID token audience provided." }
  }
  return { ok: true, account }
}
