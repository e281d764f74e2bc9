/** Entity classes, listed explicitly: path globs fail intermittently under ESM. */
export const ENTITIES: Array<new () => object> = [];
