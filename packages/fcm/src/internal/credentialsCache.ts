/**
 * A single-flight access-token cache.
 *
 * - A token is served from the cache until its refresh point: `refreshBefore` (default 5 minutes) ahead of its
 *   expiry, or half-way through its lifetime when the token was issued with less than twice that margin.
 * - Once past the refresh point, exactly one refresh runs at a time, however many callers ask. The caller that
 *   starts it waits for the new token; callers arriving meanwhile get the previous token if it has not expired yet,
 *   and otherwise wait for the same refresh.
 * - A failed refresh is not cached: the callers waiting on it share its failure, unless the previous token is still
 *   valid, in which case they get that one. Either way the next caller starts a new refresh.
 * - The refresh runs in the fiber of the caller that started it. If that caller is interrupted, the refresh is
 *   abandoned and the callers waiting on it start over (one of them leads the next refresh), so nobody is stranded
 *   and no fiber outlives its caller.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

/**
 * A token as a source yields it. `expiresAt` is in epoch milliseconds on Effect's `Clock`; `undefined` means the
 * token is good until it is invalidated.
 *
 * @internal
 */
export interface Fetched {
  readonly token: Redacted.Redacted<string>
  readonly expiresAt: number | undefined
}

interface Cached extends Fetched {
  readonly issuedAt: number
  readonly refreshAt: number | undefined
  /** `Effect.succeed(token)`, made once: a cache hit allocates nothing. */
  readonly hit: Effect.Effect<Redacted.Redacted<string>>
}

type State<E> =
  | { readonly _tag: "Empty" }
  | { readonly _tag: "Ready"; readonly cached: Cached }
  | {
    readonly _tag: "Refreshing"
    readonly deferred: Deferred.Deferred<Cached, E>
    readonly previous: Cached | undefined
  }

type Decision<E> =
  | { readonly _tag: "Hit"; readonly token: Redacted.Redacted<string> }
  | { readonly _tag: "Wait"; readonly deferred: Deferred.Deferred<Cached, E> }
  | { readonly _tag: "Lead"; readonly deferred: Deferred.Deferred<Cached, E>; readonly previous: Cached | undefined }

const isUsable = (cached: Cached, now: number): boolean => cached.expiresAt === undefined || now < cached.expiresAt

const isFresh = (cached: Cached, now: number): boolean => cached.refreshAt === undefined || now < cached.refreshAt

const sameToken = (a: Redacted.Redacted<string>, b: Redacted.Redacted<string>): boolean =>
  a === b || Redacted.value(a) === Redacted.value(b)

/** A mutable cell with the `Ref` operations the cache uses, each one synchronous and so atomic. */
class Cell<A> {
  constructor(public value: A) {}
  readonly get: Effect.Effect<A> = Effect.sync(() => this.value)
  set(value: A): Effect.Effect<void> {
    return Effect.sync(() => {
      this.value = value
    })
  }
  update(f: (a: A) => A): Effect.Effect<void> {
    return Effect.sync(() => {
      this.value = f(this.value)
    })
  }
  modify<B>(f: (a: A) => readonly [B, A]): Effect.Effect<B> {
    return Effect.sync(() => {
      const [b, next] = f(this.value)
      this.value = next
      return b
    })
  }
}

/**
 * @internal
 */
export interface TokenCache<E> {
  readonly get: Effect.Effect<Redacted.Redacted<string>, E>
  readonly invalidate: (token: Redacted.Redacted<string>) => Effect.Effect<void>
}

/**
 * @internal
 */
