/**
 * What a send reports: the report files for cleanup jobs (written as outcomes stream in), the summary, the exit code
 * and the `--json` report.
 */
import type { Result } from "@effect-fcm/fcm"
import type * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as path from "node:path"
import { CliError, ExitCode } from "./errors.js"

// -----------------------------------------------------------------------------
// report files
// -----------------------------------------------------------------------------

/**
 * The files of `--report-dir`.
 *
 * @internal
 */
export const FILES = {
  notRegistered: "not-registered.txt",
  canonical: "canonical.csv",
  failed: "failed.csv",
  retryable: "retryable.txt",
  unknown: "unknown.txt",
  summary: "summary.json"
} as const

/** @internal */
export interface ReportWriter {
  readonly dir: string
  /** Appends the outcomes of a chunk to the files they belong in. */
  readonly write: (chunk: Chunk.Chunk<Result.TokenOutcome>) => Effect.Effect<void, CliError>
  /** Writes `summary.json` and flushes and closes every file. */
  readonly close: (summary: unknown) => Effect.Effect<void, CliError>
}

/**
 * A CSV field, quoted when it holds a comma, a quote or a line break.
 *
 * @internal
 */
export const csvField = (value: string): string => /[",\r\n]/.test(value) ? `"${value.replace(/"/g, "\"\"")}"` : value

interface File {
  readonly path: string
  readonly stream: fs.WriteStream
  error: unknown
}

const openFile = (dir: string, name: string, header: string): Effect.Effect<File, CliError> => {
  const target = path.join(dir, name)
  return Effect.try({
    try: () => {
      // Opened synchronously so that an unwritable directory is reported before anything is sent.
      const fd = fs.openSync(target, "w")
      const file: File = { path: target, stream: fs.createWriteStream(target, { fd }), error: undefined }
      file.stream.on("error", (error) => {
        file.error = error
      })
      if (header.length > 0) file.stream.write(header)
      return file
    },
    catch: (error) =>
      new CliError({
        code: ExitCode.Usage,
        message: `cannot write report file ${target}: ${error instanceof Error ? error.message : String(error)}`
      })
  })
}

const writeError = (file: File, error: unknown) =>
  new CliError({
    code: ExitCode.Usage,
    message: `cannot write report file ${file.path}: ${error instanceof Error ? error.message : String(error)}`
  })

const writeTo = (file: File, text: string): Effect.Effect<void, CliError> =>
  Effect.async<void, CliError>((resume) => {
    if (file.error !== undefined) return resume(Effect.fail(writeError(file, file.error)))
    if (text.length === 0 || file.stream.write(text)) return resume(Effect.void)
    // The disk is slower than the sends: wait until the file has taken what it was given.
    const onDrain = () => {
      file.stream.off("error", onError)
      resume(Effect.void)
    }
    const onError = (error: unknown) => {
      file.stream.off("drain", onDrain)
      resume(Effect.fail(writeError(file, error)))
    }
    file.stream.once("drain", onDrain)
    file.stream.once("error", onError)
  })

const endFile = (file: File): Effect.Effect<void, CliError> =>
  Effect.async<void, CliError>((resume) => {
    if (file.stream.closed) {
      return resume(file.error === undefined ? Effect.void : Effect.fail(writeError(file, file.error)))
    }
    file.stream.end(() => resume(file.error === undefined ? Effect.void : Effect.fail(writeError(file, file.error))))
  })

/**
 * Creates `dir` and its report files (emptied if they exist). Every file exists after a send, empty or not, so
 * cleanup jobs can read them unconditionally:
 *
 * - `not-registered.txt`: one token per line, to delete;
 * - `canonical.csv`: `old,new`, tokens to replace;
 * - `failed.csv`: `token,code`, tokens that failed for good;
 * - `retryable.txt`: one token per line, a tokens file to send again later;
 * - `summary.json`: the `--json` report.
 *
 * @internal
 */
export const open = (dir: string): Effect.Effect<ReportWriter, CliError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* Effect.try({
      try: () => fs.mkdirSync(dir, { recursive: true }),
      catch: (error) =>
        new CliError({
          code: ExitCode.Usage,
          message: `cannot create report directory ${dir}: ${error instanceof Error ? error.message : String(error)}`
        })
    })
    const files = yield* Effect.acquireRelease(
      Effect.all({
        notRegistered: openFile(dir, FILES.notRegistered, ""),
        canonical: openFile(dir, FILES.canonical, "old,new\n"),
        failed: openFile(dir, FILES.failed, "token,code\n"),
        retryable: openFile(dir, FILES.retryable, ""),
        unknown: openFile(dir, FILES.unknown, "")
      }),
      (files) => Effect.forEach(Object.values(files), (file) => Effect.ignore(endFile(file)), { discard: true })
    )
    const write = (chunk: Chunk.Chunk<Result.TokenOutcome>) => {
      let notRegistered = ""
      let canonical = ""
      let failed = ""
      let retryable = ""
      let unknown = ""
      for (const { outcome, token } of chunk) {
        switch (outcome._tag) {
          case "Canonical":
            canonical += `${csvField(token)},${csvField(outcome.newToken)}\n`
            break
          case "NotRegistered":
            notRegistered += `${token}\n`
            break
          case "Failed":
            failed += `${csvField(token)},${csvField(outcome.code)}\n`
            break
          case "Retryable":
            retryable += `${token}\n`
            break
          case "Unknown":
            unknown += `${token}\n`
            break
        }
      }
      return Effect.all([
        writeTo(files.notRegistered, notRegistered),
        writeTo(files.canonical, canonical),
        writeTo(files.failed, failed),
        writeTo(files.retryable, retryable),
        writeTo(files.unknown, unknown)
      ], { discard: true })
    }
    const close = (summary: unknown) =>
      Effect.zipRight(
        Effect.forEach(Object.values(files), endFile, { discard: true }),
        Effect.tryPromise({
          try: () => fs.promises.writeFile(path.join(dir, FILES.summary), JSON.stringify(summary, null, 2) + "\n"),
          catch: (error) =>
            new CliError({
              code: ExitCode.Usage,
              message: `cannot write ${path.join(dir, FILES.summary)}: ${
                error instanceof Error ? error.message : String(error)
              }`
            })
        })
      )
    return { dir, write, close }
  })

