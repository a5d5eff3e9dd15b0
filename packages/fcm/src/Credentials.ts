/**
 * OAuth2 access tokens for the FCM HTTP v1 API.
 *
 * `Credentials` hands out a bearer token and the Firebase project id. Tokens are cached and refreshed ahead of
 * expiry; however many fibers ask at once, one refresh runs at a time. Sources:
 *
 * - a Google service account key (`layerServiceAccount`, `layerFile`, `layerConfig` for
 *   `GOOGLE_APPLICATION_CREDENTIALS`): an RS256-signed JWT assertion is exchanged at the key's `token_uri`. Key files
 *   are read through `@effect/platform`'s `FileSystem` (e.g. `NodeFileSystem.layer`); a file that is missing or
 *   unreadable is a `ConfigError` naming the path, not an `AuthenticationError`;
 * - the GCP metadata server (`layerMetadataServer`) on Compute Engine, GKE, Cloud Run and Cloud Functions;
 * - any `Effect` that yields a token (`layerEffect`), e.g. one wrapping another auth library;
 * - a fixed token (`layerStatic`), for tests and emulators.
 *
 * Token requests go through `@effect/platform`'s `HttpClient`, so a fake client or an emulator can answer them.
 * Private keys, assertions and access tokens are held as `Redacted` values and never appear in errors, logs or spans.
 *
 * This module is the service and its constructors; each source's mechanics are internal modules of their own: the
 * service account key and its token exchange (`internal/serviceAccount.ts`), the key file (`internal/keyFile.ts`),
 * the metadata server (`internal/metadataServer.ts`), the token endpoints' answers (`internal/credentialsHttp.ts`)
 * and the single-flight cache (`internal/credentialsCache.ts`).
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { NodeInspectSymbol } from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import type { AuthenticationError, TransportError } from "./FcmError.js"
import * as cache from "./internal/credentialsCache.js"
import * as keyFile from "./internal/keyFile.js"
import * as metadata from "./internal/metadataServer.js"
import * as account from "./internal/serviceAccount.js"

// -----------------------------------------------------------------------------
// constants
// -----------------------------------------------------------------------------

/**
 * The OAuth2 scope for sending with FCM.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 *
 * // the default: tokens good for FCM only
 * const Live = Credentials.layerFile("service-account.json", { scopes: [Credentials.FIREBASE_MESSAGING_SCOPE] })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const FIREBASE_MESSAGING_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"

/**
 * The broad Google Cloud scope, which also covers FCM.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 *
 * // an instance whose service account was granted the broad scope only
 * const Live = Credentials.layerMetadataServer({ scopes: [Credentials.CLOUD_PLATFORM_SCOPE] })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"

/**
 * Google's OAuth2 token endpoint, used when a service account key has no `token_uri`.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const key = Effect.runSync(Credentials.decodeServiceAccountKey({
 *   type: "service_account",
 *   project_id: "my-project",
 *   private_key_id: "0123abcd",
 *   private_key: "-----BEGIN PRIVATE KEY-----\n…\n-----END PRIVATE KEY-----\n",
 *   client_email: "sender@my-project.iam.gserviceaccount.com"
 * }))
 * assert.strictEqual(key.token_uri, Credentials.DEFAULT_TOKEN_URI) // the key named none
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_TOKEN_URI = account.DEFAULT_TOKEN_URI

/**
 * The GCP metadata server, unless `GCE_METADATA_HOST` or the `baseUrl` option says otherwise.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 *
 * // the same as Credentials.layerMetadataServer() when GCE_METADATA_HOST is not set
 * const Live = Credentials.layerMetadataServer({ baseUrl: Credentials.DEFAULT_METADATA_URL })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_METADATA_URL = metadata.DEFAULT_METADATA_URL

/**
 * How long before expiry a cached token is refreshed, unless `refreshBefore` says otherwise.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Duration } from "effect"
 *
 * // refresh tokens ten minutes before they expire instead of five
 * const refreshBefore = Duration.times(Credentials.DEFAULT_REFRESH_BEFORE, 2)
 * const Live = Credentials.layerFile("service-account.json", { refreshBefore })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_REFRESH_BEFORE: Duration.Duration = Duration.minutes(5)

/**
 * How long a token request may take, unless `timeout` says otherwise.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Duration } from "effect"
 *
 * // give a slow token endpoint a minute
 * const timeout = Duration.times(Credentials.DEFAULT_TIMEOUT, 2)
 * const Live = Credentials.layerFile("service-account.json", { timeout })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_TIMEOUT: Duration.Duration = Duration.seconds(30)

/**
 * Lifetime of a signed JWT assertion; Google accepts at most one hour.
 *
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const key = yield* Credentials.decodeServiceAccountKey(yield* ServiceAccount.sharedDefault())
 *   const jwt = Redacted.value(yield* Credentials.makeAssertion(key))
 *   const claims = JSON.parse(atob(jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")))
 *   assert.strictEqual(claims.exp - claims.iat, Credentials.ASSERTION_LIFETIME_SECONDS)
 * })
 *
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const ASSERTION_LIFETIME_SECONDS = account.ASSERTION_LIFETIME_SECONDS

// -----------------------------------------------------------------------------
// models
// -----------------------------------------------------------------------------

/**
 * What getting a token can fail with: `AuthenticationError` when the credentials are unusable or were refused
 * (malformed key, `invalid_grant`, no service account on the instance), `TransportError` with `retryable: true` when
 * the token endpoint could not be reached or answered 408/429/5xx. A failed attempt is not cached: asking again
 * makes a new request.
 *
 * @example
 * ```ts
 * import type { Credentials } from "@effect-fcm/fcm"
 *
 * const explain = (error: Credentials.CredentialsError): string =>
 *   error._tag === "AuthenticationError"
 *     ? `fix the credentials: ${error.reason}` // a bad key, invalid_grant, no service account
 *     : `the token endpoint is unreachable, try again: ${error.reason}`
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export type CredentialsError = AuthenticationError | TransportError

/**
 * The credentials service.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const credentials: Credentials.Service = yield* Credentials.Credentials
 *   const token = yield* credentials.accessToken
 *   assert.strictEqual(Redacted.value(token), "test-token")
 *   yield* credentials.invalidate(token) // after FCM answered 401 to a request made with it
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Credentials.layerStatic("test-token"))))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** A description of where tokens come from, safe to log, e.g. `service account x@y.iam.gserviceaccount.com`. */
  readonly description: string
  /** The Firebase / Google Cloud project that tokens are for, when the source knows it. */
  readonly projectId: Option.Option<string>
  /** The cached token if it is fresh, otherwise a new one (one request however many fibers ask). */
  readonly accessToken: Effect.Effect<Redacted.Redacted<string>, CredentialsError>
  /**
   * Forgets `token` if it is still the cached one, so that the next `accessToken` fetches a new token. Call it when
   * FCM answers 401 to a request made with `token`, then retry once.
   */
  readonly invalidate: (token: Redacted.Redacted<string>) => Effect.Effect<void>
}

