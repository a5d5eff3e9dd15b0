/**
 * @since 0.1.0
 */
export * as Backoff from "./Backoff.js"

/**
 * @since 0.1.0
 */
export * as Credentials from "./Credentials.js"

/**
 * @since 0.1.0
 */
export * as FcmClient from "./FcmClient.js"

/**
 * @since 0.1.0
 */
export * as FcmError from "./FcmError.js"

/**
 * @since 0.1.0
 */
export * as FcmLegacy from "./FcmLegacy.js"

/**
 * @since 0.1.0
 */
export * as FcmV1 from "./FcmV1.js"

/**
 * @since 0.1.0
 */
export * as Message from "./Message.js"

/**
 * @since 0.1.0
 */
export * as MessageV1 from "./MessageV1.js"

/**
 * @since 0.1.0
 */
export * as Result from "./Result.js"