// -----------------------------------------------------------------------------
// exit code and reports
// -----------------------------------------------------------------------------

/**
 * The exit code of a finished send: 5 when some targets are still retryable, else 4 when some are not registered,
 * failed, or (at most once) unknown, else 0.
 *
 * @internal
 */
export const exitCodeOf = (summary: Result.Summary): ExitCode =>
  summary.retryable > 0
    ? ExitCode.Retryable
    : summary.notRegistered + summary.failed + summary.unknown > 0
    ? ExitCode.Partial
    : ExitCode.Ok

/**
 * The per-token detail of a send held in memory (tokens given on the command line, a topic, a condition).
 *
 * @internal
 */
export interface Details {
  readonly delivered: Record<string, string>
  readonly canonical: Record<string, string>
  readonly notRegistered: ReadonlyArray<string>
  readonly failed: Record<string, string>
  readonly retryable: Record<string, string>
  readonly unknown: Record<string, string>
}

/** @internal */
export const detailsOf = (result: Result.Result): Details => {
  const json = result.toJSON()
  return {
    delivered: json.success,
    canonical: json.canonical,
    notRegistered: json.notRegistered,
    failed: json.failed,
    retryable: json.retryable,
    unknown: json.unknown
  }
}

/**
 * The machine-readable report of `--json` (and `summary.json`).
 *
 * @internal
 */
export interface JsonReport {
  readonly exitCode: number
  readonly protocol: "v1" | "legacy"
  readonly project: string | null
  readonly dryRun: boolean
  readonly target: string
  readonly total: number
  readonly delivered: number
  readonly canonical: number
  readonly notRegistered: number
  readonly failed: number
  readonly failedByCode: Readonly<Record<string, number>>
  readonly retryable: number
  /** Targets that may or may not have been delivered (`--at-most-once`): never sent again. */
  readonly unknown: number
  readonly elapsedMillis: number
  readonly reportDir: string | null
  /** Each target's outcome, for sends whose targets were given in full (not a tokens file). */
  readonly tokens: Details | null
}

