import type { Config } from '../config/env.ts';
import { LOCKS } from '../db/database.ts';
import { pollIam, pollRss } from './jobs.ts';
import type { JobDef } from './scheduler.ts';

export function defaultJobs(config: Config): JobDef[] {
  return [
    { name: 'iam', cron: config.pollCron, lock: LOCKS.poller, runSource: 'iam', run: (h) => pollIam(h) },
    { name: 'rss', cron: config.rssCron, lock: LOCKS.rssPoller, runSource: 'rss', run: (h) => pollRss(h) },
  ];
}
