import { Writable } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { deferredChildLogger, loggerOptions } from './logging.js';

/** A fastify app logging into memory with the platform's options and deferred per-request child loggers. */
async function appLoggingAt(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino(loggerOptions(level), sink);
  const app = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    childLoggerFactory: deferredChildLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId: () => 'request-1',
  });
  return { app, logger, lines };
}

describe('deferredChildLogger', () => {
  it('logs with the request id and the redaction of its parent', async () => {
    const { app, lines } = await appLoggingAt('info');
    app.get('/', async (request) => {
      request.log.info({ pin: '1234', outcome: 'ok' }, 'soap call');
      request.log.debug('not at info');
      return 'done';
    });
    expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
    expect(lines).toEqual([expect.objectContaining({ level: 30, requestId: 'request-1', pin: '[redacted]', outcome: 'ok', msg: 'soap call' })]);
  });

  it('makes no child for calls below the enabled level, and still logs above it', async () => {
    const { app, logger, lines } = await appLoggingAt('warn');
    let children = 0;
    const makeChild = logger.child.bind(logger);
    logger.child = ((...args: Parameters<typeof makeChild>) => {
      children++;
      return makeChild(...args);
    }) as typeof logger.child;
    app.get('/quiet', async (request) => {
      request.log.info('below warn');
      expect(request.log.level).toBe('warn');
      return 'done';
    });
    app.get('/failing', async (request) => {
      request.log.error({ err: new Error('boom') }, 'internal error');
      return 'done';
    });
    await app.inject({ method: 'GET', url: '/quiet' });
    expect(children).toBe(0);
    await app.inject({ method: 'GET', url: '/failing' });
    expect(children).toBe(1);
    expect(lines).toEqual([expect.objectContaining({ level: 50, requestId: 'request-1', msg: 'internal error' })]);
  });

  it('changes its own level only, and makes grandchildren that keep its bindings', async () => {
    const { app, logger, lines } = await appLoggingAt('warn');
    app.get('/', async (request) => {
      request.log.level = 'debug';
      request.log.debug('now enabled');
      request.log.child({ step: 'lookup' }).warn('from a grandchild');
      return 'done';
    });
    await app.inject({ method: 'GET', url: '/' });
    expect(logger.level).toBe('warn');
    expect(lines).toEqual([
      expect.objectContaining({ level: 20, requestId: 'request-1', msg: 'now enabled' }),
      expect.objectContaining({ level: 40, requestId: 'request-1', step: 'lookup', msg: 'from a grandchild' }),
    ]);
  });

  it('makes a real child at once for a route with its own log level', async () => {
    const { app, lines } = await appLoggingAt('warn');
    app.get('/', { logLevel: 'info' }, async (request) => {
      request.log.info('route level');
      return 'done';
    });
    await app.inject({ method: 'GET', url: '/' });
    expect(lines).toEqual([expect.objectContaining({ level: 30, requestId: 'request-1', msg: 'route level' })]);
  });
});