/** @internal */
export const jsonReport = (options: {
  readonly summary: Result.Summary
  readonly protocol: "v1" | "legacy"
  readonly project: string | undefined
  readonly dryRun: boolean
  readonly target: string
  readonly elapsedMillis: number
  readonly reportDir: string | undefined
  readonly details: Details | undefined
}): JsonReport => ({
  exitCode: exitCodeOf(options.summary),
  protocol: options.protocol,
  project: options.project ?? null,
  dryRun: options.dryRun,
  target: options.target,
  total: options.summary.total,
  delivered: options.summary.success,
  canonical: options.summary.canonical,
  notRegistered: options.summary.notRegistered,
  failed: options.summary.failed,
  failedByCode: options.summary.failedByCode,
  retryable: options.summary.retryable,
  unknown: options.summary.unknown,
  elapsedMillis: options.elapsedMillis,
  reportDir: options.reportDir ?? null,
  tokens: options.details ?? null
})

const number = new Intl.NumberFormat("en-US")

/**
 * Per-token lines are printed for sends of at most this many tokens.
 *
 * @internal
 */
export const DETAIL_LIMIT = 50

const seconds = (millis: number) => millis < 1000 ? `${millis} ms` : `${(millis / 1000).toFixed(1)} s`

/**
 * The human summary: one line per bucket with what to do about it, the tokens of each bucket for small sends, and
 * where the report files are.
 *
 * @internal
 */
export const summaryText = (report: JsonReport): string => {
  const lines: Array<string> = []
  const via = report.protocol === "v1"
    ? `HTTP v1${report.project === null ? "" : ` (project ${report.project})`}`
    : "the legacy API"
  const count = report.tokens === null ? ` (${number.format(report.total)} tokens)` : ""
  lines.push(
    `${report.dryRun ? "Validated (dry run)" : "Sent"} to ${report.target}${count} over ${via} in ${
      seconds(report.elapsedMillis)
    }`
  )
  const codes = Object.entries(report.failedByCode).sort(([, a], [, b]) => b - a)
  const row = (label: string, count: number, advice: string) =>
    `  ${label.padEnd(17)}${number.format(count).padStart(9)}${count > 0 && advice.length > 0 ? `  ${advice}` : ""}`
  lines.push(row(report.dryRun ? "valid (dry run)" : "delivered", report.delivered, ""))
  lines.push(row("canonical", report.canonical, "delivered; replace the old tokens with the new ones"))
  lines.push(row("not registered", report.notRegistered, "delete these tokens"))
  lines.push(row("failed", report.failed, "fix or drop these tokens"))
  for (const [code, count] of codes) lines.push(`    ${code.padEnd(24)}${number.format(count).padStart(8)}`)
  lines.push(row("still retryable", report.retryable, "send these again later"))
  if (report.unknown > 0) {
    lines.push(row("unknown", report.unknown, "delivered once or not at all (--at-most-once): not sent again"))
  }
  const details = report.tokens
  if (details !== null && report.total <= DETAIL_LIMIT && report.total > 0) {
    const section = (title: string, entries: ReadonlyArray<readonly [string, string]>) => {
      if (entries.length === 0) return
      const width = Math.max(...entries.map(([token]) => token.length))
      lines.push(title)
      for (const [token, note] of entries) {
        lines.push(`  ${note.length === 0 ? token : `${token.padEnd(width)}  ${note}`}`)
      }
    }
    section(report.dryRun ? "Valid:" : "Delivered:", Object.entries(details.delivered))
    section("Replace (canonical):", Object.entries(details.canonical).map(([t, n]) => [t, `-> ${n}`]))
    section("Delete (not registered):", details.notRegistered.map((t) => [t, ""]))
    section("Fix or drop (failed):", Object.entries(details.failed))
    section("Send again later (retryable):", Object.entries(details.retryable))
    section("Delivered once or not at all (unknown):", Object.entries(details.unknown))
  }
  if (report.reportDir !== null) {
    lines.push(
      `Reports in ${report.reportDir}: ${FILES.notRegistered}, ${FILES.canonical}, ${FILES.failed}, ${FILES.retryable}, ${FILES.unknown}, ${FILES.summary}`
    )
  }
  return lines.join("\n")
}
