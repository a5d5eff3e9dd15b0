/**
 * The `fcm` command line (`send`, `emulator`, `token`, `demo`) as `@effect/cli` commands, runnable in-process.
 *
 * @example
 * ```ts
 * import { Cli } from "@effect-fcm/cli"
 * import * as NodeContext from "@effect/platform-node/NodeContext"
 * import { Effect } from "effect"
 *
 * const exitCode = Cli.run(["--version"]).pipe(Effect.provide(NodeContext.layer))
 * ```
 *
 * @since 0.1.0
 */

/**
 * The `fcm` command line as `@effect/cli` commands, runnable in-process.
 *
 * @example
 * ```ts
 * import { Cli } from "@effect-fcm/cli"
 * import * as NodeContext from "@effect/platform-node/NodeContext"
 * import { Effect } from "effect"
 *
 * const exitCode = Cli.run(["send", "--emulator", "--topic", "news", "--data", "headline=Launch day"]).pipe(
 *   Effect.provide(NodeContext.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category exports
 */
export * as Cli from "./Cli.js"
