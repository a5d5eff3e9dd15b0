/**
 * Usage errors in the `fcm: …` format: the command line checked against the flags of each command (read from the
 * commands' own `Usage`, so they cannot drift apart) before `@effect/cli` parses it, with a "did you mean" for an
 * unknown command or flag; and `@effect/cli`'s value errors (`'1h' is not a integer`) rewritten to name the flag and
 * what it accepts.
 */
import { AutoCorrect, CliConfig, HelpDoc } from "@effect/cli"
import type { Usage } from "@effect/cli"
import * as Option from "effect/Option"

/** A flag of a command: its names, what its value looks like (none for a switch), whether it may repeat. */
export interface Flag {
  readonly names: ReadonlyArray<string>
  /** The placeholder of its value (`SECONDS`), or its choices (`high | normal`); none for a switch. */
  readonly value: string | undefined
  readonly repeated: boolean
}

/** A command's flags by name, and whether it also takes positional arguments (then it is not checked here). */
export interface CommandSpec {
  readonly flags: ReadonlyMap<string, Flag>
  readonly positional: boolean
}

/** The options `@effect/cli` adds to every command. */
const builtIns: ReadonlyArray<Flag> = [
  { names: ["--help", "-h"], value: undefined, repeated: false },
  { names: ["--version"], value: undefined, repeated: false },
  { names: ["--wizard"], value: undefined, repeated: false },
  { names: ["--completions"], value: "SHELL", repeated: false },
  { names: ["--log-level"], value: "LEVEL", repeated: false }
]

/**
 * The flags of one command, from its usage (`Concat(Named([name]), options…)`).
 *
 * @internal
 */
export const specOf = (usage: Usage.Usage): CommandSpec => {
  const flags = new Map<string, Flag>()
  let names = 0
  let positional = false
  const walk = (u: Usage.Usage, repeated: boolean): void => {
    switch (u._tag) {
      case "Named": {
        if (u.names.some((n) => n.startsWith("-"))) {
          const flag: Flag = { names: u.names, value: Option.getOrUndefined(u.acceptedValues), repeated }
          for (const name of u.names) flags.set(name, flag)
        } else if (names++ > 0) {
          positional = true
        }
        return
      }
      case "Optional":
        return walk(u.usage, repeated)
      case "Repeated":
        return walk(u.usage, true)
      case "Concat":
      case "Alternation":
        walk(u.left, repeated)
        return walk(u.right, repeated)
      case "Mixed":
        positional = true
        return
      case "Empty":
        return
    }
  }
  walk(usage, false)
  for (const flag of builtIns) for (const name of flag.names) if (!flags.has(name)) flags.set(name, flag)
  return { flags, positional }
}

/**
 * The closest of `candidates` to `input`: one it starts (`--tokens` → `--tokens-file`), or one within a few typos.
 *
 * @internal
 */
