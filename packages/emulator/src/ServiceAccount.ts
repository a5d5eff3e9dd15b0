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
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Effect, Layer } from "effect"
 *
 * // a key file's contents, for credentials that sign in against an emulator
 * const TestCredentials = Layer.unwrapEffect(Effect.map(
 *   ServiceAccount.sharedDefault(),
 *   (key: ServiceAccount.ServiceAccountKey) => Credentials.layerServiceAccount(key)
 * ))
 * ```
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
 * @example
 * ```ts
 * import { Model, ServiceAccount } from "@effect-fcm/emulator"
 *
 * // trust a key without holding its private key
 * const key = ServiceAccount.unsafeGenerate({ projectId: "my-project" })
 * const trusted: ServiceAccount.Trusted = ServiceAccount.trust(key)
 * const model = Model.make({ projectId: "my-project", serviceAccounts: [trusted] })
 * ```
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
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 *
 * const options: ServiceAccount.GenerateOptions = {
 *   projectId: "my-project",
 *   clientEmail: "sender@my-project.iam.gserviceaccount.com",
 *   tokenUri: "http://127.0.0.1:8085/token"
 * }
 * const key = ServiceAccount.generate(options)
 * ```
 *
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
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 *
 * const key = ServiceAccount.unsafeGenerate()
 * const assertion = ServiceAccount.signAssertion(key, { scope: ServiceAccount.firebaseMessagingScope })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const firebaseMessagingScope = "https://www.googleapis.com/auth/firebase.messaging"

/**
 * The broad Google Cloud scope, also accepted by FCM.
 *
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 *
 * const key = ServiceAccount.unsafeGenerate()
 * const assertion = ServiceAccount.signAssertion(key, { scope: ServiceAccount.cloudPlatformScope })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

/**
 * Google's token endpoint, the default `token_uri` and JWT audience.
 *
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const key = yield* ServiceAccount.sharedDefault()
 *   assert.strictEqual(key.token_uri, ServiceAccount.defaultTokenUri) // the fake answers it
 * })
 *
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTokenUri = "https://oauth2.googleapis.com/token"

/**
 * The project of generated service accounts when none is given.
 *
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const key = yield* ServiceAccount.sharedDefault()
 *   assert.strictEqual(key.project_id, ServiceAccount.defaultProjectId)
 * })
 *
 * Effect.runPromise(program)
 * ```
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
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const key = yield* ServiceAccount.generate({ projectId: "my-project" })
 *   assert.ok(key.private_key.startsWith("-----BEGIN PRIVATE KEY-----"))
 *   assert.ok(key.client_email.endsWith("@my-project.iam.gserviceaccount.com"))
 * })
 *
 * Effect.runPromise(program)
 * ```
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
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 *
 * const key = ServiceAccount.unsafeGenerate({ projectId: "my-project" })
 * assert.strictEqual(key.type, "service_account")
 * ```
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
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const a = yield* ServiceAccount.sharedDefault({ projectId: "project-a" })
 *   const b = yield* ServiceAccount.sharedDefault({ projectId: "project-b" })
 *   assert.strictEqual(a.private_key, b.private_key) // one key pair per process
 * })
 *
 * Effect.runPromise(program)
 * ```
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
 * @example
 * ```ts
 * import { Model, ServiceAccount } from "@effect-fcm/emulator"
 *
 * const key = ServiceAccount.unsafeGenerate()
 * const model = Model.make()
 * model.trust(ServiceAccount.trust(key)) // same as model.trust(key)
 * ```
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
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 *
 * const key = ServiceAccount.unsafeGenerate()
 * assert.ok(ServiceAccount.isServiceAccountKey(key))
 * assert.ok(!ServiceAccount.isServiceAccountKey(ServiceAccount.trust(key)))
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isServiceAccountKey = (u: Trusted | ServiceAccountKey): u is ServiceAccountKey =>
  "private_key" in u && typeof u.private_key === "string"

const base64url = (input: string | Buffer): string => Buffer.from(input).toString("base64url")

/**
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 *
 * // an assertion the token endpoint refuses: it claims a two-hour lifetime
 * const options: ServiceAccount.AssertionOptions = { lifetime: 7200 }
 * const tooLong = ServiceAccount.signAssertion(ServiceAccount.unsafeGenerate(), options)
 * ```
 *
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
 * @example
 * ```ts
 * import { Model, ServiceAccount } from "@effect-fcm/emulator"
 *
 * const key = ServiceAccount.unsafeGenerate()
 * const model = Model.make({ serviceAccounts: [key] })
 * const response = model.handle({
 *   method: "POST",
 *   path: "/token",
 *   headers: { "content-type": "application/x-www-form-urlencoded" },
 *   body: ServiceAccount.tokenRequestBody(ServiceAccount.signAssertion(key)),
 *   now: Date.now()
 * })
 * assert.strictEqual(JSON.parse(response.body).token_type, "Bearer")
 * ```
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
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 *
 * const body = ServiceAccount.tokenRequestBody("header.claims.signature")
 * const params = new URLSearchParams(body)
 * assert.strictEqual(params.get("grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer")
 * assert.strictEqual(params.get("assertion"), "header.claims.signature")
 * ```
 *
 * @since 0.1.0
 * @category signing
 */
export const tokenRequestBody = (assertion: string): string =>
  new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }).toString()
