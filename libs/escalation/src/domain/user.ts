/**
 * A person who can be on call. Schedules and overrides name users by `id`; `slackUserId` (U…) is
 * how pages and mentions reach them in Slack, and `timeZone` (IANA) lets messages show times on
 * their own clock. Users themselves are configuration, kept outside the schedule's events.
 */
export type User = {
  id: string;
  name: string;
  slackUserId?: string;
  email?: string;
  timeZone?: string;
};
