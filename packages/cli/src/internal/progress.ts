/**
 * The progress bar of large sends: drawn on stderr when it is a terminal and the send has more than a few hundred
 * tokens, redrawn a few times a second, with the rate, done/total and the time left. Nothing is drawn otherwise.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"

/**
 * Sends with at most this many tokens get no progress bar.
 *
 * @internal
 */
export const THRESHOLD = 300

/** @internal */
export interface Progress {
  /** Counts `n` more outcomes. */
  readonly advance: (n: number) => void
  /** Draws the final state and ends the line. */
  readonly finish: Effect.Effect<void>
}

const number = new Intl.NumberFormat("en-US")

const clock = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, "0")
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`
}

/**
 * One line of the progress bar: `[#######-------]  45,000/100,000  45%  12,345/s  ETA 0:04`. Without a total (a
 * tokens file read from stdin) only the count and the rate are shown.
 *
 * @internal
 */
export const render = (state: {
  readonly done: number
  readonly total: number | undefined
  readonly elapsedMillis: number
  readonly width?: number
}): string => {
  const seconds = state.elapsedMillis / 1000
  const rate = seconds > 0 ? state.done / seconds : 0
  const rateText = `${number.format(Math.round(rate))}/s`
  if (state.total === undefined || state.total <= 0) {
    return `${number.format(state.done)} sent  ${rateText}  ${clock(seconds)}`
  }
  const fraction = Math.min(1, state.done / state.total)
  const width = state.width ?? 24
  const filled = Math.round(fraction * width)
  const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`
  const left = state.done >= state.total
    ? "done"
    : rate > 0
    ? `ETA ${clock((state.total - state.done) / rate)}`
    : "ETA --:--"
  return `${bar}  ${number.format(state.done)}/${number.format(state.total)}  ${
    Math.floor(fraction * 100)
  }%  ${rateText}  ${left}`
}

const none: Progress = { advance: () => {}, finish: Effect.void }

/**
 * A progress bar on `stream` (stderr by default): a no-op unless the stream is a terminal and the send is large
 * (`total` over {@link THRESHOLD}, or, when the total is unknown, once that many outcomes are in).
 *
 * @internal
 */
export const make = (options: {
  readonly total: number | undefined
  readonly stream?: NodeJS.WriteStream
}): Effect.Effect<Progress, never, Scope.Scope> =>
  Effect.gen(function*() {
    const stream = options.stream ?? process.stderr
    if (stream.isTTY !== true) return none
    if (options.total !== undefined && options.total <= THRESHOLD) return none
    const started = Date.now()
    let done = 0
    let shown = false
    const draw = Effect.sync(() => {
      if (options.total === undefined && done <= THRESHOLD) return
      shown = true
      const line = render({ done, total: options.total, elapsedMillis: Date.now() - started })
      stream.write(`\r\u001b[2K${line}`)
    })
    yield* Effect.forkScoped(Effect.repeat(draw, Schedule.spaced(Duration.millis(150))))
    return {
      advance: (n) => {
        done += n
      },
      finish: Effect.zipRight(
        draw,
        Effect.sync(() => {
          if (shown) stream.write("\n")
        })
      )
    }
  })
