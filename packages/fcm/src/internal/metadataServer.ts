/**
 * The GCP metadata server as a token source (Compute Engine, GKE, Cloud Run, Cloud Functions): its base URL (the
 * option, else `GCE_METADATA_HOST`, else the default host), the project id it knows, and the fetch of the access
 * token of the instance's service account.
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Config from "effect/Config"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type AuthenticationError, TransportError } from "../FcmError.js"
import type * as cache from "./credentialsCache.js"
import * as http from "./credentialsHttp.js"

/** The GCP metadata server, unless `GCE_METADATA_HOST` or the `baseUrl` option says otherwise. @internal */
export const DEFAULT_METADATA_URL = "http://metadata.google.internal"

/** @internal */
export interface Options {
  readonly baseUrl?: string | undefined
  readonly serviceAccount?: string | undefined
  readonly projectId?: string | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly timeout: Duration.DurationInput
}

const baseUrl = (options: Options): Effect.Effect<string> => {
  if (options.baseUrl !== undefined) return Effect.succeed(options.baseUrl.replace(/\/+$/, ""))
  return Config.option(Config.nonEmptyString("GCE_METADATA_HOST")).pipe(
    Effect.map(Option.match({
      onNone: () => DEFAULT_METADATA_URL,
      onSome: (host) => /^https?:\/\//.test(host) ? host.replace(/\/+$/, "") : `http://${host.replace(/\/+$/, "")}`
    })),
    Effect.orElseSucceed(() => DEFAULT_METADATA_URL)
  )
}

/**
 * The metadata server's base URL, the project id (the option's, or asked of the server once) and the fetch of one
 * access token.
 *
 * @internal
 */
export const source = (options: Options): Effect.Effect<
  {
    readonly base: string
    readonly projectId: string
    readonly fetch: Effect.Effect<cache.Fetched, AuthenticationError | TransportError>
  },
  AuthenticationError | TransportError,
  HttpClient.HttpClient
> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const base = yield* baseUrl(options)
    const account = encodeURIComponent(options.serviceAccount ?? "default")
    const endpoint: http.Endpoint = { label: `metadata server ${base}`, kind: "metadata" }
    const get = (path: string, urlParams: Record<string, string> = {}) =>
      HttpClientRequest.get(`${base}/computeMetadata/v1/${path}`).pipe(
        HttpClientRequest.setHeader("Metadata-Flavor", "Google"),
        HttpClientRequest.setUrlParams(urlParams)
      )

    const projectId = options.projectId !== undefined
      ? options.projectId
      : yield* Effect.gen(function*() {
        const { body, response } = yield* http.executeText(
          client,
          get("project/project-id"),
          endpoint,
          options.timeout,
          []
        )
        if (response.status >= 200 && response.status < 300) {
          if (body.trim().length > 0) return body.trim()
          return yield* new TransportError({
            reason: `${endpoint.label} answered an empty project id`,
            retryable: false,
            status: response.status
          })
        }
        return yield* http.failForStatus(endpoint, response, body, [])
      })

    const scopes = options.scopes
    const tokenRequest = get(
      `instance/service-accounts/${account}/token`,
      scopes === undefined || scopes.length === 0 ? {} : { scopes: scopes.join(",") }
    )
    return { base, projectId, fetch: http.fetchToken(client, tokenRequest, endpoint, options.timeout, []) }
  })
