// Public surface of the AWS documentation-history source.
export { parseFeed, FeedParseError, DEFAULT_MAX_FEED_BYTES, MAX_PROBLEMS } from './parse.ts';
export type { FeedItem, ParsedFeed, ParseFeedOptions, FeedParseErrorCode } from './parse.ts';
export { extractPolicyMentions, classifyEntry, statedDirection } from './mentions.ts';
export type { PolicyMentions, EntryKind, StatedDirection, MentionSource } from './mentions.ts';
export { fetchFeed, pollFeed, pollFeeds, FeedFetchError } from './fetch.ts';
export type { FetchFeedOptions, FetchFeedResult, FeedPollState, PollOptions, FeedPollError, FeedPollResult, FeedFetchErrorCode, FeedHttp } from './fetch.ts';
export { DEFAULT_FEEDS, feedsForService } from './defaults.ts';
export type { DefaultFeed, FeedEvidence } from './defaults.ts';
export { parseFeedDate } from './dates.ts';
export { htmlToText } from './text.ts';
