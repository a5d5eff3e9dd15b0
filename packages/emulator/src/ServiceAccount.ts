/**
 * Throwaway Google service accounts that the emulator trusts, and the signed
 * JWT assertion that exchanges one for an access token.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as crypto from "node:crypto"
import { promisify } from "node:util"

/**
 * A service-account key file, as downloaded from the Google Cloud console.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServiceAccountKey {
  readonly type: "service_account"
  readonly project_id: string
  readonly private_key_id: string
  readonly private_key: string
  readonly client_email: string
  readonly client_id: string
  readonly auth_uri: string
  readonly token_uri: string
  readonly auth_provider_x509_cert_url: string
  readonly client_x509_cert_url: string
  readonly universe_domain: string
}

/**
 * What the emulator needs to trust a service account: its e-mail and public
 * key.
 *
 * @since 0.1.0
 * @category models
 */
export interface Trusted {
  readonly clientEmail: string
  readonly publicKey: string | crypto.KeyObject
  readonly privateKeyId?: string
  readonly projectId?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface GenerateOptions {
  readonly projectId?: string
  readonly tokenUri?: string
  readonly clientEmail?: string
}

/**
 * The OAuth2 scope of the FCM HTTP v1 API.
 *
 * @since 0.1.0
 * @category constants
 */
export const firebaseMessagingScope = "https://www.googleapis.com/auth/firebase.messaging"

/**
 * The broad Google Cloud scope, also accepted by FCM.
 *
 * @since 0.1.0
 * @category constants
 */
export const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

/**
 * Google's token endpoint, the default `token_uri` and JWT audience.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTokenUri = "https://oauth2.googleapis.com/token"

/**
 * The project of generated service accounts when none is given.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultProjectId = "emulator-project"

const generateKeyPair = promisify(crypto.generateKeyPair)

const rsaOptions = {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" }
} as const

const build = (privateKey: string, options: GenerateOptions): ServiceAccountKey => {
  const projectId = options.projectId ?? defaultProjectId
  const id = crypto.randomBytes(20).toString("hex")
  const clientId = "1" + Array.from(crypto.randomBytes(20), (b) => b % 10).join("")
  const clientEmail = options.clientEmail ?? `fcm-emulator-${id.slice(0, 8)}@${projectId}.iam.gserviceaccount.com`
  return {
    type: "service_account",
    project_id: projectId,
    private_key_id: id,
    private_key: privateKey,
    client_email: clientEmail,
    client_id: clientId,
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: options.tokenUri ?? defaultTokenUri,
    auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
    universe_domain: "googleapis.com"
  }
}

/**
 * Generates a throwaway service-account key (RSA 2048, PKCS#8 PEM).
 *
 * @since 0.1.0
 * @category constructors
 */
export const generate = (options: GenerateOptions = {}): Effect.Effect<ServiceAccountKey> =>
  Effect.promise(() => generateKeyPair("rsa", rsaOptions)).pipe(
    Effect.map(({ privateKey }) => build(privateKey, options))
  )

/**
 * Synchronous {@link generate}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeGenerate = (options: GenerateOptions = {}): ServiceAccountKey =>
  build(crypto.generateKeyPairSync("rsa", rsaOptions).privateKey, options)

let sharedPrivateKey: Promise<string> | undefined

/**
 * A service account whose key pair is generated once per process and then
 * reused, for emulators that need one but were not given any.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sharedDefault = (options: GenerateOptions = {}): Effect.Effect<ServiceAccountKey> =>
  Effect.promise(() => {
    if (sharedPrivateKey === undefined) {
      sharedPrivateKey = generateKeyPair("rsa", rsaOptions).then(({ privateKey }) => privateKey)
    }
    return sharedPrivateKey
  }).pipe(Effect.map((privateKey) => build(privateKey, options)))

/**
 * The trust entry of a service-account key (its public key, e-mail, key id
 * and project).
 *
 * @since 0.1.0
 * @category conversions
 */
export const trust = (key: ServiceAccountKey): Trusted => ({
  clientEmail: key.client_email,
  publicKey: crypto.createPublicKey(key.private_key),
  privateKeyId: key.private_key_id,
  projectId: key.project_id
})

/**
 * @since 0.1.0
 * @category refinements
 */
export const isServiceAccountKey = (u: Trusted | ServiceAccountKey): u is ServiceAccountKey =>
  "private_key" in u && typeof u.private_key === "string"

const base64url = (input: string | Buffer): string => Buffer.from(input).toString("base64url")

/**
 * @since 0.1.0
 * @category models
 */
export interface AssertionOptions {
  /** Issue time, in seconds since the epoch. Defaults to the current time. */
  readonly issuedAt?: number
  /** Lifetime in seconds (`exp - iat`), 3600 by default. */
  readonly lifetime?: number
  /** Space-separated scopes, `firebase.messaging` by default. */
  readonly scope?: string
  /** The token endpoint, `token_uri` of the key by default. */
  readonly audience?: string
  /** Extra claims, e.g. `sub`. */
  readonly claims?: Readonly<Record<string, unknown>>
}

/**
 * Builds and signs (RS256) the JWT assertion of the OAuth2 JWT-bearer grant:
 * header `{"alg":"RS256","typ":"JWT","kid":private_key_id}`, claims `iss`
 * (the client e-mail), `scope`, `aud` (the token endpoint), `iat` and `exp`.
 *
 * @since 0.1.0
 * @category signing
 */
export const signAssertion = (key: ServiceAccountKey, options: AssertionOptions = {}): string => {
  const iat = options.issuedAt ?? Math.floor(Date.now() / 1000)
  const header = { alg: "RS256", typ: "JWT", kid: key.private_key_id }
  const claims = {
    iss: key.client_email,
    scope: options.scope ?? firebaseMessagingScope,
    aud: options.audience ?? key.token_uri,
    iat,
    exp: iat + (options.lifetime ?? 3600),
    ...options.claims
  }
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`
  const signature = crypto.sign("RSA-SHA256", Buffer.from(input), key.private_key)
  return `${input}.${signature.toString("base64url")}`
}

/**
 * The form body of the token request for an assertion.
 *
 * @since 0.1.0
 * @category signing
 */
export const tokenRequestBody = (assertion: string): string =>
  new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }).toString()
