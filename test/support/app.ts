import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { loadConfig, type Clock } from '#vigil/common';
import { createHttpApp } from '../../apps/vigil/src/http/http-app.js';
import { startRuntime, type Runtime } from '../../apps/vigil/src/runtime.js';
import { testDatabaseUrl } from './database.js';

export interface TestApp {
  baseUrl: string;
  runtime: Runtime;
  app: NestFastifyApplication;
  /** A key with the `admin` scope. */
  adminKey: string;
  keyWith(...scopes: string[]): Promise<string>;
  /** fetch against the app, JSON in and out, with the admin key unless `key` says otherwise. */
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  close(): Promise<void>;
}

export interface CallOptions {
  body?: unknown;
  rawBody?: string | Buffer;
  key?: string | null;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: any;
}

/** Vigil's real HTTP app on a random loopback port, over the run's test database. */
export const startTestApp = async (
  options: { clock?: Clock; roles?: string; env?: Record<string, string> } = {},
): Promise<TestApp> => {
  const config = loadConfig({
    ...process.env,
    ...options.env,
    DATABASE_URL: testDatabaseUrl(),
    VIGIL_ROLES: options.roles ?? 'api,worker',
    LOG_LEVEL: 'silent',
  });
  const runtime = await startRuntime(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), {
    clock: options.clock,
  });
  const app = await createHttpApp(runtime);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const keyWith = async (...scopes: string[]) =>
    (await runtime.apiKeys.create(`test ${scopes.join(',')}`, scopes)).key;
  const adminKey = await keyWith('admin');

  const call = async (method: string, path: string, o: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string> = { ...o.headers };
    const key = o.key === undefined ? adminKey : o.key;
    if (key) headers.authorization = `Bearer ${key}`;
    let body: string | Buffer | undefined;
    if (o.rawBody !== undefined) body = o.rawBody;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };

  return {
    baseUrl,
    runtime,
    app,
    adminKey,
    keyWith,
    call,
    async close() {
      await app.close();
      await runtime.close();
    },
  };
};