/**
 * The credentials used to authorise FCM HTTP v1 requests.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Effect, Option } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const credentials = yield* Credentials.Credentials
 *   assert.strictEqual(credentials.description, "static token")
 *   assert.deepStrictEqual(credentials.projectId, Option.some("my-project"))
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Credentials.layerStatic("test-token", { projectId: "my-project" }))))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class Credentials extends Context.Tag("@effect-fcm/fcm/Credentials")<Credentials, Service>() {}

/**
 * A token with its expiry, as a custom source (`fromEffect`) may yield it. `expiresAt` is a `Date` or epoch
 * milliseconds; without it the token is kept until it is invalidated.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Effect, Redacted } from "effect"
 *
 * // a token source that knows when its tokens expire: they are refreshed ahead of it
 * const token: Effect.Effect<Credentials.AccessToken> = Effect.sync(() => ({
 *   token: Redacted.make("ya29.token"),
 *   expiresAt: Date.now() + 3_600_000
 * }))
 * const Live = Credentials.layerEffect(token, { projectId: "my-project" })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface AccessToken {
  readonly token: Redacted.Redacted<string>
  readonly expiresAt?: Date | number | undefined
}

/**
 * Options shared by every caching source.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 *
 * const cache: Credentials.CacheOptions = { refreshBefore: "10 minutes" }
 * const Live = Credentials.layerFile("service-account.json", cache)
 * ```
 *
 * @since 0.1.0
 * @category options
 */