export const closest = (input: string, candidates: Iterable<string>): string | undefined => {
  const all = [...new Set(candidates)]
  const bare = input.replace(/^-+/, "")
  if (bare.length >= 3) {
    const prefixed = all.filter((c) => c.replace(/^-+/, "").startsWith(bare)).sort((a, b) => a.length - b.length)
    if (prefixed.length > 0) return prefixed[0]
  }
  const limit = Math.max(2, Math.floor(bare.length / 3))
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of all) {
    const distance = AutoCorrect.levensteinDistance(input, candidate, CliConfig.defaultConfig)
    if (distance <= limit && distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

/** The values `@effect/cli` takes for a switch written `--json=VALUE`. */
const switchValues = ["true", "1", "y", "yes", "on", "false", "0", "n", "no", "off"]

const didYouMean = (suggestion: string | undefined) => suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`

/**
 * Checks a command line (the arguments after `fcm`) against the commands' flags; returns the first problem as one
 * line (without the `fcm: ` prefix), or undefined when `@effect/cli` can take it from here.
 *
 * @internal
 */
export const check = (
  program: string,
  commands: ReadonlyMap<string, CommandSpec>,
  args: ReadonlyArray<string>
): string | undefined => {
  const names = [...commands.keys()].sort()
  const [first, ...rest] = args
  if (first === undefined) return undefined
  if (first.startsWith("-")) {
    const name = first.split("=")[0]!
    if (builtIns.some((f) => f.names.includes(name))) return undefined
    const owners = names.filter((c) => commands.get(c)!.flags.has(name))
    if (owners.length > 0) {
      return `${name} is a flag of ${owners.map((c) => `${program} ${c}`).join(" and ")}: put it after the command`
    }
    return `unknown flag ${name}${didYouMean(closest(name, builtIns.flatMap((f) => f.names)))}`
  }
  const spec = commands.get(first)
  if (spec === undefined) {
    const suggestion = closest(first, names)
    return `unknown command ${first}${
      suggestion === undefined ? `: use one of ${names.join(", ")}` : ` (did you mean ${suggestion}?)`
    }`
  }
  if (spec.positional) return undefined
  const command = `${program} ${first}`
  const seen = new Set<Flag>()
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (arg === "--") return undefined
    if (!arg.startsWith("-") || arg === "-") {
      return `unexpected argument ${JSON.stringify(arg)}: ${command} takes flags only (see ${command} --help)`
    }
    const eq = arg.indexOf("=")
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg
    const flag = spec.flags.get(name)
    if (flag === undefined) {
      const owners = names.filter((c) => c !== first && commands.get(c)!.flags.has(name))
      const suggestion = closest(name, spec.flags.keys())
      return suggestion !== undefined
        ? `unknown flag ${name}${didYouMean(suggestion)}`
        : `unknown flag ${name} for ${command}${
          owners.length > 0
            ? ` (it is a flag of ${owners.map((c) => `${program} ${c}`).join(" and ")})`
            : ` (see ${command} --help)`
        }`
    }
    if (seen.has(flag) && !flag.repeated) return `${name} is given twice: it takes one value`
    seen.add(flag)
    if (name !== arg) {
      const inline = arg.slice(name.length + 1)
      if (flag.value !== undefined && inline === "") return `${name} needs a value: ${name} ${flag.value}`
      if (flag.value === undefined && !switchValues.includes(inline.toLowerCase())) {
        return `${name} is a switch: give it alone, without a value (${JSON.stringify(inline)})`
      }
      continue
    }
    if (flag.value === undefined) continue
    const next = rest[i + 1]
    if (next === undefined || (next.startsWith("-") && spec.flags.has(next.split("=")[0]!))) {
      return `${name} needs a value: ${name} ${flag.value}`
    }
    // @effect/cli would drop an empty value of a repeatable flag without a word.
    if (next.trim() === "" && flag.repeated) return `${name} ${flag.value} must not be empty`
    i++
  }
  return undefined
}

/**
 * The flags of a command line with their values, in order: `[["--ttl", "1h"], …]` (for finding which flag a value
 * error of `@effect/cli` is about).
 *
 * @internal
 */
export const flagValues = (
  spec: CommandSpec,
  args: ReadonlyArray<string>
): Array<readonly [name: string, value: string]> => {
  const out: Array<readonly [string, string]> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const eq = arg.indexOf("=")
    if (arg.startsWith("--") && eq > 0) {
      if (spec.flags.get(arg.slice(0, eq))?.value !== undefined) out.push([arg.slice(0, eq), arg.slice(eq + 1)])
      continue
    }
    const flag = spec.flags.get(arg)
    if (flag?.value !== undefined && i + 1 < args.length) out.push([arg, args[++i]!])
  }
  return out
}

/**
 * The text of an `@effect/cli` error, on one line, without colour.
 *
 * @internal
 */
export const plain = (doc: HelpDoc.HelpDoc): string =>
  HelpDoc.toAnsiText(doc).replace(ansi, "").replace(/\s+/g, " ").trim()

/** The escape sequences of ANSI colours and styles. */
export const ansi = /\u001b\[[0-9;]*m/g

/**
 * `@effect/cli`'s complaint about the value of one flag, as one line naming the flag and what it accepts.
 *
 * @internal
 */
export const valueError = (name: string, flag: Flag | undefined, value: string, message: string): string => {
  // A command that names the flag itself (the emulator's) already says what to fix.
  if (message.startsWith(`${name} `) || message.startsWith(`${name}:`)) return message
  const choices = /Expected one of the following cases: (.*)$/.exec(message)
  if (choices !== null) return `${name} must be one of ${choices[1]}, not ${JSON.stringify(value)}`
  const accepts = flag?.value === undefined ? "" : ` ${flag.value}`
  if (/is not a integer/.test(message)) return `${name}${accepts} must be a whole number, not ${JSON.stringify(value)}`
  if (/is not a float/.test(message)) return `${name}${accepts} must be a number, not ${JSON.stringify(value)}`
  if (/^must /.test(message)) {
    return `${name}${accepts} ${message}${value.trim() === "" ? "" : `, not ${JSON.stringify(value)}`}`
  }
  return `${name} ${JSON.stringify(value)}: ${message}`
}
