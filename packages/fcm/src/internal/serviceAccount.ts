/**
 * A Google service account as a token source: its key's schema, reading a key from JSON with errors that name the
 * field and never quote the key, importing its private key, signing the RS256 JWT assertion, and exchanging the
 * assertion for an access token at the key's `token_uri`.
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { AuthenticationError, type TransportError } from "../FcmError.js"
import type * as cache from "./credentialsCache.js"
import * as http from "./credentialsHttp.js"
import * as jwt from "./jwt.js"

/** Google's token endpoint, for a key that names none. @internal */
export const DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"

/** Lifetime of a signed JWT assertion; Google accepts at most one hour. @internal */
export const ASSERTION_LIFETIME_SECONDS = 3600

const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"

const HttpUrl = Schema.String.pipe(
  Schema.filter((s) => {
    try {
      const url = new URL(s)
      return url.protocol === "https:" || url.protocol === "http:"
    } catch {
      return false
    }
  })
)

/** A service account key as in its JSON file; `private_key` decodes to a `Redacted`. @internal */
export const ServiceAccountKey = Schema.Struct({
  type: Schema.Literal("service_account"),
  project_id: Schema.NonEmptyString,
  private_key_id: Schema.NonEmptyString,
  private_key: Schema.Redacted(Schema.NonEmptyString),
  client_email: Schema.NonEmptyString,
  token_uri: Schema.optionalWith(HttpUrl, { default: () => DEFAULT_TOKEN_URI, nullable: true })
})

/** @internal */
export type ServiceAccountKey = Schema.Schema.Type<typeof ServiceAccountKey>

const KEY_HINT =
  "use the JSON key file of a service account (Firebase console → Project settings → Service accounts → Generate new private key)"

const FIELD_EXPECTATIONS: Record<string, string> = {
  type: "must be \"service_account\"",
  project_id: "must be a non-empty string",
  private_key_id: "must be a non-empty string",
  private_key: "must be a PEM-encoded PKCS#8 private key string",
  client_email: "must be a non-empty string",
  token_uri: "must be an http(s) URL"
}

const keyError = (origin: string | undefined, problem: string, hint: string = KEY_HINT) =>
  new AuthenticationError({
    reason: `service account key${origin === undefined ? "" : ` (${origin})`}: ${problem}`,
    hint
  })

const describeKeyIssue = (input: unknown, error: ParseResult.ParseError): { problem: string; hint: string } => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const issue = issues[0]
  const field = issue?.path[0]
  if (issue === undefined || typeof field !== "string") {
    return { problem: "expected a JSON object", hint: KEY_HINT }
  }
  if (issue._tag === "Missing") {
    return { problem: `${field} is missing`, hint: KEY_HINT }
  }
  if (field === "type") {
    const got = (input as { type?: unknown }).type
    const shown = typeof got === "string" && /^[a-z_]{1,40}$/.test(got) ? ` (got "${got}")` : ""
    const hint = got === "authorized_user" || got === "external_account" || got === "impersonated_service_account"
      ? `${KEY_HINT}; for other credential types, pass a token source to Credentials.layerEffect`
      : KEY_HINT
    return { problem: `type ${FIELD_EXPECTATIONS.type}${shown}`, hint }
  }
  return { problem: `${field} ${FIELD_EXPECTATIONS[field] ?? "is invalid"}`, hint: KEY_HINT }
}

/** Decodes a key object; `origin` (a path) is named in the error. @internal */
export const decodeKey = (input: unknown, origin?: string): Effect.Effect<ServiceAccountKey, AuthenticationError> => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return Effect.fail(keyError(origin, "expected a JSON object"))
  }
  return Either.match(Schema.decodeUnknownEither(ServiceAccountKey)(input), {
    onLeft: (error) => {
      const { hint, problem } = describeKeyIssue(input, error)
      return Effect.fail(keyError(origin, problem, hint))
    },
    onRight: Effect.succeed
  })
}

