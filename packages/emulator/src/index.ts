/**
 * @since 0.1.0
 */

/**
 * Scenarios: how the emulator answers a token, a prefix, everything, or the
 * next requests on a route.
 *
 * @since 0.1.0
 */
export * as Scenario from "./Scenario.js"

/**
 * The pure behaviour model of FCM (legacy, HTTP v1, OAuth2, metadata server).
 *
 * @since 0.1.0
 */
export * as Model from "./Model.js"

/**
 * The inspection and control service shared by both front ends.
 *
 * @since 0.1.0
 */
export * as Emulator from "./Emulator.js"

/**
 * The in-memory fake `HttpClient`.
 *
 * @since 0.1.0
 */
export * as FcmFake from "./FcmFake.js"

/**
 * The loopback HTTP/2 + HTTP/1.1 server.
 *
 * @since 0.1.0
 */
export * as FcmEmulator from "./FcmEmulator.js"

/**
 * Throwaway service accounts and their JWT assertions.
 *
 * @since 0.1.0
 */
export * as ServiceAccount from "./ServiceAccount.js"
