/**
 * The CPU cost of preparing one v1 message for the wire, without a network: validating it (`MessageV1.validate`),
 * encoding it into the wire JSON object (`MessageV1.toWire`) and writing the request body. Rounds alternate; the
 * median of each step is printed, in µs of CPU per message (user + system: on a busy machine the wall
 * time counts the waits for a core).
 *
 *   tsx packages/bench/src/encode.ts [--messages 20000] [--rounds 7]
 */
import { MessageV1 } from "@effect-fcm/fcm"
import * as Either from "effect/Either"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    rounds: { type: "string", default: "7" }
  }
})
const n = Number(values.messages)
const rounds = Number(values.rounds)

/** A small message, as an application sends it: a notification, some data, an Android and an APNs block. */
const small = (i: number): MessageV1.MessageV1 => ({
  token: `token-${i}`,
  notification: { title: "Match update", body: `Arsenal ${i % 5}-0` },
  data: { match: "42", minute: String(i % 90) },
  android: { priority: "high", ttl: 3_600_000, notification: { channelId: "scores" } },
  apns: { payload: { aps: { badge: 1, sound: "default" } } }
})

const messages = Array.from({ length: n }, (_, i) => small(i))
const valid = messages.map((m) => Either.getOrThrow(MessageV1.validateEither(m)))

const steps: ReadonlyArray<readonly [string, () => unknown]> = [
  ["validate", () => {
    for (const m of messages) MessageV1.validateEither(m)
  }],
  ["toWire", () => {
    for (const m of valid) MessageV1.toWire(m)
  }],
  ["toWire + JSON.stringify", () => {
    for (const m of valid) JSON.stringify(MessageV1.toWire(m))
  }]
]

const samples = new Map<string, Array<number>>(steps.map(([label]) => [label, []]))
for (let round = 0; round < rounds; round++) {
  for (const [label, run] of steps) {
    const cpu0 = process.cpuUsage()
    run()
    const cpu = process.cpuUsage(cpu0)
    samples.get(label)!.push((cpu.user + cpu.system) / n)
  }
}
const median = (xs: Array<number>) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
for (const [label, xs] of samples) console.log(`${label.padEnd(26)} ${median(xs).toFixed(2)} µs/message`)
