// What the repository's step-by-step checks (pack-check.mjs, getting-started-check.mjs) share: one line per step
// ("ok" or "FAIL", its name, how long it took, a detail), the count of failed steps and the closing line, and the
// environment their commands run in (no package manager's script variables, no credentials).

/** A report of steps: `report(ok, name, detail)` prints one; `finish(check)` prints the closing line and exits. */
export const reporter = () => {
  const started = Date.now()
  let last = started
  let failures = 0
  const report = (ok, name, detail = "") => {
    if (!ok) failures++
    const now = Date.now()
    console.log(`${ok ? "ok  " : "FAIL"} ${name} (${((now - last) / 1000).toFixed(1)} s)${detail ? `: ${detail}` : ""}`)
    last = now
  }
  const finish = (check) => {
    const took = ((Date.now() - started) / 1000).toFixed(0)
    console.log(`${check}: ${failures === 0 ? "passed" : `${failures} failed`} in ${took} s`)
    process.exit(failures === 0 ? 0 : 1)
  }
  return { report, failures: () => failures, finish }
}

/** The environment of the commands a check runs: without a package manager's script variables and credentials. */
export const commandEnv = () => {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_|PNPM_|INIT_CWD$)/.test(k))
  )
  delete env.GOOGLE_APPLICATION_CREDENTIALS
  delete env.FCM_API_KEY
  return env
}
