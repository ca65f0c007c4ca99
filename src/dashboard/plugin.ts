// The dashboard: server-rendered pages (Eta templates, escaped by default) under a strict
// Content-Security-Policy. No script runs in the browser, so the policy forbids all of it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyError, FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import { AppError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { hidden } from '../http/hidden.ts';
import dashboardRoutes from './routes.ts';

// Templates and the stylesheet ship as source files (the container copies src/), found from the
// package root so the compiled build in dist/ reads the same ones.
const DIR = join(PACKAGE_ROOT, 'src', 'dashboard');

export default async function dashboard(app: FastifyInstance) {
  // Encapsulated: the headers and the HTML error pages apply to the dashboard's routes only.
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], formAction: ["'self'"],
        baseUri: ["'none'"], frameAncestors: ["'none'"], scriptSrc: ["'none'"],
      },
    },
  });
  await app.register(fastifyView, {
    engine: { eta: new Eta({ views: join(DIR, 'views'), autoEscape: true, cache: true }) },
    templates: join(DIR, 'views'),
    production: true,
  });

  const css = readFileSync(join(DIR, 'dashboard.css'));
  app.get('/dashboard.css', { schema: hidden() }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(css));

  app.setErrorHandler(async (err: FastifyError | AppError, req, reply) => {
    let status = 500;
    let message = 'Something went wrong on our side; the error is in the service log.';
    if (err instanceof AppError && err.statusCode < 500) [status, message] = [err.statusCode, err.message];
    else if ((err as FastifyError).validation) [status, message] = [400, `Bad request: ${err.message}`];
    else if ((err as FastifyError).statusCode && ((err as FastifyError).statusCode as number) < 500) [status, message] = [(err as FastifyError).statusCode as number, err.message];
    else req.log.error({ err }, 'dashboard page failed');
    return reply.status(status).type('text/html; charset=utf-8').view('error', { title: status === 404 ? 'Not found' : 'Error', nav: '', status, message });
  });

  await app.register(dashboardRoutes);
}
