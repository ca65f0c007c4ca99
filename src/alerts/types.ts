// The event as alerts render and send it: the API's presentation (GET /api/changes/:id) with
// its documentation-history entries.
import type { PresentedEvent, presentDocRef } from '../services/change-service.ts';

export type AlertEvent = PresentedEvent & { docHistory: ReturnType<typeof presentDocRef>[] };