export const make = <E>(options: {
  readonly fetch: Effect.Effect<Fetched, E>
  readonly refreshBefore: Duration.DurationInput
  /** Describes a failure for the warning logged when a still-valid token is served after a failed refresh. */
  readonly describe: (error: E) => string
}): Effect.Effect<TokenCache<E>> =>
  Effect.gen(function*() {
    const margin = Duration.toMillis(Duration.decode(options.refreshBefore))
    // The state, read and written only inside `Effect.sync` (or synchronously within one step of a fiber), so each
    // transition is atomic as with a `Ref`, while a cache hit can read it without an effect of its own.
    const state = yield* Effect.sync(() => new Cell<State<E>>({ _tag: "Empty" }))

    const toCached = (fetched: Fetched, issuedAt: number): Cached => {
      const hit = Effect.succeed(fetched.token)
      if (fetched.expiresAt === undefined) {
        return { token: fetched.token, expiresAt: undefined, issuedAt, refreshAt: undefined, hit }
      }
      const lifetime = Math.max(0, fetched.expiresAt - issuedAt)
      return {
        token: fetched.token,
        expiresAt: fetched.expiresAt,
        issuedAt,
        refreshAt: fetched.expiresAt - Math.min(margin, lifetime / 2),
        hit
      }
    }

    const settle = (deferred: Deferred.Deferred<Cached, E>, exit: Exit.Exit<Cached, E>) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (Exit.isSuccess(exit)) {
          yield* state.update(
            (s): State<E> =>
              s._tag === "Refreshing" && s.deferred === deferred ? { _tag: "Ready", cached: exit.value } : s
          )
          return yield* Deferred.done(deferred, exit)
        }
        const current = yield* state.get
        const previous = current._tag === "Refreshing" && current.deferred === deferred ? current.previous : undefined
        if (Cause.isInterruptedOnly(exit.cause)) {
          // The leading caller was interrupted: put the state back; waiters see the interruption and start over.
          yield* state.update(
            (s): State<E> =>
              s._tag === "Refreshing" && s.deferred === deferred
                ? previous !== undefined && isUsable(previous, now)
                  ? { _tag: "Ready", cached: previous }
                  : { _tag: "Empty" }
                : s
          )
          return yield* Deferred.done(deferred, exit)
        }
        const failure = Cause.failureOption(exit.cause)
        if (previous !== undefined && Option.isSome(failure) && isUsable(previous, now)) {
          // The previous token still works: keep serving it, and let the next caller try again.
          yield* state.set({ _tag: "Ready", cached: previous })
          yield* Effect.logWarning(
            "refreshing the access token failed; the current token is used until it expires"
          ).pipe(Effect.annotateLogs({ reason: options.describe(failure.value) }))
          return yield* Deferred.succeed(deferred, previous)
        }
        yield* state.update(
          (s): State<E> => s._tag === "Refreshing" && s.deferred === deferred ? { _tag: "Empty" } : s
        )
        return yield* Deferred.done(deferred, exit)
      })

    /** Runs the fetch in the calling fiber and always settles the deferred, even when interrupted. */
    const refresh = (deferred: Deferred.Deferred<Cached, E>) =>
      Effect.uninterruptibleMask((restore) =>
        restore(
          options.fetch.pipe(
            Effect.flatMap((fetched) => Effect.map(Clock.currentTimeMillis, (now) => toCached(fetched, now)))
          )
        ).pipe(
          Effect.exit,
          Effect.flatMap((exit) => settle(deferred, exit))
        )
      )

    /** Waits for someone else's refresh; if its leader was interrupted, starts over. */
    const wait = (deferred: Deferred.Deferred<Cached, E>): Effect.Effect<Redacted.Redacted<string>, E> =>
      Deferred.await(deferred).pipe(
        Effect.map((cached) => cached.token),
        Effect.catchAllCause((cause) => Cause.isInterruptedOnly(cause) ? get : Effect.failCause(cause))
      )

    /** The hot path: a fresh cached token is returned as it is; anything else takes the single-flight path. */
    const get: Effect.Effect<Redacted.Redacted<string>, E> = Effect.clockWith((clock) => {
      const s = state.value
      return s._tag === "Ready" && isFresh(s.cached, clock.unsafeCurrentTimeMillis()) ? s.cached.hit : getNow
    })

    const getNow: Effect.Effect<Redacted.Redacted<string>, E> = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.fiberIdWith((fiberId) =>
        state.modify((s): [Decision<E>, State<E>] => {
          switch (s._tag) {
            case "Ready": {
              if (isFresh(s.cached, now)) {
                return [{ _tag: "Hit", token: s.cached.token }, s]
              }
              const deferred = Deferred.unsafeMake<Cached, E>(fiberId)
              const previous = isUsable(s.cached, now) ? s.cached : undefined
              return [{ _tag: "Lead", deferred, previous }, { _tag: "Refreshing", deferred, previous }]
            }
            case "Empty": {
              const deferred = Deferred.unsafeMake<Cached, E>(fiberId)
              return [{ _tag: "Lead", deferred, previous: undefined }, {
                _tag: "Refreshing",
                deferred,
                previous: undefined
              }]
            }
            case "Refreshing": {
              if (s.previous !== undefined && isUsable(s.previous, now)) {
                return [{ _tag: "Hit", token: s.previous.token }, s]
              }
              return [{ _tag: "Wait", deferred: s.deferred }, s]
            }
          }
        })
      ).pipe(
        Effect.flatMap((decision) => {
          switch (decision._tag) {
            case "Hit":
              return Effect.succeed(decision.token)
            case "Wait":
              return wait(decision.deferred)
            case "Lead":
              return refresh(decision.deferred).pipe(
                Effect.zipRight(Deferred.await(decision.deferred)),
                Effect.map((cached) =>
                  cached.token
                )
              )
          }
        })
      ))

    const invalidate = (token: Redacted.Redacted<string>): Effect.Effect<void> =>
      state.update((s): State<E> => {
        switch (s._tag) {
          case "Ready":
            return sameToken(s.cached.token, token) ? { _tag: "Empty" } : s
          case "Refreshing":
            return s.previous !== undefined && sameToken(s.previous.token, token)
              ? { _tag: "Refreshing", deferred: s.deferred, previous: undefined }
              : s
          case "Empty":
            return s
        }
      })

    return { get, invalidate }
  })
