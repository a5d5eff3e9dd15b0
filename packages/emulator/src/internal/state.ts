/**
 * What the routes share of the model's state: its configuration, the scenario engine, the trusted service
 * accounts, the access tokens it issued, and the ids it hands out.
 *
 * @internal
 */
import type * as M from "../Model.js"
import type { Engine } from "./engine.js"
import type * as OAuth from "./oauth.js"
import type { ProjectQuota } from "./quota.js"

/** @internal */
export interface Issued {
  readonly expiresAt: number
  readonly projectId: string | undefined
}

/** @internal */
export interface State {
  readonly projectId: string
  readonly apiKeySet: ReadonlySet<string>
  readonly enforceProject: boolean
  readonly clockSkew: number
  readonly engine: Engine
  /** The project's message quota, when one is configured (`quota.ts`). */
  readonly quota: ProjectQuota | undefined
  readonly trusted: ReadonlyMap<string, OAuth.TrustedKey>
  readonly accessTokens: ReadonlyMap<string, Issued>
  readonly issueAccessToken: M.Model["issueAccessToken"]
  /** A legacy message id, `0:<now><seq>%<suffix>`. */
  readonly messageId: (now: number) => string
  /** A numeric id (multicast ids, topic message ids), increasing. */
  readonly numericId: (now: number) => number
  /** Topic → the tokens subscribed to it (`topicsRoute.ts`). */
  readonly subscriptions: Map<string, Set<string>>
  /** `projects/{project}/messages/`, escaped for a JSON string. */
  readonly namePrefix: (project: string) => string
}
