// Our own Atom/RSS output of change events.
import { Type } from '@sinclair/typebox';
import { PolicyGlob, ServicePrefix, errorResponses } from './common.ts';

export const SyndicationQuery = Type.Object({ policy: Type.Optional(PolicyGlob), service: Type.Optional(ServicePrefix) }, { additionalProperties: false });

const xml = (mediaType: string, what: string) => ({
  description: what,
  content: { [mediaType]: { schema: Type.String() } },
});

export const syndicationRouteSchemas = {
  atom: { tags: ['syndication'], summary: 'Atom 1.0 feed of change events', querystring: SyndicationQuery, response: { 200: xml('application/atom+xml', 'Atom 1.0'), ...errorResponses } },
  rss: { tags: ['syndication'], summary: 'RSS 2.0 feed of change events', querystring: SyndicationQuery, response: { 200: xml('application/rss+xml', 'RSS 2.0'), ...errorResponses } },
};
