/**
 * `fcm emulator`, `fcm token`, `fcm demo` and `--help`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { BIN, fcm, fcmInProcess, ROOT, tempDir, TSX } from "./support.js"

/** Starts `fcm …args` and resolves once stdout matches `ready`; `stop` sends SIGINT and waits for the exit. */
const start = (args: ReadonlyArray<string>, ready: RegExp) =>
  Effect.acquireRelease(
    Effect.async<{
      readonly stdout: () => string
      readonly stop: Effect.Effect<{ code: number | null; stdout: string; stderr: string }>
    }, Error>((resume) => {
      const child = spawn(process.execPath, ["--import", TSX, BIN, ...args], { cwd: ROOT, stdio: "pipe" })
      let stdout = ""
      let stderr = ""
      let started = false
      const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk
        if (!started && ready.test(stdout)) {
          started = true
          resume(Effect.succeed({
            stdout: () => stdout,
            stop: Effect.promise(() => {
              child.kill("SIGINT")
              return exited
            }).pipe(Effect.map((code) => ({ code, stdout, stderr })))
          }))
        }
      })
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk
      })
      void exited.then((code) => {
        if (!started) resume(Effect.fail(new Error(`fcm ${args.join(" ")} exited with ${code}: ${stderr}`)))
      })
    }),
    (running) => Effect.ignore(running.stop)
  )

const canConnect = (port: number) =>
  Effect.async<boolean>((resume) => {
    const socket = net.connect(port, "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.succeed(true))
    })
    socket.once("error", () => resume(Effect.succeed(false)))
  })

describe("fcm emulator / token", () => {
  it.scopedLive(
    "runs a TLS emulator with scenarios until Ctrl-C; token and send work against it",
    () =>
      Effect.gen(function*() {
        const out = tempDir()
        const emulator = yield* start(
          ["emulator", "--tls", "--out", out, "--token", "dev-gone=notRegistered", "--prefix", "flaky-=unavailable"],
          /certificate \(trust as CA\): .*\n/
        )
        const url = /listening on (https:\/\/127\.0\.0\.1:(\d+))/.exec(emulator.stdout())
        assert.isNotNull(url)
        const [, baseUrl, port] = url!
        const key = path.join(out, "service-account.json")
        const ca = path.join(out, "ca.pem")
        assert.include(emulator.stdout(), `service account key: ${key}`)
        assert.strictEqual(JSON.parse(fs.readFileSync(key, "utf8")).token_uri, `${baseUrl}/token`)
        assert.match(fs.readFileSync(ca, "utf8"), /^-----BEGIN CERTIFICATE-----/)

        // fcm token, as a subprocess: redacted by default.
        const token = yield* fcm(["token", "--credentials", key, "--ca", ca])
        assert.strictEqual(token.code, 0, token.stderr)
        assert.match(token.stdout.trim(), /^<redacted: \d+ chars>$/)
        assert.match(
          token.stderr,
          /^service account fcm-emulator-.*@emulator-project\.iam\.gserviceaccount\.com, project emulator-project\n$/
        )

        // --reveal prints the token itself.
        const revealed = yield* fcmInProcess(["token", "--credentials", key, "--ca", ca, "--reveal"])
        assert.strictEqual(revealed.code, 0, revealed.stderr)
        assert.match(revealed.stdout, /^ya29\.\S+$/)
        assert.strictEqual(token.stdout.trim(), `<redacted: ${revealed.stdout.length} chars>`)

        // Without the certificate, the self-signed TLS emulator is not trusted: a transport failure.
        const untrusted = yield* fcmInProcess(["token", "--credentials", key])
        assert.strictEqual(untrusted.code, 6, untrusted.stderr)

        // The scenario flags were applied by the emulator's own parser.
        const sent = yield* fcmInProcess([
          "send",
          "--credentials",
          key,
          "--ca",
          ca,
          "--base-url",
          baseUrl!,
          "--token",
          "dev-gone",
          "--token",
          "dev-ok",
          "--token",
          "flaky-1",
          "--no-retry",
          "--json"
        ])
        assert.strictEqual(sent.code, 5, sent.stderr)
        const report = JSON.parse(sent.stdout)
        assert.deepStrictEqual(report.tokens.notRegistered, ["dev-gone"])
        assert.deepStrictEqual(Object.keys(report.tokens.delivered), ["dev-ok"])
        assert.deepStrictEqual(Object.keys(report.tokens.retryable), ["flaky-1"])

        // Ctrl-C closes it cleanly.
        const stopped = yield* emulator.stop
        assert.strictEqual(stopped.code, 130)
        assert.match(stopped.stdout, /FCM emulator stopped\n$/)
        assert.strictEqual(stopped.stderr, "")
        assert.isFalse(yield* canConnect(Number(port)))
      }),
    60_000
  )

  it.live("token: a rejected key exits 3, a missing one 2", () =>
    Effect.gen(function*() {
      const missing = yield* fcmInProcess(["token", "--credentials", path.join(tempDir(), "nope.json")])
      assert.strictEqual(missing.code, 2)
      assert.match(missing.stderr, /^fcm: cannot read service account key file .*nope\.json: no such file$/)
      const none = yield* fcmInProcess(["token"])
      assert.strictEqual(none.code, 2)
      assert.match(none.stderr, /GOOGLE_APPLICATION_CREDENTIALS/)
    }))
})