export interface CacheOptions {
  /**
   * Refresh a cached token when less than this remains before it expires (default 5 minutes). Tokens issued with
   * less than twice this lifetime are refreshed half-way through it instead.
   */
  readonly refreshBefore?: Duration.DurationInput | undefined
}

/**
 * Options for service account credentials.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 *
 * const options: Credentials.ServiceAccountOptions = {
 *   projectId: "my-other-project", // send as another project than the key's
 *   timeout: "10 seconds"
 * }
 * const Live = Credentials.layerFile("service-account.json", options)
 * ```
 *
 * @since 0.1.0
 * @category options
 */
export interface ServiceAccountOptions extends CacheOptions {
  /** Scopes to request (default: `firebase.messaging`). */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** Overrides the key's `project_id`. */
  readonly projectId?: string | undefined
  /** Deadline for one token request (default 30 seconds). */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * Options for metadata server credentials.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 *
 * const options: Credentials.MetadataServerOptions = {
 *   serviceAccount: "sender@my-project.iam.gserviceaccount.com",
 *   projectId: "my-project", // no request for the project id
 *   timeout: "5 seconds"
 * }
 * const Live = Credentials.layerMetadataServer(options)
 * ```
 *
 * @since 0.1.0
 * @category options
 */
export interface MetadataServerOptions extends CacheOptions {
  /**
   * The metadata server, e.g. `http://169.254.169.254`. Defaults to `GCE_METADATA_HOST` (a `host[:port]`) when it is
   * set, else `http://metadata.google.internal`.
   */
  readonly baseUrl?: string | undefined
  /** The project id; when absent it is read from the metadata server. */
  readonly projectId?: string | undefined
  /** Scopes to ask for; when absent, the instance's own scopes apply. */
  readonly scopes?: ReadonlyArray<string> | undefined
  /** The service account to get a token for (default `default`). */
  readonly serviceAccount?: string | undefined
  /** Deadline for one request (default 30 seconds). */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * Options for a custom token source.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Effect, Redacted } from "effect"
 *
 * const options: Credentials.EffectOptions = { projectId: "my-project", description: "tokens from the vault" }
 * const Live = Credentials.layerEffect(Effect.succeed(Redacted.make("ya29.token")), options)
 * ```
 *
 * @since 0.1.0
 * @category options
 */
export interface EffectOptions extends CacheOptions {
  readonly projectId?: string | undefined
  /** Shown in `description`; defaults to `custom token source`. */
  readonly description?: string | undefined
}

// -----------------------------------------------------------------------------
// service account key
// -----------------------------------------------------------------------------

/**
 * A Google service account key, as in the JSON file that the Firebase console ("Project settings → Service
 * accounts → Generate new private key") or `gcloud iam service-accounts keys create` produces. Decoding turns
 * `private_key` into a `Redacted`; other fields of the file are ignored.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Redacted, Schema } from "effect"
 *
 * const key = Schema.decodeUnknownSync(Credentials.ServiceAccountKey)({
 *   type: "service_account",
 *   project_id: "my-project",
 *   private_key_id: "0123abcd",
 *   private_key: "-----BEGIN PRIVATE KEY-----\n…\n-----END PRIVATE KEY-----\n",
 *   client_email: "sender@my-project.iam.gserviceaccount.com"
 * })
 * assert.ok(Redacted.isRedacted(key.private_key)) // never printed, logged or traced
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const ServiceAccountKey = account.ServiceAccountKey

/**
 * @example
 * ```ts
 * import type { Credentials } from "@effect-fcm/fcm"
 *
 * const describe = (key: Credentials.ServiceAccountKey): string =>
 *   `${key.client_email} (project ${key.project_id}, key ${key.private_key_id})`
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ServiceAccountKey extends Schema.Schema.Type<typeof ServiceAccountKey> {}

