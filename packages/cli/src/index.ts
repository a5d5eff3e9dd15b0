/**
 * @since 0.1.0
 */

/**
 * The `fcm` command line as `@effect/cli` commands, runnable in-process.
 *
 * @since 0.1.0
 */
export * as Cli from "./Cli.js"
