/** Every API route lives under this prefix; operational routes (health, metrics, docs) do not. */
export const API_PREFIX = 'api/v1';
