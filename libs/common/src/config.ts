/** Vigil's configuration, read from the environment once at boot and checked. */
export interface VigilConfig {
  port: number;
  host: string;
  /** External PostgreSQL; absent means the embedded server. */
  databaseUrl: string | null;
  dataDir: string;
  embeddedPostgresPort: number;
  roles: { api: boolean; worker: boolean };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  databasePoolSize: number;
  /**
   * How often a worker's subscriptions look at the log when nothing woke them. Commits in the
   * same process wake them at once, and so do commits of API processes on the same database
   * (PostgreSQL NOTIFY); the poll is the fallback.
   */
  subscriptionPollMs: number;
  /**
   * Under load, how long a worker lets commits pile up after a round that took events before it
   * begins the next: a round of a few events costs nearly what a round of many costs. The incident
   * list does not wait for it (ingestion writes it with the alert's events).
   */
  roundGapMs: number;
  /**
   * Where SNS signing certificates and subscription URLs may be fetched from.
   * `certHostPattern` null means AWS's SNS hosts over https, the only setting
   * for production; a pattern (matched against the URL's host and port) and
   * `allowLoopbackHttp` exist for tests against a local fake SNS.
   */
  sns: { certHostPattern: string | null; allowLoopbackHttp: boolean };
  /** The Slack app; null (Slack off) without SLACK_BOT_TOKEN. */
  slack: SlackConfig | null;
}

export interface SlackConfig {
  botToken: string;
  signingSecret: string;
  /** Web API base URL, ending in a slash. */
  apiUrl: string;
  /** Severities ('SEV1'…'SEV4') that get an incident channel of their own. */
  channelSeverities: string[];
  /** SLACK_APP_TOKEN (`xapp-…`): Bolt connects out over Socket Mode instead of taking HTTP requests. */
  appToken: string | null;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const integer = (
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): VigilConfig => {
  const roles = (env.VIGIL_ROLES ?? 'api,worker').split(',').map((r) => r.trim());
  const unknownRole = roles.find((r) => r !== 'api' && r !== 'worker');
  if (unknownRole !== undefined) {
    throw new ConfigError(`VIGIL_ROLES lists "${unknownRole}"; use api, worker or api,worker`);
  }
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST ?? '0.0.0.0',
    databaseUrl,
    dataDir: env.VIGIL_DATA_DIR ?? './data',
    embeddedPostgresPort: integer(env, 'VIGIL_EMBEDDED_PG_PORT', 54329, 1, 65535),
    roles: { api: roles.includes('api'), worker: roles.includes('worker') },
    logLevel: logLevel as VigilConfig['logLevel'],
    databasePoolSize: integer(env, 'VIGIL_DB_POOL_SIZE', 10, 2, 200),
    subscriptionPollMs: integer(env, 'VIGIL_SUBSCRIPTION_POLL_MS', 200, 10, 3_600_000),
    roundGapMs: integer(env, 'VIGIL_ROUND_GAP_MS', 50, 0, 1000),
    sns: snsTrust(env),
    slack: slackSettings(env),
  };
};

/**
 * VIGIL_SNS_CERT_HOST_PATTERN replaces AWS's SNS host rule and must be an
 * anchored regular expression (^…$), so it cannot match by accident inside a
 * longer host. VIGIL_SNS_ALLOW_LOOPBACK_HTTP=true also lets plain http reach
 * loopback addresses, and only together with a pattern. Both are for tests.
 */
const snsTrust = (env: NodeJS.ProcessEnv): VigilConfig['sns'] => {
  const pattern = env.VIGIL_SNS_CERT_HOST_PATTERN?.trim() || null;
  if (pattern !== null) {
    if (!pattern.startsWith('^') || !pattern.endsWith('$')) {
      throw new ConfigError('VIGIL_SNS_CERT_HOST_PATTERN must be anchored: start with ^ and end with $');
    }
    try {
      new RegExp(pattern);
    } catch {
      throw new ConfigError(`VIGIL_SNS_CERT_HOST_PATTERN is not a regular expression: "${pattern}"`);
    }
  }
  const http = env.VIGIL_SNS_ALLOW_LOOPBACK_HTTP ?? 'false';
  if (http !== 'true' && http !== 'false') {
    throw new ConfigError(`VIGIL_SNS_ALLOW_LOOPBACK_HTTP must be true or false, got "${http}"`);
  }
  if (http === 'true' && pattern === null) {
    throw new ConfigError('VIGIL_SNS_ALLOW_LOOPBACK_HTTP needs VIGIL_SNS_CERT_HOST_PATTERN');
  }
  return { certHostPattern: pattern, allowLoopbackHttp: http === 'true' };
};

/**
 * SLACK_BOT_TOKEN turns Slack on and then needs SLACK_SIGNING_SECRET. SLACK_API_URL
 * (default Slack's) exists for tests against a fake Web API. SLACK_CHANNEL_SEVERITIES
 * lists the severities that get an incident channel ("SEV1,SEV2" by default; "none": none).
 */
const slackSettings = (env: NodeJS.ProcessEnv): SlackConfig | null => {
  const botToken = env.SLACK_BOT_TOKEN?.trim() || null;
  const appToken = slackAppToken(env, botToken);
  if (botToken === null) return null;
  const signingSecret = env.SLACK_SIGNING_SECRET?.trim() || null;
  if (signingSecret === null)
    throw new ConfigError('SLACK_BOT_TOKEN is set; SLACK_SIGNING_SECRET must be too');
  const rawUrl = env.SLACK_API_URL?.trim() || 'https://slack.com/api/';
  let apiUrl: URL;
  try {
    apiUrl = new URL(rawUrl);
  } catch {
    throw new ConfigError(`SLACK_API_URL is not a URL: "${rawUrl}"`);
  }
  if (apiUrl.protocol !== 'https:' && apiUrl.protocol !== 'http:') {
    throw new ConfigError('SLACK_API_URL must be an http(s) URL');
  }
  const rawSeverities = env.SLACK_CHANNEL_SEVERITIES?.trim() ?? 'SEV1,SEV2';
  const channelSeverities =
    rawSeverities === '' || rawSeverities.toLowerCase() === 'none'
      ? []
      : rawSeverities.split(',').map((s) => s.trim().toUpperCase());
  const badSeverity = channelSeverities.find((s) => !/^SEV[1-4]$/.test(s));
  if (badSeverity !== undefined) {
    throw new ConfigError(
      `SLACK_CHANNEL_SEVERITIES lists "${badSeverity}"; use SEV1..SEV4, comma-separated, or none`,
    );
  }
  return {
    botToken,
    signingSecret,
    apiUrl: apiUrl.href.endsWith('/') ? apiUrl.href : `${apiUrl.href}/`,
    channelSeverities,
    appToken,
  };
};

/**
 * SLACK_APP_TOKEN, an app-level token (`xapp-…`, scope connections:write), turns on Socket Mode:
 * Vigil opens a WebSocket to Slack and needs no public URL. It only goes with SLACK_BOT_TOKEN.
 */
const slackAppToken = (env: NodeJS.ProcessEnv, botToken: string | null): string | null => {
  const appToken = env.SLACK_APP_TOKEN?.trim() || null;
  if (appToken === null) return null;
  if (botToken === null) throw new ConfigError('SLACK_APP_TOKEN is set; SLACK_BOT_TOKEN must be too');
  if (!appToken.startsWith('xapp-')) {
    throw new ConfigError('SLACK_APP_TOKEN must be an app-level token, starting "xapp-"');
  }
  return appToken;
};
