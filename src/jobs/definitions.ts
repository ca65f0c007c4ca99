import type { Config } from '../config/env.ts';
import { LOCKS } from '../db/database.ts';
import { pollIam, pollRss, syncIamtrail } from './jobs.ts';
import type { JobDef } from './scheduler.ts';

/** IAMTrail commits hourly at most; once a day keeps dates current without load on its host. */
const IAMTRAIL_CRON = '23 4 * * *';

export function defaultJobs(config: Config): JobDef[] {
  const jobs: JobDef[] = [
    { name: 'iam', cron: config.pollCron, lock: LOCKS.poller, runSource: 'iam', run: (h) => pollIam(h) },
    { name: 'rss', cron: config.rssCron, lock: LOCKS.rssPoller, runSource: 'rss', run: (h) => pollRss(h) },
  ];
  const remote = config.iamtrailRepo;
  if (remote) {
    const warnedOn = {};
    // Also at start, so a new installation has true dates from its first minutes.
    jobs.push({ name: 'iamtrail', cron: IAMTRAIL_CRON, lock: LOCKS.iamtrail, runSource: 'iamtrail', runAtStart: true, run: (h) => syncIamtrail(h, remote, warnedOn) });
  }
  return jobs;
}