describe("fcm demo", () => {
  it.live(
    "exits 0 and prints each bucket, what to do with it, and the real-FCM invocation",
    () =>
      Effect.gen(function*() {
        const run = yield* fcm(["demo"])
        assert.strictEqual(run.code, 0, run.stderr)
        assert.strictEqual(run.stderr, "")
        const out = run.stdout
        assert.match(out, /FCM emulator running in this process at http:\/\/127\.0\.0\.1:\d+/)
        assert.match(out, /device-busy\s+HTTP 503 Unavailable -> HTTP 200 delivered\n/)
        assert.match(out, /device-other-app\s+HTTP 403 /)
        assert.match(out, /Delivered: 3 {2}-> nothing to do\n(?: {2}.*\n){3}/)
        assert.match(out, /device-busy\s+\S+ {2}\(after 2 attempts: HTTP 503 Unavailable -> HTTP 200 delivered\)/)
        assert.match(
          out,
          /Replaced \(canonical\): 1 {2}-> delivered; replace the old token .*\n {2}device-moved -> device-moved-v2/
        )
        assert.match(out, /Not registered: 1 {2}-> delete these tokens from your database\n {2}device-gone/)
        assert.match(
          out,
          /Failed: 2 {2}-> fix or drop these tokens.*\n {2}device-bad\s+INVALID_ARGUMENT\n {2}device-other-app\s+SENDER_ID_MISMATCH/
        )
        assert.match(out, /Still retryable: 0 {2}-> send these again later\n {2}\(none\)/)
        // Started from the clone's source, so the command that works here is `pnpm fcm`.
        assert.match(out, /\n {4}pnpm fcm send --credentials service-account\.json \\\n\s+--token device-ok-1/)
        // how long it took is printed (its speed is the benchmark's business, not a test's)
        assert.isTrue(Number.isFinite(Number(/Done in ([\d.]+) s\./.exec(out)?.[1])))
      }),
    60_000
  )
})

describe("fcm --help", () => {
  it.live("documents the flags and the exit codes", () =>
    Effect.gen(function*() {
      const run = yield* fcmInProcess(["send", "--help"])
      assert.strictEqual(run.code, 0)
      const help = run.stdout
      // Repeatable flags may also be left out.
      assert.include(help, "$ send [--token TOKEN...] [--tokens-file FILE]")
      assert.include(help, "[--data KEY=VALUE...]")
      for (
        const flag of ["--tokens-file", "--message-file", "--max-attempts", "--no-retry", "--report-dir", "--emulator"]
      ) {
        assert.include(help, flag)
      }
      assert.include(help, "--tokens-file FILE")
      assert.include(help, "EXIT CODES")
      assert.match(help, /\n {4}5 {2}some targets are still retryable after the retries\n/)
      assert.match(help, /\n {4}0 {2}every target was delivered/)
    }))

  it.live("fcm emulator --help shows its repeatable flags as optional", () =>
    Effect.gen(function*() {
      const run = yield* fcmInProcess(["emulator", "--help"])
      assert.strictEqual(run.code, 0)
      assert.include(run.stdout, "[--api-key KEY...]")
      assert.include(run.stdout, "[--token TOKEN=SCENARIO...] [--prefix PREFIX=SCENARIO...]")
    }))

  it.live("no colour when stdout is not a terminal, NO_COLOR set or not", () =>
    Effect.gen(function*() {
      for (const NO_COLOR of [undefined, "1"]) {
        const run = yield* fcm(["send", "--help"], { env: { NO_COLOR } })
        assert.strictEqual(run.code, 0, run.stderr)
        assert.include(run.stdout, "--tokens-file FILE")
        assert.notInclude(run.stdout, "\u001b[")
      }
    }), 60_000)

  it.live("--version is the version of the package, which every published package shares", () =>
    Effect.gen(function*() {
      const manifest = (name: string) =>
        JSON.parse(fs.readFileSync(path.join(ROOT, "packages", name, "package.json"), "utf8"))
      const version = manifest("cli").version
      const run = yield* fcmInProcess(["--version"])
      assert.strictEqual(run.code, 0)
      assert.strictEqual(run.stdout.trim(), version)
      for (const name of fs.readdirSync(path.join(ROOT, "packages"))) {
        if (!fs.existsSync(path.join(ROOT, "packages", name, "package.json")) || manifest(name).private) continue
        assert.strictEqual(manifest(name).version, version, `packages/${name}`)
      }
    }))

  it.live("a bare `fcm` names the commands (exit 2)", () =>
    Effect.gen(function*() {
      const run = yield* fcmInProcess([])
      assert.strictEqual(run.code, 2)
      assert.match(run.stderr, /give a command: send, topic, emulator, token or demo/)
    }))
})
