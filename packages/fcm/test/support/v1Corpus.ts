/**
 * The v1 messages the tests share: a message with every field, the docs' example, and messages FCM accepts at the
 * edges of its rules.
 */
import * as V1 from "../../src/MessageV1.js"

/** Every field the camelCase message has, set. */
export const FULL: V1.MessageV1 = {
  token: "registration-token",
  data: { score: "3-0", time: "90+2" },
  notification: { title: "Match update", body: "Arsenal goal", imageUrl: "https://example.com/goal.png" },
  android: {
    collapseKey: "score_update",
    priority: "high",
    ttl: 3_500,
    restrictedPackageName: "com.example.scores",
    data: { score: "3-0" },
    notification: {
      title: "Android title",
      body: "Android body",
      icon: "stock_ticker_update",
      color: "#f45342",
      sound: "default",
      tag: "score",
      clickAction: "OPEN_SCORES",
      bodyLocKey: "BODY",
      bodyLocArgs: ["Arsenal"],
      titleLocKey: "TITLE",
      titleLocArgs: ["3", "0"],
      channelId: "scores",
      ticker: "Goal!",
      sticky: false,
      eventTimestamp: new Date("2024-05-01T12:00:00.123Z"),
      localOnly: true,
      priority: "max",
      vibrateTimingsMillis: [500, 1000, 250],
      defaultVibrateTimings: false,
      defaultSound: true,
      lightSettings: { color: "#ff000080", lightOnDurationMillis: 100, lightOffDurationMillis: 2500 },
      defaultLightSettings: false,
      visibility: "private",
      notificationCount: 7,
      imageUrl: "https://example.com/android.png",
      proxy: "if_priority_lowered"
    },
    fcmOptions: { analyticsLabel: "android_label" },
    directBootOk: true,
    bandwidthConstrainedOk: true,
    restrictedSatelliteOk: false
  },
  apns: {
    headers: { "apns-priority": "10", "apns-push-type": "alert" },
    payload: {
      aps: {
        alert: {
          title: "iOS title",
          subtitle: "iOS subtitle",
          body: "iOS body",
          locKey: "LOC",
          locArgs: ["a"],
          titleLocKey: "TLOC",
          titleLocArgs: ["b"],
          subtitleLocKey: "SLOC",
          subtitleLocArgs: ["c"],
          actionLocKey: "ALOC",
          launchImage: "launch.png"
        },
        badge: 42,
        sound: { critical: true, name: "alarm.caf", volume: 0.5 },
        contentAvailable: true,
        mutableContent: true,
        category: "SCORES",
        threadId: "match-1",
        "interruption-level": "time-sensitive"
      },
      matchId: 1234,
      teams: ["Arsenal", "Chelsea"]
    },
    fcmOptions: { analyticsLabel: "ios_label", imageUrl: "https://example.com/ios.png" },
    liveActivityToken: "live-activity-token"
  },
  webpush: {
    headers: { TTL: "300", Urgency: "high" },
    data: { web: "1" },
    notification: {
      title: "Web title",
      body: "Web body",
      icon: "https://example.com/icon.png",
      requireInteraction: true,
      actions: [{ action: "open", title: "Open" }],
      customKey: { nested: [1, 2] }
    },
    fcmOptions: { link: "https://example.com/match/1", analyticsLabel: "web_label" }
  },
  fcmOptions: { analyticsLabel: "campaign_42" }
}

/** The example of docs/v1-translation.md. */
export const DOCS_EXAMPLE: V1.MessageV1 = {
  topic: "scores",
  notification: { title: "Match update", body: "Arsenal goal in added time, score is now 3-0" },
  android: {
    ttl: 86_400_000,
    priority: "high",
    notification: { clickAction: "OPEN_SCORES", channelId: "scores", color: "#f45342" }
  },
  apns: {
    headers: { "apns-priority": "5" },
    payload: { aps: { category: "NEW_MESSAGE_CATEGORY", contentAvailable: true }, matchId: "1234" }
  },
  webpush: { headers: { TTL: "86400" }, fcmOptions: { link: "https://example.com/scores" } }
}

/** Messages FCM accepts, at the edges of its rules (some from untyped JavaScript). */
export const VALID: ReadonlyArray<unknown> = [
  { token: "t" },
  { topic: "news" },
  { topic: "/topics/news" },
  { condition: ["a", "b", "c", "d", "e"].map((t) => `'${t}' in topics`).join(" && ") },
  { token: "t", android: { ttl: 0 } },
  { token: "t", android: { ttl: V1.MAX_TTL_MILLIS } },
  { token: "t", android: { notification: { color: "#A1b2C3", eventTimestamp: "2024-05-01T12:00:00.123456789Z" } } },
  { token: "t", apns: { payload: { aps: { sound: { name: "s", volume: 0 } } } } },
  { token: "t", apns: { payload: { aps: { sound: { name: "s", volume: 1 } } } } },
  { token: "t", apns: { payload: { aps: { alert: "plain" }, deep: { a: [null, true, "x"] } } } },
  { token: "t", webpush: { notification: { anything: { goes: ["here"] } } } },
  { token: "t", data: { k: "€".repeat(1300) } },
  { topic: "news", data: { k: "x".repeat(2000) } },
  // Each platform receives its own data; their sum may exceed the limit.
  { token: "t", data: { k: "x".repeat(4000) }, android: { data: { k: "x".repeat(4000) } } },
  { token: "t", notification: { title: undefined }, android: undefined }
]
