// Detection latency statistics (GET /api/stats/detection).
import { Type, type Static } from '@sinclair/typebox';
import { NoQuery, errorResponses } from './common.ts';

const Millis = Type.Union([Type.Integer(), Type.Null()], { description: 'milliseconds; null when no version qualifies' });

export const DetectionSource = Type.Object({
  observer: Type.Union([Type.Literal('iamtrail'), Type.Literal('policywatch')], {
    description: "iamtrail: IAMTrail's poller (its commit time, from an imported clone); policywatch: our own IAM poll",
  }),
  versions: Type.Integer({ description: "versions created after the observer's first sighting, with both dates" }),
  medianMs: Millis,
  p90Ms: Millis,
  maxMs: Millis,
  watchingSince: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: "the observer's first sighting of any version" }),
});

export const DetectionStats = Type.Object({
  sources: Type.Array(DetectionSource),
  /** Our median over IAMTrail's (the goal is at most 0.2); null until both have one. */
  medianRatio: Type.Union([Type.Number(), Type.Null()]),
});
export type DetectionStats = Static<typeof DetectionStats>;

export const statsRouteSchemas = {
  detection: {
    summary: 'Detection latency (first sighting minus AWS create date): median, p90 and max per observer',
    querystring: NoQuery,
    response: { 200: DetectionStats, ...errorResponses },
  },
};