/**
 * The key as it appears in JSON, before decoding.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 *
 * const json: Credentials.ServiceAccountKeyJson = {
 *   type: "service_account",
 *   project_id: "my-project",
 *   private_key_id: "0123abcd",
 *   private_key: "-----BEGIN PRIVATE KEY-----\n…\n-----END PRIVATE KEY-----\n",
 *   client_email: "sender@my-project.iam.gserviceaccount.com"
 * }
 * const Live = Credentials.layerServiceAccount(json)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ServiceAccountKeyJson extends Schema.Schema.Encoded<typeof ServiceAccountKey> {}

/**
 * Decodes a service account key from JSON text (plain or `Redacted`) or from an already parsed object. Fails with an
 * `AuthenticationError` whose reason names the offending field, e.g. `service account key: client_email is
 * missing`; it never quotes the key.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Effect } from "effect"
 *
 * const program = Credentials.decodeServiceAccountKey(`{"type":"service_account"}`).pipe(
 *   Effect.catchTag("AuthenticationError", (e) => Effect.succeed(e.reason))
 * )
 * assert.strictEqual(Effect.runSync(program), "service account key: project_id is missing")
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeServiceAccountKey = (
  input: string | Redacted.Redacted<string> | ServiceAccountKeyJson | object
): Effect.Effect<ServiceAccountKey, AuthenticationError> =>
  typeof input === "string"
    ? account.parseKeyJson(input)
    : Redacted.isRedacted(input)
    ? account.parseKeyJson(input as Redacted.Redacted<string>)
    : account.decodeKey(input)

/**
 * Signs the OAuth2 JWT-bearer assertion for a service account key: header `{"alg":"RS256","typ":"JWT","kid":
 * private_key_id}`, claims `iss` = `client_email`, `scope` (space-separated, default `firebase.messaging`), `aud` =
 * `token_uri`, `iat` = now on Effect's `Clock` (seconds), `exp` = `iat + 3600`.
 *
 * @example
 * ```ts
 * import { ServiceAccount } from "@effect-fcm/emulator"
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const key = yield* Credentials.decodeServiceAccountKey(yield* ServiceAccount.sharedDefault())
 *   const assertion = yield* Credentials.makeAssertion(key, { scopes: [Credentials.CLOUD_PLATFORM_SCOPE] })
 *   assert.strictEqual(Redacted.value(assertion).split(".").length, 3) // header.claims.signature
 * })
 *
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category assertions
 */
export const makeAssertion = (
  key: ServiceAccountKey,
  options?: { readonly scopes?: ReadonlyArray<string> | undefined }
): Effect.Effect<Redacted.Redacted<string>, AuthenticationError> =>
  Effect.gen(function*() {
    const cryptoKey = yield* account.importKey(key)
    const now = yield* Clock.currentTimeMillis
    const assertion = yield* account.signAssertion(
      { key, cryptoKey },
      options?.scopes ?? [FIREBASE_MESSAGING_SCOPE],
      now
    )
    return Redacted.make(assertion)
  })

// -----------------------------------------------------------------------------
// service value
// -----------------------------------------------------------------------------