/** Parses and decodes a key's JSON text; a syntax error keeps only its position (the text holds the key). @internal */
export const parseKeyJson = (
  json: string | Redacted.Redacted<string>,
  origin?: string
): Effect.Effect<ServiceAccountKey, AuthenticationError> =>
  Effect.suspend(() => {
    const text = Redacted.isRedacted(json) ? Redacted.value(json) : json
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (cause) {
      // Only the position is kept: the parser's message quotes the input, which holds the private key.
      const position = cause instanceof Error ? /position (\d+)/.exec(cause.message)?.[1] : undefined
      const where = position === undefined ? "" : ` (at position ${position})`
      return Effect.fail(keyError(origin, `not valid JSON${where}`))
    }
    return decodeKey(parsed, origin)
  })

/** A key already decoded (its `private_key` is `Redacted`), which needs no second decoding. @internal */
export const isDecodedKey = (key: unknown): key is ServiceAccountKey =>
  typeof key === "object" && key !== null && !Redacted.isRedacted(key) &&
  Redacted.isRedacted((key as { readonly private_key?: unknown }).private_key) &&
  Schema.is(ServiceAccountKey)(key)

/** Imports the key's PKCS#8 private key for RS256 signing. @internal */
export const importKey = (key: ServiceAccountKey, origin?: string): Effect.Effect<CryptoKey, AuthenticationError> =>
  Effect.suspend(() => {
    const der = jwt.pemToPkcs8(Redacted.value(key.private_key))
    if (!(der instanceof Uint8Array)) {
      switch (der._tag) {
        case "NotPem":
          return Effect.fail(
            keyError(origin, "private_key is not PEM-encoded (expected a -----BEGIN PRIVATE KEY----- block)")
          )
        case "WrongLabel":
          return Effect.fail(
            keyError(
              origin,
              `private_key is a "${der.label}" block; expected a PKCS#8 "PRIVATE KEY"`,
              der.label === "RSA PRIVATE KEY"
                ? "convert it with `openssl pkcs8 -topk8 -nocrypt`, or use the key file as Google issued it"
                : KEY_HINT
            )
          )
        case "BadBase64":
          return Effect.fail(keyError(origin, "private_key is not valid base64 inside its PEM block"))
      }
    }
    return Effect.tryPromise({
      try: () => jwt.importRs256PrivateKey(der),
      catch: () => keyError(origin, "private_key could not be imported as an RSA private key")
    })
  })

/** A key and its imported private key. @internal */
export interface Signer {
  readonly key: ServiceAccountKey
  readonly cryptoKey: CryptoKey
}

/** Signs the JWT assertion of `scopes`, issued at `nowMillis`. @internal */
export const signAssertion = (
  signer: Signer,
  scopes: ReadonlyArray<string>,
  nowMillis: number
): Effect.Effect<string, AuthenticationError> => {
  const { claims, header } = jwt.assertionParts({
    clientEmail: signer.key.client_email,
    privateKeyId: signer.key.private_key_id,
    tokenUri: signer.key.token_uri,
    scopes,
    nowMillis,
    lifetimeSeconds: ASSERTION_LIFETIME_SECONDS
  })
  return Effect.tryPromise({
    try: () => jwt.signRs256(signer.cryptoKey, header, { ...claims }),
    catch: () =>
      new AuthenticationError({
        reason: "service account key: signing the JWT assertion with private_key failed",
        hint: KEY_HINT
      })
  })
}

/**
 * The fetch of one access token: a fresh assertion exchanged at the key's `token_uri` (the JWT bearer grant). The
 * private key is imported once, here.
 *
 * @internal
 */
export const tokenFetch = (
  key: ServiceAccountKey,
  options: { readonly scopes: ReadonlyArray<string>; readonly timeout: Duration.DurationInput },
  origin: string | undefined
): Effect.Effect<
  Effect.Effect<cache.Fetched, AuthenticationError | TransportError>,
  AuthenticationError,
  HttpClient.HttpClient
> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const signer: Signer = { key, cryptoKey: yield* importKey(key, origin) }
    const endpoint: http.Endpoint = { label: `token endpoint ${key.token_uri}`, kind: "oauth2" }
    return Effect.gen(function*() {
      const assertion = yield* signAssertion(signer, options.scopes, yield* Clock.currentTimeMillis)
      const request = HttpClientRequest.post(key.token_uri).pipe(
        HttpClientRequest.acceptJson,
        HttpClientRequest.bodyUrlParams({ grant_type: JWT_BEARER_GRANT, assertion })
      )
      return yield* http.fetchToken(client, request, endpoint, options.timeout, [assertion])
    })
  })
