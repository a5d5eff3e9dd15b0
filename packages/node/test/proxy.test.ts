import { assert, describe, it } from "@effect/vitest"
import { noProxyMatches, resolveProxy } from "../src/internal/proxy.js"

const resolve = (target: string, env: Record<string, string>, option: string = "env") =>
  resolveProxy(option, new URL(target), env)?.href

describe("proxy selection", () => {
  it("reads https_proxy / HTTPS_PROXY for https targets and http_proxy / HTTP_PROXY for http targets", () => {
    assert.strictEqual(
      resolve("https://fcm.googleapis.com/v1", { HTTPS_PROXY: "http://proxy:3128" }),
      "http://proxy:3128/"
    )
    assert.strictEqual(
      resolve("https://fcm.googleapis.com/v1", { https_proxy: "proxy.corp:8080" }),
      "http://proxy.corp:8080/"
    )
    assert.strictEqual(
      resolve("https://fcm.googleapis.com/v1", { https_proxy: "http://lower:1", HTTPS_PROXY: "http://upper:2" }),
      "http://lower:1/"
    )
    assert.isUndefined(resolve("https://fcm.googleapis.com/v1", { HTTP_PROXY: "http://proxy:3128" }))
    assert.strictEqual(resolve("http://emulator.test:9099/", { HTTP_PROXY: "http://proxy:3128" }), "http://proxy:3128/")
    assert.isUndefined(resolve("https://fcm.googleapis.com/v1", {}))
    assert.isUndefined(resolve("https://fcm.googleapis.com/v1", { HTTPS_PROXY: "  " }))
  })

  it("honours NO_PROXY and never proxies loopback targets from the environment", () => {
    const env = { HTTPS_PROXY: "http://proxy:3128", NO_PROXY: "internal.example, .corp.test,api.other:8443" }
    assert.isUndefined(resolve("https://internal.example/", env))
    assert.isUndefined(resolve("https://a.internal.example/", env))
    assert.isUndefined(resolve("https://x.corp.test/", env))
    assert.isUndefined(resolve("https://corp.test/", env))
    assert.isUndefined(resolve("https://api.other:8443/", env))
    assert.strictEqual(resolve("https://api.other/", env), "http://proxy:3128/")
    assert.strictEqual(resolve("https://notinternal.example/", env), "http://proxy:3128/")
    assert.isUndefined(resolve("https://anything/", { HTTPS_PROXY: "http://proxy:3128", no_proxy: "*" }))
    for (const host of ["https://localhost:8443/", "https://127.0.0.1/", "https://[::1]:9000/"]) {
      assert.isUndefined(resolve(host, { HTTPS_PROXY: "http://proxy:3128" }), host)
    }
  })

  it("an explicit proxy applies to every target; none means direct", () => {
    assert.strictEqual(resolve("https://127.0.0.1/", {}, "http://127.0.0.1:3128"), "http://127.0.0.1:3128/")
    assert.isUndefined(resolve("https://fcm.googleapis.com/", { HTTPS_PROXY: "http://proxy:3128" }, "none"))
    assert.throws(() => resolve("https://fcm.googleapis.com/", {}, "socks5://proxy:1080"), /only http:\/\/ proxies/)
  })

  it("matches NO_PROXY entries by host, suffix, port and wildcard", () => {
    assert.isTrue(noProxyMatches("*.example.com", "a.example.com", "443"))
    assert.isTrue(noProxyMatches("example.com", "EXAMPLE.com", "443"))
    assert.isFalse(noProxyMatches("example.com", "badexample.com", "443"))
    assert.isTrue(noProxyMatches("[::2]:8443", "[::2]", "8443"))
    assert.isFalse(noProxyMatches("[::2]:8443", "[::2]", "443"))
    assert.isFalse(noProxyMatches("", "example.com", "443"))
  })
})