class CredentialsService implements Service {
  constructor(
    readonly description: string,
    readonly projectId: Option.Option<string>,
    readonly accessToken: Effect.Effect<Redacted.Redacted<string>, CredentialsError>,
    readonly invalidate: (token: Redacted.Redacted<string>) => Effect.Effect<void>
  ) {}
  toJSON(): unknown {
    return {
      _id: "Credentials",
      description: this.description,
      projectId: Option.getOrUndefined(this.projectId)
    }
  }
  toString(): string {
    return JSON.stringify(this.toJSON())
  }
  [NodeInspectSymbol](): unknown {
    return this.toJSON()
  }
}

const cached = (
  description: string,
  projectId: Option.Option<string>,
  fetch: Effect.Effect<cache.Fetched, CredentialsError>,
  options: CacheOptions | undefined
): Effect.Effect<Service> =>
  Effect.map(
    cache.make<CredentialsError>({
      fetch: fetch.pipe(Effect.withSpan("Credentials.fetchToken", { attributes: { "fcm.credentials": description } })),
      refreshBefore: options?.refreshBefore ?? DEFAULT_REFRESH_BEFORE,
      describe: (error) => error.message
    }),
    (tokens) => new CredentialsService(description, projectId, tokens.get, tokens.invalidate)
  )

// -----------------------------------------------------------------------------
// constructors
// -----------------------------------------------------------------------------

const serviceAccountFromKey = (
  key: ServiceAccountKey,
  options: ServiceAccountOptions | undefined,
  origin: string | undefined
): Effect.Effect<Service, AuthenticationError, HttpClient.HttpClient> =>
  Effect.flatMap(
    account.tokenFetch(key, {
      scopes: options?.scopes ?? [FIREBASE_MESSAGING_SCOPE],
      timeout: options?.timeout ?? DEFAULT_TIMEOUT
    }, origin),
    (fetch) =>
      cached(`service account ${key.client_email}`, Option.some(options?.projectId ?? key.project_id), fetch, options)
  )

/**
 * Credentials from a service account key: the key JSON as text (plain or `Redacted`), as a parsed object, or an
 * already decoded {@link ServiceAccountKey}. The key is decoded and its private key imported up front, so a
 * malformed key fails here, before any request. Tokens are fetched from the key's `token_uri` through the
 * `HttpClient` in context.
 *
 * @example
 * ```ts
 * import { Emulator, FcmFake } from "@effect-fcm/emulator"
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Effect, Option } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const emulator = yield* Emulator.Emulator
 *   const credentials = yield* Credentials.serviceAccount(emulator.serviceAccount)
 *   yield* credentials.accessToken // the JWT exchange, answered by the fake's token endpoint
 *   assert.deepStrictEqual(credentials.projectId, Option.some(emulator.projectId))
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(FcmFake.layer())))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const serviceAccount = (
  key: string | Redacted.Redacted<string> | ServiceAccountKeyJson | ServiceAccountKey | object,
  options?: ServiceAccountOptions
): Effect.Effect<Service, AuthenticationError, HttpClient.HttpClient> =>
  Effect.flatMap(
    account.isDecodedKey(key) ? Effect.succeed(key) : decodeServiceAccountKey(key),
    (decoded) => serviceAccountFromKey(decoded, options, undefined)
  )

/** A key that went through {@link ServiceAccountKey} already carries its private key as a `Redacted`. */
/**
 * Credentials from service account key JSON text.
 *
 * @example
 * ```ts
 * import { Emulator, FcmFake } from "@effect-fcm/emulator"
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Effect, Redacted } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const emulator = yield* Emulator.Emulator
 *   const json = Redacted.make(JSON.stringify(emulator.serviceAccount)) // e.g. from a secret manager
 *   const credentials = yield* Credentials.fromJson(json)
 *   yield* credentials.accessToken
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(FcmFake.layer())))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromJson = (
  json: string | Redacted.Redacted<string>,
  options?: ServiceAccountOptions
): Effect.Effect<Service, AuthenticationError, HttpClient.HttpClient> =>
  Effect.flatMap(account.parseKeyJson(json), (key) => serviceAccountFromKey(key, options, undefined))

/** Where a key file's path came from: the name in a `ConfigError`'s path, and what to check. */
const fromFileWith = (
  path: string,
  options: ServiceAccountOptions | undefined,
  origin: keyFile.Origin
): Effect.Effect<
  Service,
  AuthenticationError | ConfigError.ConfigError,
  HttpClient.HttpClient | FileSystem.FileSystem
