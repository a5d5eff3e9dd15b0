/**
 * Sending one topic-management call over the Instance ID API: each topic's tokens cut into requests of at most
 * `MAX_TOKENS_PER_REQUEST`, a bounded number in flight at the pace FCM allows, each request authorised with the
 * current access token (a 401 invalidates it and sends once more), and every token's outcome recorded per topic.
 * `FcmTopics.ts` builds its results and its retries on it.
 *
 * @internal
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Credentials from "../Credentials.js"
import type { AuthenticationError, InvalidMessage, TransportError } from "../FcmError.js"
import type * as Governor from "../Governor.js"
import { exchange } from "./http.js"
import * as Topics from "./topics.js"

/** @internal */
export type Action = "subscribe" | "unsubscribe"

/** A failure of the whole call. @internal */
export type Fatal = AuthenticationError | InvalidMessage | TransportError

/** Per wire topic, per token, the latest outcome. @internal */
export type Outcomes = Map<string, Map<string, Topics.TokenOutcome>>

/** What the sender needs, read and checked by `FcmTopics.make`. @internal */
export interface Config {
  readonly credentials: Credentials.Service
  readonly http: HttpClient.HttpClient
  readonly baseUrl: string
  readonly timeout: Duration.Duration
  readonly concurrency: number
  /** The budget of subscription changes each request takes its own from first, or `undefined` for no pacing. */
  readonly pace: Governor.Store | undefined
}

/**
 * The sender of a service: sends each topic's tokens in chunks and records every token's outcome into `into`.
 *
 * @internal
 */
export const make = (config: Config) => {
  const { concurrency, credentials, http, timeout } = config
  const store = config.pace
  /** Waits until `changes` more subscription changes keep within the rate. */
  const pace = (changes: number): Effect.Effect<void> =>
    store === undefined
      ? Effect.void
      : Effect.flatMap(store.take(changes), (wait) => wait > 0 ? Effect.sleep(Duration.millis(wait)) : Effect.void)
  const endpoints = {
    subscribe: HttpClientRequest.post(`${config.baseUrl}/iid/v1:batchAdd`),
    unsubscribe: HttpClientRequest.post(`${config.baseUrl}/iid/v1:batchRemove`)
  }

  /** One request; a 401 on the first attempt invalidates the access token and sends once more. */
  const attempt = (
    action: Action,
    body: string,
    count: number,
    first: boolean
  ): Effect.Effect<ReadonlyArray<Topics.TokenOutcome>, Fatal> =>
    Effect.matchEffect(credentials.accessToken, {
      onFailure: (error) =>
        error._tag === "TransportError" && error.retryable
          ? Effect.succeed(
            Array.from(
              { length: count },
              () => Topics.retryable(`Credentials: ${error.reason}`, error.retryAfterMillis)
            )
          )
          : Effect.fail(error),
      onSuccess: (token) => {
        const request = endpoints[action].pipe(
          HttpClientRequest.bearerToken(Redacted.value(token)),
          HttpClientRequest.setHeader("access_token_auth", "true"),
          HttpClientRequest.bodyText(body, "application/json")
        )
        return Effect.flatMap(exchange(http, request, timeout), (answer) => {
          if (answer._tag === "Left") {
            const failure = answer.left
            if (failure._tag === "Fatal") return Effect.fail(failure.error)
            return Effect.succeed(Array.from({ length: count }, () => Topics.retryable(failure.reason, undefined)))
          }
          const classified = Topics.classify(answer.right, count, token)
          switch (classified._tag) {
            case "Outcomes":
              return Effect.succeed(classified.outcomes)
            case "Fatal":
              return Effect.fail(classified.error)
            case "Unauthenticated":
              return first
                ? Effect.zipRight(credentials.invalidate(token), attempt(action, body, count, false))
                : Effect.fail(classified.error)
          }
        })
      }
    })

  return (
    action: Action,
    work: ReadonlyArray<readonly [wire: string, tokens: ReadonlyArray<string>]>,
    into: Outcomes
  ): Effect.Effect<void, Fatal> => {
    const chunks: Array<readonly [string, ReadonlyArray<string>]> = []
    for (const [wire, tokens] of work) {
      for (let i = 0; i < tokens.length; i += Topics.MAX_TOKENS_PER_REQUEST) {
        chunks.push([wire, tokens.slice(i, i + Topics.MAX_TOKENS_PER_REQUEST)])
      }
    }
    return Effect.forEach(chunks, ([wire, tokens]) => {
      const body = JSON.stringify({ to: wire, registration_tokens: tokens })
      return Effect.map(
        Effect.zipRight(pace(tokens.length), attempt(action, body, tokens.length, true)),
        (outcomes) => {
          const byToken = into.get(wire)!
          for (let i = 0; i < tokens.length; i++) byToken.set(tokens[i]!, outcomes[i]!)
        }
      )
    }, { concurrency, discard: true })
  }
}
