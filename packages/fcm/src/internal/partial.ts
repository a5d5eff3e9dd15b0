/**
 * An error that failed a send as a whole, given the outcome of every target as far as the send got.
 *
 * @internal
 */
import type { FcmError } from "../FcmError.js"
import { AuthenticationError, InvalidMessage, TransportError } from "../FcmError.js"
import type { Result } from "../Result.js"

/**
 * The same error, carrying `partial`.
 *
 * @internal
 */
export const withPartial = (error: FcmError, partial: Result<any>): FcmError => {
  switch (error._tag) {
    case "AuthenticationError":
      return new AuthenticationError({ ...error, partial })
    case "InvalidMessage":
      return new InvalidMessage({ ...error, partial })
    case "TransportError":
      return new TransportError({ ...error, partial })
  }
}