> =>
  keyFile.read(path, origin).pipe(
    Effect.flatMap((text) => account.parseKeyJson(text, path)),
    Effect.flatMap((key) => serviceAccountFromKey(key, options, path))
  )

/**
 * Credentials from a service account key file, read with `@effect/platform`'s `FileSystem` (provide one, e.g.
 * `NodeFileSystem.layer` from `@effect/platform-node`). A file that is missing or cannot be read fails with a
 * `ConfigError` naming the path it tried; a file that is not a valid key fails with an `AuthenticationError` naming
 * the offending field.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 * import { FetchHttpClient, FileSystem } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * // a file system with no such file (NodeFileSystem.layer reads real ones)
 * const NoFiles = FileSystem.layerNoop({})
 *
 * const program = Credentials.fromFile("/secrets/service-account.json").pipe(
 *   Effect.catchTag("ConfigError", (error) => Effect.succeed(error.message)),
 *   Effect.provide(NoFiles),
 *   Effect.provide(FetchHttpClient.layer)
 * )
 * Effect.runPromise(program).then((message) =>
 *   assert.ok(String(message).startsWith("service account key file /secrets/service-account.json could not be read"))
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromFile = (
  path: string,
  options?: ServiceAccountOptions
): Effect.Effect<
  Service,
  AuthenticationError | ConfigError.ConfigError,
  HttpClient.HttpClient | FileSystem.FileSystem
> => fromFileWith(path, options, keyFile.PATH_ARGUMENT)

/**
 * Credentials from the GCP metadata server (Compute Engine, GKE, Cloud Run, Cloud Functions, App Engine): `GET
 * {base}/computeMetadata/v1/instance/service-accounts/default/token` with `Metadata-Flavor: Google`. Unless
 * `projectId` is given, the project id is read once from `{base}/computeMetadata/v1/project/project-id`, so
 * building this fails when no metadata server answers. `GCE_METADATA_HOST` is honoured.
 *
 * @example
 * ```ts
 * import { FcmFake } from "@effect-fcm/emulator"
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Effect, Option } from "effect"
 *
 * // the fake answers metadata.google.internal as Cloud Run would
 * const program = Effect.gen(function*() {
 *   const credentials = yield* Credentials.metadataServer()
 *   yield* credentials.accessToken
 *   assert.deepStrictEqual(credentials.projectId, Option.some("emulator-project"))
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(FcmFake.layer())))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const metadataServer = (
  options?: MetadataServerOptions
): Effect.Effect<Service, CredentialsError, HttpClient.HttpClient> =>
  Effect.flatMap(
    metadata.source({ ...options, timeout: options?.timeout ?? DEFAULT_TIMEOUT }),
    ({ base, fetch, projectId }) => cached(`metadata server ${base}`, Option.some(projectId), fetch, options)
  )

/**
 * Credentials from any effect that yields a token: a `Redacted` token (kept until invalidated) or an
 * {@link AccessToken} with its expiry (refreshed ahead of it). The effect runs with the context this constructor
 * was built in; it is run again after `invalidate` or near expiry, one run at a time.
 *
 * @example
 * ```ts
 * import { Credentials } from "@effect-fcm/fcm"
 * import { Effect, Redacted } from "effect"
 *
 * const fromVault = Effect.succeed({ token: Redacted.make("ya29.token"), expiresAt: Date.now() + 3_600_000 })
 *
 * const program = Effect.gen(function*() {
 *   const credentials = yield* Credentials.fromEffect(fromVault, { projectId: "my-project" })
 *   assert.strictEqual(Redacted.value(yield* credentials.accessToken), "ya29.token")
 * })
 *
 * Effect.runPromise(program)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromEffect = <R>(
  effect: Effect.Effect<Redacted.Redacted<string> | AccessToken, CredentialsError, R>,
  options?: EffectOptions
): Effect.Effect<Service, never, R> =>
  Effect.gen(function*() {
    const context = yield* Effect.context<R>()
    const fetch = effect.pipe(
      Effect.provide(context),
      Effect.map((result): cache.Fetched => {
        if (Redacted.isRedacted(result)) return { token: result, expiresAt: undefined }
        const expiresAt = result.expiresAt instanceof Date ? result.expiresAt.getTime() : result.expiresAt
        return { token: result.token, expiresAt }
      })
    )
    return yield* cached(
      options?.description ?? "custom token source",
      Option.fromNullable(options?.projectId),
      fetch,
      options
    )
  })

const static_ = (
  token: Redacted.Redacted<string> | string,
  options?: { readonly projectId?: string | undefined }
): Service => {
  const redacted = Redacted.isRedacted(token) ? token : Redacted.make(token)
  return new CredentialsService(
    "static token",
    Option.fromNullable(options?.projectId),
    Effect.succeed(redacted),
    () => Effect.void
  )
}

export {
  /**
   * Credentials that always hand out the same token, for tests and emulators. `invalidate` does nothing.
   *
   * @example
   * ```ts
   * import { Credentials, FcmV1 } from "@effect-fcm/fcm"
   * import { Layer } from "effect"
   *
   * const TestCredentials = Layer.succeed(
   *   Credentials.Credentials,
   *   Credentials.static("test-token", { projectId: "emulator-project" })
   * )
   * const Fcm = FcmV1.layer().pipe(Layer.provide(TestCredentials))
   * ```
   *
   * @since 0.1.0
   * @category constructors
   */
  static_ as static
}

