#!/usr/bin/env node
/**
 * The `fcm` executable: `pnpm fcm …` from the workspace root, or `node --import tsx packages/cli/src/bin.ts …`.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Cli from "./Cli.js"

// Through `pnpm fcm …` the script runs in the workspace root: resolve relative paths from where it was typed.
if (process.env.npm_lifecycle_event === "fcm" && process.env.INIT_CWD !== undefined) process.chdir(process.env.INIT_CWD)

// A reader that goes away early (`fcm send --json | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0)
    throw error
  })
}

Cli.run(process.argv.slice(2)).pipe(
  Effect.provide(NodeContext.layer),
  (program) =>
    NodeRuntime.runMain(program, {
      disableErrorReporting: true,
      teardown: (exit, onExit) => {
        const code = Exit.isSuccess(exit)
          ? typeof exit.value === "number" ? exit.value : Cli.ExitCode.Unexpected
          : Cause.isInterruptedOnly(exit.cause)
          ? Cli.ExitCode.Interrupted
          : Cli.ExitCode.Unexpected
        process.exitCode = code
        onExit(code)
      }
    })
)
