/**
 * The one place that decides which `HttpClient` the command line sends with.
 *
 * Today it is undici (`NodeHttpClient.layerUndici…` from `@effect/platform-node`) with HTTP/1.1 keep-alive
 * connections. A certificate authority given with `--ca` (or the certificate of an in-process emulator running with
 * TLS) is trusted in addition to the system's roots. Everything else in the command line only asks for
 * `HttpClient.HttpClient`, so a pooled HTTP/2 client can take this module's place without touching the commands.
 */
import type { HttpClient } from "@effect/platform"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import { Effect, Layer } from "effect"
import * as tls from "node:tls"

/** @internal */
export interface Options {
  /** Extra certificate authorities (PEM) to trust, e.g. a TLS emulator's self-signed certificate. */
  readonly ca?: ReadonlyArray<string> | undefined
}

/**
 * The `HttpClient` the commands send with; its connections close when the layer's scope closes.
 *
 * @internal
 */
export const layer = (options: Options = {}): Layer.Layer<HttpClient.HttpClient> => {
  const extra = options.ca ?? []
  const dispatcher = Layer.scoped(
    NodeHttpClient.Dispatcher,
    Effect.acquireRelease(
      Effect.sync(() =>
        new Undici.Agent(extra.length === 0 ? {} : { connect: { ca: [...tls.rootCertificates, ...extra] } })
      ),
      (agent) => Effect.promise(() => agent.destroy())
    )
  )
  return NodeHttpClient.layerUndiciWithoutDispatcher.pipe(Layer.provide(dispatcher))
}