// -----------------------------------------------------------------------------
// layers
// -----------------------------------------------------------------------------

/**
 * Service account credentials from the key itself (see {@link serviceAccount}): no file, so no `FileSystem`.
 *
 * @example
 * ```ts
 * import { Credentials, FcmV1 } from "@effect-fcm/fcm"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Config, Effect, Layer } from "effect"
 *
 * // the key's JSON from a secret (here the FCM_SERVICE_ACCOUNT_JSON variable), not a file
 * const KeyFromSecret = Layer.unwrapEffect(
 *   Effect.map(Config.redacted("FCM_SERVICE_ACCOUNT_JSON"), (key) => Credentials.layerServiceAccount(key))
 * )
 * const Fcm = FcmV1.layer().pipe(
 *   Layer.provide(KeyFromSecret),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerServiceAccount = (
  key: string | Redacted.Redacted<string> | ServiceAccountKeyJson | ServiceAccountKey | object,
  options?: ServiceAccountOptions
): Layer.Layer<Credentials, AuthenticationError, HttpClient.HttpClient> =>
  Layer.effect(Credentials, serviceAccount(key, options))

/**
 * Service account credentials from a key file, read through the `FileSystem` in context (see {@link fromFile}).
 *
 * @example
 * ```ts
 * import { Credentials, FcmV1 } from "@effect-fcm/fcm"
 * import { FetchHttpClient } from "@effect/platform"
 * import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
 * import { Layer } from "effect"
 *
 * const Fcm = FcmV1.layer().pipe(
 *   Layer.provide(Credentials.layerFile("service-account.json")),
 *   Layer.provide(FetchHttpClient.layer),
 *   Layer.provide(NodeFileSystem.layer) // Bun: BunFileSystem.layer
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFile = (
  path: string,
  options?: ServiceAccountOptions
): Layer.Layer<
  Credentials,
  AuthenticationError | ConfigError.ConfigError,
  HttpClient.HttpClient | FileSystem.FileSystem
> => Layer.effect(Credentials, fromFile(path, options))

/**
 * Service account credentials from the key file named by `GOOGLE_APPLICATION_CREDENTIALS` (read through `Config`,
 * so a `ConfigProvider` can supply it), read through the `FileSystem` in context. Fails with a `ConfigError` saying
 * what to set when the variable is unset, or naming the path when the file is missing or unreadable.
 *
 * @example
 * ```ts
 * import { Credentials, FcmV1 } from "@effect-fcm/fcm"
 * import { FetchHttpClient } from "@effect/platform"
 * import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
 * import { Layer } from "effect"
 *
 * // GOOGLE_APPLICATION_CREDENTIALS=/secrets/service-account.json node server.js
 * const Fcm = FcmV1.layer().pipe(
 *   Layer.provide(Credentials.layerConfig()),
 *   Layer.provide(FetchHttpClient.layer),
 *   Layer.provide(NodeFileSystem.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options?: ServiceAccountOptions
): Layer.Layer<
  Credentials,
  AuthenticationError | ConfigError.ConfigError,
  HttpClient.HttpClient | FileSystem.FileSystem
> =>
  Layer.effect(
    Credentials,
    Config.option(Config.nonEmptyString(keyFile.ENV_VARIABLE.name)).pipe(
      Effect.flatMap(Option.match({
        onNone: () =>
          Effect.fail(
            ConfigError.MissingData(
              [keyFile.ENV_VARIABLE.name],
              "GOOGLE_APPLICATION_CREDENTIALS is not set: set it to the path of a service account key JSON file, or use Credentials.layerMetadataServer() on Google Cloud"
            )
          ),
        onSome: (path) => fromFileWith(path, options, keyFile.ENV_VARIABLE)
      }))
    )
  )

/**
 * @example
 * ```ts
 * import { Credentials, FcmV1 } from "@effect-fcm/fcm"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 *
 * // on Cloud Run, GKE, Compute Engine or Cloud Functions: the instance's own service account
 * const Fcm = FcmV1.layer().pipe(
 *   Layer.provide(Credentials.layerMetadataServer()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMetadataServer = (
  options?: MetadataServerOptions
): Layer.Layer<Credentials, CredentialsError, HttpClient.HttpClient> =>
  Layer.effect(Credentials, metadataServer(options))

/**
 * @example
 * ```ts
 * import { Credentials, FcmError } from "@effect-fcm/fcm"
 * import { Effect, Redacted } from "effect"
 *
 * // another auth library's token, e.g. google-auth-library's getAccessToken()
 * declare const getAccessToken: () => Promise<{ token: string; expiresAt: number }>
 *
 * const Live = Credentials.layerEffect(
 *   Effect.tryPromise({
 *     try: () => getAccessToken(),
 *     catch: (e) => new FcmError.TransportError({ reason: `token source failed: ${e}`, retryable: true })
 *   }).pipe(Effect.map(({ expiresAt, token }) => ({ token: Redacted.make(token), expiresAt }))),
 *   { projectId: "my-project" }
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerEffect = <R>(
  effect: Effect.Effect<Redacted.Redacted<string> | AccessToken, CredentialsError, R>,
  options?: EffectOptions
): Layer.Layer<Credentials, never, R> => Layer.effect(Credentials, fromEffect(effect, options))

/**
 * @example
 * ```ts
 * import { Credentials, FcmV1 } from "@effect-fcm/fcm"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 *
 * // an emulator or a test server that accepts any bearer token
 * const Fcm = FcmV1.layer({ baseUrl: "http://127.0.0.1:8085" }).pipe(
 *   Layer.provide(Credentials.layerStatic("owner", { projectId: "demo-project" })),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStatic = (
  token: Redacted.Redacted<string> | string,
  options?: { readonly projectId?: string | undefined }
): Layer.Layer<Credentials> => Layer.succeed(Credentials, static_(token, options))
