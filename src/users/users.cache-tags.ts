/** Cache tags of user views: one per user, one for every list. */
export const userTag = (id: string): string => `user:${id}`;
export const USERS_LIST_TAG = 'users:list';
