import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '#vigil/common';

const slack = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret' };

describe('Slack config: SLACK_APP_TOKEN (Socket Mode)', () => {
  it('is off (HTTP) without it', () => {
    assert.equal(loadConfig(slack).slack?.appToken, null);
  });

  it('turns on Socket Mode with an xapp- token', () => {
    assert.equal(
      loadConfig({ ...slack, SLACK_APP_TOKEN: ' xapp-1-A1-2-abc ' }).slack?.appToken,
      'xapp-1-A1-2-abc',
    );
  });

  it('needs SLACK_BOT_TOKEN', () => {
    assert.throws(() => loadConfig({ SLACK_APP_TOKEN: 'xapp-1-A1-2-abc' }), ConfigError);
  });

  it('must be an app-level token', () => {
    assert.throws(
      () => loadConfig({ ...slack, SLACK_APP_TOKEN: 'xoxb-1' }),
      (e: unknown) => e instanceof ConfigError && /xapp-/.test(e.message),
    );
  });
});
