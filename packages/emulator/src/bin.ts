#!/usr/bin/env node
/**
 * The `fcm-emulator` executable: the emulator's command line ({@link EmulatorCommand.command}) under its own name,
 * e.g. `node --import tsx packages/emulator/src/bin.ts --tls` from a clone. `fcm emulator` is the same command.
 * A bad flag or a port that cannot be listened on exits 1 with the reason on stderr.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as EmulatorCommand from "./EmulatorCommand.js"

const cli = Command.run(EmulatorCommand.command, { name: "fcm-emulator", version: "0.1.0" })

cli(process.argv).pipe(
  Effect.catchAll((error) =>
    Effect.zipRight(
      // @effect/cli has printed a flag's problem already.
      ValidationError.isValidationError(error) ? Effect.void : Console.error(`fcm-emulator: ${error.message}`),
      Effect.sync(() => {
        process.exitCode = 1
      })
    )
  ),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
