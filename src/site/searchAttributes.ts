import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Tutti's custom search attributes, registered by `npm run up` with the dev server. They make
 * "all runs of site X" or "migrations awaiting approval" one query in the UI.
 */
export const SA = {
  site: defineSearchAttributeKey('TuttiSite', SearchAttributeType.KEYWORD),
  domain: defineSearchAttributeKey('TuttiDomain', SearchAttributeType.KEYWORD_LIST),
  host: defineSearchAttributeKey('TuttiHost', SearchAttributeType.KEYWORD),
  operation: defineSearchAttributeKey('TuttiOperation', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('TuttiStage', SearchAttributeType.KEYWORD),
  startedBy: defineSearchAttributeKey('TuttiStartedBy', SearchAttributeType.KEYWORD),
};

/** `--search-attribute` arguments for `temporal server start-dev`. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, string> = {
  TuttiSite: 'Keyword',
  TuttiDomain: 'KeywordList',
  TuttiHost: 'Keyword',
  TuttiOperation: 'Keyword',
  TuttiStage: 'Keyword',
  TuttiStartedBy: 'Keyword',
};
